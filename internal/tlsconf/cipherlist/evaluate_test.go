package cipherlist

import (
	"crypto/tls"
	"errors"
	"slices"
	"testing"
)

func TestEvaluateErrors(t *testing.T) {
	tests := []struct {
		expr    string
		want    error
		message string
	}{
		{"LOW", ErrNoCipherMatch, `no cipher match for "LOW"`},
		{"nonsense", ErrNoCipherMatch, `no cipher match for "nonsense"`},
		{"", ErrNoCipherMatch, `no cipher match for ""`},
		{"CAMELLIA", ErrNoCipherMatch, `no cipher match for "CAMELLIA"`},
		{"3DES:RC4", ErrNoCipherMatch, `no cipher match for "3DES:RC4"`},
		{"kRSA:@SECLEVEL=3", ErrNoCipherMatch, `no cipher match for "kRSA:@SECLEVEL=3"`},
		{"HIGH:#", ErrInvalidCommand, `invalid command in "HIGH:#"`},
		{"HIGH+", ErrInvalidCommand, `invalid command in "HIGH+"`},
		{"ALL:@SECLEVEL=6", ErrInvalidCommand, `invalid command in "ALL:@SECLEVEL=6"`},
		{"ALL:@strength", ErrInvalidCommand, `invalid command in "ALL:@strength"`},
		{"!:HIGH", ErrInvalidCommand, `invalid command in "!:HIGH"`},
		{"HIGH\t!kRSA", ErrInvalidCommand, `invalid command in "HIGH\t!kRSA"`},
		{"ECDHE_aRSA", ErrInvalidCommand, `invalid command in "ECDHE_aRSA"`},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			ids, err := Evaluate(tt.expr)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Evaluate(%q) = %v, %v; want error %v", tt.expr, ids, err, tt.want)
			}
			var exprErr *ExprError
			if !errors.As(err, &exprErr) || exprErr.Expr != tt.expr {
				t.Errorf("error %#v does not carry the expression", err)
			}
			if err.Error() != tt.message {
				t.Errorf("message %q, want %q", err.Error(), tt.message)
			}
		})
	}
}

func TestEvaluateRules(t *testing.T) {
	const (
		ecdsaAES256GCM = 0xC02C
		rsaAES256GCM   = 0xC030
		ecdsaChaCha    = 0xCCA9
		rsaChaCha      = 0xCCA8
		ecdsaAES128GCM = 0xC02B
		rsaAES128GCM   = 0xC02F
		kRSAAES256GCM  = 0x009D
		kRSAAES128GCM  = 0x009C
	)
	tests := []struct {
		name, expr string
		want       []uint16
	}{
		{"intersection", "ECDHE+AESGCM", []uint16{ecdsaAES256GCM, rsaAES256GCM, ecdsaAES128GCM, rsaAES128GCM}},
		{"kill stays killed", "AESGCM:!kRSA:kRSA+AESGCM", []uint16{ecdsaAES256GCM, rsaAES256GCM, ecdsaAES128GCM, rsaAES128GCM}},
		{"delete can be re-added at the end", "AESGCM:-kRSA:kRSA+AESGCM", []uint16{ecdsaAES256GCM, rsaAES256GCM, ecdsaAES128GCM, rsaAES128GCM, kRSAAES256GCM, kRSAAES128GCM}},
		{"plus moves to the end", "AESGCM:+ECDSA", []uint16{rsaAES256GCM, rsaAES128GCM, kRSAAES256GCM, kRSAAES128GCM, ecdsaAES256GCM, ecdsaAES128GCM}},
		{"plus does not add", "kRSA+AESGCM:+ECDSA", []uint16{kRSAAES256GCM, kRSAAES128GCM}},
		{"order of adding wins", "AES128+AESGCM:CHACHA20", []uint16{ecdsaAES128GCM, rsaAES128GCM, kRSAAES128GCM, ecdsaChaCha, rsaChaCha}},
		{"strength sort", "AES128+AESGCM:CHACHA20:@STRENGTH", []uint16{ecdsaChaCha, rsaChaCha, ecdsaAES128GCM, rsaAES128GCM, kRSAAES128GCM}},
		{"exact names keep their order", "ECDHE-RSA-CHACHA20-POLY1305:AES128-GCM-SHA256", []uint16{rsaChaCha, kRSAAES128GCM}},
		{"operator ends a word", "AESGCM!kRSA", []uint16{ecdsaAES256GCM, rsaAES256GCM, ecdsaAES128GCM, rsaAES128GCM}},
		{"security level 3 drops RSA key exchange", "AESGCM:@SECLEVEL=3", []uint16{ecdsaAES256GCM, rsaAES256GCM, ecdsaAES128GCM, rsaAES128GCM}},
		{"security level 4 drops 128-bit", "AESGCM:CHACHA20:@SECLEVEL=4", []uint16{ecdsaAES256GCM, rsaAES256GCM, ecdsaChaCha, rsaChaCha}},
		{"last security level wins", "AESGCM:@SECLEVEL=3:@SECLEVEL=0", []uint16{ecdsaAES256GCM, rsaAES256GCM, ecdsaAES128GCM, rsaAES128GCM, kRSAAES256GCM, kRSAAES128GCM}},
		{"Suite B replaces the whole string", "SUITEB128:kRSA", []uint16{ecdsaAES128GCM, ecdsaAES256GCM}},
		{"text after a NUL is ignored", "CHACHA20\x00:kRSA", []uint16{ecdsaChaCha, rsaChaCha}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Evaluate(tt.expr)
			if err != nil || !slices.Equal(got, tt.want) {
				t.Errorf("Evaluate(%q) = %s, want %s", tt.expr, names(got), names(tt.want))
				if err != nil {
					t.Errorf("error: %v", err)
				}
			}
		})
	}
}

// TestWeakSuitesNeverSelected pins the choice to follow OpenSSL builds
// without enable-weak-ssl-ciphers: nothing selects RC4 or 3DES.
func TestWeakSuitesNeverSelected(t *testing.T) {
	for _, expr := range []string{"ALL:COMPLEMENTOFALL:@SECLEVEL=0", "MEDIUM:RC4:3DES:ALL", "DES-CBC3-SHA:HIGH"} {
		ids, err := Evaluate(expr)
		if err != nil {
			t.Fatalf("Evaluate(%q): %v", expr, err)
		}
		for _, s := range Suites() {
			if s.Weak && slices.Contains(ids, s.ID) {
				t.Errorf("Evaluate(%q) selected weak suite %s", expr, s.Name)
			}
		}
	}
}

// TestSuitesAreGoSuites checks the catalog against crypto/tls: every TLS
// 1.0-1.2 suite Go implements is described once, with Go's name, and
// marked Weak exactly when it uses RC4 or 3DES.
func TestSuitesAreGoSuites(t *testing.T) {
	goSuites := map[uint16]*tls.CipherSuite{}
	for _, s := range append(tls.CipherSuites(), tls.InsecureCipherSuites()...) {
		if !slices.Equal(s.SupportedVersions, []uint16{tls.VersionTLS13}) {
			goSuites[s.ID] = s
		}
	}
	suites := Suites()
	if len(suites) != len(goSuites) {
		t.Errorf("catalog has %d suites, crypto/tls has %d", len(suites), len(goSuites))
	}
	for i, s := range suites {
		g, ok := goSuites[s.ID]
		if !ok {
			t.Errorf("%s (0x%04X) is not a crypto/tls suite", s.Name, s.ID)
			continue
		}
		if s.IANAName != g.Name {
			t.Errorf("0x%04X: IANAName %q, crypto/tls says %q", s.ID, s.IANAName, g.Name)
		}
		if weak := s.Enc == "RC4" || s.Enc == "3DES"; s.Weak != weak {
			t.Errorf("%s: Weak = %v", s.Name, s.Weak)
		}
		if i > 0 && suites[i-1].ID >= s.ID {
			t.Errorf("catalog not in ascending ID order at %s", s.Name)
		}
	}
}

func TestName(t *testing.T) {
	tests := []struct {
		id   uint16
		want string
	}{
		{0xC02F, "ECDHE-RSA-AES128-GCM-SHA256"},
		{0x002F, "AES128-SHA"},
		{0x000A, "DES-CBC3-SHA"},
		{0xCCA9, "ECDHE-ECDSA-CHACHA20-POLY1305"},
		{0x1301, "TLS_AES_128_GCM_SHA256"},
		{0x1302, "TLS_AES_256_GCM_SHA384"},
		{0x1303, "TLS_CHACHA20_POLY1305_SHA256"},
		{0x00FF, "0x00FF"},
	}
	for _, tt := range tests {
		if got := Name(tt.id); got != tt.want {
			t.Errorf("Name(0x%04X) = %q, want %q", tt.id, got, tt.want)
		}
	}
}

// TestEvaluateReturnsFreshSlices guards against results sharing state
// between calls.
func TestEvaluateReturnsFreshSlices(t *testing.T) {
	a, _ := Evaluate("DEFAULT")
	a[0] = 0
	b, _ := Evaluate("DEFAULT")
	if b[0] == 0 {
		t.Fatal("Evaluate results share memory")
	}
}

func names(ids []uint16) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = Name(id)
	}
	return out
}
