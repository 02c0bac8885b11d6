package wait

import (
	"context"
	"fmt"

	"github.com/tagbump/tagbump/pkg/forge"
)

// PullRequest is the Source of a pull request's merge: it succeeds once
// the host reports the pull request merged and names the commit the merge
// left on the base branch (the merge commit, the squash commit or the
// rebased tip), which is then the commit whose deployment to wait for. A
// pull request read closed without a merge twice in a row ends the wait
// with *ClosedError: a host may answer "closed" before "merged" while it
// merges (Gitea closes the issue and marks the pull request merged in one
// transaction, and its API reads the two apart), so one such read is
// checked at the next poll.
//
// The pull request is the one that holds the change, not a commit of it:
// its branch may gather later deployments (other pipelines' pending
// deploys) before it is merged, and the merge deploys them all.
type PullRequest struct {
	Reader forge.PRReader
	Number int

	// Merged is the pull request as it was read when merged.
	Merged forge.PRStatus

	closedOnce bool
}

// Poll reads the pull request once.
func (p *PullRequest) Poll(ctx context.Context) (Observation, error) {
	st, err := p.Reader.PullRequest(ctx, p.Number)
	if err != nil {
		return Observation{}, err
	}
	name := fmt.Sprintf("pull request #%d", p.Number)
	closed := st.State == forge.PRClosed
	defer func() { p.closedOnce = closed }()
	switch st.State {
	case forge.PRMerged:
		if st.MergeCommit == "" {
			// The host reports the merge before it names its commit.
			return Observation{State: Pending, Detail: name + ": merged, the host does not name its commit yet"}, nil
		}
		p.Merged = st
		return Observation{State: Succeeded, Detail: name + ": merged as " + short(st.MergeCommit)}, nil
	case forge.PRClosed:
		if !p.closedOnce {
			return Observation{State: Pending, Detail: name + ": " + st.Native + " without a merge, reading it again"}, nil
		}
		return Observation{}, &ClosedError{PR: st}
	}
	return Observation{State: Pending, Detail: name + ": " + st.Native + ", not merged yet"}, nil
}

// ClosedError is a pull request closed without being merged: its change
// will not be deployed.
type ClosedError struct {
	PR forge.PRStatus
}

func (e *ClosedError) Error() string {
	msg := fmt.Sprintf("pull request #%d was closed without being merged (%s)", e.PR.Number, e.PR.Native)
	if e.PR.URL != "" {
		msg += " " + e.PR.URL
	}
	return msg + ": its change will not be deployed; reopen and merge it, or run the bump again"
}
