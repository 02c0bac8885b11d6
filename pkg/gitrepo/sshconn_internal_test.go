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
	root, dir, key := sshRepo(t)
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
	r, srv, proxy := silentSSH(t, WithTimeout(20*time.Second))
	ctx := context.Background()
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

// TestSSHSilentConnection: the shared SSH connection goes silent (a NAT
// that forgot it drops every packet, no reset) and so do new ones. A fetch
// on it returns when its context ends, not when the kernel gives up a
// quarter of an hour later; and so does a push, which opens a session.
func TestSSHSilentConnection(t *testing.T) {
	// No operation timeout: the context alone bounds the calls.
	r, _, proxy := silentSSH(t, WithTimeout(0))
	ctx := context.Background()
	snap, err := r.Fetch(ctx, "main")
	if err != nil {
		t.Fatal(err)
	}
	sig := object.Signature{Name: "ci", Email: "ci@example.com", When: time.Now()}
	c, err := snap.Commit(map[string][]byte{"app/values.yaml": []byte("image:\n  tag: \"1.1.0\"\n")}, "chore: edit", sig, sig)
	if err != nil {
		t.Fatal(err)
	}
	proxy.Silence(true)
	for _, op := range []struct {
		name string
		f    func(context.Context) error
	}{
		{"fetch", func(ctx context.Context) error { _, err := r.Fetch(ctx, "main"); return err }},
		{"push", func(ctx context.Context) error { return r.Push(ctx, c) }},
	} {
		start := time.Now()
		done := make(chan error, 1)
		go func() {
			ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			defer cancel()
			done <- op.f(ctx)
		}()
		select {
		case err := <-done:
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("%s on a silent connection: %v, want the context's deadline", op.name, err)
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("%s on a silent connection still waits 30s after it started, its context ended after 2s", op.name)
		}
		if d := time.Since(start); d > 10*time.Second {
			t.Errorf("%s returned %s after its context ended", op.name, d-2*time.Second)
		}
	}
}

// sshRepo creates a bare repository of one values file under a new root,
// and a client key.
func sshRepo(t *testing.T) (root, dir string, key *testenv.SSHKey) {
	t.Helper()
	root = t.TempDir()
	dir, err := testenv.CreateBareRepo(filepath.Join(root, "charts.git"), map[string]string{"app/values.yaml": "image:\n  tag: \"1.0.0\"\n"})
	if err != nil {
		t.Fatal(err)
	}
	if key, err = testenv.NewSSHKey(t.TempDir(), "id", ""); err != nil {
		t.Fatal(err)
	}
	return root, dir, key
}

// silentSSH opens, with opts, a repository that an in-process SSH server
// serves behind a proxy that can go silent.
func silentSSH(t *testing.T, opts ...Option) (*Repo, *testenv.SSHServer, *testenv.SilentProxy) {
	t.Helper()
	_, dir, key := sshRepo(t)
	srv, _ := testenv.NewSSHServer(t, key)
	proxy := testenv.NewSilentProxy(t, srv.Addr)
	url := strings.Replace(srv.URL(dir), srv.Addr, proxy.Addr(), 1)
	r, err := Open(context.Background(), url, append([]Option{WithSSHKey(key.Path, ""), WithKnownHosts(srv.KnownHosts(t, proxy.Addr()))}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r, srv, proxy
}
