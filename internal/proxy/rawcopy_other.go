//go:build !linux

package proxy

import (
	"net"
	"syscall"
)

// Without the Linux direct copy every flow uses the portable copy.

type socketReader struct{}

var errWouldBlock error = syscall.EAGAIN

func wrapForTLS(raw net.Conn) net.Conn { return raw }

func (f *flow) setDirect() {}

func (f *flow) readDirect([]byte) (int, error) { return 0, errWouldBlock }

func (p *pipeState) copyDirect(f *flow) { p.copyBuffered(f) }
