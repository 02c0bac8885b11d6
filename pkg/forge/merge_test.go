package forge_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os/exec"
	"strings"
	"testing"

	"github.com/tagbump/tagbump/internal/testenv"
	"github.com/tagbump/tagbump/pkg/forge"
)

// standIn is one host's stand-in as these tests address it.
type standIn struct {
	kind, repo, path string
	api              string // "" or the --api-url
	// list is the URL of the open pull request list without filters, and
	// page the number of entries the host's docs say one page holds by
	// default.
	list string
	page int
}

func standIns(url string) []standIn {
	return []standIn{
		{kind: "github", repo: "acme/charts", path: "/acme/charts.git", list: "/api/v3/repos/acme/charts/pulls?state=open", page: 30},
		{kind: "gitlab", repo: "group/charts", path: "/group/charts.git", list: "/api/v4/projects/group%2Fcharts/merge_requests?state=opened", page: 20},
		{kind: "azure", repo: "org/project/_git/charts", path: "/org/project/_git/charts", list: "/org/project/_apis/git/repositories/charts/pullrequests?searchCriteria.status=active&api-version=7.1", page: 100},
		{kind: "bitbucket", repo: "ws/charts", path: "/ws/charts.git", api: url + "/2.0", list: "/2.0/repositories/ws/charts/pullrequests?state=OPEN", page: 10},
	}
}

// startStandIn starts the stand-in for kind with a repository whose main
// has one file, and the Forge that talks to it.
func startStandIn(t *testing.T, kind string) (*testenv.FakeForge, standIn, forge.Forge) {
	t.Helper()
	testenv.RequireBinary(t, "git")
	f, err := testenv.StartFakeForge(kind)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Close)
	var s standIn
	for _, c := range standIns(f.URL) {
		if c.kind == kind {
			s = c
		}
	}
	if err := f.CreateRepo(s.repo, map[string]string{"a": "1\n"}); err != nil {
		t.Fatal(err)
	}
	fg, err := forge.New(forge.Options{Kind: forge.Kind(kind), RepoURL: f.URL + s.path, APIURL: s.api, Token: f.Token})
	if err != nil {
		t.Fatal(err)
	}
	return f, s, fg
}

// branches creates the branches names on main's tip in one git call.
func branches(t *testing.T, dir string, names ...string) {
	t.Helper()
	var in strings.Builder
	for _, n := range names {
		fmt.Fprintf(&in, "create refs/heads/%s refs/heads/main\n", n)
	}
	cmd := exec.Command("git", "--git-dir", dir, "update-ref", "--stdin")
	cmd.Stdin = strings.NewReader(in.String())
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git update-ref: %v\n%s", err, out)
	}
}

// tagbumpMessage is a commit message as tagbump writes it, trailers
// included.
const tagbumpMessage = "revert(prod): roll back app to 1.1.0\n\n- app/values-prod.yaml .image.tag: 1.2.0 → 1.1.0\n\n" +
	"CI-System: gitlab\nCI-Run: https://ci.example/acme/app/-/jobs/7\nRolls-Back: 0123456789abcdef0123456789abcdef01234567\nRolled-Back-Tag: 1.2.0\n"

// TestAutoMergeMessage checks what each stand-in recorded from AutoMerge,
// field by field as each host documents it (the stand-ins' files name the
// pages): the merge or squash commit's message is tagbump's commit
// message, a rebase sends none, and tagbump's branch is deleted once
// merged where the host offers that per pull request (GitHub has only a
// repository setting; Bitbucket takes close_source_branch on creation and
// has no auto-merge).
func TestAutoMergeMessage(t *testing.T) {
	want := strings.TrimSpace(tagbumpMessage)
	for _, c := range []struct {
		kind    string
		methods []string
		// deleted says whether the host is asked to delete the branch.
		deleted bool
	}{
		{"github", []string{forge.MergeCommit, forge.Squash, forge.Rebase}, false},
		{"gitlab", []string{forge.MergeCommit, forge.Squash}, true},
		{"azure", []string{forge.MergeCommit, forge.Squash, forge.Rebase}, true},
		{"bitbucket", nil, true},
	} {
		t.Run(c.kind, func(t *testing.T) {
			f, s, fg := startStandIn(t, c.kind)
			branches(t, f.Git.Dir(s.repo), "tagbump/app-prod")
			ctx := context.Background()
			pr, err := fg.Create(ctx, "tagbump/app-prod", "main", forge.Content{Title: "chore(prod): update app image to 1.1.0", Body: "b"})
			if err != nil {
				t.Fatal(err)
			}
			if c.methods == nil {
				if err := fg.AutoMerge(ctx, pr, forge.Merge{Method: forge.MergeCommit, Message: tagbumpMessage}); !errors.Is(err, forge.ErrUnsupported) {
					t.Errorf("AutoMerge: %v, want ErrUnsupported", err)
				}
			}
			for _, m := range c.methods {
				if err := fg.AutoMerge(ctx, pr, forge.Merge{Method: m, Message: tagbumpMessage}); err != nil {
					t.Fatalf("AutoMerge %s: %v", m, err)
				}
				got := f.PRs()[0]
				wantMsg := want
				if m == forge.Rebase {
					wantMsg = "" // the rebased commit keeps its own message
				}
				if got.AutoMerge != m || got.MergeMessage != wantMsg {
					t.Errorf("AutoMerge %s: the host has method %q, message\n%s\nwant\n%s", m, got.AutoMerge, got.MergeMessage, wantMsg)
				}
			}
			if got := f.PRs()[0].DeleteBranch; got != c.deleted {
				t.Errorf("delete tagbump's branch once merged: %v, want %v", got, c.deleted)
			}
		})
	}
}

// TestFindOpenPages checks FindOpen against stand-ins that answer lists
// one page at a time, as the hosts document (GitHub 30 a page, GitLab 20,
// Azure DevOps $top, Bitbucket 10), with more open pull requests into the
// base than a page and tagbump's the newest.
func TestFindOpenPages(t *testing.T) {
	for _, s := range standIns("") {
		t.Run(s.kind, func(t *testing.T) {
			f, s, fg := startStandIn(t, s.kind)
			var names []string
			for i := range s.page + 5 {
				names = append(names, fmt.Sprintf("feature-%03d", i))
			}
			branches(t, f.Git.Dir(s.repo), append(names, "tagbump/app-prod")...)
			ctx := context.Background()
			for _, n := range names {
				if _, err := fg.Create(ctx, n, "main", forge.Content{Title: "work on " + n, Body: "b"}); err != nil {
					t.Fatal(err)
				}
			}
			pr, err := fg.Create(ctx, "tagbump/app-prod", "main", forge.Content{Title: "deploy", Body: "b"})
			if err != nil {
				t.Fatal(err)
			}
			req, _ := http.NewRequest(http.MethodGet, f.URL+s.list, nil)
			req.SetBasicAuth("x", f.Token)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var list struct {
				items []json.RawMessage
				Value []json.RawMessage `json:"value"`
				Vals  []json.RawMessage `json:"values"`
			}
			var raw json.RawMessage
			if err := json.NewDecoder(resp.Body).Decode(&raw); err != nil {
				t.Fatal(err)
			}
			if json.Unmarshal(raw, &list.items) != nil {
				_ = json.Unmarshal(raw, &list)
				list.items = append(list.Value, list.Vals...)
			}
			if len(list.items) != s.page {
				t.Errorf("the stand-in's first page holds %d pull requests, want %d", len(list.items), s.page)
			}
			found, err := fg.FindOpen(ctx, "tagbump/app-prod", "main")
			if err != nil || found == nil || found.Number != pr.Number {
				t.Errorf("FindOpen: %+v, %v, want #%d", found, err, pr.Number)
			}
		})
	}
}
