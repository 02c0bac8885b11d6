package wait_test

import (
	"context"
	"testing"
	"time"

	"github.com/tagbump/tagbump/internal/testenv"
	"github.com/tagbump/tagbump/pkg/wait"
)

// fakeHistory relates revisions by a table and counts the reads.
type fakeHistory struct {
	rel   map[string]wait.Relation
	when  time.Time
	reads int
}

func (h *fakeHistory) Relation(_ context.Context, rev string) (wait.Relation, error) {
	h.reads++
	return h.rel[rev], nil
}
func (h *fakeHistory) CommitTime(context.Context) (time.Time, error) { return h.when, nil }

// TestApplicationHistoryReads checks that a revision not on the branch
// does not make every poll read the branch's history again, and that a
// related one is read once.
func TestApplicationHistoryReads(t *testing.T) {
	a, client := startArgoCD(t)
	const ours = "1111111111111111111111111111111111111111"
	h := &fakeHistory{rel: map[string]wait.Relation{"2222222222222222222222222222222222222222": wait.Ancestor}, when: time.Now()}
	for _, c := range []struct {
		rev   string
		reads int
	}{{"9999999999999999999999999999999999999999", 1}, {"2222222222222222222222222222222222222222", 1}} {
		a.SetApp("app", "", []string{"https://git.example.com/charts.git"}, testenv.FakeAppState{Sync: "Synced", Revision: c.rev, Health: "Healthy"})
		src := &wait.Application{Client: client, Name: "app", Commit: ours, RepoURL: "https://git.example.com/charts.git", History: h}
		h.reads = 0
		for i := 0; i < 5; i++ {
			obs, err := src.Poll(context.Background())
			if err != nil || obs.State != wait.Pending {
				t.Fatalf("%s: %+v %v", c.rev, obs, err)
			}
		}
		if h.reads != c.reads {
			t.Errorf("%s: %d history reads in 5 polls, want %d", c.rev, h.reads, c.reads)
		}
	}
}
