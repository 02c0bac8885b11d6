package testenv

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func gitClone(t *testing.T, url string, env ...string) (string, error) {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "clone")
	cmd := exec.Command("git", "clone", "-q", url, dst)
	cmd.Env = append(os.Environ(), "GIT_TERMINAL_PROMPT=0", "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null")
	cmd.Env = append(cmd.Env, env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), err
	}
	return dst, nil
}

func TestGitServerCloneAndAuth(t *testing.T) {
	s := NewGitServer(t, WithBasicAuth("bot", "s3cret"), WithReadOnlyUser("reader", "r3ad"))
	s.MustCreateRepo(t, "charts", map[string]string{"app/values-staging.yaml": "image:\n  tag: \"1\"\n"})
	if strings.Contains(s.URL("charts"), "s3cret") || !strings.HasPrefix(s.URL("charts"), "http://127.0.0.1:") {
		t.Fatalf("URL %q", s.URL("charts"))
	}
	withCreds := strings.Replace(s.URL("charts"), "http://", "http://bot:s3cret@", 1)
	dst, err := gitClone(t, withCreds)
	if err != nil {
		t.Fatalf("clone: %v: %s", err, dst)
	}
	b, err := os.ReadFile(filepath.Join(dst, "app/values-staging.yaml"))
	if err != nil || string(b) != "image:\n  tag: \"1\"\n" {
		t.Fatalf("cloned file %q, %v", b, err)
	}
	// a push from the clone lands on the server
	MustGit(t, dst, "commit", "-q", "--allow-empty", "-m", "empty")
	if out, err := Git(dst, "push", "-q", "origin", "main"); err != nil {
		t.Fatalf("push: %v %s", err, out)
	}
	if got := MustGit(t, s.Dir("charts"), "rev-list", "--count", "main"); got != "2" {
		t.Fatalf("server has %s commits, want 2", got)
	}

	if out, err := gitClone(t, strings.Replace(s.URL("charts"), "http://", "http://bot:wrong@", 1)); err == nil || !strings.Contains(out, "401") && !strings.Contains(out, "Authentication failed") {
		t.Fatalf("wrong password: err %v, out %s", err, out)
	}
	ro, err := gitClone(t, strings.Replace(s.URL("charts"), "http://", "http://reader:r3ad@", 1))
	if err != nil {
		t.Fatalf("read-only clone: %v %s", err, ro)
	}
	MustGit(t, ro, "commit", "-q", "--allow-empty", "-m", "empty")
	if _, err := Git(ro, "push", "-q", "origin", "main"); err == nil || !strings.Contains(err.Error(), "403") {
		t.Fatalf("read-only push: %v", err)
	}
}

func TestGitServerCommitFilesAndHook(t *testing.T) {
	s := NewGitServer(t)
	s.MustCreateRepo(t, "r", map[string]string{"a": "1\n", "link": "a"}, WithMode("link", "120000"))
	if got := MustGit(t, s.Dir("r"), "ls-tree", "main", "link"); !strings.HasPrefix(got, "120000 blob") {
		t.Fatalf("ls-tree link: %q", got)
	}
	c, err := s.CommitFiles("r", "main", map[string]string{"b": "2\n", "a": ""}, "second")
	if err != nil {
		t.Fatal(err)
	}
	if got := MustGit(t, s.Dir("r"), "ls-tree", "--name-only", c); got != "b\nlink" {
		t.Fatalf("tree after CommitFiles: %q", got)
	}
	if err := s.SetHook("r", "pre-receive", "#!/bin/sh\necho no pushes today >&2\nexit 1\n"); err != nil {
		t.Fatal(err)
	}
	dst, err := gitClone(t, s.URL("r"))
	if err != nil {
		t.Fatal(err)
	}
	MustGit(t, dst, "commit", "-q", "--allow-empty", "-m", "x")
	if _, err := Git(dst, "push", "origin", "main"); err == nil || !strings.Contains(err.Error(), "no pushes today") {
		t.Fatalf("push through rejecting hook: %v", err)
	}
}

func TestSSHD(t *testing.T) {
	root := t.TempDir()
	if _, err := CreateBareRepo(filepath.Join(root, "charts.git"), map[string]string{"f": "x\n"}); err != nil {
		t.Fatal(err)
	}
	key, err := NewSSHKey(t.TempDir(), "id", "")
	if err != nil {
		t.Fatal(err)
	}
	s, kh := NewSSHD(t, key, root)
	sshCmd := "ssh -i " + key.Path + " -o IdentitiesOnly=yes -o BatchMode=yes -o UserKnownHostsFile=" + kh + " -o StrictHostKeyChecking=yes"
	dst, err := gitClone(t, s.URL("charts"), "GIT_SSH_COMMAND="+sshCmd)
	if err != nil {
		t.Fatalf("clone over ssh: %v %s", err, dst)
	}
	if b, _ := os.ReadFile(filepath.Join(dst, "f")); string(b) != "x\n" {
		t.Fatalf("file f = %q", b)
	}
	other, err := NewSSHKey(t.TempDir(), "other", "")
	if err != nil {
		t.Fatal(err)
	}
	sshCmd = "ssh -i " + other.Path + " -o IdentitiesOnly=yes -o BatchMode=yes -o UserKnownHostsFile=" + kh + " -o StrictHostKeyChecking=yes"
	if out, err := gitClone(t, s.URL("charts"), "GIT_SSH_COMMAND="+sshCmd); err == nil || !strings.Contains(out, "Permission denied") {
		t.Fatalf("clone with an unauthorized key: %v %s", err, out)
	}
}
