package forge_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/tagbump/tagbump/pkg/forge"
)

// TestAutoMergeRescheduled runs tagbump twice against a pull request whose
// auto-merge is still pending: run 1 proposes 1.1.0, run 2 updates the pull
// request to 1.2.0. The stand-ins keep an auto-merge request as it was first
// made, as the hosts do, so the merge would carry run 1's message over run
// 2's content unless AutoMerge cancels and schedules it again.
func TestAutoMergeRescheduled(t *testing.T) {
	msg := func(tag string) string {
		return "chore(prod): update app image to " + tag + "\n\n- app/values-prod.yaml .image.tag: 1.0.0 → " + tag + "\n\nCI-System: gitlab"
	}
	for _, c := range []struct{ kind, method string }{
		{"github", forge.Squash}, {"github", forge.MergeCommit},
		{"gitlab", forge.Squash}, {"gitlab", forge.MergeCommit},
		{"azure", forge.Squash},
	} {
		t.Run(c.kind+"/"+c.method, func(t *testing.T) {
			f, s, fg := startStandIn(t, c.kind)
			branches(t, f.Git.Dir(s.repo), "tagbump/app-prod")
			ctx := context.Background()
			pr, err := fg.Create(ctx, "tagbump/app-prod", "main", forge.Content{Title: "chore(prod): update app image to 1.1.0", Body: "b"})
			if err != nil {
				t.Fatal(err)
			}
			if err := fg.AutoMerge(ctx, pr, forge.Merge{Method: c.method, Message: msg("1.1.0")}); err != nil {
				t.Fatal(err)
			}
			// Run 2.
			found, err := fg.FindOpen(ctx, "tagbump/app-prod", "main")
			if err != nil || found == nil {
				t.Fatalf("FindOpen: %v, %v", found, err)
			}
			pr, err = fg.Update(ctx, found, forge.Content{Title: "chore(prod): update app image to 1.2.0", Body: "b2"})
			if err != nil {
				t.Fatal(err)
			}
			if err := fg.AutoMerge(ctx, pr, forge.Merge{Method: c.method, Message: msg("1.2.0")}); err != nil {
				t.Fatal(err)
			}
			got := f.PRs()[0]
			if got.AutoMerge != c.method || got.MergeMessage != msg("1.2.0") {
				t.Errorf("the host merges with method %q and message\n%s\nwant %q and\n%s", got.AutoMerge, got.MergeMessage, c.method, msg("1.2.0"))
			}
		})
	}
}

// TestGiteaAutoMergeRescheduled does the same against a server that
// answers as Gitea 1.24 does (routers/api/v1/repo/pull.go MergePullRequest,
// CancelScheduledAutoMerge): POST .../pulls/N/merge with
// merge_when_checks_succeed schedules the merge while checks are pending
// and answers 409 when one is already scheduled, keeping the first
// schedule's title and message; DELETE .../pulls/N/merge cancels it (204).
func TestGiteaAutoMergeRescheduled(t *testing.T) {
	var mu sync.Mutex
	scheduled := "" // the scheduled merge's title and message
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if r.URL.Path != "/api/v1/repos/acme/charts/pulls/3/merge" {
			http.NotFound(w, r)
			return
		}
		switch r.Method {
		case http.MethodPost:
			var in struct {
				Do, MergeTitleField, MergeMessageField string
				When                                   bool `json:"merge_when_checks_succeed"`
			}
			if err := json.NewDecoder(r.Body).Decode(&in); err != nil || !in.When {
				http.Error(w, `{"message":"bad request"}`, http.StatusUnprocessableEntity)
				return
			}
			if scheduled != "" {
				w.WriteHeader(http.StatusConflict)
				w.Write([]byte(`{"message":"pull request is already scheduled to auto merge when checks succeed"}`))
				return
			}
			scheduled = in.MergeTitleField + "\n\n" + in.MergeMessageField
			w.WriteHeader(http.StatusCreated)
		case http.MethodDelete:
			if scheduled == "" {
				http.NotFound(w, r)
				return
			}
			scheduled = ""
			w.WriteHeader(http.StatusNoContent)
		default:
			w.WriteHeader(http.StatusMethodNotAllowed)
		}
	}))
	defer srv.Close()
	fg, err := forge.New(forge.Options{Kind: forge.Gitea, RepoURL: srv.URL + "/acme/charts.git", Token: "t"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	pr := &forge.PR{Number: 3, Head: "tagbump/app-prod", Base: "main"}
	for _, tag := range []string{"1.1.0", "1.2.0"} {
		if err := fg.AutoMerge(ctx, pr, forge.Merge{Method: forge.Squash, Message: "chore(prod): update app image to " + tag + "\n\nCI-System: gitea"}); err != nil {
			t.Fatalf("AutoMerge %s: %v", tag, err)
		}
	}
	if want := "chore(prod): update app image to 1.2.0\n\nCI-System: gitea"; scheduled != want {
		t.Errorf("the scheduled merge's message is\n%s\nwant\n%s", scheduled, want)
	}
}
