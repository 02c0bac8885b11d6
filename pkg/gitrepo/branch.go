package gitrepo

import (
	"context"
	"errors"
	"fmt"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// TipCommit returns the commit the branch pointed at when it was fetched.
func (s *Snapshot) TipCommit() (*object.Commit, error) {
	c, err := object.GetCommit(s.objects, s.tip)
	if err != nil {
		return nil, fmt.Errorf("read commit %s: %w", s.tip, err)
	}
	return c, nil
}

// TreeHash returns the hash of the commit's root tree.
func (c *Commit) TreeHash() plumbing.Hash {
	obj, err := object.GetCommit(c.objects, c.Hash)
	if err != nil {
		return plumbing.ZeroHash
	}
	return obj.TreeHash
}

// PushBranch sends c's new objects and sets branch, which need not be the
// branch c was made on, to c, provided that branch is at old (old zero:
// branch does not exist yet). The update is a compare-and-swap on old: when
// branch moved since it was read, PushBranch returns an error wrapping
// ErrRace and nothing changes. Unlike Push it may replace a commit that is
// not an ancestor of c (a lease on old, as git push --force-with-lease), so
// use it only for a branch the caller owns, never for c's own branch.
func (r *Repo) PushBranch(ctx context.Context, c *Commit, branch string, old plumbing.Hash) error {
	if r.local != nil {
		return fmt.Errorf("push to %s: %w: a local repository has no remote branch to push to", r.display, ErrBadAddress)
	}
	if branch == c.Branch {
		return errors.New("push branch: use Push for the commit's own branch")
	}
	return r.pushRef(ctx, c, branch, old)
}
