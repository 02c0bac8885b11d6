package bump_test

import (
	"context"
	"testing"

	"github.com/tagbump/tagbump/internal/testenv"
	"github.com/tagbump/tagbump/pkg/bump"
	"github.com/tagbump/tagbump/pkg/imageref"
)

// TestDefaultsInTheSameFetch: reading the chart's values.yaml for Helm's
// merge costs no request of its own: the bump of two environments sends as
// many requests with values.yaml as without it, and finds the block by the
// repository values.yaml names.
func TestDefaultsInTheSameFetch(t *testing.T) {
	staging, prod := "image:\n  tag: \"1.0.0\" # staging\n", "image:\n  tag: \"1.0.0\" # prod\n"
	requests := func(files map[string]string) (int64, *bump.Result) {
		s := testenv.NewGitServer(t)
		s.MustCreateRepo(t, "charts", files)
		before := s.Requests()
		res, err := bump.Run(context.Background(), bump.Request{
			Repo: s.URL("charts"), Branch: "main", Chart: "app", Envs: []string{"staging", "prod"}, DryRun: true,
			Image: imageref.Ref{Registry: "registry.example.com", Repository: "team/app", Tag: "1.1.0"},
		})
		if err != nil {
			t.Fatal(err)
		}
		return s.Requests() - before, res
	}
	without, _ := requests(map[string]string{"app/values-staging.yaml": staging, "app/values-prod.yaml": prod})
	with, res := requests(map[string]string{"app/values-staging.yaml": staging, "app/values-prod.yaml": prod,
		"app/values.yaml": "image:\n  repository: registry.example.com/team/app\n  tag: \"0.9.0\"\n"})
	if with != without {
		t.Errorf("%d requests with values.yaml, %d without: want the same", with, without)
	}
	if res.Outcome != bump.Changed || len(res.Files) != 2 || res.Files[0].Key != ".image.tag" {
		t.Errorf("result %+v", res)
	}
	t.Logf("%d requests for a two-environment dry run", with)
}

// TestBumpRequests pins the HTTP requests of a whole bump on a protocol v2
// server with the filter only: capabilities, ls-refs, the trees, the files
// with the rollback guard's history (one request), the push. The guard's
// history used to cost a v0 advertisement of its own.
func TestBumpRequests(t *testing.T) {
	s := testenv.NewGitServer(t, testenv.WithAllowFilter(false), testenv.WithConfig("uploadpack.allowFilter", "true"))
	s.MustCreateRepo(t, "charts", map[string]string{
		"app/values.yaml":         "image:\n  repository: registry.example.com/team/app\n  tag: \"0.9.0\"\n",
		"app/values-staging.yaml": "image:\n  tag: \"1.0.0\"\n",
	})
	before, v2 := s.Requests(), s.V2Requests()
	r := req(s.URL("charts"), "1.1.0")
	r.Branch, r.Image.Repository = "main", "team/app"
	res, err := bump.Run(context.Background(), r)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Pushed || len(res.Warnings) != 0 {
		t.Fatalf("result %+v: want pushed, with the rollback guard on", res)
	}
	// the push is the one request without the v2 header
	if n, nv2 := s.Requests()-before, s.V2Requests()-v2; n != 5 || nv2 != 4 {
		t.Errorf("%d HTTP requests (%d in v2), want 5 (4)", n, nv2)
	}
}

// TestBumpRequestsHumanCommit pins what the rollback guard costs when the
// last 50 commits hold one that is not tagbump's (a README edit): the
// values files' history over those commits, for every environment in one
// walk (one request), and the versions of them the bump has not read yet
// (one more, none here: they are the tip's); however many environments the
// bump changes.
func TestBumpRequestsHumanCommit(t *testing.T) {
	for _, envs := range [][]string{{"staging"}, {"dev", "staging", "prod"}} {
		s := testenv.NewGitServer(t, testenv.WithAllowFilter(false), testenv.WithConfig("uploadpack.allowFilter", "true"))
		s.MustCreateRepo(t, "charts", map[string]string{
			"app/values.yaml":         "image:\n  repository: registry.example.com/team/app\n  tag: \"0.9.0\"\n",
			"app/values-dev.yaml":     "image:\n  tag: \"1.0.0\"\n",
			"app/values-staging.yaml": "image:\n  tag: \"1.0.0\"\n",
			"app/values-prod.yaml":    "image:\n  tag: \"1.0.0\"\n",
		})
		if _, err := s.CommitFiles("charts", "main", map[string]string{"README.md": "charts\n"}, "docs: readme"); err != nil {
			t.Fatal(err)
		}
		before := s.Requests()
		r := req(s.URL("charts"), "1.1.0")
		r.Branch, r.Image.Repository, r.Envs = "main", "team/app", envs
		res, err := bump.Run(context.Background(), r)
		if err != nil {
			t.Fatal(err)
		}
		if !res.Pushed || len(res.Warnings) != 0 {
			t.Fatalf("result %+v: want pushed, with the rollback guard on", res)
		}
		if n := s.Requests() - before; n != 6 {
			t.Errorf("%d environments: %d HTTP requests, want 6", len(envs), n)
		}
	}
}
