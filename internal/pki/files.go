package pki

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// File modes: keys are readable by their owner only; certificates, CRLs and
// the index are public.
const (
	keyMode    fs.FileMode = 0o600
	publicMode fs.FileMode = 0o644
	privateDir fs.FileMode = 0o700
)

// writeFile replaces path with data at mode through a temporary file and a
// rename: a reader (strait reloading, a certificate watcher) sees the old
// file or the new one, never a torn one, and a key is never readable by
// others, not even for an instant, whatever the umask.
func writeFile(path string, data []byte, mode fs.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, reason(err))
	}
	tmp := f.Name()
	err = f.Chmod(mode)
	if err == nil {
		_, err = f.Write(data)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, reason(err))
	}
	return nil
}

// readFile reads path; its errors name the file once.
func readFile(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, reason(err))
	}
	return b, nil
}

// reason strips the operation and path from an os error, so that messages
// name the file the user knows (not a temporary one) exactly once.
func reason(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err
	}
	return err
}

// exists reports whether path names anything at all.
func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}
