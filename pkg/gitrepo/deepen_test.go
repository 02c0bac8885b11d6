package gitrepo_test

import (
	"context"
	"fmt"
	"maps"
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
	fastImport(t, dir, b.String(), "branch", "-D", "side")
	slices.Reverse(changes)
	return changes
}

// checkChanges reads the blobs of the changes got and fails t unless the
// new contents are contents, and the changes are want's (unless want is
// nil, the first server's); it returns the changes, summed up.
func checkChanges(t *testing.T, snap *gitrepo.Snapshot, got []gitrepo.FileCommit, contents, want []string) []string {
	t.Helper()
	var hashes []plumbing.Hash
	for _, c := range got {
		hashes = append(hashes, c.Old, c.New)
	}
	blobs, err := snap.ReadBlobs(context.Background(), hashes)
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
	if want != nil && !slices.Equal(sum, want) {
		t.Errorf("changes differ from the filtering server's:\n%s\nwant\n%s", strings.Join(sum, "\n"), strings.Join(want, "\n"))
	}
	return sum
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
			want = checkChanges(t, snap, got, contents, want)
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

// fastImport imports stream into the repository dir with git fast-import,
// then runs git with args there.
func fastImport(t *testing.T, dir, stream string, args ...string) {
	t.Helper()
	cmd := exec.Command("git", "fast-import", "--quiet", "--done")
	cmd.Dir = dir
	cmd.Stdin = strings.NewReader(stream + "done\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git fast-import: %v: %s", err, out)
	}
	if _, err := testenv.Git(dir, args...); err != nil {
		t.Fatal(err)
	}
}

// longHistory writes, under root, the bare repository charts.git: n
// commits on main, each changing one of 50 charts' values files, and
// app/values-prod.yaml changed only by commits 5 and 10 (then its newest
// content, newest first, as deepHistory returns them).
func longHistory(t *testing.T, root string, n int) []string {
	t.Helper()
	dir := filepath.Join(root, "charts.git")
	if _, err := testenv.Git(root, "init", "-q", "--bare", "-b", "main", dir); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	tag := func(v string) string { return fmt.Sprintf("image:\n  tag: %q\n", v) }
	var changes []string
	for i := 0; i <= n; i++ {
		fmt.Fprintf(&b, "commit refs/heads/main\nmark :%d\ncommitter t <t@example.invalid> %d +0000\ndata 10\ncommit %03d\n", i+1, 1700000000+60*i, i%1000)
		if i > 0 {
			fmt.Fprintf(&b, "from :%d\n", i)
		}
		files := map[string]string{fmt.Sprintf("c%02d/values.yaml", i%50): fmt.Sprintf("n: %d\n", i)}
		switch i {
		case 0:
			files["app/values.yaml"] = "image:\n  repository: r\n"
			files["app/values-prod.yaml"] = tag("1.0.0")
		case 5:
			files["app/values-prod.yaml"] = tag("1.1.0")
		case 10:
			files["app/values-prod.yaml"] = tag("1.2.0")
		}
		for _, p := range slices.Sorted(maps.Keys(files)) {
			fmt.Fprintf(&b, "M 100644 inline %s\ndata %d\n%s\n", p, len(files[p]), files[p])
		}
		if v, ok := files["app/values-prod.yaml"]; ok {
			changes = append(changes, v)
		}
	}
	// A packed repository, as a server's is: the whole history then
	// comes with deltas, trees on trees.
	fastImport(t, dir, b.String(), "repack", "-adq")
	slices.Reverse(changes)
	return changes
}

// TestFileHistoryWhole reads a long history of a file that changed only
// near the root: after the first pages FileHistory fetches the rest in one
// request (the whole history, to disk), where pages would take one each
// up to the root, from servers that filter and from servers that cannot
// (protocol v2 and v0). All find the same changes.
func TestFileHistoryWhole(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	contents := longHistory(t, root, 3000)
	servers := []struct {
		name string
		srv  *testenv.GitServer
		// requests: pages of 64 commits (and 256 without a filter),
		// then the whole; pages alone take 8 (4 deepened).
		requests int
	}{
		{"filter", testenv.NewGitServer(t, testenv.WithRoot(root)), 2},
		{"nofilter", testenv.NewGitServer(t, testenv.WithRoot(root), testenv.WithAllowFilter(false)), 3},
		{"nofilter0", testenv.NewGitServer(t, testenv.WithRoot(root), testenv.WithAllowFilter(false), testenv.WithProtocolV2(false)), 3},
	}
	var want []string
	for _, s := range servers {
		t.Run(s.name, func(t *testing.T) {
			r := open(t, s.srv.URL("charts"))
			snap, err := r.Fetch(ctx, "main")
			if err != nil {
				t.Fatal(err)
			}
			before := r.Stats().UploadPacks
			got, err := snap.FileHistory(ctx, "app/values-prod.yaml", 10, 0)
			if err != nil {
				t.Fatal(err)
			}
			if n := r.Stats().UploadPacks - before; n != s.requests {
				t.Errorf("FileHistory made %d requests, want %d", n, s.requests)
			}
			want = checkChanges(t, snap, got, contents, want)
			// Within max, no whole history: pages only, as before.
			before = r.Stats().UploadPacks
			if got, err := snap.FileHistory(ctx, "app/values-prod.yaml", 10, 600); err != nil || len(got) != 0 {
				t.Fatalf("within 600 commits: %d changes, %v", len(got), err)
			}
			if n := r.Stats().UploadPacks - before; n < 2 {
				t.Errorf("FileHistory within 600 commits made %d requests", n)
			}
		})
	}
}
