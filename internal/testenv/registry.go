// Package testenv starts real servers on loopback for tests, the demo and
// benchmarks. Nothing here depends on package testing.
package testenv

import (
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"
	"golang.org/x/crypto/bcrypt"
)

// Registry is an OCI registry listening on 127.0.0.1, in process or as a
// child process.
type Registry struct {
	host     string
	requests atomic.Int64
	srv      *httptest.Server
	cmd      *exec.Cmd
	exited   chan struct{}
	logPath  string
}

// Host returns the registry's "127.0.0.1:PORT".
func (r *Registry) Host() string { return r.host }

// Requests returns how many HTTP requests the in-process registry has
// answered so far (always 0 for a distribution registry).
func (r *Registry) Requests() int64 { return r.requests.Load() }

// Close stops the registry and waits for it to exit.
func (r *Registry) Close() error {
	if r.srv != nil {
		r.srv.Close()
	}
	if r.cmd != nil {
		select {
		case <-r.exited:
		default:
			_ = r.cmd.Process.Kill()
			<-r.exited
		}
	}
	return nil
}

// RegistryOption configures StartRegistry.
type RegistryOption func(*registryOptions)

type registryOptions struct {
	wrap      func(http.Handler) http.Handler
	referrers bool
}

// WithReferrers makes the in-process registry serve the OCI 1.1 referrers
// API (GET /v2/<repo>/referrers/<digest>). The default is no such API, as
// the distribution registry 2.x has none.
func WithReferrers() RegistryOption {
	return func(o *registryOptions) { o.referrers = true }
}

// WithMiddleware puts wrap around the registry's handler, e.g. to fail
// requests or strip headers. The default is no middleware.
func WithMiddleware(wrap func(http.Handler) http.Handler) RegistryOption {
	return func(o *registryOptions) { o.wrap = wrap }
}

// StartRegistry starts go-containerregistry's in-process registry on
// 127.0.0.1 with a free port; it keeps everything in memory and has no
// authentication.
func StartRegistry(opts ...RegistryOption) (*Registry, error) {
	var o registryOptions
	for _, opt := range opts {
		opt(&o)
	}
	var h = ggcrregistry.New(ggcrregistry.Logger(log.New(io.Discard, "", 0)), ggcrregistry.WithReferrersSupport(o.referrers))
	if o.wrap != nil {
		h = o.wrap(h)
	}
	r := &Registry{}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.requests.Add(1)
		h.ServeHTTP(w, req)
	}))
	r.host = strings.TrimPrefix(r.srv.URL, "http://")
	return r, nil
}

// DistributionAvailable returns nil when Debian's docker-registry binary
// (the distribution registry) is on PATH.
func DistributionAvailable() error {
	if _, err := exec.LookPath("docker-registry"); err != nil {
		return fmt.Errorf("docker-registry not found: install it with apt-get install docker-registry (scripts/ci-deps.sh): %w", err)
	}
	return nil
}

// TB is the part of testing.TB that NeedDistribution uses.
type TB interface {
	Helper()
	Skipf(format string, args ...any)
	Fatalf(format string, args ...any)
}

// NeedDistribution skips the test when the distribution registry is
// missing, except when CI=true, where a missing binary fails the test.
func NeedDistribution(t TB) {
	t.Helper()
	if err := DistributionAvailable(); err != nil {
		if Strict() {
			t.Fatalf("%v (CI=true: tests needing it must not be skipped)", err)
		}
		t.Skipf("%v", err)
	}
}

// StartDistribution starts the distribution registry (Debian's
// docker-registry) on 127.0.0.1 with a free port, storing its data, config
// and log under dir. With users (name → password) it requires htpasswd
// (bcrypt) basic authentication; without, it is open. It returns once
// GET /v2/ answers.
func StartDistribution(dir string, users map[string]string) (*Registry, error) {
	if err := DistributionAvailable(); err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	cfg := fmt.Sprintf(`version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: %s
  delete:
    enabled: true
http:
  addr: %s
  secret: tagbump-test-secret
`, filepath.Join(dir, "data"), addr)
	if len(users) > 0 {
		var b strings.Builder
		for u, p := range users {
			h, err := bcrypt.GenerateFromPassword([]byte(p), bcrypt.MinCost)
			if err != nil {
				return nil, err
			}
			fmt.Fprintf(&b, "%s:%s\n", u, h)
		}
		htpasswd := filepath.Join(dir, "htpasswd")
		if err := os.WriteFile(htpasswd, []byte(b.String()), 0o600); err != nil {
			return nil, err
		}
		cfg += fmt.Sprintf("auth:\n  htpasswd:\n    realm: tagbump-test\n    path: %s\n", htpasswd)
	}
	cfgPath := filepath.Join(dir, "config.yml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		return nil, err
	}
	r := &Registry{host: addr, logPath: filepath.Join(dir, "registry.log"), exited: make(chan struct{})}
	logf, err := os.Create(r.logPath)
	if err != nil {
		return nil, err
	}
	r.cmd = exec.Command("docker-registry", "serve", cfgPath)
	r.cmd.Stdout, r.cmd.Stderr = logf, logf
	if err := r.cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("start docker-registry: %w", err)
	}
	go func() { _ = r.cmd.Wait(); logf.Close(); close(r.exited) }()
	if err := r.waitReady(15 * time.Second); err != nil {
		r.Close()
		out, _ := os.ReadFile(r.logPath)
		return nil, fmt.Errorf("docker-registry on %s: %w; log:\n%s", addr, err, out)
	}
	return r, nil
}

func (r *Registry) waitReady(limit time.Duration) error {
	c := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		select {
		case <-r.exited:
			return errors.New("exited before it was ready")
		default:
		}
		resp, err := c.Get("http://" + r.host + "/v2/")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusUnauthorized {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("not ready after %s", limit)
}

// freePort returns a TCP port that was free on 127.0.0.1 a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// StartSilent starts a TCP listener on 127.0.0.1 that accepts connections
// and never answers, to test timeouts. Close the listener to stop it.
func StartSilent() (net.Listener, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	go func() {
		var conns []net.Conn
		defer func() {
			for _, c := range conns {
				c.Close()
			}
		}()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	return l, nil
}
