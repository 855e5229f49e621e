package server

import "net"

// replayConn yields pre before reading c: bytes already read from the
// connection (past a PROXY header, by ssl_preread, or before pass handed
// it on) that the next reader must see first.
func replayConn(c net.Conn, pre []byte) net.Conn {
	if len(pre) == 0 {
		return c
	}
	return &replay{Conn: c, pre: pre}
}

type replay struct {
	net.Conn
	pre []byte
}

func (r *replay) Read(p []byte) (int, error) {
	if len(r.pre) > 0 {
		n := copy(p, r.pre)
		r.pre = r.pre[n:]
		return n, nil
	}
	return r.Conn.Read(p)
}
