package gitrepo_test

import (
	"context"
	"errors"
	"io/fs"
	"testing"

	"github.com/tagbump/tagbump/internal/testenv"
)

// TestPrefetch reads an environment's file and the chart's values.yaml
// with one blob request, on the partial path and on the fallback.
func TestPrefetch(t *testing.T) {
	for _, filter := range []bool{true, false} {
		name := map[bool]string{true: "partial", false: "fallback"}[filter]
		t.Run(name, func(t *testing.T) {
			s := testenv.NewGitServer(t, testenv.WithAllowFilter(filter))
			s.MustCreateRepo(t, "charts", seedFiles())
			r := open(t, s.URL("charts"))
			ctx := context.Background()
			snap, err := r.Fetch(ctx, "main")
			if err != nil {
				t.Fatal(err)
			}
			// Missing files and directories are skipped, not errors.
			if err := snap.Prefetch(ctx, "api/values-staging.yaml", "api/values.yaml", "api/values.yaml", "nope/values.yaml", "api"); err != nil {
				t.Fatal(err)
			}
			before := r.Stats()
			if filter && (before.UploadPacks != 2 || before.BlobsFetched != 2) {
				t.Fatalf("stats after Prefetch %+v: want 2 upload-packs (tip, blobs) and 2 blobs", before)
			}
			for _, p := range []string{"api/values-staging.yaml", "api/values.yaml"} {
				if _, err := snap.ReadFile(ctx, p); err != nil {
					t.Fatalf("ReadFile(%s): %v", p, err)
				}
			}
			if after := r.Stats(); after != before {
				t.Fatalf("ReadFile after Prefetch sent requests: %+v, before %+v", after, before)
			}
			if _, err := snap.ReadFile(ctx, "nope/values.yaml"); !errors.Is(err, fs.ErrNotExist) {
				t.Fatalf("ReadFile(missing) = %v", err)
			}
		})
	}
}
