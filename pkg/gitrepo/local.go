package gitrepo

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/storage"
	"github.com/tagbump/tagbump/pkg/atomicfile"
)

// openLocal opens a developer's clone (bare or with a work tree).
func (r *Repo) openLocal(p string) (*Repo, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", p, err)
	}
	repo, err := git.PlainOpenWithOptions(abs, &git.PlainOpenOptions{DetectDotGit: true})
	if errors.Is(err, git.ErrRepositoryNotExists) {
		return nil, fmt.Errorf("open %s: %w: no git repository there: pass a clone's directory or a URL", abs, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", abs, err)
	}
	r.local, r.localPath, r.display = repo, abs, abs
	return r, nil
}

func (r *Repo) localDefaultBranch() (string, error) {
	head, err := r.local.Storer.Reference(plumbing.HEAD)
	if err != nil {
		return "", fmt.Errorf("default branch of %s: %w", r.display, err)
	}
	if head.Type() != plumbing.SymbolicReference || !head.Target().IsBranch() {
		return "", fmt.Errorf("default branch of %s: %w: HEAD is detached: pass the branch explicitly", r.display, ErrNotFound)
	}
	return head.Target().Short(), nil
}

func (r *Repo) fetchLocal(branch string) (*Snapshot, error) {
	ref, err := r.local.Storer.Reference(plumbing.NewBranchReferenceName(branch))
	if errors.Is(err, plumbing.ErrReferenceNotFound) {
		return nil, fmt.Errorf("fetch %s: branch %q: %w: check --branch, or create the branch first", r.display, branch, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", r.display, err)
	}
	return &Snapshot{repo: r, branch: branch, tip: ref.Hash(), objects: r.local.Storer}, nil
}

// pushLocal stores c's objects in the clone and moves the branch with a
// compare-and-swap. When the branch is checked out, the changed files are
// written to the work tree and staged first, provided they are clean and
// no component of their paths is a symlink; the branch moves last, and
// when it cannot, the files and the index are put back.
func (r *Repo) pushLocal(c *Commit) error {
	name := plumbing.NewBranchReferenceName(c.Branch)
	if cur, err := r.local.Storer.Reference(name); err == nil && cur.Hash() != c.Parent {
		return fmt.Errorf("push to %s: %w: %s is at %s, the commit was made on %s", r.display, ErrRace, name, short(cur.Hash()), short(c.Parent))
	}
	wt, checkedOut, err := r.checkedOut(name)
	if err != nil {
		return fmt.Errorf("push to %s: %w", r.display, err)
	}
	if checkedOut {
		for _, p := range c.Files {
			if err := checkWorkTreePath(wt.Filesystem.Root(), p); err != nil {
				return fmt.Errorf("push to %s: %w", r.display, err)
			}
		}
		if err := r.checkClean(wt, c); err != nil {
			return err
		}
	}
	for _, h := range c.hashes {
		obj, err := c.objects.EncodedObject(plumbing.AnyObject, h)
		if err != nil {
			return fmt.Errorf("push to %s: %w", r.display, err)
		}
		if _, err := r.local.Storer.SetEncodedObject(obj); err != nil {
			return fmt.Errorf("push to %s: %w", r.display, err)
		}
	}
	undo := func() error { return nil }
	if checkedOut {
		if undo, err = r.updateWorkTree(wt, c); err != nil {
			return err
		}
	}
	err = r.local.Storer.CheckAndSetReference(
		plumbing.NewHashReference(name, c.Hash), plumbing.NewHashReference(name, c.Parent))
	if err == nil {
		return nil
	}
	if errors.Is(err, storage.ErrReferenceHasChanged) {
		err = fmt.Errorf("push to %s: %w: %s moved", r.display, ErrRace, name)
	} else {
		err = fmt.Errorf("push to %s: %w", r.display, err)
	}
	if uerr := undo(); uerr != nil {
		err = errors.Join(err, fmt.Errorf("push to %s: put the work tree back: %w", r.display, uerr))
	}
	return err
}

// updateWorkTree writes c's files to the work tree and stages them. It
// returns a function that puts the files and the index back as they were;
// on an error it has done so already.
func (r *Repo) updateWorkTree(wt *git.Worktree, c *Commit) (undo func() error, err error) {
	idx, err := r.local.Storer.Index()
	if err != nil {
		return nil, fmt.Errorf("push to %s: read index: %w", r.display, err)
	}
	root := wt.Filesystem.Root()
	var written []string
	undo = func() error {
		var errs []error
		for _, p := range written {
			if err := r.restoreFile(root, p, c.old[p]); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", p, err))
			}
		}
		if err := r.local.Storer.SetIndex(idx); err != nil {
			errs = append(errs, fmt.Errorf("index: %w", err))
		}
		return errors.Join(errs...)
	}
	fail := func(err error) (func() error, error) {
		if uerr := undo(); uerr != nil {
			err = errors.Join(err, fmt.Errorf("push to %s: put the work tree back: %w", r.display, uerr))
		}
		return nil, err
	}
	for _, p := range c.Files {
		obj, err := c.objects.EncodedObject(plumbing.BlobObject, c.newBlob(p))
		if err == nil {
			// again, just before the write: nothing may have put a
			// symlink on the path since the first check
			err = checkWorkTreePath(root, p)
		}
		if err == nil {
			written = append(written, p)
			err = writeBlobFile(filepath.Join(root, filepath.FromSlash(p)), obj)
		}
		if err != nil {
			return fail(fmt.Errorf("push to %s: update work tree %s: %w", r.display, p, err))
		}
		if _, err := wt.Add(p); err != nil {
			return fail(fmt.Errorf("push to %s: stage %s: %w", r.display, p, err))
		}
	}
	return undo, nil
}

// restoreFile puts the work tree file p back to blob old, or removes it
// when old is zero (the commit created it).
func (r *Repo) restoreFile(root, p string, old plumbing.Hash) error {
	dst := filepath.Join(root, filepath.FromSlash(p))
	if old.IsZero() {
		if err := os.Remove(dst); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		return nil
	}
	obj, err := r.local.Storer.EncodedObject(plumbing.BlobObject, old)
	if err != nil {
		return err
	}
	return writeBlobFile(dst, obj)
}

// checkWorkTreePath refuses a write to the work tree file p (a clean
// repository path) that could leave root or land on something the branch
// does not have there: no component of p may be a symlink, each leading
// component must be a directory and p itself a regular file (or not exist
// yet). The refusal wraps ErrDirty: the work tree differs from the branch.
func checkWorkTreePath(root, p string) error {
	dir := root
	els := strings.Split(p, "/")
	for i, el := range els {
		dir = filepath.Join(dir, el)
		fi, err := os.Lstat(dir)
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		sub := strings.Join(els[:i+1], "/")
		var problem string
		switch {
		case fi.Mode()&fs.ModeSymlink != 0:
			problem = sub + " is a symlink in the work tree, and tagbump writes no file through a symlink (it may lead outside the repository)"
		case i < len(els)-1 && !fi.IsDir():
			problem = sub + " is not a directory in the work tree"
		case i == len(els)-1 && !fi.Mode().IsRegular():
			problem = sub + " is not a regular file in the work tree"
		default:
			continue
		}
		return fmt.Errorf("%s: %w: %s: restore what the branch has there (git checkout -- %s), or use the repository's URL instead of the local path", p, ErrDirty, problem, sub)
	}
	return nil
}

func (r *Repo) checkedOut(name plumbing.ReferenceName) (*git.Worktree, bool, error) {
	head, err := r.local.Storer.Reference(plumbing.HEAD)
	if err != nil || head.Type() != plumbing.SymbolicReference || head.Target() != name {
		return nil, false, nil
	}
	wt, err := r.local.Worktree()
	if errors.Is(err, git.ErrIsBareRepository) {
		return nil, false, nil
	}
	return wt, err == nil, err
}

// checkClean refuses when a file the commit changes differs, in the work
// tree or the index, from the commit's parent.
func (r *Repo) checkClean(wt *git.Worktree, c *Commit) error {
	idx, err := r.local.Storer.Index()
	if err != nil {
		return fmt.Errorf("push to %s: read index: %w", r.display, err)
	}
	for _, p := range c.Files {
		old := c.old[p]
		var staged plumbing.Hash
		if e, err := idx.Entry(p); err == nil {
			staged = e.Hash
		}
		b, err := os.ReadFile(filepath.Join(wt.Filesystem.Root(), filepath.FromSlash(p)))
		var disk plumbing.Hash
		switch {
		case err == nil:
			disk = plumbing.ComputeHash(plumbing.BlobObject, b)
		case !errors.Is(err, fs.ErrNotExist):
			return fmt.Errorf("push to %s: %w", r.display, err)
		}
		if staged != old || disk != old {
			return fmt.Errorf("push to %s: %s: %w: commit or stash it first, or use a URL instead of the local path", r.display, p, ErrDirty)
		}
	}
	return nil
}

// newBlob returns the blob hash the commit gives path p.
func (c *Commit) newBlob(p string) plumbing.Hash {
	return c.blobs[p]
}

func writeBlobFile(dst string, obj plumbing.EncodedObject) error {
	rd, err := obj.Reader()
	if err != nil {
		return err
	}
	defer rd.Close()
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	return atomicfile.Replace(dst, rd, 0o644)
}
