package forge_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/tagbump/tagbump/internal/testenv"
	"github.com/tagbump/tagbump/pkg/forge"
)

// statusHosts address each stand-in's repository and speak its words.
var statusHosts = []struct {
	kind                      forge.Kind
	repo                      string
	url, api                  func(f *testenv.FakeForge) string
	pending, success, failure string
	genre                     string
	wantContext               string
}{
	{kind: forge.GitHub, repo: "acme/charts", url: func(f *testenv.FakeForge) string { return f.URL + "/acme/charts.git" },
		api: func(f *testenv.FakeForge) string { return f.URL + "/api/v3" }, pending: "pending", success: "success", failure: "failure", wantContext: "argocd/app-staging"},
	{kind: forge.GitLab, repo: "group/charts", url: func(f *testenv.FakeForge) string { return f.URL + "/group/charts.git" },
		api: func(f *testenv.FakeForge) string { return f.URL + "/api/v4" }, pending: "running", success: "success", failure: "failed", wantContext: "argocd/app-staging"},
	{kind: forge.Azure, repo: "org/project/_git/charts", url: func(f *testenv.FakeForge) string { return f.URL + "/org/project/_git/charts" },
		api: func(f *testenv.FakeForge) string { return f.URL }, pending: "pending", success: "succeeded", failure: "failed", genre: "argocd", wantContext: "argocd/app-staging"},
	{kind: forge.Bitbucket, repo: "ws/charts", url: func(f *testenv.FakeForge) string { return f.URL + "/ws/charts.git" },
		api: func(f *testenv.FakeForge) string { return f.URL + "/2.0" }, pending: "INPROGRESS", success: "SUCCESSFUL", failure: "FAILED", wantContext: "argocd/app-staging"},
}

// startHost starts kind's stand-in with repo, a.yaml on main.
func startHost(t *testing.T, kind forge.Kind, repo string) *testenv.FakeForge {
	t.Helper()
	f, err := testenv.StartFakeForge(string(kind))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Close)
	if err := f.CreateRepo(repo, map[string]string{"a.yaml": "a: 1\n"}); err != nil {
		t.Fatal(err)
	}
	return f
}

// TestStatuses reads commit statuses from each host's stand-in: the newest
// of each context, the host's words mapped to one set of states, GitHub's
// check runs, an unknown commit and a wrong token.
func TestStatuses(t *testing.T) {
	testenv.RequireBinary(t, "git")
	for _, h := range statusHosts {
		t.Run(string(h.kind), func(t *testing.T) {
			f := startHost(t, h.kind, h.repo)
			sha := f.BranchSHA(h.repo, "main")
			r, err := forge.NewStatusReader(forge.Options{Kind: h.kind, RepoURL: h.url(f), APIURL: h.api(f), User: "x-access-token", Token: f.ReadOnlyToken})
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			name := "app-staging"
			if h.genre == "" {
				name = "argocd/app-staging"
			}
			f.SetStatus(sha, testenv.FakeStatus{Context: name, Genre: h.genre, State: h.pending})
			f.SetStatus(sha, testenv.FakeStatus{Context: "ci/build", State: h.success})
			f.SetStatus(sha, testenv.FakeStatus{Context: name, Genre: h.genre, State: h.failure, Description: "Degraded"})
			got, err := r.Statuses(ctx, sha)
			if err != nil {
				t.Fatal(err)
			}
			want := fmt.Sprintf("%s=failure(%s) Degraded;ci/build=success(%s) ", h.wantContext, h.failure, h.success)
			if s := show(got); s != want {
				t.Errorf("statuses:\n got %s\nwant %s", s, want)
			}
			if h.kind == forge.GitHub {
				f.SetStatus(sha, testenv.FakeStatus{Context: "deploy", CheckRun: true, Status: "in_progress"})
				got, _ := r.Statuses(ctx, sha)
				if s := show(got); !strings.Contains(s, "deploy=pending(in_progress)") {
					t.Errorf("check run in progress: %s", s)
				}
				f.SetStatus(sha, testenv.FakeStatus{Context: "deploy", CheckRun: true, Status: "completed", Conclusion: "timed_out"})
				got, _ = r.Statuses(ctx, sha)
				if s := show(got); !strings.Contains(s, "deploy=failure(timed_out)") {
					t.Errorf("check run timed out: %s", s)
				}
				before, _ := f.StatusRequests()
				_, _ = r.Statuses(ctx, sha)
				after, notModified := f.StatusRequests()
				if after-before != 2 || notModified < 2 {
					t.Errorf("unchanged statuses: %d requests, %d answered 304 in all; want conditional requests", after-before, notModified)
				}
			}
			if _, err := r.Statuses(ctx, strings.Repeat("0", 40)); !errors.Is(err, forge.ErrNotFound) {
				t.Errorf("unknown commit: %v", err)
			}
			bad, _ := forge.NewStatusReader(forge.Options{Kind: h.kind, RepoURL: h.url(f), APIURL: h.api(f), User: "x-access-token", Token: "wrong"})
			if _, err := bad.Statuses(ctx, sha); !errors.Is(err, forge.ErrAuth) {
				t.Errorf("wrong token: %v", err)
			}
			f.LimitStatuses(1, 7)
			_, err = r.Statuses(ctx, sha)
			var fe *forge.Error
			if !errors.As(err, &fe) || fe.RetryAfter.Seconds() != 7 || !errors.Is(err, forge.ErrServer) {
				t.Errorf("429: %v", err)
			}
		})
	}
}

func show(list []forge.Status) string {
	var parts []string
	for _, s := range list {
		parts = append(parts, fmt.Sprintf("%s=%s(%s) %s", s.Context, s.State, s.Native, s.Description))
	}
	sort.Strings(parts)
	return strings.Join(parts, ";")
}
