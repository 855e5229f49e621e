package proxy

import (
	"sync"
	"sync/atomic"
)

// BufferPool hands out copy buffers of one size (proxy_buffer_size). A
// buffer is held only while bytes are in flight, never while a session
// waits for data.
type BufferPool struct {
	size int
	pool sync.Pool
	held atomic.Int64 // buffers handed out and not yet returned
}

// NewBufferPool returns a pool of size-byte buffers.
func NewBufferPool(size int) *BufferPool {
	if size <= 0 {
		size = 16 << 10
	}
	bp := &BufferPool{size: size}
	bp.pool.New = func() any {
		b := make([]byte, size)
		return &b
	}
	return bp
}

// Size is the length of the pool's buffers.
func (bp *BufferPool) Size() int { return bp.size }

func (bp *BufferPool) get() *[]byte {
	bp.held.Add(1)
	return bp.pool.Get().(*[]byte)
}

func (bp *BufferPool) put(b *[]byte) {
	bp.held.Add(-1)
	bp.pool.Put(b)
}
