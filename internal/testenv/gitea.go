package testenv

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"
)

// GiteaVersion is the Gitea release the tests run, built from its Go
// module by scripts/build-gitea.sh.
const GiteaVersion = "1.24.6"

// Gitea is a real Gitea server on 127.0.0.1 with one admin user, Owner,
// whose API token is Token.
type Gitea struct {
	// URL is the server's base URL, http://127.0.0.1:PORT.
	URL string
	// Owner is the admin user's name, Password its password and Token an
	// access token with every scope.
	Owner, Password, Token string

	dir  string
	cmd  *exec.Cmd
	done chan error
	log  bytes.Buffer
}

// GiteaPaths returns where scripts/build-gitea.sh caches the Gitea binary
// and its source tree: ${TAGBUMP_CACHE:-~/.cache/tagbump}/gitea-VERSION and
// gitea-src-VERSION.
func GiteaPaths() (bin, src string) {
	cache := os.Getenv("TAGBUMP_CACHE")
	if cache == "" {
		home, _ := os.UserHomeDir()
		cache = filepath.Join(home, ".cache", "tagbump")
	}
	return filepath.Join(cache, "gitea-"+GiteaVersion), filepath.Join(cache, "gitea-src-"+GiteaVersion)
}

// RequireGitea returns the Gitea binary and source tree, building them with
// scripts/build-gitea.sh when missing (5-10 minutes, once). Without Go's
// toolchain or a C compiler it skips t, except under CI=true, where it
// fails.
func RequireGitea(t testing.TB) (bin, src string) {
	t.Helper()
	bin, src = GiteaPaths()
	if ready(bin, src) {
		return bin, src
	}
	_, file, _, _ := runtime.Caller(0)
	script := filepath.Join(filepath.Dir(file), "..", "..", "scripts", "build-gitea.sh")
	_, errGo := exec.LookPath("go")
	_, errCC := exec.LookPath("gcc")
	if errGo != nil || errCC != nil {
		if Strict() {
			t.Fatalf("gitea %s is required in CI (scripts/ci-deps.sh builds it)", GiteaVersion)
		}
		t.Skipf("gitea %s not built and go or gcc missing to build it", GiteaVersion)
	}
	t.Logf("building gitea %s with %s (5-10 minutes, once)", GiteaVersion, script)
	out, err := exec.Command("bash", script).CombinedOutput()
	if err != nil || !ready(bin, src) {
		t.Fatalf("build gitea: %v\n%s", err, out)
	}
	return bin, src
}

func ready(bin, src string) bool {
	fi, err := os.Stat(bin)
	if err != nil || fi.Mode()&0o111 == 0 {
		return false
	}
	_, err = os.Stat(filepath.Join(src, "options", "locale"))
	return err == nil
}

// GiteaOption configures StartGitea.
type GiteaOption func(*giteaOptions)

type giteaOptions struct{ ini string }

// WithGiteaINI appends text to the server's app.ini: sections the base
// configuration does not have, e.g. "[api]\nMAX_RESPONSE_ITEMS = 2\n".
func WithGiteaINI(text string) GiteaOption {
	return func(o *giteaOptions) { o.ini += "\n" + text }
}

// StartGitea starts Gitea from bin (its source tree at src serves the
// locale files) with sqlite in a new temporary directory, creates the admin
// user and its token, and waits until the API answers.
func StartGitea(bin, src string, opts ...GiteaOption) (*Gitea, error) {
	var o giteaOptions
	for _, opt := range opts {
		opt(&o)
	}
	dir, err := os.MkdirTemp("", "testenv-gitea-")
	if err != nil {
		return nil, fmt.Errorf("start gitea: %w", err)
	}
	g := &Gitea{dir: dir, Owner: "tagbump-admin", Password: "testenv-Passw0rd!", done: make(chan error, 1)}
	fail := func(err error) (*Gitea, error) {
		g.Close()
		return nil, fmt.Errorf("start gitea: %w\n%s", err, g.log.String())
	}
	port, err := freePort()
	if err != nil {
		return fail(err)
	}
	g.URL = fmt.Sprintf("http://127.0.0.1:%d", port)
	ini := filepath.Join(dir, "app.ini")
	if err := os.WriteFile(ini, []byte(giteaConfig(dir, src, port)+o.ini), 0o600); err != nil {
		return fail(err)
	}
	env := append(os.Environ(),
		"GITEA_I_AM_BEING_UNSAFE_RUNNING_AS_ROOT=true",
		"GITEA_WORK_DIR="+dir,
		"HOME="+dir,
		"GIT_CONFIG_NOSYSTEM=1",
	)
	run := func(args ...string) (string, error) {
		cmd := exec.Command(bin, append([]string{"--config", ini, "--work-path", dir}, args...)...)
		cmd.Env, cmd.Dir = env, dir
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		if err := cmd.Run(); err != nil {
			return "", fmt.Errorf("gitea %s: %w: %s", args[0], err, errb.String())
		}
		return strings.TrimSpace(out.String()), nil
	}
	if _, err := run("migrate"); err != nil {
		return fail(err)
	}
	if _, err := run("admin", "user", "create", "--admin", "--username", g.Owner, "--password", g.Password,
		"--email", g.Owner+"@example.com", "--must-change-password=false"); err != nil {
		return fail(err)
	}
	tok, err := run("admin", "user", "generate-access-token", "--username", g.Owner, "--token-name", "tagbump-tests", "--scopes", "all", "--raw")
	if err != nil {
		return fail(err)
	}
	if lines := strings.Fields(tok); len(lines) > 0 {
		g.Token = lines[len(lines)-1]
	}
	g.cmd = exec.Command(bin, "--config", ini, "--work-path", dir, "web")
	g.cmd.Env, g.cmd.Dir = env, dir
	g.cmd.Stdout, g.cmd.Stderr = &g.log, &g.log
	if err := g.cmd.Start(); err != nil {
		return fail(err)
	}
	go func() { g.done <- g.cmd.Wait() }()
	deadline := time.Now().Add(60 * time.Second)
	for {
		var v struct{ Version string }
		if err := g.API(http.MethodGet, "/version", nil, &v); err == nil {
			return g, nil
		}
		select {
		case err := <-g.done:
			g.cmd = nil
			return fail(fmt.Errorf("gitea exited: %v", err))
		case <-time.After(200 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fail(errors.New("gitea did not answer within 60s"))
		}
	}
}

func giteaConfig(dir, src string, port int) string {
	return fmt.Sprintf(`APP_NAME = tagbump tests
RUN_MODE = prod
WORK_PATH = %[1]s

[server]
PROTOCOL = http
HTTP_ADDR = 127.0.0.1
HTTP_PORT = %[3]d
ROOT_URL = http://127.0.0.1:%[3]d/
STATIC_ROOT_PATH = %[2]s
APP_DATA_PATH = %[1]s/data
OFFLINE_MODE = true
DISABLE_SSH = true
START_SSH_SERVER = false
LFS_START_SERVER = false

[database]
DB_TYPE = sqlite3
PATH = %[1]s/gitea.db

[repository]
ROOT = %[1]s/repos
DEFAULT_BRANCH = main

[security]
INSTALL_LOCK = true
SECRET_KEY = testenv-secret-key-not-secret
INTERNAL_TOKEN = testenv-internal-token-not-a-secret-at-all-0123456789abcdef

[oauth2]
ENABLED = false

[service]
DISABLE_REGISTRATION = true
REQUIRE_SIGNIN_VIEW = false

[mailer]
ENABLED = false

[indexer]
ISSUE_INDEXER_TYPE = db
REPO_INDEXER_ENABLED = false

[queue]
TYPE = channel

[session]
PROVIDER = memory

[cache]
ADAPTER = memory

[cron]
ENABLED = false

[cron.update_checker]
ENABLED = false

[log]
MODE = console
LEVEL = warn
ROOT_PATH = %[1]s/log
`, dir, src, port)
}

// Close stops the server and removes its directory.
func (g *Gitea) Close() {
	if g.cmd != nil && g.cmd.Process != nil {
		_ = g.cmd.Process.Signal(os.Interrupt)
		select {
		case <-g.done:
		case <-time.After(10 * time.Second):
			_ = g.cmd.Process.Kill()
			<-g.done
		}
		g.cmd = nil
	}
	if g.dir != "" {
		os.RemoveAll(g.dir)
	}
}

// API sends a request to the API (path below /api/v1) as Owner and
// decodes the JSON answer into out unless nil. A status outside 2xx is an
// error naming it.
func (g *Gitea) API(method, path string, body, out any) error {
	return g.APIAs(g.Token, method, path, body, out)
}

// APIAs is API with another token.
func (g *Gitea) APIAs(token, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, g.URL+"/api/v1"+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "token "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("%s %s: HTTP %d: %s", method, path, resp.StatusCode, bytes.TrimSpace(data))
	}
	if out != nil && len(data) > 0 {
		return json.Unmarshal(data, out)
	}
	return nil
}

// CreateRepo creates the repository Owner/name with files on its main
// branch and returns its clone URL.
func (g *Gitea) CreateRepo(name string, files map[string]string) (string, error) {
	var repo struct {
		CloneURL string `json:"clone_url"`
	}
	if err := g.API(http.MethodPost, "/user/repos", map[string]any{"name": name, "auto_init": true, "default_branch": "main", "readme": "Default"}, &repo); err != nil {
		return "", err
	}
	if len(files) > 0 {
		if err := g.WriteFiles(name, "main", "seed charts", files); err != nil {
			return "", err
		}
	}
	return repo.CloneURL, nil
}

// WriteFiles commits files (created or replaced) to branch of Owner/repo
// through the contents API, as Owner.
func (g *Gitea) WriteFiles(repo, branch, message string, files map[string]string) error {
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	var ops []map[string]any
	for _, p := range paths {
		op := map[string]any{"operation": "create", "path": p, "content": base64.StdEncoding.EncodeToString([]byte(files[p]))}
		var existing struct {
			SHA string `json:"sha"`
		}
		if g.API(http.MethodGet, "/repos/"+g.Owner+"/"+repo+"/contents/"+p+"?ref="+branch, nil, &existing) == nil && existing.SHA != "" {
			op["operation"], op["sha"] = "update", existing.SHA
		}
		ops = append(ops, op)
	}
	return g.API(http.MethodPost, "/repos/"+g.Owner+"/"+repo+"/contents", map[string]any{"branch": branch, "message": message, "files": ops}, nil)
}
