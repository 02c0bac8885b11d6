package gitrepo

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
)

// maxTreeFiles bounds the files ReadTree returns: a chart has tens.
const maxTreeFiles = 5000

// ReadTree returns the regular files under directory dir of the tip
// commit, by their path in the repository: a chart's directory, for a
// renderer. A symlink or submodule under it is refused (ErrNotRegular):
// leaving it out would give the renderer another chart. On the partial path the
// missing blobs come in one request. Each file is bounded as ReadFile's
// are, and the whole by maxTreeFiles; a missing dir is fs.ErrNotExist.
// "." (or "") is the repository's root.
func (s *Snapshot) ReadTree(ctx context.Context, dir string) (map[string][]byte, error) {
	if dir == "." {
		dir = ""
	}
	if dir != "" {
		if _, err := cleanPath(dir); err != nil {
			return nil, err
		}
	}
	top, raw, err := s.dir(dir)
	if errors.Is(err, errNotDir) {
		return nil, &fs.PathError{Op: "read", Path: dir, Err: fmt.Errorf("%w: %w", ErrNotRegular, err)}
	}
	if err != nil {
		return nil, err
	}
	var paths []string
	var missing []plumbing.Hash
	var walk func(tree plumbing.Hash, raw []byte, at string) error
	walk = func(tree plumbing.Hash, raw []byte, at string) error {
		entries, err := rawEntries(raw, func([]byte) bool { return true })
		if err != nil {
			return fmt.Errorf("read tree %s: %w", tree, err)
		}
		for _, en := range entries {
			p := path.Join(at, en.name)
			if CheckPath(p) != nil {
				continue // a name git itself would refuse to check out
			}
			switch en.mode {
			case filemode.Dir:
				sub, err := objectContent(s.objects, plumbing.TreeObject, en.id(raw))
				if err != nil {
					return err
				}
				if err := walk(en.id(raw), sub, p); err != nil {
					return err
				}
			case filemode.Regular, filemode.Executable, filemode.Deprecated:
				if len(paths) == maxTreeFiles {
					return fmt.Errorf("read %s: %w: more than %d files", dir, ErrTooLarge, maxTreeFiles)
				}
				paths = append(paths, p)
				if _, err := s.objects.EncodedObject(plumbing.BlobObject, en.id(raw)); errors.Is(err, plumbing.ErrObjectNotFound) {
					missing = append(missing, en.id(raw))
				}
			default:
				return &fs.PathError{Op: "read", Path: p, Err: fmt.Errorf("%w (mode %s): a symlink or submodule in the directory", ErrNotRegular, en.mode)}
			}
		}
		return nil
	}
	if err := walk(top, raw, dir); err != nil {
		return nil, err
	}
	if len(missing) > 0 && s.partial {
		// One request for all; ReadFile falls back per file when the
		// server refuses wants by id.
		if err := s.fetchBlobs(ctx, missing...); err != nil && !errors.Is(err, errNoPartial) {
			return nil, s.repo.classify("read "+dir+" from", err)
		}
	}
	out := make(map[string][]byte, len(paths))
	for _, p := range paths {
		if out[p], err = s.ReadFile(ctx, p); err != nil {
			return nil, err
		}
	}
	return out, nil
}
