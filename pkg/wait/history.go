package wait

import (
	"context"
	"time"

	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/tagbump/tagbump/pkg/gitrepo"
)

// DefaultHistoryDepth is how many commits of the branch's first-parent
// history GitHistory reads: a synced revision further from the commit
// than this counts as Unrelated.
const DefaultHistoryDepth = 200

// GitHistory is the History of a branch of a charts repository as
// pkg/gitrepo reads it: commits only (no trees, no blobs), fetched again
// when a revision is not among the commits read last.
type GitHistory struct {
	Repo   *gitrepo.Repo
	Branch string
	Commit string
	// Depth is the number of commits read (0: DefaultHistoryDepth).
	Depth int

	log []*object.Commit
}

func (h *GitHistory) read(ctx context.Context) error {
	depth := h.Depth
	if depth <= 0 {
		depth = DefaultHistoryDepth
	}
	snap, err := h.Repo.FetchFor(ctx, h.Branch, depth)
	if err != nil {
		return err
	}
	h.log, err = snap.Log(ctx, depth)
	return err
}

// index returns the position of rev in the log read last, -1 when absent.
func (h *GitHistory) index(rev string) int {
	for i, c := range h.log {
		if sameCommit(c.Hash.String(), rev) {
			return i
		}
	}
	return -1
}

// Relation reads the branch's history (again, when rev or the commit is
// not in what was read last) and compares positions: the log is newest
// first.
func (h *GitHistory) Relation(ctx context.Context, rev string) (Relation, error) {
	if sameCommit(rev, h.Commit) {
		return Same, nil
	}
	if h.log == nil || h.index(rev) < 0 || h.index(h.Commit) < 0 {
		if err := h.read(ctx); err != nil {
			return Unrelated, err
		}
	}
	r, c := h.index(rev), h.index(h.Commit)
	switch {
	case r < 0 || c < 0:
		return Unrelated, nil
	case r < c:
		return Descendant, nil
	}
	return Ancestor, nil
}

// CommitTime returns the committer time of the commit, when it is in the
// branch's history.
func (h *GitHistory) CommitTime(ctx context.Context) (time.Time, error) {
	if h.log == nil {
		if err := h.read(ctx); err != nil {
			return time.Time{}, err
		}
	}
	if i := h.index(h.Commit); i >= 0 {
		return h.log[i].Committer.When, nil
	}
	return time.Time{}, nil
}
