package gitrepo

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/tagbump/tagbump/internal/testenv"
)

// BenchmarkPushAdvertisement measures a push with and without the
// receive-pack advertisement over HTTP, behind a proxy adding 50ms to
// every request (a Git host some distance away): requests/op and ns/op
// show what skipping the advertisement saves.
func BenchmarkPushAdvertisement(b *testing.B) {
	for _, advertise := range []bool{true, false} {
		b.Run(fmt.Sprintf("advertise=%v", advertise), func(b *testing.B) {
			s := testenv.NewGitServer(b, testenv.WithAllowFilter(false), testenv.WithConfig("uploadpack.allowFilter", "true"))
			s.MustCreateRepo(b, "charts", testenv.ChartsFiles(50, 1))
			p, err := testenv.StartFaultProxy(s.Addr(), testenv.WithLatency(50*time.Millisecond))
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { p.Close() })
			ctx := context.Background()
			sig := object.Signature{Name: "bench", Email: "bench@example.invalid", When: time.Unix(1700000000, 0)}
			var requests int64
			var pushing time.Duration
			for i := 0; i < b.N; i++ {
				r, err := Open(ctx, p.URL(s.URL("charts")))
				if err != nil {
					b.Fatal(err)
				}
				r.pushAdvertise = advertise
				snap, err := r.Fetch(ctx, "main")
				if err != nil {
					b.Fatal(err)
				}
				c, err := snap.Commit(map[string][]byte{"chart-0001/values-staging.yaml": fmt.Appendf(nil, "image:\n  tag: \"%d\"\n", i)}, "bump", sig, sig)
				if err != nil {
					b.Fatal(err)
				}
				before, start := p.Requests(), time.Now()
				if err := r.Push(ctx, c); err != nil {
					b.Fatal(err)
				}
				pushing += time.Since(start)
				requests += p.Requests() - before
				r.Close()
			}
			b.ReportMetric(float64(requests)/float64(b.N), "push-requests/op")
			b.ReportMetric(float64(pushing.Milliseconds())/float64(b.N), "push-ms/op")
		})
	}
}
