package gitrepo_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tagbump/tagbump/internal/testenv"
	"github.com/tagbump/tagbump/pkg/gitrepo"
)

// A symlink anywhere on the path of a file the push writes in a local work
// tree is refused before anything is read or written through it: the file
// it leads to, the branch, the index and the link stay as they were.
func TestLocalCloneSymlinkOnPath(t *testing.T) {
	for _, tc := range []struct {
		name string
		link string // the work tree path replaced by a symlink
		to   func(clone, outside string) string
	}{
		{"directory to outside", "app", func(_, outside string) string { return outside }},
		{"file to outside", "app/values-staging.yaml", func(_, outside string) string { return filepath.Join(outside, "values-staging.yaml") }},
		{"directory inside the work tree", "app", func(clone, _ string) string { return "app2" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clone := newClone(t)
			outside := t.TempDir()
			orig, err := os.ReadFile(filepath.Join(clone, "app/values-staging.yaml"))
			if err != nil {
				t.Fatal(err)
			}
			// The link leads to an identical copy, so that the file
			// reads as clean through it.
			for _, dir := range []string{outside, filepath.Join(clone, "app2")} {
				os.MkdirAll(dir, 0o755)
				if err := os.WriteFile(filepath.Join(dir, "values-staging.yaml"), orig, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			r := open(t, clone)
			c := bump(t, r, "app/values-staging.yaml", "1.0.0", "1.0.1")
			if err := os.RemoveAll(filepath.Join(clone, tc.link)); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(tc.to(clone, outside), filepath.Join(clone, tc.link)); err != nil {
				t.Fatal(err)
			}
			tip := testenv.MustGit(t, clone, "rev-parse", "main")
			index := testenv.MustGit(t, clone, "ls-files", "--stage")

			err = r.Push(context.Background(), c)
			if !errors.Is(err, gitrepo.ErrDirty) || !strings.Contains(err.Error(), tc.link+" is a symlink") {
				t.Fatalf("push through a symlink: %v, want ErrDirty naming %s", err, tc.link)
			}
			if got := testenv.MustGit(t, clone, "rev-parse", "main"); got != tip {
				t.Error("the branch moved although the push was refused")
			}
			if got := testenv.MustGit(t, clone, "ls-files", "--stage"); got != index {
				t.Errorf("the index changed:\n%s\nwant\n%s", got, index)
			}
			for _, dir := range []string{outside, filepath.Join(clone, "app2")} {
				if b, _ := os.ReadFile(filepath.Join(dir, "values-staging.yaml")); string(b) != string(orig) {
					t.Errorf("%s written through the symlink: %q", dir, b)
				}
			}
			if fi, err := os.Lstat(filepath.Join(clone, tc.link)); err != nil || fi.Mode()&os.ModeSymlink == 0 {
				t.Errorf("the symlink %s is gone: %v", tc.link, err)
			}
		})
	}
}
