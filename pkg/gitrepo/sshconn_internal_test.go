package gitrepo

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/tagbump/tagbump/internal/testenv"
)

// TestSSHConnectionLost: when the shared SSH connection dies between
// commands, the next command fails once as a network error (the bump loop
// retries it), and the retry dials a new connection and gets through.
func TestSSHConnectionLost(t *testing.T) {
	root := t.TempDir()
	dir, err := testenv.CreateBareRepo(filepath.Join(root, "charts.git"), map[string]string{"app/values.yaml": "image:\n  tag: \"1.0.0\"\n"})
	if err != nil {
		t.Fatal(err)
	}
	key, err := testenv.NewSSHKey(t.TempDir(), "id", "")
	if err != nil {
		t.Fatal(err)
	}
	sshd, knownHosts := testenv.NewSSHD(t, key, root, testenv.WithAcceptEnv("GIT_PROTOCOL"))
	ctx := context.Background()
	r, err := Open(ctx, sshd.URL("charts"), WithSSHKey(key.Path, ""), WithKnownHosts(knownHosts), WithTimeout(10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	snap, err := r.Fetch(ctx, "main")
	if err != nil {
		t.Fatal(err)
	}
	b, err := snap.ReadFile(ctx, "app/values.yaml")
	if err != nil {
		t.Fatal(err)
	}
	sig := object.Signature{Name: "ci", Email: "ci@example.com", When: time.Now()}
	c, err := snap.Commit(map[string][]byte{"app/values.yaml": append(b, '#', '\n')}, "chore: edit", sig, sig)
	if err != nil {
		t.Fatal(err)
	}
	r.sshc.Close() // the connection dies; the Repo does not know yet
	if err := r.Push(ctx, c); err != nil {
		t.Fatalf("push after the connection died: %v, want a new connection", err)
	}
	if got := testenv.MustGit(t, dir, "rev-parse", "main"); got != c.Hash.String() {
		t.Fatalf("server main = %s, want %s", got, c.Hash)
	}
	r.sshc.Close()
	_, err = r.Fetch(ctx, "main")
	if err != nil && !errors.Is(err, ErrNetwork) {
		t.Fatalf("fetch on the dead connection: %v, want a network error", err)
	}
	if _, err = r.Fetch(ctx, "main"); err != nil {
		t.Fatalf("the retry: %v", err)
	}
	if got := sshd.Logins(); got != 3 {
		t.Errorf("%d SSH logins, want 3 (the first connection and one per loss)", got)
	}
}
