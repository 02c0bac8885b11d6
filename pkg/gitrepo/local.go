package gitrepo

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

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
// written to the work tree and staged, provided they are clean.
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
	err = r.local.Storer.CheckAndSetReference(
		plumbing.NewHashReference(name, c.Hash), plumbing.NewHashReference(name, c.Parent))
	if err != nil {
		if errors.Is(err, storage.ErrReferenceHasChanged) {
			return fmt.Errorf("push to %s: %w: %s moved", r.display, ErrRace, name)
		}
		return fmt.Errorf("push to %s: %w", r.display, err)
	}
	if !checkedOut {
		return nil
	}
	for _, p := range c.Files {
		obj, err := c.objects.EncodedObject(plumbing.BlobObject, c.newBlob(p))
		if err != nil {
			return fmt.Errorf("push to %s: update work tree %s: %w", r.display, p, err)
		}
		if err := writeBlobFile(filepath.Join(wt.Filesystem.Root(), filepath.FromSlash(p)), obj); err != nil {
			return fmt.Errorf("push to %s: update work tree %s: %w", r.display, p, err)
		}
		if _, err := wt.Add(p); err != nil {
			return fmt.Errorf("push to %s: stage %s: %w", r.display, p, err)
		}
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
