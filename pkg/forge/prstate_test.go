package forge_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/tagbump/tagbump/internal/testenv"
	"github.com/tagbump/tagbump/pkg/forge"
)

// TestPullRequestState reads pull requests from each host's stand-in: an
// open one names no merge commit (though the host answers a test merge),
// a merged one names the commit the base's tip now is, whether it was
// merged with a merge commit, a squash or a rebase (GitLab: merge_commit_sha,
// squash_commit_sha, sha; Bitbucket: an abbreviated hash made full), and
// one closed unmerged is closed. On GitHub a poll of an unchanged pull
// request is answered 304.
func TestPullRequestState(t *testing.T) {
	testenv.RequireBinary(t, "git")
	for _, h := range statusHosts {
		t.Run(string(h.kind), func(t *testing.T) {
			f := startHost(t, h.kind, h.repo)
			o := forge.Options{Kind: h.kind, RepoURL: h.url(f), APIURL: h.api(f), User: "x-access-token", Token: f.Token}
			fg, err := forge.New(o)
			if err != nil {
				t.Fatal(err)
			}
			r, err := forge.NewPRReader(o)
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			open := func(branch string) int {
				t.Helper()
				if out, err := testenv.Git(f.Git.Dir(h.repo), "branch", branch, "main"); err != nil {
					t.Fatalf("%v: %s", err, out)
				}
				if _, err := f.Git.CommitFiles(h.repo, branch, map[string]string{"a.yaml": "a: " + branch + "\n"}, "chore: "+branch); err != nil {
					t.Fatal(err)
				}
				pr, err := fg.Create(ctx, branch, "main", forge.Content{Title: branch})
				if err != nil {
					t.Fatal(err)
				}
				return pr.Number
			}
			read := func(n int) forge.PRStatus {
				t.Helper()
				st, err := r.PullRequest(ctx, n)
				if err != nil {
					t.Fatal(err)
				}
				return st
			}
			for _, method := range []string{"merge", "squash", "rebase"} {
				n := open("deploy-" + method)
				if st := read(n); st.State != forge.PROpen || st.MergeCommit != "" || st.Number != n {
					t.Errorf("%s, open: %+v", method, st)
				}
				tip, err := f.MergeWith(h.repo, n, method)
				if err != nil {
					t.Fatal(err)
				}
				if st := read(n); st.State != forge.PRMerged || st.MergeCommit != tip || tip != f.BranchSHA(h.repo, "main") {
					t.Errorf("%s, merged: %+v, want merge commit %s", method, st, tip)
				}
			}
			n := open("declined")
			if err := f.ClosePR(n); err != nil {
				t.Fatal(err)
			}
			if st := read(n); st.State != forge.PRClosed || st.MergeCommit != "" {
				t.Errorf("closed: %+v", st)
			}
			if _, err := r.PullRequest(ctx, 999); err == nil || !strings.Contains(fmt.Sprint(err), "404") {
				t.Errorf("a missing pull request: %v", err)
			}
			if h.kind == forge.GitHub {
				before := f.PRNotModified()
				read(n)
				if f.PRNotModified() != before+1 {
					t.Errorf("a second read of an unchanged pull request was not conditional")
				}
			}
		})
	}
}
