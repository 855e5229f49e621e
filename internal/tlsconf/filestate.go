package tlsconf

import (
	"crypto/sha256"
	"os"
	"path/filepath"
)

// fileState is what a poll sees of one file: enough to notice every way
// certificates are replaced without reading them. A rename or a new
// file changes the inode; an in-place write changes the size or the
// modification time; a Kubernetes secret update swaps the "..data"
// symlink to a new directory, which changes the resolved path (and the
// inode). Modification times come from the kernel's coarse clock, so
// two in-place writes of the same size a few milliseconds apart can
// leave them all equal: a digest of the contents (a few kilobytes a
// file) settles that. A file that cannot be read is a state too (err), so
// that its disappearance and return are changes.
type fileState struct {
	real     string // the path with every symbolic link resolved
	dev, ino uint64
	size     int64
	mtime    int64 // nanoseconds since the epoch
	sum      [sha256.Size]byte
	err      string
}

func statFile(path string) fileState {
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		return fileState{err: err.Error()}
	}
	fi, err := os.Stat(real)
	if err != nil {
		return fileState{real: real, err: err.Error()}
	}
	st := fileState{real: real, size: fi.Size(), mtime: fi.ModTime().UnixNano()}
	st.dev, st.ino = fileID(fi)
	data, err := os.ReadFile(real)
	if err != nil {
		st.err = err.Error()
		return st
	}
	st.sum = sha256.Sum256(data)
	clear(data) // it may be a private key
	return st
}

// stamp is the state of a list of files, in order.
type stamp []fileState

func stampFiles(paths []string) stamp {
	s := make(stamp, len(paths))
	for i, p := range paths {
		s[i] = statFile(p)
	}
	return s
}

func (s stamp) equal(o stamp) bool {
	if len(s) != len(o) {
		return false
	}
	for i := range s {
		if s[i] != o[i] {
			return false
		}
	}
	return true
}

// changed lists the paths whose state differs between s and o.
func (s stamp) changed(o stamp, paths []string) []string {
	var out []string
	for i, p := range paths {
		if i >= len(s) || i >= len(o) || s[i] != o[i] {
			out = append(out, p)
		}
	}
	return out
}
