package testpki

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// ReplaceMode is one way certificate files are replaced on a live system.
type ReplaceMode int

const (
	// ByRename writes each file beside the old one and renames it over
	// it (certbot, most configuration management).
	ByRename ReplaceMode = iota
	// BySymlinkSwap writes a new directory and swaps a "..data" link to
	// it; every file is a link "name -> ..data/name" (Kubernetes secret
	// and configMap volumes).
	BySymlinkSwap
	// InPlace truncates each file and writes it again (cp, editors).
	InPlace
)

// ReplaceModes lists every ReplaceMode.
func ReplaceModes() []ReplaceMode { return []ReplaceMode{ByRename, BySymlinkSwap, InPlace} }

func (m ReplaceMode) String() string {
	switch m {
	case BySymlinkSwap:
		return "symlink swap"
	case InPlace:
		return "in place"
	default:
		return "rename"
	}
}

// FileDir is a directory of files replaced the way Mode says.
type FileDir struct {
	tb      testing.TB
	Dir     string
	Mode    ReplaceMode
	version int
}

// NewFileDir returns an empty FileDir in a fresh temporary directory.
func NewFileDir(tb testing.TB, mode ReplaceMode) *FileDir {
	return &FileDir{tb: tb, Dir: tb.TempDir(), Mode: mode}
}

// Path returns the path a configuration names for file name.
func (d *FileDir) Path(name string) string { return filepath.Join(d.Dir, name) }

// Write puts files (name -> contents) in place as one update: with
// BySymlinkSwap all at once, otherwise one file after the other.
func (d *FileDir) Write(files map[string][]byte) {
	tb := d.tb
	tb.Helper()
	check := func(err error) {
		tb.Helper()
		if err != nil {
			tb.Fatalf("testpki: %v", err)
		}
	}
	switch d.Mode {
	case BySymlinkSwap:
		d.version++
		ver := filepath.Join(d.Dir, "..v"+strconv.Itoa(d.version))
		check(os.Mkdir(ver, 0o700))
		for name, data := range files {
			check(os.WriteFile(filepath.Join(ver, name), data, 0o600))
			if _, err := os.Lstat(d.Path(name)); err != nil {
				check(os.Symlink(filepath.Join("..data", name), d.Path(name)))
			}
		}
		// Files the update leaves out stay as they were, as the kubelet
		// would keep a key it was not told to change.
		if d.version > 1 {
			prev := filepath.Join(d.Dir, "..v"+strconv.Itoa(d.version-1))
			entries, err := os.ReadDir(prev)
			check(err)
			for _, e := range entries {
				if _, ok := files[e.Name()]; !ok {
					data, err := os.ReadFile(filepath.Join(prev, e.Name()))
					check(err)
					check(os.WriteFile(filepath.Join(ver, e.Name()), data, 0o600))
				}
			}
		}
		tmp := d.Path("..data_tmp")
		check(os.Symlink(filepath.Base(ver), tmp))
		check(os.Rename(tmp, d.Path("..data")))
	case ByRename:
		for name, data := range files {
			tmp := d.Path("." + name + ".tmp")
			check(os.WriteFile(tmp, data, 0o600))
			check(os.Rename(tmp, d.Path(name)))
		}
	default:
		for name, data := range files {
			f, err := os.OpenFile(d.Path(name), os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
			check(err)
			_, err = f.Write(data)
			check(err)
			check(f.Close())
		}
	}
}
