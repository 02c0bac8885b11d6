package gitrepo_test

import (
	"context"
	"errors"
	"testing"

	"github.com/tagbump/tagbump/internal/testenv"
	"github.com/tagbump/tagbump/pkg/gitrepo"
)

// TestCheck: what Check tells of each kind of server is what a bump then
// meets: the fetch takes the path Check named, and push access is told
// apart from its absence, without a push.
func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		name     string
		opts     []testenv.GitServerOption
		v2       bool
		filter   bool
		path     string
		readOnly bool
		wantPush error
	}{
		{"allowFilter only", allowFilterOnly, true, true, gitrepo.PathV2, false, nil},
		{"git's defaults", []testenv.GitServerOption{testenv.WithAllowFilter(false)}, true, false, gitrepo.PathFull, false, nil},
		{"v0 with want by id", []testenv.GitServerOption{testenv.WithProtocolV2(false)}, false, true, gitrepo.PathV0, false, nil},
		{"read-only user", nil, true, true, gitrepo.PathV2, true, gitrepo.ErrAuth},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := append(tc.opts, testenv.WithBasicAuth("ci", "s3cret"), testenv.WithReadOnlyUser("ro", "r3ad"))
			s := testenv.NewGitServer(t, opts...)
			dir := s.MustCreateRepo(t, "charts", seedFiles())
			user, pass := "ci", "s3cret"
			if tc.readOnly {
				user, pass = "ro", "r3ad"
			}
			ctx := context.Background()
			r := open(t, s.URL("charts"), gitrepo.WithHTTPAuth(user, pass))
			before := testenv.MustGit(t, dir, "rev-parse", "main")
			info, err := r.Check(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if info.ProtocolV2 != tc.v2 || info.Filter != tc.filter || info.DefaultBranch != "main" || info.Path() != tc.path {
				t.Errorf("Check = %+v, path %s; want v2 %v, filter %v, main, path %s", info, info.Path(), tc.v2, tc.filter, tc.path)
			}
			switch {
			case tc.wantPush == nil && info.Push != nil:
				t.Errorf("push access: %v, want none", info.Push)
			case tc.wantPush != nil && !errors.Is(info.Push, tc.wantPush):
				t.Errorf("push access error %v, want %v", info.Push, tc.wantPush)
			}
			if got := testenv.MustGit(t, dir, "rev-parse", "main"); got != before {
				t.Errorf("Check moved main to %s", got)
			}
			f := open(t, s.URL("charts"), gitrepo.WithHTTPAuth(user, pass))
			if _, err := f.Fetch(ctx, "main"); err != nil {
				t.Fatal(err)
			}
			if got := f.Stats().Path; got != info.Path() {
				t.Errorf("a fetch took path %s, Check said %s", got, info.Path())
			}
		})
	}
}
