package clienthello

import "errors"

// errShort means the bytes end before the field; more may come.
var errShort = errors.New("short")

// errBad means the message is malformed by nginx's rules.
var errBad = errors.New("bad")

// msg reads one handshake message the way nginx's state machine does:
// before each field it checks the field fits in what is left of the
// message (left), then waits for its bytes.
type msg struct {
	b    []byte
	left int
}

// need checks that a field of n bytes fits in the message.
func (m *msg) need(n int) error {
	if m.left < n {
		return errBad
	}
	if len(m.b) < n {
		return errShort
	}
	return nil
}

// take returns the next n bytes of the message.
func (m *msg) take(n int) ([]byte, error) {
	if err := m.need(n); err != nil {
		return nil, err
	}
	out := m.b[:n]
	m.b, m.left = m.b[n:], m.left-n
	return out, nil
}

func (m *msg) u8() (int, error) {
	b, err := m.take(1)
	if err != nil {
		return 0, err
	}
	return int(b[0]), nil
}

func (m *msg) u16() (int, error) {
	b, err := m.take(2)
	if err != nil {
		return 0, err
	}
	return int(b[0])<<8 | int(b[1]), nil
}

// skipVector skips a vector whose length is a lenSize-byte prefix.
func (m *msg) skipVector(lenSize int) error {
	var n int
	var err error
	if lenSize == 1 {
		n, err = m.u8()
	} else {
		n, err = m.u16()
	}
	if err != nil {
		return err
	}
	_, err = m.take(n)
	return err
}

// parseHandshake reads a ClientHello from the handshake bytes hs.
func parseHandshake(hs []byte) (Info, Status) {
	info, err := readHello(hs)
	switch err {
	case nil:
		return info, Done
	case errShort:
		return Info{}, NeedMore
	}
	return Info{}, NotTLS
}

func readHello(hs []byte) (Info, error) {
	var info Info
	m := &msg{b: hs, left: 4}
	hdr, err := m.take(4)
	if err != nil {
		return info, err
	}
	if hdr[0] != 1 {
		return info, errBad // not a ClientHello
	}
	m.left = int(hdr[1])<<16 | int(hdr[2])<<8 | int(hdr[3])
	v, err := m.u16() // client_version
	if err != nil {
		return info, err
	}
	info.Version = uint16(v)
	if _, err := m.take(32); err != nil { // random
		return info, err
	}
	for _, lenSize := range []int{1, 2, 1} { // session_id, cipher_suites, compression_methods
		if err := m.skipVector(lenSize); err != nil {
			return info, err
		}
	}
	if m.left == 0 {
		return info, nil // no extensions
	}
	if _, err := m.u16(); err != nil { // their total length, unused by nginx
		return info, err
	}
	var haveHost, haveALPN bool
	for m.left > 0 {
		typ, err := m.u16()
		if err != nil {
			return info, err
		}
		size, err := m.u16()
		if err != nil {
			return info, err
		}
		switch {
		case typ == 0 && !haveHost:
			haveHost = true
			err = readServerName(m, &info)
		case typ == 16 && !haveALPN:
			haveALPN = true
			err = readALPN(m, &info)
		case typ == 43:
			// nginx does not look inside supported_versions: its
			// presence means TLSv1.3. Its own length prefix, not the
			// extension's, says how much to skip.
			info.Version = 0x0304
			err = m.skipVector(1)
		default:
			_, err = m.take(size)
		}
		if err != nil {
			return info, err
		}
	}
	return info, nil
}

// readServerName reads the first name of a server_name extension and
// skips the rest of its list. Like nginx, it goes by the list's length,
// not the extension's.
func readServerName(m *msg, info *Info) error {
	ext, err := m.u16()
	if err != nil {
		return err
	}
	head, err := m.take(3)
	if err != nil {
		return err
	}
	if head[0] != 0 {
		return errBad // SNI name type is not host_name
	}
	size := int(head[1])<<8 | int(head[2])
	if ext < 3+size {
		return errBad
	}
	host, err := m.take(size)
	if err != nil {
		return err
	}
	info.ServerName = string(host)
	_, err = m.take(ext - 3 - size)
	return err
}

// readALPN reads the protocols of an ALPN extension, joined by ",".
func readALPN(m *msg, info *Info) error {
	ext, err := m.u16()
	if err != nil {
		return err
	}
	var out []byte
	for {
		size, err := m.u8()
		if err != nil {
			return err
		}
		if size == 0 || ext < 1+size {
			return errBad // an empty protocol, or one past the list
		}
		ext -= 1 + size
		proto, err := m.take(size)
		if err != nil {
			return err
		}
		out = append(out, proto...)
		if ext == 0 {
			break
		}
		out = append(out, ',')
	}
	info.ALPN = string(out)
	return nil
}
