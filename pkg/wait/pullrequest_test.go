package wait_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tagbump/tagbump/pkg/forge"
	"github.com/tagbump/tagbump/pkg/wait"
)

// prScript is a PRReader that answers its states in turn, the last one
// from then on.
type prScript struct {
	states []forge.PRStatus
	n      int
}

func (s *prScript) PullRequest(_ context.Context, number int) (forge.PRStatus, error) {
	st := s.states[min(s.n, len(s.states)-1)]
	s.n++
	st.Number = number
	return st, nil
}

// TestPullRequestMerge waits for a pull request: open, then merged before
// the host names the merge commit (still pending), then merged with its
// commit (success, the commit kept); read closed once and then merged (a
// host in the middle of a merge) is merged; closed on two reads in a row
// ends the wait with *ClosedError; never merged times out naming the pull
// request.
func TestPullRequestMerge(t *testing.T) {
	const merge = "3333333333333333333333333333333333333333"
	open := forge.PRStatus{State: forge.PROpen, Native: "open"}
	src := &wait.PullRequest{Number: 7, Reader: &prScript{states: []forge.PRStatus{
		open, {State: forge.PRMerged, Native: "merged"}, {State: forge.PRMerged, Native: "merged", MergeCommit: merge},
	}}}
	res, err := wait.Run(context.Background(), src, wait.WithClock(&fakeClock{now: time.Unix(0, 0)}))
	if err != nil || res.State != wait.Succeeded || res.Polls != 3 || src.Merged.MergeCommit != merge {
		t.Fatalf("merged: %+v %v, merged %+v", res, err, src.Merged)
	}

	closed := forge.PRStatus{State: forge.PRClosed, Native: "closed"}
	src = &wait.PullRequest{Number: 10, Reader: &prScript{states: []forge.PRStatus{
		open, closed, open, closed, {State: forge.PRMerged, Native: "merged", MergeCommit: merge},
	}}}
	res, err = wait.Run(context.Background(), src, wait.WithClock(&fakeClock{now: time.Unix(0, 0)}))
	if err != nil || res.State != wait.Succeeded || src.Merged.MergeCommit != merge {
		t.Fatalf("closed once, then merged: %+v %v", res, err)
	}

	src = &wait.PullRequest{Number: 8, Reader: &prScript{states: []forge.PRStatus{open, {State: forge.PRClosed, Native: "DECLINED", URL: "https://bitbucket.org/ws/charts/pull-requests/8"}}}}
	_, err = wait.Run(context.Background(), src, wait.WithClock(&fakeClock{now: time.Unix(0, 0)}))
	var ce *wait.ClosedError
	if !errors.As(err, &ce) || ce.PR.Number != 8 || !strings.Contains(err.Error(), "closed without being merged") {
		t.Fatalf("closed: %v", err)
	}

	src = &wait.PullRequest{Number: 9, Reader: &prScript{states: []forge.PRStatus{open}}}
	_, err = wait.Run(context.Background(), src, wait.WithClock(&fakeClock{now: time.Unix(0, 0)}), wait.WithTimeout(time.Minute))
	var te *wait.TimeoutError
	if !errors.As(err, &te) || !strings.Contains(err.Error(), "pull request #9: open, not merged yet") {
		t.Fatalf("never merged: %v", err)
	}
}
