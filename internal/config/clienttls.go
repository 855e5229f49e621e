package config

import (
	"strconv"
	"strings"

	"github.com/straitproxy/strait/internal/ngxconf"
)

// minSharedCache is nginx's least shared session cache, 8 pages.
const minSharedCache = 8 * 4096

// builtinDefault is OpenSSL's SSL_SESSION_CACHE_MAX_SIZE_DEFAULT, what
// "builtin" without a size means.
const builtinDefault = 20480

// setSessionCache parses ssl_session_cache as ngx_stream_ssl_session_cache
// does: off, none, builtin, builtin:N and shared:name:size in any
// combination, the last word of a kind winning.
func setSessionCache(s *scope, d *ngxconf.Directive) error {
	sc := SessionCache{}
	builtinSet := false
	for _, a := range d.Args {
		v := a.Value
		switch {
		case v == "off" || v == "none":
			sc.Mode, sc.Builtin, builtinSet = v, 0, true
		case v == "builtin":
			sc.Mode, sc.Builtin, builtinSet = "builtin", builtinDefault, true
		case strings.HasPrefix(v, "builtin:") && len(v) > len("builtin:"):
			n, err := strconv.Atoi(v[len("builtin:"):])
			if err != nil || n < 0 {
				return errorf(d, "invalid session cache %q", v)
			}
			sc.Mode, sc.Builtin, builtinSet = "builtin", n, true
		case strings.HasPrefix(v, "shared:") && len(v) > len("shared:"):
			name, size, ok := strings.Cut(v[len("shared:"):], ":")
			if name == "" || !ok {
				return errorf(d, "invalid session cache %q", v)
			}
			n, err := parseSize(size)
			if err != nil {
				return errorf(d, "invalid session cache %q", v)
			}
			if n < minSharedCache {
				return errorf(d, "session cache %q is too small", v)
			}
			if prev, ok := s.l.sessionZones()[name]; ok && prev != n {
				return errorf(d, "the size %d of shared memory zone %q conflicts with already declared size %d", n, name, prev)
			}
			s.l.sessionZones()[name] = n
			sc.Shared, sc.SharedSize = name, n
		default:
			return errorf(d, "invalid session cache %q", v)
		}
	}
	if sc.Shared != "" && !builtinSet {
		sc.Mode = "shared"
	} else if sc.Shared != "" && sc.Mode == "builtin" {
		sc.Mode = "shared"
	}
	s.lvl.srv.ClientTLS.SessionCache = sc
	return nil
}

// sessionZones are the shared session caches declared so far, by name.
func (l *loader) sessionZones() map[string]int {
	if l.sslZones == nil {
		l.sslZones = map[string]int{}
	}
	return l.sslZones
}

// setCertificateCache validates ssl_certificate_cache as nginx does; the
// cache itself has nothing to hold in strait.
func setCertificateCache(s *scope, d *ngxconf.Directive) error {
	off, hasMax := false, false
	for _, a := range d.Args {
		v := a.Value
		name, val, _ := strings.Cut(v, "=")
		var err error
		switch {
		case v == "off":
			off = true
		case name == "max":
			n, e := strconv.Atoi(val)
			if e != nil || n <= 0 {
				err = e
				if err == nil {
					err = errInvalidValue
				}
			}
			hasMax = true
		case name == "inactive" || name == "valid":
			_, err = parseSec(val)
		default:
			err = errInvalidValue
		}
		if err != nil {
			return errorf(d, "invalid parameter %q", v)
		}
	}
	if !off && !hasMax {
		return errorf(d, "%q must have the \"max\" parameter", d.Name)
	}
	return nil
}

// checkClientTLS runs nginx's checks of a server's ngx_stream_ssl_module
// settings (ngx_stream_ssl_merge_srv_conf, ngx_stream_ssl_init) and pairs
// certificates with keys.
func (l *loader) checkClientTLS(srv *Server) error {
	c := &srv.ClientTLS
	if len(c.CertificateKeys) < len(c.Certificates) {
		ck := c.Certificates[len(c.Certificates)-1]
		return errorAt(ck.Pos, "no \"ssl_certificate_key\" is defined for certificate %q", ck.Certificate)
	}
	for i := range c.Certificates {
		c.Certificates[i].Key = c.CertificateKeys[i]
	}
	if srv.UsesClientTLS() && len(c.Certificates) == 0 && !c.RejectHandshake {
		return errorAt(srv.Pos, "no \"ssl_certificate\" is defined for the \"listen ... ssl\" directive")
	}
	if len(c.Certificates) == 0 && !c.RejectHandshake {
		// nginx builds no TLS context for such a block and reads none of
		// its files.
		return nil
	}
	for _, ck := range c.Certificates {
		if err := l.checkSSLReadable(ck.Pos, "certificate", ck.Certificate); err != nil {
			return err
		}
		if err := l.checkSSLReadable(ck.Pos, "certificate key", ck.Key); err != nil {
			return err
		}
	}
	if c.VerifyClient != "off" && c.VerifyClient != "optional_no_ca" && c.ClientCertificate == "" && c.TrustedCertificate == "" {
		return errorAt(c.VerifyPos, "no ssl_client_certificate or ssl_trusted_certificate for ssl_verify_client")
	}
	files := []struct {
		pos        ngxconf.Pos
		what, path string
	}{
		{c.ClientCertificatePos, "certificate", c.ClientCertificate},
		{c.TrustedPos, "certificate", c.TrustedCertificate},
		{c.CRLPos, "CRL", c.CRL},
		{c.DHParamPos, "DH parameters", c.DHParam},
	}
	for i, f := range files {
		// nginx reads the verification files only with
		// ssl_verify_client on.
		if f.path == "" || (i < 3 && c.VerifyClient == "off") {
			continue
		}
		if err := l.checkReadable(f.pos, f.what, f.path); err != nil {
			return err
		}
	}
	for _, k := range c.SessionTicketKeys {
		data, err := l.readFile(k)
		if err != nil {
			return errorAt(c.TicketKeyPos, "open() %q failed (%s)", k, ngxconf.OSReason(err))
		}
		if len(data) != 48 && len(data) != 80 {
			return errorAt(c.TicketKeyPos, "%q must be 48 or 80 bytes", k)
		}
	}
	if c.KeyLog != "" {
		l.warnOnce(c.KeyLogPos, "ssl_key_log writes the secrets of every client TLS session to "+strconv.Quote(c.KeyLog)+": anyone who can read it can decrypt the traffic")
	}
	return nil
}

// checkSSLReadable is checkReadable for values that may be "data:".
func (l *loader) checkSSLReadable(pos ngxconf.Pos, what, path string) error {
	if strings.HasPrefix(path, "data:") {
		return nil
	}
	return l.checkReadable(pos, what, path)
}
