package gitrepo_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/tagbump/tagbump/internal/testenv"
	"github.com/tagbump/tagbump/pkg/gitrepo"
)

var sig = object.Signature{Name: "tagbump", Email: "tagbump@example.invalid", When: time.Unix(1700000000, 0).UTC()}

func seedFiles() map[string]string {
	files := map[string]string{"README.md": "charts\n"}
	for _, c := range []string{"app", "api", "web"} {
		files[c+"/values.yaml"] = "image:\n  repository: registry.example.com/" + c + "\n  tag: \"1.0.0\"\n"
		files[c+"/values-staging.yaml"] = "image:\n  tag: \"1.0.0\" # staging\n"
		files[c+"/values-prod.yaml"] = "image:\n  tag: \"0.9.0\"\n"
	}
	return files
}

func open(t *testing.T, url string, opts ...gitrepo.Option) *gitrepo.Repo {
	t.Helper()
	r, err := gitrepo.Open(context.Background(), url, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// bump fetches main, rewrites path and returns the commit.
func bump(t *testing.T, r *gitrepo.Repo, path, from, to string) *gitrepo.Commit {
	t.Helper()
	ctx := context.Background()
	snap, err := r.Fetch(ctx, "main")
	if err != nil {
		t.Fatal(err)
	}
	b, err := snap.ReadFile(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte(from)) {
		t.Fatalf("%s = %q, want it to contain %q", path, b, from)
	}
	c, err := snap.Commit(map[string][]byte{path: bytes.Replace(b, []byte(from), []byte(to), 1)}, "chore: bump "+path, sig, sig)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestRoundTrip(t *testing.T) {
	for _, filter := range []bool{true, false} {
		name := map[bool]string{true: "partial", false: "fallback"}[filter]
		t.Run(name, func(t *testing.T) {
			var logs bytes.Buffer
			s := testenv.NewGitServer(t, testenv.WithBasicAuth("bot", "tok3n"), testenv.WithAllowFilter(filter))
			dir := s.MustCreateRepo(t, "charts", seedFiles())
			r := open(t, s.URL("charts"), gitrepo.WithHTTPAuth("bot", "tok3n"),
				gitrepo.WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
			ctx := context.Background()
			if b, err := r.DefaultBranch(ctx); err != nil || b != "main" {
				t.Fatalf("DefaultBranch = %q, %v", b, err)
			}
			before := testenv.MustGit(t, dir, "rev-parse", "main")
			c := bump(t, r, "api/values-staging.yaml", `"1.0.0"`, `"1.1.0"`)
			if c.Parent.String() != before {
				t.Fatalf("parent %s, server tip %s", c.Parent, before)
			}
			if err := r.Push(ctx, c); err != nil {
				t.Fatal(err)
			}
			if got := testenv.MustGit(t, dir, "rev-parse", "main"); got != c.Hash.String() {
				t.Fatalf("server main = %s, want %s", got, c.Hash)
			}
			if got := testenv.MustGit(t, dir, "rev-list", "--parents", "-n1", "main"); got != c.Hash.String()+" "+before {
				t.Fatalf("not a linear child: %q", got)
			}
			if got := testenv.MustGit(t, dir, "diff", "--name-only", before, "main"); got != "api/values-staging.yaml" {
				t.Fatalf("changed files %q", got)
			}
			if got := testenv.MustGit(t, dir, "show", "main:api/values-staging.yaml"); got != "image:\n  tag: \"1.1.0\" # staging" {
				t.Fatalf("new content %q", got)
			}
			testenv.MustGit(t, dir, "fsck", "--strict")
			st := r.Stats()
			if filter {
				if st.Fallbacks != 0 || st.BlobsFetched != 1 || st.UploadPacks != 2 {
					t.Fatalf("partial path stats %+v: want 2 upload-packs, 1 blob, no fallback", st)
				}
				// commit + root tree + 3 chart trees (the seed has 13 files)
				if st.ObjectsFetched != 1+1+3+1 {
					t.Fatalf("fetched %d objects, want 6 (commit, 4 trees, 1 blob)", st.ObjectsFetched)
				}
			} else if st.Fallbacks != 1 || !strings.Contains(logs.String(), "falling back") {
				t.Fatalf("fallback stats %+v, logs %q", st, logs.String())
			}
			if st.ObjectsPushed != 4 || st.ReceivePacks != 1 {
				t.Fatalf("pushed %+v, want 4 objects (blob, 2 trees, commit) in 1 receive-pack", st)
			}
			// a second bump on the new tip works too
			c2 := bump(t, r, "web/values-prod.yaml", `"0.9.0"`, `"1.0.0"`)
			if err := r.Push(ctx, c2); err != nil {
				t.Fatal(err)
			}
			if c2.Parent != c.Hash {
				t.Fatalf("second commit's parent %s, want %s", c2.Parent, c.Hash)
			}
		})
	}
}

func TestRaceTwoSnapshots(t *testing.T) {
	s := testenv.NewGitServer(t)
	s.MustCreateRepo(t, "charts", seedFiles())
	r1, r2 := open(t, s.URL("charts")), open(t, s.URL("charts"))
	c1 := bump(t, r1, "app/values-staging.yaml", "1.0.0", "2.0.0")
	c2 := bump(t, r2, "api/values-staging.yaml", "1.0.0", "3.0.0")
	if err := r1.Push(context.Background(), c1); err != nil {
		t.Fatal(err)
	}
	err := r2.Push(context.Background(), c2)
	if !errors.Is(err, gitrepo.ErrRace) {
		t.Fatalf("second push: %v, want ErrRace", err)
	}
	// the retry the caller does: fetch again, redo, push
	c3 := bump(t, r2, "api/values-staging.yaml", "1.0.0", "3.0.0")
	if err := r2.Push(context.Background(), c3); err != nil {
		t.Fatal(err)
	}
	if got := testenv.MustGit(t, s.Dir("charts"), "rev-list", "--count", "main"); got != "3" {
		t.Fatalf("%s commits, want 3", got)
	}
}

// A pre-receive hook that moves the branch once: the advertisement matched
// but the server's compare-and-swap fails.
func TestRaceServerCAS(t *testing.T) {
	s := testenv.NewGitServer(t)
	dir := s.MustCreateRepo(t, "charts", seedFiles())
	other, err := s.CommitFiles("charts", "main", map[string]string{"other": "x\n"}, "other")
	if err != nil {
		t.Fatal(err)
	}
	testenv.MustGit(t, dir, "update-ref", "refs/heads/main", "main~1")
	script := "#!/bin/sh\nunset GIT_QUARANTINE_PATH\nif [ ! -e \"$GIT_DIR/moved\" ]; then touch \"$GIT_DIR/moved\"; git update-ref refs/heads/main " + other + "; fi\n"
	if err := s.SetHook("charts", "pre-receive", script); err != nil {
		t.Fatal(err)
	}
	r := open(t, s.URL("charts"))
	c := bump(t, r, "app/values-prod.yaml", "0.9.0", "1.0.0")
	err = r.Push(context.Background(), c)
	if !errors.Is(err, gitrepo.ErrRace) {
		t.Fatalf("push: %v, want ErrRace", err)
	}
	if !strings.Contains(err.Error(), "failed to update ref") && !strings.Contains(err.Error(), "cannot lock ref") {
		t.Fatalf("push: %v: want the server's compare-and-swap failure", err)
	}
	t.Log(err)
	var rej *gitrepo.RejectedError
	if errors.As(err, &rej) {
		t.Fatalf("a race must not be a RejectedError: %v", err)
	}
	c = bump(t, r, "app/values-prod.yaml", "0.9.0", "1.0.0")
	if err := r.Push(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	if got := testenv.MustGit(t, dir, "rev-parse", "main~1"); got != other {
		t.Fatalf("main~1 = %s, want the hook's commit %s", got, other)
	}
}

func TestRejectedByHook(t *testing.T) {
	s := testenv.NewGitServer(t)
	s.MustCreateRepo(t, "charts", seedFiles())
	if err := s.SetHook("charts", "pre-receive", "#!/bin/sh\necho 'main is protected: open a pull request' >&2\nexit 1\n"); err != nil {
		t.Fatal(err)
	}
	r := open(t, s.URL("charts"))
	err := r.Push(context.Background(), bump(t, r, "app/values-prod.yaml", "0.9.0", "1.0.0"))
	var rej *gitrepo.RejectedError
	if !errors.As(err, &rej) || errors.Is(err, gitrepo.ErrRace) {
		t.Fatalf("push: %v, want a RejectedError", err)
	}
	if rej.Ref != "refs/heads/main" || !strings.Contains(rej.Reason, "pre-receive hook declined") || !strings.Contains(rej.Reason, "main is protected: open a pull request") {
		t.Fatalf("rejection %+v", rej)
	}
}

func TestAuthAndNotFound(t *testing.T) {
	s := testenv.NewGitServer(t, testenv.WithBasicAuth("bot", "right"), testenv.WithReadOnlyUser("reader", "ro"))
	s.MustCreateRepo(t, "charts", seedFiles())
	ctx := context.Background()

	_, err := open(t, s.URL("charts"), gitrepo.WithHTTPAuth("bot", "wrong-token")).Fetch(ctx, "main")
	if !errors.Is(err, gitrepo.ErrAuth) || strings.Contains(err.Error(), "wrong-token") {
		t.Fatalf("wrong password: %v", err)
	}
	_, err = open(t, s.URL("charts")).Fetch(ctx, "main")
	if !errors.Is(err, gitrepo.ErrAuth) {
		t.Fatalf("no credentials: %v", err)
	}
	ro := open(t, s.URL("charts"), gitrepo.WithHTTPAuth("reader", "ro"))
	err = ro.Push(ctx, bump(t, ro, "app/values-prod.yaml", "0.9.0", "1.0.0"))
	if !errors.Is(err, gitrepo.ErrAuth) {
		t.Fatalf("read-only push: %v", err)
	}

	good := gitrepo.WithHTTPAuth("bot", "right")
	if _, err := open(t, s.URL("nope"), good).Fetch(ctx, "main"); !errors.Is(err, gitrepo.ErrNotFound) {
		t.Fatalf("unknown repo: %v", err)
	}
	if _, err := open(t, s.URL("charts"), good).Fetch(ctx, "develop"); !errors.Is(err, gitrepo.ErrNotFound) || !strings.Contains(err.Error(), "develop") {
		t.Fatalf("unknown branch: %v", err)
	}
	snap, err := open(t, s.URL("charts"), good).Fetch(ctx, "main")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := snap.ReadFile(ctx, "app/values-dev.yaml"); !errors.Is(err, gitrepo.ErrNotFound) || !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("missing file: %v", err)
	}
	if _, err := snap.ReadFile(ctx, "app"); !errors.Is(err, gitrepo.ErrNotRegular) {
		t.Fatalf("directory: %v", err)
	}
	if _, err := snap.ReadFile(ctx, "../etc/passwd"); err == nil {
		t.Fatal("a path with .. was accepted")
	}
}

func TestNetworkError(t *testing.T) {
	s := testenv.NewGitServer(t)
	url := s.URL("charts")
	s.Close()
	_, err := open(t, url, gitrepo.WithTimeout(5*time.Second)).Fetch(context.Background(), "main")
	if !errors.Is(err, gitrepo.ErrNetwork) {
		t.Fatalf("closed server: %v", err)
	}
}

func TestSymlinkSubmoduleAndSize(t *testing.T) {
	s := testenv.NewGitServer(t)
	files := seedFiles()
	files["link.yaml"] = "app/values.yaml"
	s.MustCreateRepo(t, "charts", files, testenv.WithMode("link.yaml", "120000"))
	ctx := context.Background()
	snap, err := open(t, s.URL("charts")).Fetch(ctx, "main")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := snap.ReadFile(ctx, "link.yaml"); !errors.Is(err, gitrepo.ErrNotRegular) {
		t.Fatalf("symlink: %v", err)
	}
	if _, err := snap.Commit(map[string][]byte{"link.yaml": []byte("x")}, "m", sig, sig); !errors.Is(err, gitrepo.ErrNotRegular) {
		t.Fatalf("commit over a symlink: %v", err)
	}
	small, err := open(t, s.URL("charts"), gitrepo.WithMaxFileSize(10)).Fetch(ctx, "main")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := small.ReadFile(ctx, "app/values.yaml"); !errors.Is(err, gitrepo.ErrTooLarge) {
		t.Fatalf("large file: %v", err)
	}
}

func TestCredentialURLStripped(t *testing.T) {
	s := testenv.NewGitServer(t, testenv.WithBasicAuth("bot", "s3cr3t-tok"))
	s.MustCreateRepo(t, "charts", seedFiles())
	withCreds := strings.Replace(s.URL("charts"), "http://", "http://bot:s3cr3t-tok@", 1)
	r := open(t, withCreds)
	if !r.CredentialsStripped() || strings.Contains(r.URL(), "s3cr3t") {
		t.Fatalf("stripped=%v URL=%q", r.CredentialsStripped(), r.URL())
	}
	// Without another token the URL's credentials authenticate, as in git.
	if !r.CredentialsFromURL() {
		t.Fatal("CredentialsFromURL = false without WithHTTPAuth")
	}
	if _, err := r.Fetch(context.Background(), "main"); err != nil {
		t.Fatalf("fetch with the URL's credentials: %v", err)
	}
	// With a token configured they are not used: a wrong one fails.
	rWrong := open(t, withCreds, gitrepo.WithHTTPAuth("bot", "wrong"))
	_, err := rWrong.Fetch(context.Background(), "main")
	if rWrong.CredentialsFromURL() || !errors.Is(err, gitrepo.ErrAuth) || strings.Contains(err.Error(), "s3cr3t") {
		t.Fatalf("fetch with another token: fromURL=%v err=%v", rWrong.CredentialsFromURL(), err)
	}
	// Wrong credentials in the URL fail without showing them.
	badURL := strings.Replace(s.URL("charts"), "http://", "http://bot:s3cr3t-bad@", 1)
	if _, err := open(t, badURL).Fetch(context.Background(), "main"); !errors.Is(err, gitrepo.ErrAuth) || strings.Contains(err.Error(), "s3cr3t") {
		t.Fatalf("fetch with wrong URL credentials: %v", err)
	}
	// A GitHub-style token in the user part counts as credentials too.
	const ghToken = "ghp_s3cr3t0123456789abcdefghijklmnopqrs"
	tokenInUser := strings.Replace(s.URL("charts"), "http://", "http://"+ghToken+"@", 1)
	r2 := open(t, tokenInUser, gitrepo.WithHTTPAuth("bot", "s3cr3t-tok"))
	if !r2.CredentialsStripped() || strings.Contains(r2.URL(), "s3cr3t") {
		t.Fatalf("token in user part: stripped=%v URL=%q", r2.CredentialsStripped(), r2.URL())
	}
	if _, err := r2.Fetch(context.Background(), "main"); err != nil {
		t.Fatalf("fetch with the token as basic auth: %v", err)
	}
	if _, err := r2.Fetch(context.Background(), "nope"); err == nil || strings.Contains(err.Error(), "s3cr3t") {
		t.Fatalf("error leaks the token or is nil: %v", err)
	}
}

func TestTempDirPrivateAndRemoved(t *testing.T) {
	s := testenv.NewGitServer(t, testenv.WithAllowFilter(false))
	s.MustCreateRepo(t, "charts", seedFiles())
	parent := t.TempDir()
	r, err := gitrepo.Open(context.Background(), s.URL("charts"), gitrepo.WithTempDir(parent))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Fetch(context.Background(), "main"); err != nil {
		t.Fatal(err)
	}
	tmp := r.TempDir()
	st, err := os.Stat(tmp)
	if err != nil || filepath.Dir(tmp) != parent || st.Mode().Perm() != 0o700 {
		t.Fatalf("temp dir %s: %v %v", tmp, st, err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(tmp); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("temp dir left after Close: %v", err)
	}
	if err := r.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

// Several writers on one branch: every push either lands or reports
// ErrRace, and retrying from a fresh fetch lands them all, linearly.
func TestConcurrentWriters(t *testing.T) {
	s := testenv.NewGitServer(t)
	dir := s.MustCreateRepo(t, "charts", testenv.ChartsFiles(6, 2))
	const writers = 6
	errs := make(chan error, writers)
	races := make(chan int, writers)
	for w := 0; w < writers; w++ {
		go func(w int) {
			r, err := gitrepo.Open(context.Background(), s.URL("charts"))
			if err != nil {
				errs <- err
				return
			}
			defer r.Close()
			path := fmt.Sprintf("chart-%04d/values-staging.yaml", w)
			for attempt := 1; attempt <= 30; attempt++ {
				snap, err := r.Fetch(context.Background(), "main")
				if err != nil {
					errs <- err
					return
				}
				b, err := snap.ReadFile(context.Background(), path)
				if err != nil {
					errs <- err
					return
				}
				c, err := snap.Commit(map[string][]byte{path: append(b, "bumped: true\n"...)}, "chore: "+path, sig, sig)
				if err != nil {
					errs <- err
					return
				}
				err = r.Push(context.Background(), c)
				if errors.Is(err, gitrepo.ErrRace) {
					continue
				}
				races <- attempt - 1
				errs <- err
				return
			}
			errs <- fmt.Errorf("writer %d: still racing after 30 attempts", w)
		}(w)
	}
	lost := 0
	for w := 0; w < writers; w++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	close(races)
	for n := range races {
		lost += n
	}
	t.Logf("%d writers lost %d races in total", writers, lost)
	if got := testenv.MustGit(t, dir, "rev-list", "--count", "--min-parents=2", "main"); got != "0" {
		t.Fatalf("%s merge commits", got)
	}
	if got := testenv.MustGit(t, dir, "rev-list", "--count", "main"); got != fmt.Sprint(writers+1) {
		t.Fatalf("%s commits, want %d", got, writers+1)
	}
	for w := 0; w < writers; w++ {
		if got := testenv.MustGit(t, dir, "show", fmt.Sprintf("main:chart-%04d/values-staging.yaml", w)); !strings.HasSuffix(got, "bumped: true") {
			t.Fatalf("writer %d's change is missing", w)
		}
	}
}

// Each full fetch replaces the previous snapshot's directory: a bump that
// retries many times does not pile up copies of the branch on disk.
func TestFallbackFetchesKeepOneDir(t *testing.T) {
	s := testenv.NewGitServer(t, testenv.WithAllowFilter(false))
	s.MustCreateRepo(t, "charts", seedFiles())
	r := open(t, s.URL("charts"), gitrepo.WithTempDir(t.TempDir()))
	ctx := context.Background()
	var prev *gitrepo.Snapshot
	for i := 1; i <= 3; i++ {
		snap, err := r.Fetch(ctx, "main")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := snap.ReadFile(ctx, "app/values.yaml"); err != nil {
			t.Fatalf("fetch %d: %v", i, err)
		}
		ents, err := os.ReadDir(r.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		if len(ents) != 1 {
			var names []string
			for _, e := range ents {
				names = append(names, e.Name())
			}
			t.Fatalf("after fetch %d the temporary directory holds %v, want one fetch directory", i, names)
		}
		if prev != nil {
			if _, err := prev.ReadFile(ctx, "app/values.yaml"); err == nil || !strings.Contains(err.Error(), "newer fetch") {
				t.Fatalf("reading from a replaced snapshot: %v, want an error", err)
			}
		}
		prev = snap
	}
	if st := r.Stats(); st.Fallbacks != 3 {
		t.Fatalf("stats %+v: want 3 fallbacks", st)
	}
}

// TestPushIdenticalNewSubtrees writes the same file into two new
// directories: their blobs and subtrees are the same objects, and the pack
// must hold each once, or a server that checks pushed objects
// (receive.fsckObjects, as every test server does) refuses the push.
func TestPushIdenticalNewSubtrees(t *testing.T) {
	s := testenv.NewGitServer(t)
	dir := s.MustCreateRepo(t, "charts", seedFiles())
	if got := testenv.MustGit(t, dir, "config", "receive.fsckObjects"); got != "true" {
		t.Fatalf("receive.fsckObjects = %q, want true in every test repository", got)
	}
	r := open(t, s.URL("charts"))
	ctx := context.Background()
	snap, err := r.Fetch(ctx, "main")
	if err != nil {
		t.Fatal(err)
	}
	same := []byte("image:\n  tag: \"2.0.0\"\n")
	c, err := snap.Commit(map[string][]byte{"new1/env/values.yaml": same, "new2/env/values.yaml": same}, "chore: two identical new charts", sig, sig)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Push(ctx, c); err != nil {
		t.Fatalf("push: %v", err)
	}
	// Commit, root tree, new1 = new2, env, blob.
	if got := r.Stats().ObjectsPushed; got != 5 {
		t.Errorf("objects pushed = %d, want 5 distinct objects", got)
	}
	if got := testenv.MustGit(t, dir, "rev-parse", "main"); got != c.Hash.String() {
		t.Errorf("main = %s, want %s", got, c.Hash)
	}
	if out, err := testenv.Git(dir, "fsck", "--strict"); err != nil {
		t.Errorf("git fsck: %v\n%s", err, out)
	}
}

// TestCommitTrees: the trees a commit writes in place (existing files) and
// rebuilt (new ones) are the ones git itself writes for those entries
// (git mktree), modes kept, and the pushes, sent as thin packs, land on a
// server that checks every object.
func TestCommitTrees(t *testing.T) {
	s := testenv.NewGitServer(t)
	files := seedFiles()
	files["run.sh"] = "#!/bin/sh\n"
	files["link.yaml"] = "app/values.yaml"
	dir := s.MustCreateRepo(t, "charts", files, testenv.WithMode("run.sh", "100755"), testenv.WithMode("link.yaml", "120000"))
	r := open(t, s.URL("charts"))
	ctx := context.Background()
	for _, change := range []map[string][]byte{
		{"run.sh": []byte("#!/bin/sh\nexit 0\n"), "app/values-staging.yaml": []byte("image:\n  tag: \"1.1.0\"\n")}, // in place
		{"app/values-dev.yaml": []byte("image: {}\n"), "new/values.yaml": []byte("{}\n")},                          // rebuilt
		{"api/values.yaml": []byte("image:\n  tag: \"2.0.0\"\n"), "app/values-dev.yaml": []byte("image:\n  tag: \"3\"\n")},
	} {
		snap, err := r.Fetch(ctx, "main")
		if err != nil {
			t.Fatal(err)
		}
		c, err := snap.Commit(change, "chore: trees", sig, sig)
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Push(ctx, c); err != nil {
			t.Fatal(err)
		}
		for p, want := range change {
			if got := testenv.MustGit(t, dir, "show", "main:"+p); got != strings.TrimSuffix(string(want), "\n") {
				t.Errorf("%s = %q, want %q", p, got, want)
			}
		}
		for _, tree := range []string{"main", "main:app", "main:api"} {
			entries := testenv.MustGit(t, dir, "ls-tree", tree)
			mktree := exec.Command("git", "mktree")
			mktree.Dir, mktree.Stdin = dir, strings.NewReader(entries+"\n")
			out, err := mktree.Output()
			if err != nil {
				t.Fatal(err)
			}
			canonical := strings.TrimSpace(string(out))
			if got := testenv.MustGit(t, dir, "rev-parse", strings.Replace(tree, "main", "main^{tree}", 1)); got != canonical {
				t.Errorf("tree %s is %s, git writes %s for its entries:\n%s", tree, got, canonical, entries)
			}
		}
	}
	if modes := testenv.MustGit(t, dir, "ls-tree", "main", "run.sh", "link.yaml"); !strings.Contains(modes, "100755 blob") || !strings.Contains(modes, "120000 blob") {
		t.Errorf("modes not kept:\n%s", modes)
	}
	testenv.MustGit(t, dir, "fsck", "--strict", "--no-dangling")
	snap, err := r.Fetch(ctx, "main")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"run.sh/x", "app/values.yaml/x", "nope/values.yaml", "app/nope.yaml"} {
		if _, err := snap.ReadFile(ctx, p); !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), p) {
			t.Errorf("read %s: %v, want not found, naming the path", p, err)
		}
	}
	if b, err := snap.ReadFile(ctx, "new/values.yaml"); err != nil || string(b) != "{}\n" {
		t.Errorf("read new/values.yaml: %q, %v", b, err)
	}
	for _, p := range []string{"link.yaml/x", "run.sh/x"} {
		if _, err := snap.Commit(map[string][]byte{p: []byte("x")}, "m", sig, sig); !errors.Is(err, gitrepo.ErrNotRegular) || !strings.Contains(err.Error(), "not a directory") {
			t.Errorf("commit of %s: %v, want not a directory", p, err)
		}
	}
}
