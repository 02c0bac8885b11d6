package bump_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/tagbump/tagbump/internal/testenv"
	"github.com/tagbump/tagbump/pkg/bump"
	"github.com/tagbump/tagbump/pkg/gitrepo"
	"github.com/tagbump/tagbump/pkg/imageref"
)

// benchRepo serves a copy of the bare repository TAGBUMP_BENCH_REPO (e.g.
// one scripts/genrepo wrote into .cache/bench: 2000 charts, 20,000
// commits); without it, a generated one of 200 charts and 2 commits.
func benchRepo(b *testing.B) *testenv.GitServer {
	b.Helper()
	src := os.Getenv("TAGBUMP_BENCH_REPO")
	if src == "" {
		s := testenv.NewGitServer(b)
		s.MustCreateRepo(b, "charts", testenv.ChartsFiles(200, 1))
		return s
	}
	root := b.TempDir()
	if out, err := exec.Command("cp", "-al", src, filepath.Join(root, "charts.git")).CombinedOutput(); err != nil {
		b.Fatalf("copy %s: %v: %s", src, err, out)
	}
	return testenv.NewGitServer(b, testenv.WithRoot(root), testenv.WithConfig("gc.auto", "0"), testenv.WithConfig("receive.autogc", "false"))
}

// BenchmarkHistory reads the newest 50 deployments of one chart's prod
// values file and reports the HTTP requests one read makes.
func BenchmarkHistory(b *testing.B) {
	s := benchRepo(b)
	ctx := context.Background()
	before := s.Requests()
	var found int
	for i := 0; i < b.N; i++ {
		res, err := bump.History(ctx, bump.HistoryRequest{Repo: s.URL("charts"), Branch: "main", Chart: "chart-0007", Env: "prod", Limit: 50})
		if err != nil {
			b.Fatal(err)
		}
		found = len(res.Deployments)
	}
	b.ReportMetric(float64(s.Requests()-before)/float64(b.N), "http-requests/op")
	b.ReportMetric(float64(found), "deployments")
}

// BenchmarkBumpGuard measures a bump with the rollback guard (reading the
// last 50 commits) and without it (AllowRolledBack), alternating on the
// same repository so that load on the machine hits both alike; each bump
// pushes a new tag. It reports each one's mean time and HTTP requests.
func BenchmarkBumpGuard(b *testing.B) {
	s := benchRepo(b)
	ctx := context.Background()
	sig := object.Signature{Name: "bench", Email: "bench@example.com"}
	bumpWith := func(guard bool) func(n int) {
		return func(n int) {
			_, err := bump.Run(ctx, bump.Request{
				Repo: s.URL("charts"), Branch: "main", Chart: "chart-0007", Envs: []string{"prod"},
				Image: imageref.Ref{Registry: "registry.example.com", Repository: "chart-0007", Tag: fmt.Sprintf("9.0.%d", n)},
				Keys:  []string{".image.tag"}, AllowRolledBack: !guard, Author: sig, Committer: sig,
			}, bump.WithGitOptions(gitrepo.WithTimeout(0)))
			if err != nil {
				b.Fatal(err)
			}
		}
	}
	alternate(b, s, [2]string{"guard", "noguard"}, bumpWith(true), bumpWith(false))
}

// alternate runs first and second b.N times each, alternating which goes
// first so that load on the machine hits both alike, each with a number
// no other run had (for a new tag), and reports each one's mean time and
// HTTP requests as ms-NAME/op and http-NAME/op, and the ratio of their
// times (second over first).
func alternate(b *testing.B, s *testenv.GitServer, names [2]string, first, second func(n int)) {
	b.Helper()
	runs := [2]func(int){first, second}
	var spent [2]time.Duration
	var requests [2]int64
	n := 0
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		order := []int{0, 1}
		if i%2 == 1 {
			order = []int{1, 0}
		}
		for _, j := range order {
			n++
			before, start := s.Requests(), time.Now()
			runs[j](n)
			spent[j] += time.Since(start)
			requests[j] += s.Requests() - before
		}
	}
	for j, name := range names {
		b.ReportMetric(float64(spent[j].Milliseconds())/float64(b.N), "ms-"+name+"/op")
		b.ReportMetric(float64(requests[j])/float64(b.N), "http-"+name+"/op")
	}
	b.ReportMetric(float64(spent[1])/float64(spent[0]), "time-ratio")
}
