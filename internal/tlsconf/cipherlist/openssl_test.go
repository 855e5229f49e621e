package cipherlist

import (
	"fmt"
	"slices"
	"testing"
)

// TestOpenSSLLive runs the real `openssl ciphers` on the whole corpus, so a
// different OpenSSL build (or a stale golden file) shows up as a failure.
func TestOpenSSLLive(t *testing.T) {
	bin := requireOpenSSL(t)
	for _, expr := range readCorpus(t) {
		wantIDs, wantErr := opensslResult(t, bin, expr)
		gotIDs, gotErr := Evaluate(expr)
		if fmt.Sprint(gotErr) != fmt.Sprint(wantErr) || !slices.Equal(gotIDs, wantIDs) {
			t.Errorf("%q:\nEvaluate: %s\nopenssl:  %s", expr, render(expr, gotIDs, gotErr), render(expr, wantIDs, wantErr))
		}
	}
}

// TestSuitesMatchOpenSSL checks the catalog's names and attributes against
// the descriptions openssl prints, for every suite this OpenSSL build has,
// and that the build lacks exactly the suites marked Weak.
func TestSuitesMatchOpenSSL(t *testing.T) {
	bin := requireOpenSSL(t)
	listed, err := runOpenSSL(t, bin, "ALL:COMPLEMENTOFALL:@SECLEVEL=0")
	if err != nil {
		t.Fatal(err)
	}
	byID := map[uint16]opensslSuite{}
	for _, s := range listed {
		byID[s.id] = s
	}
	versions := map[uint16]string{versionSSL3: "SSLv3", versionTLS10: "TLSv1", versionTLS12: "TLSv1.2"}
	kxNames := map[string]string{"ECDH": "ECDH", "RSA": "RSA"}
	for _, s := range Suites() {
		o, ok := byID[s.ID]
		if ok == s.Weak {
			t.Errorf("%s: Weak=%v but openssl lists it: %v", s.Name, s.Weak, ok)
			continue
		}
		if !ok {
			continue
		}
		want := opensslSuite{id: s.ID, name: s.Name, version: versions[s.MinVersion], kx: kxNames[s.Kx],
			au: s.Au, enc: fmt.Sprintf("%s(%d)", s.Enc, s.KeyBits), mac: s.Mac}
		if o != want {
			t.Errorf("suite 0x%04X:\ncatalog %+v\nopenssl %+v", s.ID, want, o)
		}
	}
}
