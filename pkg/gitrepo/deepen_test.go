package gitrepo_test

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/tagbump/tagbump/internal/testenv"
	"github.com/tagbump/tagbump/pkg/gitrepo"
)

// deepHistory writes, under root, the bare repository charts.git: 400
// commits on main in which app/values-prod.yaml changes five times, with
// what makes a deepened history leave objects out of its later pages:
//   - the file goes back to an older content (commit 300 repeats commit
//     20's blob, and with it app's tree);
//   - the tip holds commit 20's blob at another path (values-staging.yaml
//     promoted from it) and commit 20's app tree under copy/;
//   - a branch made from commit 10 and merged at commit 390 changed the
//     file twice: from the tip, the commits up to 10 are a few parents
//     away along it, and come with the first page, while the walk along
//     first parents reaches them after the last.
//
// It returns the commits that changed the file, newest first, and their
// contents. The commit dates are fixed: every run has the same hashes.
func deepHistory(t *testing.T, root string) []string {
	t.Helper()
	dir := filepath.Join(root, "charts.git")
	if _, err := testenv.Git(root, "init", "-q", "--bare", "-b", "main", dir); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	when := 1700000000
	mark := 0
	commit := func(ref, msg string, from, merge int, files map[string]string) int {
		mark++
		when += 60
		fmt.Fprintf(&b, "commit %s\nmark :%d\ncommitter t <t@example.invalid> %d +0000\ndata %d\n%s\n", ref, mark, when, len(msg), msg)
		if from > 0 {
			fmt.Fprintf(&b, "from :%d\n", from)
		}
		if merge > 0 {
			fmt.Fprintf(&b, "merge :%d\n", merge)
		}
		paths := make([]string, 0, len(files))
		for p := range files {
			paths = append(paths, p)
		}
		sort.Strings(paths)
		for _, p := range paths {
			fmt.Fprintf(&b, "M 100644 inline %s\ndata %d\n%s\n", p, len(files[p]), files[p])
		}
		return mark
	}
	tag := func(v string) string { return fmt.Sprintf("image:\n  tag: %q\n", v) }
	seed := seedFiles()
	main := commit("refs/heads/main", "initial", 0, 0, seed)
	side := 0
	changes := []string{tag("0.9.0")}
	for i := 1; i <= 400; i++ {
		files := map[string]string{fmt.Sprintf("c%d/values.yaml", i%7): fmt.Sprintf("n: %d\n", i)}
		merge := 0
		switch i {
		case 20, 300:
			files["app/values-prod.yaml"] = tag("2.0.0")
		case 40:
			files["app/values-prod.yaml"] = tag("2.1.0")
		case 390:
			// Merge the branch made from commit 10, where the file was
			// changed twice; the merge takes the branch's file.
			for _, v := range []string{"2.2.0", "2.3.0"} {
				side = commit("refs/heads/side", "side "+v, side, 0, map[string]string{"app/values-prod.yaml": tag(v)})
			}
			merge = side
			files["app/values-prod.yaml"] = tag("2.3.0")
		case 350:
			files["app/values-staging.yaml"] = tag("2.0.0")
		case 360:
			files["copy/values.yaml"] = seed["app/values.yaml"]
			files["copy/values-staging.yaml"] = seed["app/values-staging.yaml"]
			files["copy/values-prod.yaml"] = tag("2.0.0")
		}
		main = commit("refs/heads/main", fmt.Sprintf("commit %d", i), main, merge, files)
		if i == 10 {
			side = main
		}
		if v, ok := files["app/values-prod.yaml"]; ok {
			changes = append(changes, v)
		}
	}
	b.WriteString("done\n")
	cmd := exec.Command("git", "fast-import", "--quiet", "--done")
	cmd.Dir = dir
	cmd.Stdin = strings.NewReader(b.String())
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git fast-import: %v: %s", err, out)
	}
	if _, err := testenv.Git(dir, "branch", "-D", "side"); err != nil {
		t.Fatal(err)
	}
	slices.Reverse(changes)
	return changes
}

// TestFileHistoryDeepens reads the history of a file from servers that
// cannot filter, over protocol v2 and v0: a shallow fetch deepened in
// three pages, whose later pages leave out what the earlier ones and the
// tip hold. It must find the same changes and contents as a server that
// filters, and the rollback guard's Log must work there too.
func TestFileHistoryDeepens(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	contents := deepHistory(t, root)
	servers := map[string]*testenv.GitServer{
		"filter":    testenv.NewGitServer(t, testenv.WithRoot(root)),
		"nofilter":  testenv.NewGitServer(t, testenv.WithRoot(root), testenv.WithAllowFilter(false)),
		"nofilter0": testenv.NewGitServer(t, testenv.WithRoot(root), testenv.WithAllowFilter(false), testenv.WithProtocolV2(false)),
	}
	var want []string
	for _, name := range []string{"filter", "nofilter", "nofilter0"} {
		t.Run(name, func(t *testing.T) {
			r := open(t, servers[name].URL("charts"))
			snap, err := r.Fetch(ctx, "main")
			if err != nil {
				t.Fatal(err)
			}
			if p := r.Stats().Path; (p == gitrepo.PathFull) != (name != "filter") {
				t.Fatalf("fetch path %v", p)
			}
			before := r.Stats().UploadPacks
			got, err := snap.FileHistory(ctx, "app/values-prod.yaml", 100, 0)
			if err != nil {
				t.Fatal(err)
			}
			var hashes []plumbing.Hash
			for _, c := range got {
				hashes = append(hashes, c.Old, c.New)
			}
			blobs, err := snap.ReadBlobs(ctx, hashes)
			if err != nil {
				t.Fatalf("ReadBlobs: %v", err)
			}
			var sum, news []string
			for _, c := range got {
				subject, _, _ := strings.Cut(c.Commit.Message, "\n")
				sum = append(sum, fmt.Sprintf("%s %s: %q -> %q", c.Commit.Hash, subject, blobs[c.Old], blobs[c.New]))
				news = append(news, string(blobs[c.New]))
			}
			if !slices.Equal(news, contents) {
				t.Errorf("changes:\n%s\nwant contents %q", strings.Join(sum, "\n"), contents)
			}
			if want == nil {
				want = sum
			} else if !slices.Equal(sum, want) {
				t.Errorf("changes differ from the filtering server's:\n%s\nwant\n%s", strings.Join(sum, "\n"), strings.Join(want, "\n"))
			}
			if name != "filter" {
				// 401 commits on the first-parent chain: pages to
				// depths 64, 320 and 832.
				if n := r.Stats().UploadPacks - before; n != 3 {
					t.Errorf("FileHistory made %d requests, want 3", n)
				}
			}
			log, err := snap.Log(ctx, 50)
			if err != nil {
				t.Fatalf("Log: %v", err)
			}
			if len(log) != 50 || log[49].Message != "commit 351" {
				t.Fatalf("Log: %d commits, the last %q", len(log), log[len(log)-1].Message)
			}
		})
	}
}
