//go:build !linux

package proxy

import "net"

// waitReadable is a no-op where MSG_PEEK readiness is not wired up; the
// copy then waits inside Read, holding its buffer.
func waitReadable(net.Conn) error { return nil }
