package bump

import (
	"context"
	"testing"

	"github.com/tagbump/tagbump/internal/testenv"
	"github.com/tagbump/tagbump/pkg/gitrepo"
)

// TestRequestFetch: a bump asks for its files and the guard's history
// while the tip's trees are being read (one early request); with
// --allow-rolled-back it reads no history, and a rollback's or promote's
// planner, which reads other files, fetches as usual.
func TestRequestFetch(t *testing.T) {
	s := testenv.NewGitServer(t)
	s.MustCreateRepo(t, "charts", map[string]string{
		"app/values.yaml":         "image:\n  repository: registry.example.com/app\n  tag: \"1.0.0\"\n",
		"app/values-staging.yaml": "image:\n  tag: \"1.0.0\"\n",
	})
	if _, err := s.CommitFiles("charts", "main", map[string]string{"README.md": "charts\n"}, "readme"); err != nil {
		t.Fatal(err)
	}
	// The trees' pack holds the tip, its tree and app's: 3 objects; the
	// early request the 2 files and, for the guard, the 2 commits.
	for _, tc := range []struct {
		name                  string
		req                   Request
		early, blobs, objects int
	}{
		{"bump", Request{Chart: "app", Envs: []string{"staging"}}, 1, 2, 3 + 4},
		{"allow rolled back", Request{Chart: "app", Envs: []string{"staging"}, AllowRolledBack: true}, 1, 2, 3 + 2},
		{"planner", Request{Chart: "app", Envs: []string{"staging"}, planner: func(context.Context, *gitrepo.Snapshot, *Request) (*planned, error) { return nil, nil }}, 0, 0, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			repo, err := gitrepo.Open(context.Background(), s.URL("charts"))
			if err != nil {
				t.Fatal(err)
			}
			defer repo.Close()
			if _, err := tc.req.fetch(context.Background(), repo, "main"); err != nil {
				t.Fatal(err)
			}
			if st := repo.Stats(); st.EarlyFetches != tc.early || st.BlobsFetched != tc.blobs || st.ObjectsFetched != tc.objects {
				t.Errorf("stats %+v: want %d early fetches, %d blobs, %d objects", st, tc.early, tc.blobs, tc.objects)
			}
		})
	}
}
