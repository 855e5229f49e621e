package pki

import (
	"os"
	"strings"
	"testing"
)

// TestOpenNamesTheFileAndTheReason damages a CA's files one at a time.
func TestOpenNamesTheFileAndTheReason(t *testing.T) {
	for _, tt := range []struct {
		file, data, want string
	}{
		{RootKeyFile, "garbage", "no PEM private key found"},
		{IntermediateCertFile, "", "no PEM certificate found"},
		{IndexFile, "{", "unexpected end of JSON input"},
		{IndexFile, `{"version": 9}`, "unknown version 9"},
		{RootCertFile, "-", "no such file or directory"},
	} {
		ca, _ := newCA(t, InitOptions{})
		path := ca.Path(tt.file)
		var err error
		if tt.data == "-" {
			err = os.Remove(path)
		} else {
			err = os.WriteFile(path, []byte(tt.data), 0o600)
		}
		if err != nil {
			t.Fatal(err)
		}
		_, err = Open(ca.Dir, Env{})
		if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s damaged: %v, want the path and %q", tt.file, err, tt.want)
		}
	}
	// The root's key where the intermediate's should be.
	ca, _ := newCA(t, InitOptions{})
	if err := os.WriteFile(ca.Path(IntermediateKeyFile), readPEMRaw(t, ca.Path(RootKeyFile)), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(ca.Dir, Env{}); err == nil || !strings.Contains(err.Error(), ca.Path(IntermediateKeyFile)+" does not belong to") {
		t.Errorf("swapped key: %v", err)
	}
	if _, err := Open(t.TempDir(), Env{}); err == nil || !strings.Contains(err.Error(), "no CA here") {
		t.Errorf("empty directory: %v", err)
	}
}
