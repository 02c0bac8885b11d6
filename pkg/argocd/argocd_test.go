package argocd_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tagbump/tagbump/internal/testenv"
	"github.com/tagbump/tagbump/pkg/argocd"
	"github.com/tagbump/tagbump/pkg/forge"
)

// TestApplication reads applications from the Argo CD stand-in: a
// single-source and a multi-source one, one in another namespace, and the
// refusals with their kinds.
func TestApplication(t *testing.T) {
	a, err := testenv.StartFakeArgoCD()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	started := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	a.SetApp("shop", "", []string{"https://git.example.com/charts.git"},
		testenv.FakeAppState{Sync: "Synced", Revision: "abc", Health: "Degraded", HealthMessage: "crash", Phase: "Succeeded", StartedAt: started})
	a.SetApp("multi", "team-a", []string{"https://charts.example.com/x.git", "https://git.example.com/charts.git"},
		testenv.FakeAppState{Sync: "OutOfSync", Revisions: []string{"1.2.3", "def"}, Health: "Progressing"})
	c, err := argocd.New(a.URL, a.Token, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	app, err := c.Application(ctx, "shop", "")
	if err != nil {
		t.Fatal(err)
	}
	op := app.Status.OperationState
	if got := app.SyncedRevisions(); len(got) != 1 || got[0] != "abc" || app.Status.Health.Status != "Degraded" || app.Status.Health.Message != "crash" ||
		op == nil || op.Phase != "Succeeded" || !op.StartedAt.Equal(started) || app.Spec.Source == nil {
		t.Fatalf("shop: %+v", app)
	}
	app, err = c.Application(ctx, "multi", "team-a")
	if err != nil {
		t.Fatal(err)
	}
	if got := app.SyncedRevisions(); len(got) != 2 || got[1] != "def" || len(app.Spec.Sources) != 2 || app.Status.OperationState != nil {
		t.Fatalf("multi: %+v", app)
	}
	for _, c := range []struct {
		token, app, ns string
		kind           error
	}{
		{"wrong", "shop", "", argocd.ErrAuth},
		{a.ForbiddenToken, "shop", "", argocd.ErrAuth},
		{a.Token, "nope", "", argocd.ErrNotFound},
		{a.Token, "multi", "", argocd.ErrNotFound},
	} {
		cl, _ := argocd.New(a.URL, c.token, nil)
		if _, err := cl.Application(ctx, c.app, c.ns); !errors.Is(err, c.kind) {
			t.Errorf("%s %s: %v, want %v", c.app, c.ns, err, c.kind)
		}
	}
	a.Limit(1, 3)
	_, err = c.Application(ctx, "shop", "")
	var fe *forge.Error
	if !errors.As(err, &fe) || !errors.Is(err, argocd.ErrServer) || fe.RetryAfter != 3*time.Second {
		t.Errorf("429: %v", err)
	}
}

// TestTokenGuard checks that the token is not sent over http:// to
// another machine, nor along a redirect to another port.
func TestTokenGuard(t *testing.T) {
	if _, err := argocd.New("http://argocd.example.com", "t", nil); !errors.Is(err, argocd.ErrBadURL) {
		t.Errorf("http to another host: %v", err)
	}
	var leaked atomic.Bool
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		leaked.Store(r.Header.Get("Authorization") != "")
		w.WriteHeader(http.StatusOK)
	}))
	defer other.Close()
	redirect := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+r.URL.Path, http.StatusFound)
	}))
	defer redirect.Close()
	c, err := argocd.New(redirect.URL, "secret-token", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Application(context.Background(), "shop", ""); !errors.Is(err, argocd.ErrBadURL) || leaked.Load() {
		t.Errorf("redirect to another port: %v (token sent: %v)", err, leaked.Load())
	}
}
