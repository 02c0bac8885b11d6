package target_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tagbump/tagbump/pkg/target"
)

// manyApplications is a file of n Applications, each setting its image in
// helm.values text.
func manyApplications(n int) []byte {
	var b strings.Builder
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString("---\n")
		}
		fmt.Fprintf(&b, "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: web-%d\nspec:\n  source:\n    helm:\n"+
			"      values: |\n        image:\n          repository: r.example.com/web\n          tag: 1.0.%d\n", i, i)
	}
	return []byte(b.String())
}

// TestFileApplicationImagesScales (review of hist24): history and
// rollback --app now read Applications past a file's first document, and
// call FileApplicationImages (and ApplicationKeyBlock, which calls it
// again) for both sides of every commit. It parses the whole file once
// per Application (ApplicationImages, values.Embedded), so a file of N
// Applications costs N² document parses per version: with 300
// Applications, history --app over 3 commits took 37s and rollback 46s.
// Ten times the Applications must cost about ten times as much, not a
// hundred.
func TestFileApplicationImagesScales(t *testing.T) {
	cost := func(n int) time.Duration {
		src := manyApplications(n)
		best := time.Duration(1 << 62)
		for range 3 {
			start := time.Now()
			if got := len(target.FileApplicationImages(src)); got != n {
				t.Fatalf("%d Applications: %d blocks", n, got)
			}
			best = min(best, time.Since(start))
		}
		return best
	}
	small, large := cost(30), cost(300)
	if ratio := float64(large) / float64(small); ratio > 35 {
		t.Errorf("FileApplicationImages: 30 Applications %v, 300 Applications %v (×%.0f): quadratic in the file's Applications", small, large, ratio)
	}
}
