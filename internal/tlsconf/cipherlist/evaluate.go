package cipherlist

import (
	"errors"
	"fmt"
	"strings"
)

// ErrNoCipherMatch is wrapped by Evaluate's error when an expression selects
// no suite Go supports (nginx: "SSL_CTX_set_cipher_list(...) failed (...:no
// cipher match)").
var ErrNoCipherMatch = errors.New("no cipher match")

// ErrInvalidCommand is wrapped by Evaluate's error when an expression holds
// something OpenSSL rejects outright: a character that is neither a
// separator, an operator nor part of a word, an empty word after an
// operator or "+", or an unknown "@" command.
var ErrInvalidCommand = errors.New("invalid command")

// ExprError reports an expression OpenSSL would refuse. Its text is
// `no cipher match for "EXPR"` or `invalid command in "EXPR"`.
type ExprError struct {
	Expr string
	Err  error // ErrNoCipherMatch or ErrInvalidCommand
}

func (e *ExprError) Error() string {
	if errors.Is(e.Err, ErrNoCipherMatch) {
		return fmt.Sprintf("%v for %q", e.Err, e.Expr)
	}
	return fmt.Sprintf("%v in %q", e.Err, e.Expr)
}

func (e *ExprError) Unwrap() error { return e.Err }

// defaultRules is what DEFAULT at the start of an expression expands to in
// OpenSSL 3.0 (OSSL_default_cipher_list).
const defaultRules = "ALL:!COMPLEMENTOFDEFAULT:!eNULL"

// defaultSecurityLevel is the security level in force unless the
// expression says @SECLEVEL=n: 2, the level Debian builds OpenSSL 3 with
// (upstream's built-in default is 1). Levels 1 and 2 give the same result
// over Go's non-weak suites.
const defaultSecurityLevel = 2

// suiteB returns the fixed list that replaces an expression starting with
// one of OpenSSL's Suite B keywords (RFC 6460), checked in OpenSSL's order
// and by prefix, so the rest of the expression is ignored. The curve and
// signature limits Suite B also implies are not part of a cipher list and
// are not expressed here.
func suiteB(expr string) (string, bool) {
	switch {
	case strings.HasPrefix(expr, "SUITEB128ONLY"):
		return "ECDHE-ECDSA-AES128-GCM-SHA256", true
	case strings.HasPrefix(expr, "SUITEB128C2"):
		return "ECDHE-ECDSA-AES256-GCM-SHA384", true
	case strings.HasPrefix(expr, "SUITEB128"):
		return "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384", true
	case strings.HasPrefix(expr, "SUITEB192"):
		return "ECDHE-ECDSA-AES256-GCM-SHA384", true
	}
	return expr, false
}

// Evaluate returns the TLS 1.0-1.2 suites an OpenSSL 3.0 client would offer
// for the cipher-list expression expr, in OpenSSL's order, keeping only the
// suites crypto/tls implements. The result is meant for
// tls.Config.CipherSuites; it is never empty: an expression that leaves no
// Go suite is an *ExprError wrapping ErrNoCipherMatch, even where OpenSSL
// would accept it because it selects suites Go lacks (CAMELLIA) or only
// filters them out at handshake time (AES128:@SECLEVEL=4).
func Evaluate(expr string) ([]uint16, error) {
	ids, _, err := evaluate(expr)
	return ids, err
}

// SecurityLevel returns the security level the last @SECLEVEL=n of expr
// sets, and whether expr sets one at all; an invalid expression is an
// error, as for Evaluate.
func SecurityLevel(expr string) (level int, set bool, err error) {
	_, rules, err := evaluate(expr)
	if err != nil {
		return 0, false, err
	}
	return rules.level, rules.levelSet, nil
}

func evaluate(expr string) ([]uint16, *ruleEngine, error) {
	all := catalog()
	var available []*entry
	for i := range all {
		if !all[i].Weak {
			available = append(available, &all[i])
		}
	}
	list := preferenceOrder(available)
	rules := &ruleEngine{list: list, byName: make(map[string]*entry, len(available)), level: defaultSecurityLevel}
	for _, s := range available {
		rules.byName[s.Name] = s
	}

	// OpenSSL stops at the first NUL byte, as C strings do.
	text, _, _ := strings.Cut(expr, "\x00")
	text, _ = suiteB(text)
	ok := true
	// DEFAULT is expanded only as the very first word, and only by prefix:
	// "DEFAULTkRSA" is DEFAULT followed by kRSA.
	if rest, found := strings.CutPrefix(text, "DEFAULT"); found {
		ok = rules.process(defaultRules)
		text = strings.TrimPrefix(rest, ":")
	}
	if ok && text != "" {
		ok = rules.process(text)
	}
	if !ok {
		return nil, nil, &ExprError{Expr: expr, Err: ErrInvalidCommand}
	}

	var ids []uint16
	for _, s := range list.selected() {
		if allowedAtLevel(s, rules.level) {
			ids = append(ids, s.ID)
		}
	}
	if len(ids) == 0 {
		return nil, nil, &ExprError{Expr: expr, Err: ErrNoCipherMatch}
	}
	return ids, rules, nil
}

// allowedAtLevel applies the cipher checks of OpenSSL 3.0's default
// security callback (ssl_security_default_callback), which a client runs
// over its list before sending the ClientHello.
func allowedAtLevel(s *entry, level int) bool {
	if level <= 0 {
		return true
	}
	minBits := [...]int{80, 112, 128, 192, 256}[min(level, 5)-1]
	switch {
	case s.StrengthBits < minBits:
		return false
	case s.auth&aNULL != 0, s.mac&macMD5 != 0:
		return false
	case minBits > 160 && s.mac&macSHA1 != 0: // HMAC-SHA1 counts as 160 bits
		return false
	case level >= 2 && s.enc&encRC4 != 0:
		return false
	case level >= 3 && s.kx&forwardSecret == 0:
		return false
	}
	return true
}
