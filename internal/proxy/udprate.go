package proxy

import "time"

// proxy_upload_rate and proxy_download_rate for UDP sessions, and the
// peer reader's buffers.

// dropForRate applies proxy_upload_rate as nginx does for datagrams:
// while reading from the client is delayed, a datagram is dropped.
func (f *udpFlow) dropForRate() bool {
	rate := int64(f.h.Proxy.UploadRate)
	if rate <= 0 {
		return false
	}
	now := f.h.now()
	if now.Before(f.uploadDelay) {
		return true
	}
	limit := rate*(now.Unix()-f.up.start.Unix()+1) - f.ds.Record.BytesReceived
	if limit <= 0 {
		f.uploadDelay = now.Add(time.Duration(-limit*1000/rate+1) * time.Millisecond)
		return true
	}
	return false
}

func (f *udpFlow) delayUpload(n int) {
	if rate := int64(f.h.Proxy.UploadRate); rate > 0 {
		f.uploadDelay = f.h.now().Add(time.Duration(int64(n)*1000/rate) * time.Millisecond)
	}
}

// waitDownloadRate holds reading back while proxy_download_rate says so,
// with nginx's arithmetic: a budget of rate bytes for every second since
// the session started, plus one. It returns false when the session ended
// meanwhile.
func (f *udpFlow) waitDownloadRate(received int64) bool {
	rate := int64(f.h.Proxy.DownloadRate)
	if rate <= 0 {
		return true
	}
	limit := rate*(f.h.now().Unix()-f.up.start.Unix()+1) - received
	if limit > 0 {
		return true
	}
	return f.sleep(time.Duration(-limit*1000/rate+1) * time.Millisecond)
}

// delayDownload pauses reading for the time n bytes take at
// proxy_download_rate.
func (f *udpFlow) delayDownload(n int) {
	if rate := int64(f.h.Proxy.DownloadRate); rate > 0 {
		f.sleep(time.Duration(int64(n)*1000/rate) * time.Millisecond)
	}
}

func (f *udpFlow) sleep(d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-f.stop:
		return false
	}
}

func (f *udpFlow) getBuf(size int) *[]byte {
	if bp := f.h.Buffers; bp != nil && bp.Size() == size {
		return bp.get()
	}
	b := make([]byte, size)
	return &b
}

func (f *udpFlow) putBuf(b *[]byte) {
	if bp := f.h.Buffers; bp != nil && bp.Size() == len(*b) {
		bp.put(b)
	}
}
