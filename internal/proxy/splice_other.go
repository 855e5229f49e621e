//go:build !linux

package proxy

import "errors"

// Without splice(2) every flow uses the portable copy.

// canSplice is false: plain sessions copy through buffers.
const canSplice = false

type pipe struct{ data int }

func newPipe() (*pipe, error) { return nil, errors.New("splice pipes are supported on Linux only") }

func (p *pipe) close() {}

func (p *pipeState) copySpliced(f *flow) { p.copyBuffered(f) }
