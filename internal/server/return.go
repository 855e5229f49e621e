package server

import (
	"context"
	"os"
	"time"

	"github.com/straitproxy/strait/internal/proxy"
	"github.com/straitproxy/strait/internal/vars"
)

// returnWriteTimeout is how long ngx_stream_return_module waits for a
// client that does not take the text (its write timer, 5000 ms).
const returnWriteTimeout = 5 * time.Second

// serveReturn is ngx_stream_return_module's content handler: it sends the
// value to the client and closes, with status 200; an empty value closes
// at once. A client that takes nothing for 5 seconds ends the session
// with status 200 and "connection timed out", a failed write with 500, as
// nginx finalizes them.
func serveReturn(ctx context.Context, ps *proxy.Session, value *vars.Expr) {
	rec, c := ps.Record, ps.Client
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	text := value.Append(nil, rec)
	rec.Status = 200
	for len(text) > 0 {
		c.SetWriteDeadline(time.Now().Add(returnWriteTimeout))
		n, err := c.Write(text)
		rec.BytesSent += int64(n)
		text = text[n:]
		if err == nil {
			continue
		}
		attrs := []any{"client", ps.ClientText, "server", ps.ServerText, "action", "returning text"}
		switch {
		case ctx.Err() != nil:
			// Cut by a stop: nothing failed.
		case os.IsTimeout(err):
			ps.Log.Info("connection timed out (110: Connection timed out)", attrs...)
		default:
			ps.Log.Info("send() failed "+proxy.Errno(err), attrs...)
			rec.Status = 500
		}
		return
	}
}
