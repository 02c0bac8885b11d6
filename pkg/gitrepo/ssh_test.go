package gitrepo_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tagbump/tagbump/internal/testenv"
	"github.com/tagbump/tagbump/pkg/gitrepo"
)

func TestSSHFetchPush(t *testing.T) {
	root := t.TempDir()
	dir, err := testenv.CreateBareRepo(filepath.Join(root, "charts.git"), seedFiles())
	if err != nil {
		t.Fatal(err)
	}
	key, err := testenv.NewSSHKey(t.TempDir(), "id_ed25519", "pass phrase")
	if err != nil {
		t.Fatal(err)
	}
	sshd, knownHosts := testenv.NewSSHD(t, key, root)
	r := open(t, sshd.URL("charts"), gitrepo.WithSSHKey(key.Path, "pass phrase"), gitrepo.WithKnownHosts(knownHosts))
	ctx := context.Background()
	if b, err := r.DefaultBranch(ctx); err != nil || b != "main" {
		t.Fatalf("DefaultBranch over ssh = %q, %v", b, err)
	}
	c := bump(t, r, "web/values-staging.yaml", "1.0.0", "1.2.3")
	if err := r.Push(ctx, c); err != nil {
		t.Fatal(err)
	}
	if got := testenv.MustGit(t, dir, "rev-parse", "main"); got != c.Hash.String() {
		t.Fatalf("server main = %s, want %s", got, c.Hash)
	}
	if st := r.Stats(); st.Fallbacks != 0 || st.BlobsFetched != 1 {
		t.Fatalf("ssh stats %+v: want the partial path", st)
	}

	// a second server's key under the same address: a mismatch (the host key
	// is checked before the client authenticates, so any client key will do)
	wrong := sshd.MismatchedKnownHosts(t)
	other, err := testenv.NewSSHKey(t.TempDir(), "other", "")
	if err != nil {
		t.Fatal(err)
	}
	_, err = open(t, sshd.URL("charts"), gitrepo.WithSSHKey(key.Path, "pass phrase"), gitrepo.WithKnownHosts(wrong)).Fetch(ctx, "main")
	var hk *gitrepo.HostKeyError
	if !errors.As(err, &hk) || hk.Unknown || !errors.Is(err, gitrepo.ErrHostKey) {
		t.Fatalf("mismatched host key: %v", err)
	}
	// a known_hosts file that does not know the host at all
	unknown := filepath.Join(t.TempDir(), "known_hosts")
	if err := os.WriteFile(unknown, []byte("[127.0.0.1]:1 "+string(other.Authorized)), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = open(t, sshd.URL("charts"), gitrepo.WithSSHKey(other.Path, ""), gitrepo.WithKnownHosts(unknown)).Fetch(ctx, "main")
	if !errors.As(err, &hk) || !hk.Unknown {
		t.Fatalf("unknown host: %v", err)
	}
	// a key the server does not accept
	_, err = open(t, sshd.URL("charts"), gitrepo.WithSSHKey(other.Path, ""), gitrepo.WithKnownHosts(knownHosts)).Fetch(ctx, "main")
	if !errors.Is(err, gitrepo.ErrAuth) {
		t.Fatalf("unauthorized key: %v", err)
	}
}

// A server that filters but serves wants of ref tips only, over SSH: git's
// upload-pack would refuse the file's blob by hash (it is lenient only on
// stateless HTTP), so the fetch goes straight to the full path instead of
// asking for it. Asking was flaky as well as slower: the server often
// closed before go-git read its refusal.
func TestWantByHashRefused(t *testing.T) {
	root := t.TempDir()
	dir, err := testenv.CreateBareRepo(filepath.Join(root, "charts.git"), seedFiles())
	if err != nil {
		t.Fatal(err)
	}
	testenv.MustGit(t, dir, "config", "uploadpack.allowAnySHA1InWant", "false")
	testenv.MustGit(t, dir, "config", "uploadpack.allowTipSHA1InWant", "true")
	key, err := testenv.NewSSHKey(t.TempDir(), "id", "")
	if err != nil {
		t.Fatal(err)
	}
	sshd, knownHosts := testenv.NewSSHD(t, key, root)
	for range 3 { // the same outcome each time, not most of the time
		var logs bytes.Buffer
		r := open(t, sshd.URL("charts"), gitrepo.WithSSHKey(key.Path, ""), gitrepo.WithKnownHosts(knownHosts),
			gitrepo.WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
		c := bump(t, r, "app/values-prod.yaml", "0.9.0", "1.0.0")
		if err := r.Push(context.Background(), c); err != nil {
			t.Fatal(err)
		}
		if got := testenv.MustGit(t, dir, "rev-parse", "main"); got != c.Hash.String() {
			t.Fatalf("server main = %s, want %s", got, c.Hash)
		}
		st := r.Stats()
		if st.Path != gitrepo.PathFull || st.Fallbacks != 1 || st.UploadPacks != 1 || st.BlobsFetched != 0 || !strings.Contains(logs.String(), "only ref tips") {
			t.Fatalf("stats %+v, logs %q: want the full path at once, no request by hash", st, logs.String())
		}
		testenv.MustGit(t, dir, "update-ref", "refs/heads/main", "main~1")
	}
}

// Without WithSSHKey, SSH signs with a key held by a real OpenSSH
// ssh-agent at $SSH_AUTH_SOCK.
func TestSSHAgent(t *testing.T) {
	testenv.RequireBinary(t, "ssh-agent")
	root := t.TempDir()
	if _, err := testenv.CreateBareRepo(filepath.Join(root, "charts.git"), seedFiles()); err != nil {
		t.Fatal(err)
	}
	key, err := testenv.NewSSHKey(t.TempDir(), "id", "")
	if err != nil {
		t.Fatal(err)
	}
	sshd, knownHosts := testenv.NewSSHD(t, key, root)
	sock := filepath.Join(t.TempDir(), "agent.sock")
	agent := exec.Command("ssh-agent", "-D", "-a", sock)
	if err := agent.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { agent.Process.Kill(); agent.Wait() })
	t.Setenv("SSH_AUTH_SOCK", sock)
	// The socket appears (bind) a moment before the agent listens on it.
	for i := 0; ; i++ {
		out, err := exec.Command("ssh-add", key.Path).CombinedOutput()
		if err == nil {
			break
		} else if i == 100 {
			t.Fatalf("ssh-add: %v %s", err, out)
		}
		time.Sleep(20 * time.Millisecond)
	}
	r := open(t, sshd.URL("charts"), gitrepo.WithKnownHosts(knownHosts))
	if _, err := r.Fetch(context.Background(), "main"); err != nil {
		t.Fatal(err)
	}
}

// The branch is rewritten and the server collected its garbage between
// Fetch and ReadFile: the file's blob is gone, the server refuses it by
// hash ("not our ref"), the fallback's full fetch finds another tip, and
// ReadFile reports ErrRace (fetch again and redo), not a missing file.
func TestFallbackRaceIsErrRace(t *testing.T) {
	s := testenv.NewGitServer(t, allowFilterOnly...)
	dir := s.MustCreateRepo(t, "charts", seedFiles())
	r := open(t, s.URL("charts"))
	ctx := context.Background()
	snap, err := r.Fetch(ctx, "main")
	if err != nil {
		t.Fatal(err)
	}
	if st := r.Stats(); st.Path != gitrepo.PathV2 {
		t.Fatalf("stats %+v: want the v2 partial path", st)
	}
	moved := map[string]string{}
	for _, c := range []string{"app", "api", "web"} { // all three held the old blob
		moved[c+"/values-prod.yaml"] = "image:\n  tag: \"2.0.0\"\n"
	}
	if _, err := s.CommitFiles("charts", "main", moved, "moved"); err != nil {
		t.Fatal(err)
	}
	// a new root commit: the old blob is reachable from no ref any more
	root := testenv.MustGit(t, dir, "commit-tree", "-m", "rewritten", "main^{tree}")
	testenv.MustGit(t, dir, "update-ref", "refs/heads/main", root)
	testenv.MustGit(t, dir, "reflog", "expire", "--expire=now", "--all")
	testenv.MustGit(t, dir, "gc", "-q", "--prune=now")
	_, err = snap.ReadFile(ctx, "app/values-prod.yaml")
	if !errors.Is(err, gitrepo.ErrRace) || errors.Is(err, gitrepo.ErrNotFound) || !strings.Contains(err.Error(), "moved from") {
		t.Fatalf("ReadFile after the branch moved: %v, want ErrRace", err)
	}
	if st := r.Stats(); st.Fallbacks != 1 {
		t.Fatalf("stats %+v: want one fallback", st)
	}
	// the retry: a new Fetch (full path now) reads the new content
	snap, err = r.Fetch(ctx, "main")
	if err != nil {
		t.Fatal(err)
	}
	if b, err := snap.ReadFile(ctx, "app/values-prod.yaml"); err != nil || !strings.Contains(string(b), "2.0.0") {
		t.Fatalf("after the retry: %q, %v", b, err)
	}
}
