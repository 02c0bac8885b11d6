package bump

import (
	"context"
	"errors"
	"fmt"

	"github.com/tagbump/tagbump/pkg/forge"
	"github.com/tagbump/tagbump/pkg/gitrepo"
)

// APICommits returns a Publisher that has the host make each commit through
// its API (cc) instead of a git push, in the repository named "owner/name".
// The host authors and signs the commit itself; the expected head is the
// tip the edit was planned on, so a branch that moved is a race like a
// refused push, and the bump is redone on the new tip.
func APICommits(cc forge.CommitCreator, repository string) Publisher {
	return apiPublisher{cc: cc, repository: repository}
}

type apiPublisher struct {
	cc         forge.CommitCreator
	repository string
}

func (p apiPublisher) Publish(ctx context.Context, c *gitrepo.Commit) (string, error) {
	files := make(map[string][]byte, len(c.Files))
	for _, f := range c.Files {
		b, err := c.Content(f)
		if err != nil {
			return "", fmt.Errorf("create commit on %s: %w", c.Branch, err)
		}
		files[f] = b
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
