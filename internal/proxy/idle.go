package proxy

import "time"

// proxy_timeout is an idle timeout: it expires when neither side has read or
// written for that long. Rather than moving socket deadlines on every read,
// each session has one timer; when it fires it looks at the last activity
// and either ends the session or sleeps for the remainder. Every copy,
// spliced or buffered, records activity in an atomic.

func (p *pipeState) startIdleTimer() {
	if p.timeout <= 0 {
		return
	}
	p.touch()
	p.timer = time.AfterFunc(p.timeout, p.checkIdle)
}

// touch records activity now.
func (p *pipeState) touch() {
	if p.timeout > 0 {
		p.last.Store(int64(time.Since(p.base)))
	}
}

func (p *pipeState) checkIdle() {
	idle := time.Since(p.base) - time.Duration(p.last.Load())
	if idle < p.timeout {
		p.timer.Reset(p.timeout - idle)
		return
	}
	p.timedOut.Store(true)
	p.ending.Store(true)
	p.client.Close()
	p.upRaw.Close()
	if p.cancel != nil {
		p.cancel()
	}
}
