package gitrepo

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
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
	r.sshc.close() // the connection dies; the Repo does not know yet
	if err := r.Push(ctx, c); err != nil {
		t.Fatalf("push after the connection died: %v, want a new connection", err)
	}
	if got := testenv.MustGit(t, dir, "rev-parse", "main"); got != c.Hash.String() {
		t.Fatalf("server main = %s, want %s", got, c.Hash)
	}
	r.sshc.close()
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

// TestSSHReconnectSilent: the shared connection goes silent while idle,
// as behind a NAT that forgot it, and new connections get through: the
// next fetch finds it dead (a keepalive gets no answer) and gets through
// on a new connection, well before its context ends.
func TestSSHReconnectSilent(t *testing.T) {
	defer func(k, p time.Duration) { sshKeepalive, sshProbeTimeout = k, p }(sshKeepalive, sshProbeTimeout)
	sshKeepalive, sshProbeTimeout = 300*time.Millisecond, 500*time.Millisecond
	root := t.TempDir()
	dir, err := testenv.CreateBareRepo(filepath.Join(root, "charts.git"), map[string]string{"app/values.yaml": "image:\n  tag: \"1.0.0\"\n"})
	if err != nil {
		t.Fatal(err)
	}
	key, err := testenv.NewSSHKey(t.TempDir(), "id", "")
	if err != nil {
		t.Fatal(err)
	}
	srv, _ := testenv.NewSSHServer(t, key)
	proxy := testenv.NewSilentProxy(t, srv.Addr)
	knownHosts := srv.KnownHosts(t, proxy.Addr())
	url := strings.Replace(srv.URL(dir), srv.Addr, proxy.Addr(), 1)
	ctx := context.Background()
	r, err := Open(ctx, url, WithSSHKey(key.Path, ""), WithKnownHosts(knownHosts), WithTimeout(20*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, err := r.Fetch(ctx, "main"); err != nil {
		t.Fatal(err)
	}
	proxy.Silence(false)
	time.Sleep(2 * sshKeepalive)
	start := time.Now()
	snap, err := r.Fetch(ctx, "main")
	if err != nil {
		t.Fatalf("fetch after the connection went silent: %v", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("the fetch took %s: it waited on the dead connection", d)
	}
	if _, err := snap.ReadFile(ctx, "app/values.yaml"); err != nil {
		t.Fatal(err)
	}
	if got := srv.Logins(); got != 2 {
		t.Errorf("%d SSH logins, want 2 (the first connection and one after it went silent)", got)
	}
}
