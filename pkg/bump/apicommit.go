package bump

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/tagbump/tagbump/pkg/forge"
	"github.com/tagbump/tagbump/pkg/gitrepo"
)

// APICommits returns a Publisher that has the host make each commit through
// its API (cc) instead of a git push, in the repository named "owner/name".
// The host authors and signs the commit itself; the expected head is the
// tip the edit was planned on, so a branch that moved is a race like a
// refused push, and the bump is redone on the new tip.
//
// When cc can also move refs (a forge.RefUpdater, as forge.GitHubCommits
// is), the Publisher is a BranchWriter too, and a pull request's branch is
// written through the API as well (see WriteBranch).
func APICommits(cc forge.CommitCreator, repository string) Publisher {
	p := apiPublisher{cc: cc, repository: repository}
	if refs, ok := cc.(forge.RefUpdater); ok {
		return apiBranchWriter{apiPublisher: p, refs: refs}
	}
	return p
}

type apiPublisher struct {
	cc         forge.CommitCreator
	repository string
}

// hostCommitter is a Publisher whose host makes its own commit from the
// one built here: same parent (the expected head) and same tree, but its
// own committer, date and signature, so another hash. After a lost answer
// the bump loop looks for that commit by parent and tree (lostPush), not by
// hash, or it would make the change a second time, over whatever landed
// on top meanwhile.
//
// Parent and tree, rather than a trailer that names the attempt: they need
// nothing added to the message of every deployment, and createCommitOnBranch
// guarantees both (expectedHeadOid is the parent; the tree is the parent's
// with the same files written, and trees are content-addressed).
type hostCommitter interface{ hostMakesCommits() }

func (apiPublisher) hostMakesCommits() {}

func (p apiPublisher) Publish(ctx context.Context, c *gitrepo.Commit) (string, error) {
	files, err := commitFiles(c)
	if err != nil {
		return "", fmt.Errorf("create commit on %s: %w", c.Branch, err)
	}
	oid, err := p.cc.CreateCommit(ctx, forge.CommitRequest{
		Repository: p.repository, Branch: c.Branch, ExpectedHead: c.Parent.String(),
		Message: c.Message, Files: files,
	})
	switch {
	case errors.Is(err, forge.ErrBranchMoved):
		return "", fmt.Errorf("%w: %w", gitrepo.ErrRace, err)
	case errors.Is(err, forge.ErrServer):
		return "", fmt.Errorf("%w: %w", gitrepo.ErrNetwork, err)
	}
	return oid, err
}

// commitFiles returns the new contents of c's changed files, by path.
func commitFiles(c *gitrepo.Commit) (map[string][]byte, error) {
	files := make(map[string][]byte, len(c.Files))
	for _, f := range c.Files {
		b, err := c.Content(f)
		if err != nil {
			return nil, err
		}
		files[f] = b
	}
	return files, nil
}

// BranchTrailer is the trailer key of the commits tagbump has the host
// make on a pull request branch; its value is the branch. Such commits are
// committed by the host (GitHub: "GitHub <noreply@github.com>"), as any
// edit in its web interface is, so the trailer is what tells them apart.
const BranchTrailer = "Tagbump-Branch"

// apiBranchWriter is an apiPublisher that also writes pull request
// branches through the host's API.
type apiBranchWriter struct {
	apiPublisher
	refs forge.RefUpdater
}

// WriteBranch has the host make c's change on c.Parent and sets branch to
// it, provided branch is at old. The pull request branch must never point
// at the base's tip, not even for a moment: GitHub would then mark an open
// pull request as merged, for good. So the commit is made on a temporary
// branch beside it (branch + ".tagbump-" + 8 random hex digits), created at
// c.Parent, and one atomic ref update then moves branch from old to the
// commit and deletes the temporary branch. Four requests: the repository's
// id (once per client), the temporary branch, the commit, the move. On a
// failure the temporary branch is deleted, as far as the host lets it be.
func (w apiBranchWriter) WriteBranch(ctx context.Context, repo *gitrepo.Repo, c *gitrepo.Commit, branch string, old plumbing.Hash) (string, error) {
	op := "write pull request branch " + branch + " through the API"
	files, err := commitFiles(c)
	if err != nil {
		return "", fmt.Errorf("%s: %w", op, err)
	}
	suffix := make([]byte, 4)
	if _, err := rand.Read(suffix); err != nil {
		return "", fmt.Errorf("%s: %w", op, err)
	}
	tmp := branch + ".tagbump-" + hex.EncodeToString(suffix)
	tmpRef, parent := "refs/heads/"+tmp, c.Parent.String()

	if err := w.refs.UpdateRefs(ctx, w.repository, forge.RefUpdate{Name: tmpRef, Before: forge.ZeroOID, After: parent}); err != nil {
		if errors.Is(err, forge.ErrServer) {
			// The answer was lost: the branch may exist.
			err = w.dropTemp(ctx, tmp, "", err)
		}
		return "", w.wrap(op, err)
	}
	oid, err := w.cc.CreateCommit(ctx, forge.CommitRequest{
		Repository: w.repository, Branch: tmp, ExpectedHead: parent,
		Message: withTrailer(c.Message, BranchTrailer+": "+branch), Files: files,
	})
	if err != nil {
		at := parent
		if errors.Is(err, forge.ErrServer) {
			at = "" // the commit may have been made on it
		}
		return "", w.wrap(op, w.dropTemp(ctx, tmp, at, err))
	}
	before := old.String()
	if old.IsZero() {
		before = forge.ZeroOID
	}
	err = w.refs.UpdateRefs(ctx, w.repository,
		forge.RefUpdate{Name: "refs/heads/" + branch, Before: before, After: oid, Force: true},
		forge.RefUpdate{Name: tmpRef, Before: oid, After: forge.ZeroOID})
	if err == nil {
		return oid, nil
	}
	if !errors.Is(err, forge.ErrRefUpdate) && !errors.Is(err, forge.ErrBranchMoved) && !errors.Is(err, forge.ErrServer) {
		return "", w.wrap(op, w.dropTemp(ctx, tmp, oid, err))
	}
	// GitHub does not say in a documented form why it refused an update,
	// and a lost answer says nothing: read the branch to tell.
	tip, rerr := branchTip(ctx, repo, branch)
	switch {
	case rerr != nil:
		err = fmt.Errorf("%w (reading the branch afterwards: %w)", err, rerr)
	case tip.String() == oid:
		return oid, nil // it landed; the answer was lost
	case tip != old:
		err = fmt.Errorf("%w: %w", gitrepo.ErrRace, err)
	}
	return "", w.wrap(op, w.dropTemp(ctx, tmp, oid, err))
}

// wrap adds op to err, and maps the host's lost answer to
// gitrepo.ErrNetwork, which the bump loop retries (bounded).
func (w apiBranchWriter) wrap(op string, err error) error {
	if errors.Is(err, forge.ErrServer) && !errors.Is(err, gitrepo.ErrRace) {
		return fmt.Errorf("%s: %w: %w", op, gitrepo.ErrNetwork, err)
	}
	return fmt.Errorf("%s: %w", op, err)
}

// dropTemp deletes the temporary branch tmp, expected at at ("": not
// checked), after err, and returns err, noting when tmp could not be
// deleted. It runs even when ctx has ended, for a short while.
func (w apiBranchWriter) dropTemp(ctx context.Context, tmp, at string, err error) error {
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if derr := w.refs.UpdateRefs(dctx, w.repository, forge.RefUpdate{Name: "refs/heads/" + tmp, Before: at, After: forge.ZeroOID}); derr != nil && at != "" {
		return fmt.Errorf("%w (the temporary branch %s could not be deleted: delete it by hand: %v)", err, tmp, derr)
	}
	// With at unknown the branch may never have been made: a refusal
	// then says nothing.
	return err
}

// branchTip returns the commit at branch's tip, zero when it does not
// exist.
func branchTip(ctx context.Context, repo *gitrepo.Repo, branch string) (plumbing.Hash, error) {
	snap, err := repo.Fetch(ctx, branch)
	switch {
	case errors.Is(err, gitrepo.ErrNotFound):
		return plumbing.ZeroHash, nil
	case err != nil:
		return plumbing.ZeroHash, err
	}
	return snap.Tip(), nil
}

// apiOwnCommit reports whether c is a commit the host made for tagbump on
// branch: one parent, the host's web-flow committer (GitHub <noreply@github.com>;
// on GitHub Enterprise Server "GitHub Enterprise" with an address the
// administrator chooses) and the BranchTrailer naming branch.
func apiOwnCommit(c *object.Commit, branch string) bool {
	webFlow := c.Committer.Email == "noreply@github.com" || c.Committer.Name == "GitHub Enterprise"
	if len(c.ParentHashes) != 1 || !webFlow {
		return false
	}
	msg := strings.TrimRight(c.Message, "\n")
	paragraphs := strings.Split(msg, "\n\n")
	for _, l := range strings.Split(paragraphs[len(paragraphs)-1], "\n") {
		if l == BranchTrailer+": "+branch {
			return true
		}
	}
	return false
}
