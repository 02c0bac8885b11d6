package wait_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/tagbump/tagbump/internal/testenv"
	"github.com/tagbump/tagbump/pkg/argocd"
	"github.com/tagbump/tagbump/pkg/wait"
)

// blocking is a Source whose poll hangs until its context is done (a
// server that accepts the request and never answers).
type blocking struct{}

func (blocking) Poll(ctx context.Context) (wait.Observation, error) {
	<-ctx.Done()
	return wait.Observation{}, ctx.Err()
}

// TestTimeoutBoundsPoll: --timeout must end a wait whose poll hangs.
func TestTimeoutBoundsPoll(t *testing.T) {
	done := make(chan error, 1)
	go func() {
		_, err := wait.Run(context.Background(), blocking{}, wait.WithTimeout(100*time.Millisecond))
		done <- err
	}()
	select {
	case err := <-done:
		var te *wait.TimeoutError
		if !errors.As(err, &te) {
			t.Fatalf("err = %v, want *TimeoutError", err)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("Run still running 3s after a 100ms --timeout: the poll's context has no deadline")
	}
}

const (
	verdictOurs   = "1111111111111111111111111111111111111111"
	verdictParent = "2222222222222222222222222222222222222222"
	verdictRepo   = "https://git.example.com/charts.git"
)

func pollOnce(t *testing.T, h *fakeHistory, st testenv.FakeAppState) wait.Observation {
	t.Helper()
	a, client := startArgoCD(t)
	a.SetApp("app", "", []string{verdictRepo}, st)
	src := &wait.Application{Client: client, Name: "app", Commit: verdictOurs, RepoURL: verdictRepo, History: h}
	obs, err := src.Poll(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return obs
}

// TestDegradedOldVersionIsNotFailure: Argo CD has refreshed and
// compares to our commit (status.sync.revision is the compared-to
// revision), the app is OutOfSync and still Degraded from the old release
// (e.g. tagbump rollback --wait deploying a fix). Nothing of our commit
// has been applied: the verdict must not be failure.
func TestDegradedOldVersionIsNotFailure(t *testing.T) {
	h := &fakeHistory{when: time.Now().Add(-time.Minute)}
	obs := pollOnce(t, h, testenv.FakeAppState{Sync: "OutOfSync", Revision: verdictOurs, Health: "Degraded", HealthMessage: "CrashLoopBackOff (old release)"})
	if obs.State != wait.Pending {
		t.Fatalf("OutOfSync to our commit, Degraded from the old release: state %s (%s), want pending", obs.State, obs.Message)
	}
}

// TestAncestorSyncBeforeArgoSawCommit: our commit was made at T;
// Argo CD has not fetched it yet (compares to the parent) and a sync of
// the parent (selfHeal, an auto-sync retry, a concurrent pipeline's push)
// started at T+5s. That is no rollback of our commit.
func TestAncestorSyncBeforeArgoSawCommit(t *testing.T) {
	commitTime := time.Now().Add(-time.Minute).Truncate(time.Second)
	h := &fakeHistory{when: commitTime, rel: map[string]wait.Relation{verdictParent: wait.Ancestor}}
	obs := pollOnce(t, h, testenv.FakeAppState{Sync: "Synced", Revision: verdictParent, Health: "Healthy", Phase: "Succeeded", StartedAt: commitTime.Add(5 * time.Second)})
	if obs.State != wait.Pending {
		t.Fatalf("parent synced by a sync that started before Argo CD saw our commit: state %s (%s), want pending", obs.State, obs.Message)
	}
}

// startArgoCD starts the Argo CD stand-in and a client of it.
func startArgoCD(t *testing.T) (*testenv.FakeArgoCD, *argocd.Client) {
	t.Helper()
	a, err := testenv.StartFakeArgoCD()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	client, err := argocd.New(a.URL, a.Token, nil)
	if err != nil {
		t.Fatal(err)
	}
	return a, client
}
