// Package testenv starts real servers on loopback for tests, the demo and
// the benchmark: git's own http-backend, OpenSSH's sshd and (elsewhere) a
// registry. It may use the git binary; tagbump itself never does.
package testenv

import (
	"bufio"
	"bytes"
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cgi"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// GitServer serves bare repositories under Root with git's own
// http-backend (through net/http/cgi) on 127.0.0.1.
type GitServer struct {
	// Root is the directory holding the bare repositories (<name>.git).
	Root string

	opts       gitServerOptions
	srv        *http.Server
	ln         net.Listener
	ownRoot    bool
	requests   atomic.Int64
	v2Requests atomic.Int64
	closed     atomic.Bool
}

type gitServerOptions struct {
	user, pass     string
	roUser, roPass string
	allowFilter    bool
	noV2           bool
	root           string
	stderr         io.Writer
	config         [][2]string
}

// GitServerOption configures StartGitServer.
type GitServerOption func(*gitServerOptions)

// WithBasicAuth requires HTTP basic auth with user and pass for every
// request; a missing or wrong credential gets 401. By default the server
// is anonymous.
func WithBasicAuth(user, pass string) GitServerOption {
	return func(o *gitServerOptions) { o.user, o.pass = user, pass }
}

// WithReadOnlyUser adds a user that may fetch but whose pushes get 403.
// It only has an effect together with WithBasicAuth.
func WithReadOnlyUser(user, pass string) GitServerOption {
	return func(o *gitServerOptions) { o.roUser, o.roPass = user, pass }
}

// WithAllowFilter sets uploadpack.allowFilter, uploadpack.allowAnySHA1InWant
// and uploadpack.allowReachableSHA1InWant for every repository served, so
// partial fetches and wants by hash work. The default is true.
func WithAllowFilter(allow bool) GitServerOption {
	return func(o *gitServerOptions) { o.allowFilter = allow }
}

// WithProtocolV2 lets clients ask for Git protocol v2 with the
// Git-Protocol header (the default, as git http-backend does). With false
// the header is dropped before it reaches http-backend, which then answers
// in protocol v0, as a server older than git 2.18 or a proxy that strips
// the header would.
func WithProtocolV2(allow bool) GitServerOption {
	return func(o *gitServerOptions) { o.noV2 = !allow }
}

// WithRoot serves the repositories under dir instead of a new temporary
// directory; Close then leaves dir in place.
func WithRoot(dir string) GitServerOption {
	return func(o *gitServerOptions) { o.root = dir }
}

// WithServerStderr sends git http-backend's error output to w; by default
// it is discarded.
func WithServerStderr(w io.Writer) GitServerOption {
	return func(o *gitServerOptions) { o.stderr = w }
}

// WithConfig sets a git configuration variable for every repository
// served, after (and so overriding) those WithAllowFilter sets.
func WithConfig(key, value string) GitServerOption {
	return func(o *gitServerOptions) { o.config = append(o.config, [2]string{key, value}) }
}

// StartGitServer starts a git http-backend on 127.0.0.1 on a free port.
func StartGitServer(opts ...GitServerOption) (*GitServer, error) {
	o := gitServerOptions{allowFilter: true, stderr: io.Discard}
	for _, opt := range opts {
		opt(&o)
	}
	gitBin, err := exec.LookPath("git")
	if err != nil {
		return nil, fmt.Errorf("start git server: %w", err)
	}
	s := &GitServer{opts: o, Root: o.root}
	if s.Root == "" {
		s.Root, err = os.MkdirTemp("", "testenv-git-")
		if err != nil {
			return nil, fmt.Errorf("start git server: %w", err)
		}
		s.ownRoot = true
	}
	allow := fmt.Sprint(o.allowFilter)
	env := []string{
		"GIT_PROJECT_ROOT=" + s.Root,
		"GIT_HTTP_EXPORT_ALL=1",
		"GIT_CONFIG_NOSYSTEM=1",
		"HOME=" + s.Root,
	}
	config := append([][2]string{
		{"http.receivepack", "true"},
		{"receive.fsckObjects", "true"}, // as GitHub and most hosts check pushed objects
		{"uploadpack.allowFilter", allow},
		{"uploadpack.allowAnySHA1InWant", allow},
		{"uploadpack.allowReachableSHA1InWant", allow},
	}, o.config...)
	env = append(env, fmt.Sprintf("GIT_CONFIG_COUNT=%d", len(config)))
	for i, kv := range config {
		env = append(env, fmt.Sprintf("GIT_CONFIG_KEY_%d=%s", i, kv[0]), fmt.Sprintf("GIT_CONFIG_VALUE_%d=%s", i, kv[1]))
	}
	backend := &cgi.Handler{Path: gitBin, Args: []string{"http-backend"}, Env: env, Stderr: o.stderr}
	s.ln, err = net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		s.cleanupRoot()
		return nil, fmt.Errorf("start git server: %w", err)
	}
	s.srv = &http.Server{Handler: s.handler(backend), ReadHeaderTimeout: 10 * time.Second}
	go s.srv.Serve(s.ln)
	return s, nil
}

func (s *GitServer) handler(backend http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.requests.Add(1)
		if s.opts.user != "" {
			u, p, ok := r.BasicAuth()
			readOnly := s.opts.roUser != "" && ok && eq(u, s.opts.roUser) && eq(p, s.opts.roPass)
			if !readOnly && (!ok || !eq(u, s.opts.user) || !eq(p, s.opts.pass)) {
				w.Header().Set("WWW-Authenticate", `Basic realm="testenv git"`)
				http.Error(w, "authentication required", http.StatusUnauthorized)
				return
			}
			if readOnly && (strings.HasSuffix(r.URL.Path, "/git-receive-pack") || r.URL.Query().Get("service") == "git-receive-pack") {
				http.Error(w, "read-only user may not push", http.StatusForbidden)
				return
			}
		}
		if s.opts.noV2 {
			r.Header.Del("Git-Protocol")
		}
		if r.Header.Get("Git-Protocol") != "" {
			s.v2Requests.Add(1)
		}
		backend.ServeHTTP(w, r)
	})
}

func eq(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

// Requests returns how many HTTP requests the server has answered.
func (s *GitServer) Requests() int64 { return s.requests.Load() }

// V2Requests returns how many of the requests asked for protocol v2 and
// reached http-backend with that header.
func (s *GitServer) V2Requests() int64 { return s.v2Requests.Load() }

// Addr returns the server's host:port.
func (s *GitServer) Addr() string { return s.ln.Addr().String() }

// URL returns the clone URL of repo, http://127.0.0.1:PORT/<repo>.git.
// It never carries credentials.
func (s *GitServer) URL(repo string) string {
	return "http://" + s.Addr() + "/" + strings.TrimSuffix(repo, ".git") + ".git"
}

// Dir returns the path of the bare repository repo.
func (s *GitServer) Dir(repo string) string {
	return filepath.Join(s.Root, strings.TrimSuffix(repo, ".git")+".git")
}

// RepoOption configures CreateRepo.
type RepoOption func(*repoOptions)

type repoOptions struct {
	branch string
	modes  map[string]string
}

// WithBranch names the initial (and default) branch; the default is main.
func WithBranch(name string) RepoOption { return func(o *repoOptions) { o.branch = name } }

// WithMode gives the file at path a git mode other than 100644, e.g.
// "100755" or "120000" (a symlink whose target is the file's content).
func WithMode(path, mode string) RepoOption {
	return func(o *repoOptions) { o.modes[path] = mode }
}

// CreateRepo creates the bare repository name under Root with one commit
// holding files on the default branch (main unless WithBranch) and returns
// its directory. Seeding goes through the local path with the git CLI. The
// repository allows pushes over HTTP and partial fetches (for ssh; the
// HTTP server's WithAllowFilter overrides the latter).
func (s *GitServer) CreateRepo(name string, files map[string]string, opts ...RepoOption) (string, error) {
	return CreateBareRepo(s.Dir(name), files, opts...)
}

// CreateBareRepo creates a bare repository at dir with one commit holding
// files; see GitServer.CreateRepo.
func CreateBareRepo(dir string, files map[string]string, opts ...RepoOption) (string, error) {
	o := repoOptions{branch: "main", modes: map[string]string{}}
	for _, opt := range opts {
		opt(&o)
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil { // owner/name.git
		return "", err
	}
	if _, err := Git(filepath.Dir(dir), "init", "-q", "--bare", "-b", o.branch, dir); err != nil {
		return "", err
	}
	for _, kv := range [][2]string{
		{"http.receivepack", "true"}, {"receive.fsckObjects", "true"},
		{"uploadpack.allowFilter", "true"}, {"uploadpack.allowAnySHA1InWant", "true"},
	} {
		if _, err := Git(dir, "config", kv[0], kv[1]); err != nil {
			return "", err
		}
	}
	if _, err := commitFiles(dir, o.branch, files, o.modes, "initial commit"); err != nil {
		return "", err
	}
	return dir, nil
}

// CommitFiles adds a commit on branch of repo that writes files (an empty
// content deletes the file) and returns the new commit's hash. Like a
// push, it refuses to move the branch if it is not a fast-forward.
func (s *GitServer) CommitFiles(repo, branch string, files map[string]string, msg string) (string, error) {
	return commitFiles(s.Dir(repo), branch, files, nil, msg)
}

func commitFiles(dir, branch string, files map[string]string, modes map[string]string, msg string) (string, error) {
	ref := "refs/heads/" + branch
	parent, _ := Git(dir, "rev-parse", "-q", "--verify", ref+"^{commit}")
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	// Stream a fast-import script: seeding thousands of files takes one
	// process, not one per file, and the script is never held in memory.
	pr, pw := io.Pipe()
	go func() {
		w := bufio.NewWriter(pw)
		fmt.Fprintf(w, "commit %s\ncommitter testenv <testenv@example.invalid> %d +0000\ndata %d\n%s\n", ref, time.Now().Unix(), len(msg), msg)
		if parent != "" {
			fmt.Fprintf(w, "from %s\n", parent)
		}
		for _, p := range paths {
			if files[p] == "" && parent != "" {
				fmt.Fprintf(w, "D %s\n", p)
				continue
			}
			mode := "100644"
			if m, ok := modes[p]; ok {
				mode = m
			}
			fmt.Fprintf(w, "M %s inline %s\ndata %d\n%s\n", mode, p, len(files[p]), files[p])
		}
		fmt.Fprint(w, "done\n")
		pw.CloseWithError(w.Flush())
	}()
	cmd := exec.Command("git", "fast-import", "--quiet", "--done")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null")
	cmd.Stdin = pr
	out, err := cmd.CombinedOutput()
	pr.Close()
	if err != nil {
		return "", fmt.Errorf("git fast-import: %w: %s", err, strings.TrimSpace(string(out)))
	}
	return Git(dir, "rev-parse", ref)
}

// SetHook installs script (with its #! line) as hook ("pre-receive",
// "update", ...) of repo. A hook that must change refs itself, e.g. to
// reproduce a lost race, should `unset GIT_QUARANTINE_PATH` first.
func (s *GitServer) SetHook(repo, hook, script string) error {
	p := filepath.Join(s.Dir(repo), "hooks", hook)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return fmt.Errorf("set hook %s: %w", hook, err)
	}
	if err := os.WriteFile(p, []byte(script), 0o755); err != nil {
		return fmt.Errorf("set hook %s: %w", hook, err)
	}
	return nil
}

// RemoveHook removes hook from repo; a missing hook is not an error.
func (s *GitServer) RemoveHook(repo, hook string) error {
	err := os.Remove(filepath.Join(s.Dir(repo), "hooks", hook))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	return err
}

// Close stops the server and removes Root unless it came from WithRoot.
// It is safe to call twice.
func (s *GitServer) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := s.srv.Shutdown(ctx)
	if rerr := s.cleanupRoot(); err == nil {
		err = rerr
	}
	return err
}

func (s *GitServer) cleanupRoot() error {
	if !s.ownRoot {
		return nil
	}
	return os.RemoveAll(s.Root)
}

// Git runs the git CLI in dir with a fixed identity and no user or system
// config and returns its trimmed standard output.
func Git(dir string, args ...string) (string, error) {
	return gitEnv(dir, nil, nil, args...)
}

func gitEnv(dir string, env []string, stdin []byte, args ...string) (string, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null",
		"GIT_AUTHOR_NAME=testenv", "GIT_AUTHOR_EMAIL=testenv@example.invalid",
		"GIT_COMMITTER_NAME=testenv", "GIT_COMMITTER_EMAIL=testenv@example.invalid")
	cmd.Env = append(cmd.Env, env...)
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("git %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimSpace(stdout.String()), nil
}

// NewGitServer starts a GitServer for a test and closes it in t.Cleanup.
func NewGitServer(t testing.TB, opts ...GitServerOption) *GitServer {
	t.Helper()
	s, err := StartGitServer(opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// MustCreateRepo is CreateRepo for tests: it fails t on error.
func (s *GitServer) MustCreateRepo(t testing.TB, name string, files map[string]string, opts ...RepoOption) string {
	t.Helper()
	dir, err := s.CreateRepo(name, files, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// MustGit is Git for tests: it fails t on error.
func MustGit(t testing.TB, dir string, args ...string) string {
	t.Helper()
	out, err := Git(dir, args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
