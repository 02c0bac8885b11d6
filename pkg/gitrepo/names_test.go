package gitrepo_test

import (
	"context"
	"errors"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/tagbump/tagbump/internal/testenv"
	"github.com/tagbump/tagbump/pkg/gitrepo"
)

// pathCases are paths with the verdict of git's verify_path under
// core.protectNTFS and core.protectHFS (git update-index --add), except
// where stricter says tagbump refuses more than git on Linux.
var pathCases = []struct {
	path     string
	ok       bool
	stricter bool
}{
	{path: "app/values-staging.yaml", ok: true},
	{path: ".gitignore", ok: true},
	{path: "a/.gitmodules", ok: true}, // refused only as a symlink
	{path: "x/.gitattributes", ok: true},
	{path: ".gitx", ok: true},
	{path: ".gi/x", ok: true},
	{path: "GIT~2/x", ok: true},
	{path: ".git~1/x", ok: true},
	{path: " .git/x", ok: true},
	{path: "a:b/c", ok: true},
	{path: ".g\u0130t/x", ok: true},  // no Unicode case folding
	{path: ".git\u200c:x", ok: true}, // ignorable, then not the end
	{path: ".git\ufffd", ok: true},   // U+FFFD itself is a character
	{path: ".gi\xfft", ok: true},     // not UTF-8 before the name ends
	{path: "a\\b", stricter: true},   // a separator on Windows
	{path: "a\x00b", stricter: true}, // git cannot even take it
	{path: "/etc/passwd", stricter: true},
	{path: ""},
	{path: ".git/config"},
	{path: "app/.git/x"},
	{path: ".git"},
	{path: ".GIT/config"},
	{path: ".Git"},
	{path: ".gIT."},
	{path: "GIT~1/x"},
	{path: "git~1"},
	{path: "git~1."},
	{path: "GIT~1 "},
	{path: "git~1:x"},
	{path: ".git./x"},
	{path: ".git /x"},
	{path: ".git. . /x"},
	{path: ".git ./x"},
	{path: ".git::$INDEX_ALLOCATION/x"},
	{path: ".git:x"},
	{path: ".git :x"},
	{path: ".g\u200cit/x"},
	{path: "\ufeff.git/x"},
	{path: ".git\u200d/x"},
	{path: ".\u202eg\u206ai\u200ft"},
	{path: ".git\xff"},
	{path: ".git\xffabc"},
	{path: ".git\xed\xa0\x80"}, // a surrogate is not UTF-8
	{path: ".git\uffff"},       // nor is U+FFFF to git
	{path: "a\\.git\\x"},
	{path: "a/./b"},
	{path: "a/../b"},
	{path: "a//b"},
	{path: "a/"},
}

func TestCheckPath(t *testing.T) {
	for _, c := range pathCases {
		err := gitrepo.CheckPath(c.path)
		if ok := err == nil; ok != c.ok {
			t.Errorf("CheckPath(%q) = %v, want ok %v", c.path, err, c.ok)
		}
		if err != nil && !errors.Is(err, gitrepo.ErrBadName) {
			t.Errorf("CheckPath(%q) = %v, want ErrBadName", c.path, err)
		}
	}
}

// TestCheckPathAsGit asks git itself: every path tagbump accepts, git
// accepts; every path it refuses, git refuses (but for the stricter ones).
func TestCheckPathAsGit(t *testing.T) {
	testenv.RequireBinary(t, "git")
	dir := t.TempDir()
	testenv.MustGit(t, dir, "init", "-q")
	blob := testenv.MustGit(t, dir, "hash-object", "-w", "--stdin")
	for _, c := range pathCases {
		if c.stricter {
			continue
		}
		_, err := testenv.Git(dir, "-c", "core.protectNTFS=true", "-c", "core.protectHFS=true",
			"update-index", "--add", "--cacheinfo", "100644,"+blob+","+c.path)
		if gitOK := err == nil; gitOK != c.ok {
			t.Errorf("git update-index %q: ok %v, the table says %v", c.path, gitOK, c.ok)
		}
	}
}

var branchCases = []struct {
	name     string
	ok       bool
	stricter bool
}{
	{name: "main", ok: true},
	{name: "release/1.2", ok: true},
	{name: "héllo", ok: true},
	{name: "a@b", ok: true},
	{name: "@a", ok: true},
	{name: "{a}", ok: true},
	{name: "a.lock.b", ok: true},
	{name: "heads/HEAD", ok: true},
	{name: "HEADx", ok: true},
	{name: "tagbump/app-staging", ok: true},
	{name: "@", stricter: true}, // git --branch reads it as HEAD
	{name: ""},
	{name: "a..b"},
	{name: "x.."},
	{name: "-x"},
	{name: "x.lock"},
	{name: "a/b.lock/c"},
	{name: "a b"},
	{name: "a~b"},
	{name: "a^b"},
	{name: "a:b"},
	{name: "a?b"},
	{name: "a*b"},
	{name: "a[b"},
	{name: "a\\b"},
	{name: "@{"},
	{name: "a@{b"},
	{name: "x/"},
	{name: "/a"},
	{name: "a//b"},
	{name: "x."},
	{name: "a/."},
	{name: ".a"},
	{name: "a/.b"},
	{name: "a\tb"},
	{name: "a\nb"},
	{name: "a\x7fb"},
	{name: "HEAD"},
}

func TestCheckBranch(t *testing.T) {
	for _, c := range branchCases {
		err := gitrepo.CheckBranch(c.name)
		if ok := err == nil; ok != c.ok {
			t.Errorf("CheckBranch(%q) = %v, want ok %v", c.name, err, c.ok)
		}
		if err != nil && !errors.Is(err, gitrepo.ErrBadName) {
			t.Errorf("CheckBranch(%q) = %v, want ErrBadName", c.name, err)
		}
	}
}

// TestCheckBranchAsGit asks git check-ref-format --branch about each name.
func TestCheckBranchAsGit(t *testing.T) {
	testenv.RequireBinary(t, "git")
	dir := t.TempDir()
	testenv.MustGit(t, dir, "init", "-q")
	for _, c := range branchCases {
		if c.stricter {
			continue
		}
		_, err := testenv.Git(dir, "check-ref-format", "--branch", c.name)
		if gitOK := err == nil; gitOK != c.ok {
			t.Errorf("git check-ref-format --branch %s: ok %v, the table says %v", strconv.Quote(c.name), gitOK, c.ok)
		}
	}
}

// A path git refuses is refused by the snapshot too, as ErrBadName, before
// anything is looked up: ".GIT/config" is not "a file that does not exist".
func TestSnapshotRefusesGitPaths(t *testing.T) {
	r := open(t, newClone(t))
	ctx := context.Background()
	snap, err := r.Fetch(ctx, "main")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{".git/config", ".GIT/config", "app/GIT~1/x", "app/.git./values.yaml", ".g\u200cit/config", "app/../x"} {
		if _, err := snap.ReadFile(ctx, p); !errors.Is(err, gitrepo.ErrBadName) {
			t.Errorf("ReadFile(%q) = %v, want ErrBadName", p, err)
		}
		if _, err := snap.Commit(map[string][]byte{p: []byte("x")}, "chore: x", sig, sig); !errors.Is(err, gitrepo.ErrBadName) {
			t.Errorf("Commit(%q) = %v, want ErrBadName", p, err)
		}
	}
}

// newClone returns a clone, with its work tree, of a repository holding
// seedFiles.
func newClone(t *testing.T) string {
	t.Helper()
	bare, err := testenv.CreateBareRepo(filepath.Join(t.TempDir(), "charts.git"), seedFiles())
	if err != nil {
		t.Fatal(err)
	}
	clone := filepath.Join(t.TempDir(), "clone")
	testenv.MustGit(t, "", "clone", "-q", bare, clone)
	return clone
}
