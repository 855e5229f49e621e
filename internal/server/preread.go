package server

import (
	"context"
	"errors"
	"os"
	"time"

	"github.com/straitproxy/strait/internal/clienthello"
	"github.com/straitproxy/strait/internal/proxy"
	"github.com/straitproxy/strait/internal/vars"
)

const actionPrereading = "prereading client data"

// prereadPhase runs nginx's preread phase for ssl_preread
// (ngx_stream_core_preread_phase with ngx_stream_ssl_preread_handler):
// it reads the client's first bytes until they hold a whole ClientHello,
// are not one, or fill preread_buffer_size, within preread_timeout. The
// bytes are kept in ps.Preread and go to the upstream untouched. Cut by a
// stop or worker_shutdown_timeout like the other phases before content.
//
// As in nginx, a client that closes or times out here ends the session
// with status 200 and no word, a full buffer with "preread buffer full"
// and status 400; bytes that are not a ClientHello go on to the content
// phase with the $ssl_preread_* variables not found.
func (s *Server) prereadPhase(snap *snapshot, b *block, ps *proxy.Session) {
	rec := ps.Record
	size := b.cfg.PrereadBufferSize
	buf := make([]byte, len(ps.Preread), max(size, len(ps.Preread)))
	copy(buf, ps.Preread)
	c := ps.Client
	// A socket deadline is wall-clock time, whatever clock the server
	// was given for its logs.
	c.SetReadDeadline(time.Now().Add(b.cfg.PrereadTimeout))
	defer c.SetReadDeadline(time.Time{})
	for {
		info, st := clienthello.Parse(buf)
		switch st {
		case clienthello.Done:
			rec.Preread = &vars.Preread{ServerName: info.ServerName, ALPN: info.ALPN, Protocol: info.Protocol()}
			ps.Preread = buf
			return
		case clienthello.NotTLS:
			ps.Preread = buf
			return
		}
		if len(buf) >= size {
			ps.Log.Error("preread buffer full", append(ps.ClientAttrs(), "action", actionPrereading)...)
			rec.Status = 400
			return
		}
		n, err := c.Read(buf[len(buf):size])
		buf = buf[:len(buf)+n]
		if err == nil {
			continue
		}
		switch {
		case snap.ctx.Err() != nil:
			if errors.Is(context.Cause(snap.ctx), proxy.ErrShutdownTimeout) {
				ps.Log.Info(proxy.ErrShutdownTimeout.Error(), append(ps.ClientAttrs(), "action", actionPrereading)...)
			}
		case os.IsTimeout(err):
			// preread_timeout: nginx ends the session without a word.
		default:
			if errno := proxy.Errno(err); errno != "" {
				ps.Log.Info("recv() failed "+errno, append(ps.ClientAttrs(), "action", actionPrereading)...)
			}
		}
		rec.Status = 200
		return
	}
}
