package main

import (
	"fmt"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The kernel ABI of io_uring (include/uapi/linux/io_uring.h), the part
// this prototype uses.
const (
	opAsyncCancel = 14
	opRead        = 22
	opSend        = 26
	opRecv        = 27
	opShutdown    = 34

	sqeBufferSelect = 1 << 5
	recvMultishot   = 1 << 1 // in the SQE's ioprio

	cqeFBuffer      = 1 << 0
	cqeFMore        = 1 << 1
	cqeBufferShift  = 16
	sqCQOverflow    = 1 << 1 // sq_flags
	sqTaskrun       = 1 << 2
	enterGetEvents  = 1 << 0
	setupCQSize     = 1 << 3
	setupSubmitAll  = 1 << 7
	setupSingleIss  = 1 << 12
	setupDeferTask  = 1 << 13
	setupNoSQArray  = 1 << 16
	featSingleMmap  = 1 << 0
	offSQRing       = 0
	offSQEs         = 0x10000000
	registerEventfd = 4
	registerPbuf    = 22
)

type sqringOffsets struct {
	Head, Tail, RingMask, RingEntries, Flags, Dropped, Array, Resv1 uint32
	UserAddr                                                        uint64
}

type cqringOffsets struct {
	Head, Tail, RingMask, RingEntries, Overflow, Cqes, Flags, Resv1 uint32
	UserAddr                                                        uint64
}

type params struct {
	SQEntries, CQEntries, Flags, SQThreadCPU, SQThreadIdle, Features, WQFd uint32
	Resv                                                                   [3]uint32
	SQOff                                                                  sqringOffsets
	CQOff                                                                  cqringOffsets
}

// sqe is a submission queue entry (64 bytes).
type sqe struct {
	Opcode      uint8
	Flags       uint8
	Ioprio      uint16
	Fd          int32
	Off         uint64
	Addr        uint64
	Len         uint32
	OpFlags     uint32
	UserData    uint64
	BufGroup    uint16
	Personality uint16
	SpliceFdIn  int32
	Addr3       uint64
	_           uint64
}

// cqe is a completion queue entry (16 bytes).
type cqe struct {
	UserData uint64
	Res      int32
	Flags    uint32
}

// ring is one io_uring instance: its mapped queues and a provided buffer
// ring that multishot receives take their buffers from.
type ring struct {
	fd      int
	mem     []byte // SQ and CQ rings, one mapping (IORING_FEAT_SINGLE_MMAP)
	sqeMem  []byte
	sqes    []sqe
	sqHead  *uint32
	sqTail  *uint32
	sqFlags *uint32
	sqMask  uint32
	tail    uint32 // local SQ tail, published by flushSQ
	pending uint32 // SQEs written since the last io_uring_enter
	cqHead  *uint32
	cqTail  *uint32
	cqMask  uint32
	cqes    []cqe

	bufMem   []byte // nbuf buffers of bufSize bytes
	bufRing  []byte // nbuf io_uring_buf entries; the tail is at byte 14
	bufTail  uint16
	bufCount int
	bufSize  int
}

// Buffer group and sizes of the provided buffers.
const (
	bufGroup = 0
	nbuf     = 1024
	bufSize  = 16 << 10
)

func newRing(entries uint32, flags uint32) (*ring, error) {
	p := params{Flags: flags | setupCQSize | setupSubmitAll | setupNoSQArray, CQEntries: entries * 8}
	fd, _, errno := unix.Syscall(unix.SYS_IO_URING_SETUP, uintptr(entries), uintptr(unsafe.Pointer(&p)), 0)
	if errno != 0 {
		return nil, fmt.Errorf("io_uring_setup: %w", errno)
	}
	if p.Features&featSingleMmap == 0 {
		return nil, fmt.Errorf("io_uring: kernel lacks IORING_FEAT_SINGLE_MMAP")
	}
	r := &ring{fd: int(fd)}
	size := max(p.SQOff.Array+p.SQEntries*4, p.CQOff.Cqes+p.CQEntries*uint32(unsafe.Sizeof(cqe{})))
	var err error
	if r.mem, err = unix.Mmap(r.fd, offSQRing, int(size), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_POPULATE); err != nil {
		return nil, fmt.Errorf("mmap rings: %w", err)
	}
	if r.sqeMem, err = unix.Mmap(r.fd, offSQEs, int(p.SQEntries)*64, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_POPULATE); err != nil {
		return nil, fmt.Errorf("mmap sqes: %w", err)
	}
	u32 := func(off uint32) *uint32 { return (*uint32)(unsafe.Pointer(&r.mem[off])) }
	r.sqHead, r.sqTail, r.sqFlags = u32(p.SQOff.Head), u32(p.SQOff.Tail), u32(p.SQOff.Flags)
	r.sqMask = *u32(p.SQOff.RingMask)
	r.tail = atomic.LoadUint32(r.sqTail)
	r.sqes = unsafe.Slice((*sqe)(unsafe.Pointer(&r.sqeMem[0])), p.SQEntries)
	r.cqHead, r.cqTail = u32(p.CQOff.Head), u32(p.CQOff.Tail)
	r.cqMask = *u32(p.CQOff.RingMask)
	r.cqes = unsafe.Slice((*cqe)(unsafe.Pointer(&r.mem[p.CQOff.Cqes])), p.CQEntries)
	return r, r.setupBuffers()
}

// setupBuffers registers a provided buffer ring of nbuf buffers.
func (r *ring) setupBuffers() error {
	var err error
	r.bufSize, r.bufCount = bufSize, nbuf
	if r.bufMem, err = unix.Mmap(-1, 0, nbuf*bufSize, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS); err != nil {
		return fmt.Errorf("mmap buffers: %w", err)
	}
	if r.bufRing, err = unix.Mmap(-1, 0, nbuf*16, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS); err != nil {
		return fmt.Errorf("mmap buffer ring: %w", err)
	}
	reg := struct {
		RingAddr    uint64
		RingEntries uint32
		Bgid        uint16
		Flags       uint16
		Resv        [3]uint64
	}{RingAddr: uint64(uintptr(unsafe.Pointer(&r.bufRing[0]))), RingEntries: nbuf, Bgid: bufGroup}
	if _, _, errno := unix.Syscall6(unix.SYS_IO_URING_REGISTER, uintptr(r.fd), registerPbuf, uintptr(unsafe.Pointer(&reg)), 1, 0, 0); errno != 0 {
		return fmt.Errorf("register buffer ring: %w", errno)
	}
	for i := range nbuf {
		r.putBuf(uint16(i))
	}
	return nil
}

// buf returns provided buffer bid.
func (r *ring) buf(bid uint16) []byte {
	return r.bufMem[int(bid)*r.bufSize : (int(bid)+1)*r.bufSize]
}

// putBuf gives buffer bid back to the kernel.
func (r *ring) putBuf(bid uint16) {
	e := unsafe.Pointer(&r.bufRing[int(r.bufTail&(nbuf-1))*16])
	*(*uint64)(e) = uint64(uintptr(unsafe.Pointer(&r.bufMem[int(bid)*r.bufSize])))
	*(*uint32)(unsafe.Add(e, 8)) = uint32(r.bufSize)
	*(*uint16)(unsafe.Add(e, 12)) = bid
	r.bufTail++
	// The tail is the u16 at byte 14, overlaying the first entry's
	// reserved field; publish it with a 32-bit release store that keeps
	// the first entry's bid (bytes 12-13).
	atomic.StoreUint32((*uint32)(unsafe.Pointer(&r.bufRing[12])), uint32(r.bufTail)<<16|uint32(*(*uint16)(unsafe.Pointer(&r.bufRing[12]))))
}

// registerEventfd makes the kernel signal efd whenever it posts a
// completion.
func (r *ring) registerEventfd(efd int) error {
	fd := int32(efd)
	if _, _, errno := unix.Syscall6(unix.SYS_IO_URING_REGISTER, uintptr(r.fd), registerEventfd, uintptr(unsafe.Pointer(&fd)), 1, 0, 0); errno != 0 {
		return fmt.Errorf("register eventfd: %w", errno)
	}
	return nil
}

// get returns a zeroed SQE to fill, submitting queued ones first when the
// queue is full.
func (r *ring) get() *sqe {
	if r.tail-atomic.LoadUint32(r.sqHead) > r.sqMask {
		r.enter(0, 0)
	}
	s := &r.sqes[r.tail&r.sqMask]
	*s = sqe{}
	r.tail++
	r.pending++
	return s
}

// enter publishes the queued SQEs and calls io_uring_enter, waiting for
// minComplete completions when it is non-zero (a blocking system call).
// It always asks for completions, so that deferred task work runs and an
// overflowed CQ is flushed.
func (r *ring) enter(minComplete uint32, extra uint32) error {
	atomic.StoreUint32(r.sqTail, r.tail)
	n := r.pending
	r.pending = 0
	var errno unix.Errno
	if minComplete == 0 {
		_, _, errno = unix.RawSyscall6(unix.SYS_IO_URING_ENTER, uintptr(r.fd), uintptr(n), 0, uintptr(enterGetEvents|extra), 0, 0)
	} else {
		_, _, errno = unix.Syscall6(unix.SYS_IO_URING_ENTER, uintptr(r.fd), uintptr(n), uintptr(minComplete), uintptr(enterGetEvents|extra), 0, 0)
	}
	if errno != 0 && errno != unix.EINTR && errno != unix.EAGAIN && errno != unix.EBUSY {
		return fmt.Errorf("io_uring_enter: %w", errno)
	}
	return nil
}

// needEnter reports whether the kernel wants an io_uring_enter even with
// nothing to submit: overflowed completions or task work to run.
func (r *ring) needEnter() bool {
	return atomic.LoadUint32(r.sqFlags)&(sqCQOverflow|sqTaskrun) != 0
}

// completions calls fn for every posted completion and frees their slots.
func (r *ring) completions(fn func(c cqe)) int {
	head := atomic.LoadUint32(r.cqHead)
	tail := atomic.LoadUint32(r.cqTail)
	for i := head; i != tail; i++ {
		fn(r.cqes[i&r.cqMask])
	}
	atomic.StoreUint32(r.cqHead, tail)
	return int(tail - head)
}
