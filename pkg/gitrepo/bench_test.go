package gitrepo_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"

	"github.com/tagbump/tagbump/internal/testenv"
	"github.com/tagbump/tagbump/pkg/gitrepo"
)

// BenchmarkFetchEditPush measures one bump (open, partial fetch, read,
// commit, push) against the local git server. TAGBUMP_BENCH_CHARTS sets the
// number of charts (default 300, three values files each).
func BenchmarkFetchEditPush(b *testing.B) {
	charts := 300
	if v, err := strconv.Atoi(os.Getenv("TAGBUMP_BENCH_CHARTS")); err == nil && v > 0 {
		charts = v
	}
	for _, filter := range []bool{true, false} {
		b.Run(fmt.Sprintf("charts=%d/filter=%v", charts, filter), func(b *testing.B) {
			s := testenv.NewGitServer(b, testenv.WithAllowFilter(filter))
			s.MustCreateRepo(b, "charts", testenv.ChartsFiles(charts, 1))
			ctx := context.Background()
			path := "chart-0007/values-staging.yaml"
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				r, err := gitrepo.Open(ctx, s.URL("charts"))
				if err != nil {
					b.Fatal(err)
				}
				snap, err := r.Fetch(ctx, "main")
				if err != nil {
					b.Fatal(err)
				}
				old, err := snap.ReadFile(ctx, path)
				if err != nil {
					b.Fatal(err)
				}
				tag := fmt.Appendf(nil, "\"chart-0007-%d\"", 1000+i)
				next := append(bytes.SplitN(old, []byte("\n"), 3)[0:1:1], append([]byte("  tag: "), tag...))
				next = append(next, bytes.SplitN(old, []byte("\n"), 3)[2])
				c, err := snap.Commit(map[string][]byte{path: bytes.Join(next, []byte("\n"))}, "chore(staging): bump", sig, sig)
				if err != nil {
					b.Fatal(err)
				}
				if err := r.Push(ctx, c); err != nil {
					b.Fatal(err)
				}
				r.Close()
			}
		})
	}
}
