//go:build !linux

package proxy

import (
	"net"
	"time"
)

// waitReadable is a no-op where MSG_PEEK readiness is not wired up; the
// copy then waits inside Read, holding its buffer.
func waitReadable(net.Conn) error { return nil }

func kernelIdle(net.Conn) (time.Duration, bool) { return 0, false }

// canSplice is false without kernelIdle: the idle timeout could not see
// spliced traffic.
const canSplice = false
