// Package atomicfile replaces files so that a reader sees the old content
// or the new one, never a part, and a crash leaves no half-written file.
package atomicfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// Replace is Write, except that an existing file keeps its permissions;
// perm applies to a new file only.
func Replace(name string, r io.Reader, perm fs.FileMode) error {
	if fi, err := os.Stat(name); err == nil {
		perm = fi.Mode().Perm()
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("write %s: %w", name, err)
	}
	return Write(name, r, perm)
}

// Write creates or replaces the file name with the content of r and
// permissions perm: it writes a temporary file in the same directory,
// syncs it to disk and renames it over name. The temporary file is removed
// on every error.
func Write(name string, r io.Reader, perm fs.FileMode) (err error) {
	f, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".tagbump-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
			err = fmt.Errorf("write %s: %w", name, err)
		}
	}()
	if _, err = io.Copy(f, r); err != nil {
		return err
	}
	if err = f.Chmod(perm); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), name)
}
