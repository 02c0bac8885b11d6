package values

import (
	"testing"

	"github.com/tagbump/tagbump/internal/benchdata"
)

// BenchmarkSet10MB sets the last tag of a 10 MB values file built from the
// corpus (the worst case: every byte before it is parsed and verified).
func BenchmarkSet10MB(b *testing.B) {
	src, err := benchdata.Values("../../testdata/corpus", 10<<20)
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
