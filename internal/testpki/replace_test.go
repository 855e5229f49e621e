package testpki

import (
	"os"
	"testing"
)

// TestFileDirReplaces checks each mode leaves the new contents at the
// configured path, and that a symlink swap keeps the files an update
// leaves out.
func TestFileDirReplaces(t *testing.T) {
	for _, mode := range ReplaceModes() {
		t.Run(mode.String(), func(t *testing.T) {
			d := NewFileDir(t, mode)
			d.Write(map[string][]byte{"a": []byte("a1"), "b": []byte("b1")})
			d.Write(map[string][]byte{"a": []byte("a2")})
			for name, want := range map[string]string{"a": "a2", "b": "b1"} {
				got, err := os.ReadFile(d.Path(name))
				if err != nil || string(got) != want {
					t.Errorf("%s = %q, %v; want %q", name, got, err, want)
				}
			}
			fi, err := os.Lstat(d.Path("a"))
			if err != nil {
				t.Fatal(err)
			}
			if isLink := fi.Mode()&os.ModeSymlink != 0; isLink != (mode == BySymlinkSwap) {
				t.Errorf("a is a link: %v", isLink)
			}
		})
	}
}
