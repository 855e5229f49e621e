//go:build !linux

package proxy

import (
	"context"
	"errors"
)

// Engine is Linux-only; elsewhere every session runs on goroutines.
type Engine struct{}

// NewEngine reports that there is no event-loop engine here.
func NewEngine(int) (*Engine, error) {
	return nil, errors.New("the event-loop engine needs Linux")
}

// Close does nothing.
func (e *Engine) Close() {}

func (e *Engine) onEngine(context.Context, *pipeState, *flow, *flow, func()) int { return engineNo }
