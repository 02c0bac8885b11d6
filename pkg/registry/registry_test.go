package registry_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tagbump/tagbump/internal/testenv"
	"github.com/tagbump/tagbump/pkg/imageref"
	"github.com/tagbump/tagbump/pkg/registry"
)

// fast makes retries quick so that tests do not wait for backoff.
var fast = []registry.Option{registry.WithBackoff(time.Millisecond), registry.WithTimeout(5 * time.Second)}

func opts(extra ...registry.Option) []registry.Option {
	return append(append([]registry.Option{}, fast...), extra...)
}

func startRegistry(t *testing.T, wrap ...func(http.Handler) http.Handler) *testenv.Registry {
	t.Helper()
	var o []testenv.RegistryOption
	for _, w := range wrap {
		o = append(o, testenv.WithMiddleware(w))
	}
	r, err := testenv.StartRegistry(o...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

func ref(t testing.TB, s string) imageref.Ref {
	t.Helper()
	r, err := imageref.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// tarball writes a new random image as a docker save tarball and returns
// its path and digest.
func tarball(t *testing.T, size, layers int64) (string, string) {
	t.Helper()
	img, err := testenv.RandomImage(size, layers)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "image.tar")
	if err := testenv.WriteTarball(path, "example.com/app:build", img); err != nil {
		t.Fatal(err)
	}
	d, _ := img.Digest()
	return path, d.String()
}

func indexLayout(t *testing.T) (string, string) {
	t.Helper()
	idx, err := testenv.RandomIndex(1024)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "layout")
	if err := testenv.WriteIndexLayout(dir, idx); err != nil {
		t.Fatal(err)
	}
	d, _ := idx.Digest()
	return dir, d.String()
}

func mustPush(t *testing.T, from string, r imageref.Ref) *registry.PushResult {
	t.Helper()
	res, err := registry.Push(context.Background(), from, r, opts()...)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestVerify(t *testing.T) {
	reg := startRegistry(t)
	path, digest := tarball(t, 1024, 2)
	r := ref(t, reg.Host()+"/team/app:1.0.0")
	mustPush(t, path, r)

	before := reg.Requests()
	got, err := registry.Verify(context.Background(), r, opts()...)
	if err != nil {
		t.Fatal(err)
	}
	want := &registry.Descriptor{Image: r.String() + "@" + digest, Tag: "1.0.0", Digest: digest, MediaType: "application/vnd.docker.distribution.manifest.v2+json"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Verify (-want +got):\n%s", diff)
	}
	if n := reg.Requests() - before; n != 2 {
		t.Errorf("Verify made %d requests, want 2 (ping and HEAD)", n)
	}

	// The digest in the reference and the expected digest both count.
	r.Digest = digest
	if _, err := registry.Verify(context.Background(), r, opts(registry.WithExpectDigest(digest))...); err != nil {
		t.Errorf("Verify with the right digest: %v", err)
	}
	other := "sha256:" + strings.Repeat("0", 64)
	for _, o := range [][]registry.Option{opts(registry.WithExpectDigest(other))} {
		_, err := registry.Verify(context.Background(), r, o...)
		var re *registry.RefusedError
		if !errors.As(err, &re) || !strings.Contains(err.Error(), "expected "+other) {
			t.Errorf("Verify with a wrong expected digest = %v, want *RefusedError naming it", err)
		}
	}
	r.Digest = other
	if _, err := registry.Verify(context.Background(), r, opts()...); !isRefused(err) {
		t.Errorf("Verify with a wrong digest in the reference = %v, want *RefusedError", err)
	}
}

func isRefused(err error) bool {
	var re *registry.RefusedError
	return errors.As(err, &re)
}

func isNotFound(err error) bool {
	var nf *registry.NotFoundError
	return errors.As(err, &nf)
}

func TestVerifyNotFound(t *testing.T) {
	reg := startRegistry(t)
	path, _ := tarball(t, 512, 1)
	mustPush(t, path, ref(t, reg.Host()+"/app:1"))
	for _, s := range []string{"/app:2", "/no/such/repo:1"} {
		_, err := registry.Verify(context.Background(), ref(t, reg.Host()+s), opts()...)
		if !isNotFound(err) || !strings.Contains(err.Error(), "not found") {
			t.Errorf("Verify(%s) = %v, want *NotFoundError", s, err)
		}
	}
}

func TestVerifyPolicyBeforeRequests(t *testing.T) {
	reg := startRegistry(t)
	_, err := registry.Verify(context.Background(), ref(t, reg.Host()+"/app:latest"), opts()...)
	var pe *imageref.PolicyError
	if !errors.As(err, &pe) {
		t.Errorf("Verify(latest) = %v, want *imageref.PolicyError", err)
	}
	p := imageref.Policy{Pattern: regexp.MustCompile(`^v[0-9]+$`)}
	_, err = registry.Verify(context.Background(), ref(t, reg.Host()+"/app:1"), opts(registry.WithPolicy(p))...)
	if !errors.As(err, &pe) {
		t.Errorf("Verify with a pattern = %v, want *imageref.PolicyError", err)
	}
	_, err = registry.Verify(context.Background(), imageref.Ref{Registry: reg.Host(), Repository: "app", Tag: "-bad"}, opts()...)
	var ie *imageref.Error
	if !errors.As(err, &ie) {
		t.Errorf("Verify(-bad) = %v, want *imageref.Error", err)
	}
	if n := reg.Requests(); n != 0 {
		t.Errorf("refused tags made %d requests, want 0", n)
	}
}

func TestVerifyIndexPlatforms(t *testing.T) {
	reg := startRegistry(t)
	dir, digest := indexLayout(t)
	r := ref(t, reg.Host()+"/multi:1")
	res := mustPush(t, dir, r)
	if res.Digest != digest || !res.Pushed || res.Layers != 2 {
		t.Errorf("Push(index) = %+v, want digest %s, pushed, 2 layers", res, digest)
	}
	got, err := registry.Verify(context.Background(), r, opts()...)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"linux/amd64", "linux/arm64"}, got.Platforms); diff != "" || got.Digest != digest {
		t.Errorf("Verify(index) = %+v; platforms (-want +got):\n%s", got, diff)
	}
}

// stripDigest removes Docker-Content-Digest from HEAD answers and records
// the methods of manifest requests.
// recorder records the methods of manifest requests, and every write
// (POST, PUT, PATCH, DELETE) to any path.
type recorder struct {
	mu      sync.Mutex
	methods []string
	writes  []string
}

func (rec *recorder) wrap(strip bool) func(http.Handler) http.Handler {
	return func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			switch req.Method {
			case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
				rec.mu.Lock()
				rec.writes = append(rec.writes, req.Method+" "+req.URL.Path)
				rec.mu.Unlock()
			}
			if strings.Contains(req.URL.Path, "/manifests/") {
				rec.mu.Lock()
				rec.methods = append(rec.methods, req.Method)
				rec.mu.Unlock()
				if strip && req.Method == http.MethodHead {
					w = &noDigest{ResponseWriter: w}
				}
			}
			h.ServeHTTP(w, req)
		})
	}
}

func (rec *recorder) reset() []string {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	m := rec.methods
	rec.methods, rec.writes = nil, nil
	return m
}

// written returns the writes recorded since the last reset.
func (rec *recorder) written() []string {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return append([]string(nil), rec.writes...)
}

type noDigest struct{ http.ResponseWriter }

func (n *noDigest) WriteHeader(code int) {
	n.Header().Del("Docker-Content-Digest")
	n.ResponseWriter.WriteHeader(code)
}

func TestVerifyHeadWithoutDigestFallsBackToGet(t *testing.T) {
	rec := &recorder{}
	reg := startRegistry(t, rec.wrap(true))
	path, digest := tarball(t, 512, 1)
	r := ref(t, reg.Host()+"/app:1")
	mustPush(t, path, r)
	rec.reset()
	got, err := registry.Verify(context.Background(), r, opts()...)
	if err != nil {
		t.Fatal(err)
	}
	if got.Digest != digest {
		t.Errorf("digest = %s, want %s", got.Digest, digest)
	}
	if diff := cmp.Diff([]string{"HEAD", "GET"}, rec.reset()); diff != "" {
		t.Errorf("manifest requests (-want +got):\n%s", diff)
	}
}

func TestPushIdempotentAndImmutable(t *testing.T) {
	rec := &recorder{}
	reg := startRegistry(t, rec.wrap(false))
	path, digest := tarball(t, 2048, 2)
	r := ref(t, reg.Host()+"/app:app-service-123")
	var last atomic.Value
	res, err := registry.Push(context.Background(), path, r, opts(registry.WithProgress(func(p registry.Progress) { last.Store(p) }))...)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Pushed || res.Digest != digest || res.Layers != 2 || res.Image != r.String()+"@"+digest {
		t.Errorf("Push = %+v", res)
	}
	if p, _ := last.Load().(registry.Progress); p.Complete == 0 || p.Complete != p.Total || p.Layers != 2 {
		t.Errorf("last progress = %+v, want complete == total > 0 and 2 layers", p)
	}
	if w := rec.written(); !slices.Contains(w, "PUT /v2/app/manifests/app-service-123") {
		t.Errorf("first push writes = %v, want the manifest PUT among them", w)
	}

	rec.reset()
	res, err = registry.Push(context.Background(), path, r, opts()...)
	if err != nil || res.Pushed || res.Digest != digest {
		t.Errorf("re-push = %+v, %v; want not pushed, same digest", res, err)
	}
	if m := rec.reset(); len(m) != 1 || m[0] != "HEAD" {
		t.Errorf("re-push manifest requests = %v, want one HEAD", m)
	}

	other, _ := tarball(t, 2048, 2)
	rec.reset()
	_, err = registry.Push(context.Background(), other, r, opts()...)
	if !isRefused(err) || !strings.Contains(err.Error(), "tag exists with digest "+digest) {
		t.Errorf("push of another digest = %v, want *RefusedError", err)
	}
	if w := rec.written(); len(w) != 0 {
		t.Errorf("refused push wrote to the registry: %v, want no blob or manifest write", w)
	}
	got, err := registry.Verify(context.Background(), r, opts()...)
	if err != nil || got.Digest != digest {
		t.Errorf("after refused push the tag holds %v, %v; want %s", got, err, digest)
	}
}

func TestPushLayout(t *testing.T) {
	reg := startRegistry(t)
	img, _ := testenv.RandomImage(1024, 3)
	dir := filepath.Join(t.TempDir(), "oci")
	if err := testenv.WriteLayout(dir, img); err != nil {
		t.Fatal(err)
	}
	d, _ := img.Digest()
	res := mustPush(t, dir, ref(t, reg.Host()+"/app:v1.2.3"))
	if res.Digest != d.String() || res.Layers != 3 {
		t.Errorf("Push(layout) = %+v, want digest %s, 3 layers", res, d)
	}
}

func TestPushBadSource(t *testing.T) {
	reg := startRegistry(t)
	r := ref(t, reg.Host()+"/app:1")
	for _, from := range []string{filepath.Join(t.TempDir(), "missing.tar"), "registry_test.go", t.TempDir()} {
		_, err := registry.Push(context.Background(), from, r, opts()...)
		var se *registry.SourceError
		if !errors.As(err, &se) {
			t.Errorf("Push(%s) = %v, want *SourceError", from, err)
		}
	}
}

func TestTag(t *testing.T) {
	rec := &recorder{}
	reg := startRegistry(t, rec.wrap(false))
	path, digest := tarball(t, 1024, 1)
	src := ref(t, reg.Host()+"/app:build-7")
	mustPush(t, path, src)

	rec.reset()
	got, err := registry.Tag(context.Background(), src, "1.0.0", opts()...)
	if err != nil {
		t.Fatal(err)
	}
	if got.Digest != digest || got.Image != reg.Host()+"/app:1.0.0@"+digest {
		t.Errorf("Tag = %+v", got)
	}
	if m := rec.reset(); strings.Count(strings.Join(m, " "), "PUT") != 1 {
		t.Errorf("Tag manifest requests = %v, want exactly one PUT", m)
	}
	// Again: nothing written.
	if _, err := registry.Tag(context.Background(), src, "1.0.0", opts()...); err != nil {
		t.Errorf("Tag again = %v", err)
	}
	if m := rec.reset(); strings.Contains(strings.Join(m, " "), "PUT") {
		t.Errorf("Tag again wrote: %v", m)
	}
	// By digest.
	bydigest := src
	bydigest.Digest = digest
	if _, err := registry.Tag(context.Background(), bydigest, "1.0.1", opts()...); err != nil {
		t.Errorf("Tag by digest = %v", err)
	}
	// Moving 1.0.0 to another image is refused.
	other, _ := tarball(t, 1024, 1)
	src2 := ref(t, reg.Host()+"/app:build-8")
	mustPush(t, other, src2)
	if _, err := registry.Tag(context.Background(), src2, "1.0.0", opts()...); !isRefused(err) {
		t.Errorf("moving a tag = %v, want *RefusedError", err)
	}
	// By digest alone, without a tag.
	digestOnly := bydigest
	digestOnly.Tag = ""
	if got, err := registry.Tag(context.Background(), digestOnly, "1.0.2", opts()...); err != nil || got.Digest != digest {
		t.Errorf("Tag by digest alone = %+v, %v; want digest %s", got, err, digest)
	}
	// A tag and a digest that disagree: refused, nothing written.
	mismatch := src2
	mismatch.Digest = digest
	rec.reset()
	if _, err := registry.Tag(context.Background(), mismatch, "1.0.3", opts()...); !isRefused(err) || !strings.Contains(err.Error(), "build-8 refused: tag points to") {
		t.Errorf("Tag with a tag and a digest that disagree = %v, want *RefusedError", err)
	}
	if w := rec.written(); len(w) != 0 {
		t.Errorf("refused Tag wrote %v", w)
	}
	if _, err := registry.Tag(context.Background(), ref(t, reg.Host()+"/app:nope"), "2", opts()...); !isNotFound(err) {
		t.Errorf("tagging a missing source = %v, want *NotFoundError", err)
	}
	if _, err := registry.Tag(context.Background(), src, "latest", opts()...); err == nil {
		t.Error("Tag(latest) succeeded")
	}
}

// failing answers the first n manifest requests with status, then passes
// requests through; it counts the manifest requests.
type failing struct {
	n, status int
	seen      atomic.Int64
}

func (f *failing) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if strings.Contains(req.URL.Path, "/manifests/") {
			if int(f.seen.Add(1)) <= f.n {
				w.WriteHeader(f.status)
				return
			}
		}
		h.ServeHTTP(w, req)
	})
}

func TestRetries(t *testing.T) {
	for _, tc := range []struct {
		status, n int
		wantSeen  int64
		ok        bool
	}{
		{http.StatusServiceUnavailable, 2, 3, true},
		{http.StatusTooManyRequests, 1, 2, true},
		{http.StatusBadGateway, 100, 3, false},
	} {
		f := &failing{n: 1 << 30, status: tc.status}
		reg := startRegistry(t, f.wrap)
		path, _ := tarball(t, 256, 1)
		r := ref(t, reg.Host()+"/app:1")
		f.n = 0
		mustPush(t, path, r)
		f.seen.Store(0)
		f.n = tc.n
		_, err := registry.Verify(context.Background(), r, opts()...)
		if (err == nil) != tc.ok {
			t.Errorf("%d×%d: Verify = %v, want ok=%v", tc.n, tc.status, err, tc.ok)
		}
		if !tc.ok {
			var ne *registry.NetworkError
			if !errors.As(err, &ne) || ne.Status != tc.status {
				t.Errorf("%d×%d: Verify = %v, want *NetworkError with status %d", tc.n, tc.status, err, tc.status)
			}
		}
		if got := f.seen.Load(); got != tc.wantSeen {
			t.Errorf("%d×%d: %d manifest requests, want %d", tc.n, tc.status, got, tc.wantSeen)
		}
	}
}

func TestNoRetryOn401(t *testing.T) {
	f := &failing{n: 1 << 30, status: http.StatusUnauthorized}
	reg := startRegistry(t, f.wrap)
	_, err := registry.Verify(context.Background(), ref(t, reg.Host()+"/app:1"), opts()...)
	var ae *registry.AuthError
	if !errors.As(err, &ae) || !ae.Anonymous || ae.Status != 401 {
		t.Errorf("Verify = %v, want anonymous *AuthError 401", err)
	}
	// One HEAD, then one GET to read the reason from the body: no retry.
	if got := f.seen.Load(); got != 2 {
		t.Errorf("%d manifest requests, want 2 (HEAD, then GET for the reason)", got)
	}
}

func TestTimeout(t *testing.T) {
	l, err := testenv.StartSilent()
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	r := ref(t, l.Addr().String()+"/app:1")
	_, err = registry.Verify(context.Background(), r, registry.WithTimeout(200*time.Millisecond), registry.WithRetry(2), registry.WithBackoff(time.Millisecond))
	var ne *registry.NetworkError
	if !errors.As(err, &ne) || !strings.Contains(err.Error(), "no answer from "+l.Addr().String()+" within 200ms") {
		t.Errorf("Verify against a silent server = %v, want *NetworkError naming the timeout", err)
	}
}

func TestCancel(t *testing.T) {
	l, err := testenv.StartSilent()
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	_, err = registry.Verify(ctx, ref(t, l.Addr().String()+"/app:1"), registry.WithTimeout(time.Minute))
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Verify after cancel = %v, want context.Canceled", err)
	}
}

// redirectDial makes every connection go to addr, whatever the host name,
// so that a private-range registry name can be tested on loopback.
func redirectDial(addr string) http.RoundTripper {
	return &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}}
}

func TestPlainHTTPOnlyWhenAllowed(t *testing.T) {
	reg := startRegistry(t)
	path, _ := tarball(t, 256, 1)
	mustPush(t, path, ref(t, reg.Host()+"/app:1"))
	private := ref(t, "10.1.2.3:5000/app:1")
	_, err := registry.Verify(context.Background(), private, opts(registry.WithTransport(redirectDial(reg.Host())))...)
	if err == nil || !strings.Contains(err.Error(), "plain http to 10.1.2.3:5000 refused") {
		t.Errorf("Verify over http to a private address = %v, want the plain http refusal", err)
	}
	_, err = registry.Verify(context.Background(), private, opts(registry.WithTransport(redirectDial(reg.Host())), registry.WithInsecureRegistries([]string{"10.1.2.3"}))...)
	if err != nil {
		t.Errorf("Verify with --insecure-registry = %v", err)
	}
}
