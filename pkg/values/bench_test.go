package values

import (
	"testing"

	"github.com/tagbump/tagbump/internal/benchdata"
)

// BenchmarkSet2MB sets the last tag of a values file built from the corpus,
// just under the default size cap (the worst real-shaped case: every byte
// before it is parsed and verified).
func BenchmarkSet2MB(b *testing.B) {
	src, err := benchdata.Values("../../testdata/corpus", maxFileSize-64<<10)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(src)))
	b.ResetTimer()
	for b.Loop() {
		out, err := Set(src, benchdata.TagPath, "v2.0.0")
		if err != nil || len(out) != len(src) {
			b.Fatalf("Set: %v", err)
		}
	}
}

// BenchmarkHostile sets the tag at the end of the largest file of each
// hostile shape that the limits let through (at most the default size cap
// and MaxNodes nodes): the worst inputs tagbump parses rather than refuses.
// Run with -benchmem; scripts/bench-memory measures whole processes.
func BenchmarkHostile(b *testing.B) {
	for _, shape := range benchdata.HostileShapes {
		b.Run(shape, func(b *testing.B) {
			lo, hi := 1024, maxFileSize-1024
			for lo < hi {
				mid := (lo + hi + 1) / 2
				src, err := benchdata.Hostile(shape, mid)
				if err != nil {
					b.Fatal(err)
				}
				if CountNodes(src) <= MaxNodes {
					lo = mid
				} else {
					hi = mid - 1
				}
			}
			src, err := benchdata.Hostile(shape, lo)
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(src)))
			b.ResetTimer()
			for b.Loop() {
				if _, err := Set(src, benchdata.TagPath, "v2.0.0"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
