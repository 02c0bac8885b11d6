package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/tagbump/tagbump/internal/testenv"
)

const yqModule = "github.com/mikefarah/yq/v4@v4.54.3"

// repo is one generated repository as served for the benchmark.
type repo struct {
	name            string // served as <name>.git
	charts, commits int
	packMB          float64
	genSeconds      float64 // 0 when it came from the cache
	dir             string  // the served copy
	tip             string  // the generated tip of main
}

type harness struct {
	cfg              config
	log              io.Writer
	root, cache      string
	yq, tagbump      string
	bumpOK           bool
	main, fewCommits *repo
	fewCharts        *repo
	serveDir         string
	clientEnv        []string
	genrepoBin       string
	genrepoHash      string
	// The servers the scenarios run against, all serving serveDir.
	filterOnly, v0caps, noFilter *server
	slow, ssh                    *server
	closers                      []func()
}

// server is one way of serving the generated repositories.
type server struct {
	label string
	url   func(repo string) string
	// requests counts the HTTP requests the server answered; nil for SSH.
	requests func() int64
	// gitEnv and tagbumpArgs are what the git CLI and tagbump need to
	// reach it (SSH keys, known_hosts).
	gitEnv      []string
	tagbumpArgs []string
}

func newHarness(ctx context.Context, cfg config, log io.Writer) (h *harness, err error) {
	h = &harness{cfg: cfg, log: log}
	defer func() {
		if err != nil {
			h.close()
		}
	}()
	if h.root, err = moduleRoot(ctx); err != nil {
		return nil, err
	}
	h.cache = cfg.cache
	if !filepath.IsAbs(h.cache) {
		h.cache = filepath.Join(h.root, h.cache)
	}
	if err := os.MkdirAll(filepath.Join(h.cache, "bin"), 0o755); err != nil {
		return nil, fmt.Errorf("create cache: %w", err)
	}
	// yq goes where scripts/bench-set.sh installs it too.
	if h.yq, err = ensureYQ(ctx, filepath.Join(h.root, ".cache", "bin"), log); err != nil {
		return nil, err
	}
	if h.genrepoHash, err = sourceHash(filepath.Join(h.root, "scripts", "genrepo")); err != nil {
		return nil, err
	}
	h.genrepoBin = filepath.Join(h.cache, "bin", "genrepo")
	if err := h.cmd(ctx, h.root, "go", "build", "-o", h.genrepoBin, "./scripts/genrepo"); err != nil {
		return nil, err
	}
	if err := h.findTagbump(ctx); err != nil {
		return nil, err
	}
	h.serveDir, err = os.MkdirTemp(h.cache, "serve-")
	if err != nil {
		return nil, fmt.Errorf("create serve dir: %w", err)
	}
	for _, r := range []struct {
		p               **repo
		charts, commits int
	}{
		{&h.main, cfg.charts, cfg.commits},
		{&h.fewCommits, cfg.charts, cfg.smallCommits},
		{&h.fewCharts, cfg.smallCharts, cfg.commits},
	} {
		if *r.p, err = h.repo(ctx, r.charts, r.commits); err != nil {
			return nil, err
		}
	}
	if err := h.startServers(); err != nil {
		return nil, err
	}
	home := filepath.Join(h.serveDir, "home")
	if err := os.MkdirAll(home, 0o755); err != nil {
		return nil, err
	}
	h.clientEnv = append(os.Environ(),
		"HOME="+home, "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null",
		"GIT_AUTHOR_NAME=bench", "GIT_AUTHOR_EMAIL=bench@example.com",
		"GIT_COMMITTER_NAME=bench", "GIT_COMMITTER_EMAIL=bench@example.com",
		"GIT_CONFIG_COUNT=2", "GIT_CONFIG_KEY_0=gc.auto", "GIT_CONFIG_VALUE_0=0",
		"GIT_CONFIG_KEY_1=maintenance.auto", "GIT_CONFIG_VALUE_1=false",
		"TAGBUMP_LOG_LEVEL=warn",
	)
	return h, nil
}

func (h *harness) close() {
	for i := len(h.closers) - 1; i >= 0; i-- {
		h.closers[i]()
	}
	if h.serveDir != "" {
		os.RemoveAll(h.serveDir)
	}
}

// startServers starts git http-backend three ways (uploadpack.allowFilter
// only, as most self-hosted servers; want-by-id advertised in protocol v0
// with protocol v2 off; git's defaults, no filter), a proxy adding
// cfg.latency to every request of the first, and sshd with AcceptEnv
// GIT_PROTOCOL.
func (h *harness) startServers() error {
	common := []testenv.GitServerOption{testenv.WithRoot(h.serveDir), testenv.WithServerStderr(h.log),
		testenv.WithConfig("gc.auto", "0"), testenv.WithConfig("receive.autogc", "false")}
	httpServer := func(label string, opts ...testenv.GitServerOption) (*server, *testenv.GitServer, error) {
		srv, err := testenv.StartGitServer(append(opts, common...)...)
		if err != nil {
			return nil, nil, err
		}
		h.closers = append(h.closers, func() { srv.Close() })
		return &server{label: label, url: srv.URL, requests: srv.Requests}, srv, nil
	}
	var err error
	var filterSrv *testenv.GitServer
	if h.filterOnly, filterSrv, err = httpServer("http, uploadpack.allowFilter only",
		testenv.WithAllowFilter(false), testenv.WithConfig("uploadpack.allowFilter", "true")); err != nil {
		return err
	}
	if h.v0caps, _, err = httpServer("http, v0 with want-by-id (no v2)", testenv.WithProtocolV2(false)); err != nil {
		return err
	}
	if h.noFilter, _, err = httpServer("http, git defaults (no filter)", testenv.WithAllowFilter(false)); err != nil {
		return err
	}
	proxy, err := testenv.StartFaultProxy(filterSrv.Addr(), testenv.WithLatency(h.cfg.latency))
	if err != nil {
		return err
	}
	h.closers = append(h.closers, func() { proxy.Close() })
	h.slow = &server{label: fmt.Sprintf("http, allowFilter only, +%s per request", h.cfg.latency),
		url: func(repo string) string { return proxy.URL(filterSrv.URL(repo)) }, requests: proxy.Requests}
	if _, err := os.Stat(testenv.SSHDPath); err != nil {
		fmt.Fprintf(h.log, "bench: %s missing: the SSH rows are n/a\n", testenv.SSHDPath)
		return nil
	}
	dir, err := os.MkdirTemp(h.cache, "sshd-")
	if err != nil {
		return err
	}
	h.closers = append(h.closers, func() { os.RemoveAll(dir) })
	key, err := testenv.NewSSHKey(dir, "id_ed25519", "")
	if err != nil {
		return err
	}
	sshd, err := testenv.StartSSHD(dir, key.Authorized, h.serveDir, testenv.WithAcceptEnv("GIT_PROTOCOL"))
	if err != nil {
		return err
	}
	h.closers = append(h.closers, func() { sshd.Close() })
	kh := filepath.Join(dir, "known_hosts")
	if err := os.WriteFile(kh, []byte(sshd.HostKeyLine()+"\n"), 0o600); err != nil {
		return err
	}
	h.ssh = &server{label: "ssh, AcceptEnv GIT_PROTOCOL, allowFilter only", url: sshd.URL,
		gitEnv: []string{"GIT_SSH_COMMAND=ssh -i " + key.Path + " -o IdentitiesOnly=yes -o UserKnownHostsFile=" + kh +
			" -o StrictHostKeyChecking=yes -o BatchMode=yes"},
		tagbumpArgs: []string{"--ssh-key", key.Path, "--known-hosts", kh}}
	return nil
}

// cmd runs name with args in dir, sending its output to the log.
func (h *harness) cmd(ctx context.Context, dir, name string, args ...string) error {
	c := exec.CommandContext(ctx, name, args...)
	c.Dir, c.Stdout, c.Stderr = dir, h.log, h.log
	if err := c.Run(); err != nil {
		return fmt.Errorf("%s %s: %w", name, strings.Join(args, " "), err)
	}
	return nil
}

func moduleRoot(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	gomod := strings.TrimSpace(string(out))
	if err != nil || gomod == "" || gomod == os.DevNull {
		return "", fmt.Errorf("find module root: run bench inside the tagbump module (go env GOMOD: %q, %v)", gomod, err)
	}
	return filepath.Dir(gomod), nil
}

// ensureYQ installs mikefarah/yq into bin unless the right version is
// there; the yq on PATH may be another program of that name.
func ensureYQ(ctx context.Context, bin string, log io.Writer) (string, error) {
	yq := filepath.Join(bin, "yq")
	if out, err := exec.CommandContext(ctx, yq, "--version").Output(); err == nil && bytes.Contains(out, []byte("v4.54.3")) {
		return yq, nil
	}
	fmt.Fprintf(log, "bench: installing %s into %s\n", yqModule, bin)
	c := exec.CommandContext(ctx, "go", "install", yqModule)
	c.Env = append(os.Environ(), "GOBIN="+bin)
	c.Stdout, c.Stderr = log, log
	if err := c.Run(); err != nil {
		return "", fmt.Errorf("install yq: %w", err)
	}
	return yq, nil
}

// findTagbump builds bin/tagbump (unless -tagbump names one) and checks
// that it has the bump command.
func (h *harness) findTagbump(ctx context.Context) error {
	h.tagbump = h.cfg.tagbump
	if h.tagbump == "" {
		if err := h.cmd(ctx, h.root, "make", "-s", "build"); err != nil {
			return err
		}
		h.tagbump = filepath.Join(h.root, "bin", "tagbump")
	}
	err := exec.CommandContext(ctx, h.tagbump, "bump", "--help").Run()
	h.bumpOK = err == nil
	if !h.bumpOK {
		fmt.Fprintf(h.log, "bench: %s bump --help: %v: (c) is n/a\n", h.tagbump, err)
	}
	return nil
}

// repo returns the generated repository with charts and commits, from the
// cache when it is there, and a hard-linked copy of it to serve (git
// replaces files rather than writing into them, so the cache stays as
// generated).
func (h *harness) repo(ctx context.Context, charts, commits int) (*repo, error) {
	r := &repo{name: fmt.Sprintf("charts%d-commits%d-seed%d", charts, commits, h.cfg.seed), charts: charts, commits: commits}
	// The generator's source is part of the key: a changed generator
	// regenerates rather than measuring a stale repository.
	cached := filepath.Join(h.cache, r.name+"-"+h.genrepoHash+".git")
	stamp := filepath.Join(cached, "genrepo-done")
	if _, err := os.Stat(stamp); err != nil {
		os.RemoveAll(cached)
		fmt.Fprintf(h.log, "bench: generating %s\n", r.name)
		c := exec.CommandContext(ctx, h.genrepoBin, "-charts", strconv.Itoa(charts), "-commits", strconv.Itoa(commits),
			"-seed", strconv.FormatUint(h.cfg.seed, 10), "-out", cached)
		c.Stderr = h.log
		out, err := c.Output()
		if err != nil {
			return nil, fmt.Errorf("genrepo %s: %w", r.name, err)
		}
		fmt.Fprint(h.log, string(out))
		if _, err := fmt.Sscanf(lastField(out, "pack"), "%f", &r.packMB); err != nil {
			return nil, fmt.Errorf("genrepo %s: unexpected output %q", r.name, out)
		}
		if _, err := fmt.Sscanf(lastField(out, "MB,"), "%fs", &r.genSeconds); err != nil {
			return nil, fmt.Errorf("genrepo %s: unexpected output %q", r.name, out)
		}
		if err := os.WriteFile(stamp, out, 0o644); err != nil {
			return nil, err
		}
	} else {
		out, _ := os.ReadFile(stamp)
		fmt.Sscanf(lastField(out, "pack"), "%f", &r.packMB)
	}
	r.dir = filepath.Join(h.serveDir, r.name+".git")
	if err := h.cmd(ctx, "", "cp", "-al", cached, r.dir); err != nil {
		return nil, err
	}
	// sshd's git reads the repository's own config: filters on, wants by
	// id in v0 off, as the allowFilter-only HTTP server (whose settings
	// come from its environment and override these).
	for _, kv := range [][2]string{{"uploadpack.allowFilter", "true"}, {"uploadpack.allowAnySHA1InWant", "false"},
		{"uploadpack.allowReachableSHA1InWant", "false"}, {"uploadpack.allowTipSHA1InWant", "false"}, {"gc.auto", "0"}, {"receive.autogc", "false"}} {
		if _, err := gitOutput(ctx, r.dir, "config", kv[0], kv[1]); err != nil {
			return nil, err
		}
	}
	tip, err := gitOutput(ctx, r.dir, "rev-parse", "refs/heads/main")
	if err != nil {
		return nil, err
	}
	r.tip = tip
	return r, nil
}

// lastField returns the word after the last occurrence of word in out.
func lastField(out []byte, word string) string {
	f := strings.Fields(string(out))
	for i := len(f) - 2; i >= 0; i-- {
		if f[i] == word {
			return f[i+1]
		}
	}
	return ""
}

func gitOutput(ctx context.Context, dir string, args ...string) (string, error) {
	c := exec.CommandContext(ctx, "git", append([]string{"-C", dir}, args...)...)
	c.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null")
	out, err := c.Output()
	if err != nil {
		var stderr string
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = strings.TrimSpace(string(ee.Stderr))
		}
		return "", fmt.Errorf("git %s: %w: %s", strings.Join(args, " "), err, stderr)
	}
	return strings.TrimSpace(string(out)), nil
}

// sourceHash returns a short hash of the non-test Go files in dir.
func sourceHash(dir string) (string, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		return "", err
	}
	sum := sha256.New()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			return "", fmt.Errorf("hash genrepo source: %w", err)
		}
		fmt.Fprintf(sum, "%s %d\n", filepath.Base(f), len(b))
		sum.Write(b)
	}
	return hex.EncodeToString(sum.Sum(nil))[:12], nil
}
