package tlsconf

import (
	"errors"
	"fmt"

	"github.com/straitproxy/strait/internal/config"
	"github.com/straitproxy/strait/internal/ngxconf"
)

// settingError is an error about the value of one proxy_ssl_* directive.
// Its text is the bare reason, as a certificate rotation logs it; NewClient
// ends it with " in FILE:LINE" of the directive, as every configuration
// error ends (nginx itself prints none for the errors OpenSSL raises while
// it loads these files, which leaves a reader of a large configuration to
// guess which server block failed).
type settingError struct {
	err error
	pos func(s *config.ProxySSL) ngxconf.Pos
}

func (e *settingError) Error() string { return e.err.Error() }
func (e *settingError) Unwrap() error { return e.err }

// about marks err as being about the directive whose position pos picks.
func about(err error, pos func(s *config.ProxySSL) ngxconf.Pos) error {
	if err == nil {
		return nil
	}
	return &settingError{err: err, pos: pos}
}

// Position pickers for about.
func certificatePos(s *config.ProxySSL) ngxconf.Pos { return s.CertificatePos }
func keyPos(s *config.ProxySSL) ngxconf.Pos         { return s.KeyPos }
func passwordPos(s *config.ProxySSL) ngxconf.Pos    { return s.PasswordPos }
func trustedPos(s *config.ProxySSL) ngxconf.Pos     { return s.TrustedPos }
func crlPos(s *config.ProxySSL) ngxconf.Pos         { return s.CRLPos }
func verifyPos(s *config.ProxySSL) ngxconf.Pos      { return s.VerifyPos }
func ciphersPos(s *config.ProxySSL) ngxconf.Pos     { return s.CiphersPos }
func pinPos(s *config.ProxySSL) ngxconf.Pos         { return s.PinPos }

// confCommandPos picks the position of the i-th proxy_ssl_conf_command.
func confCommandPos(i int) func(s *config.ProxySSL) ngxconf.Pos {
	return func(s *config.ProxySSL) ngxconf.Pos {
		if i < len(s.ConfCommandPos) {
			return s.ConfCommandPos[i]
		}
		return ngxconf.Pos{}
	}
}

// positioned ends err with " in FILE:LINE": the position of the directive
// it is about, else of proxy_ssl (or the server block) when that directive
// was never written (a default, or a setting inherited unchanged).
func positioned(err error, s *config.ProxySSL) error {
	if err == nil {
		return nil
	}
	pos := s.Pos
	var se *settingError
	if errors.As(err, &se) {
		if p := se.pos(s); p.Line > 0 {
			pos = p
		}
	}
	if pos.Line == 0 {
		return err
	}
	return fmt.Errorf("%w in %s", err, pos)
}
