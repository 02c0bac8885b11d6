package registry_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/tagbump/tagbump/internal/testenv"
	"github.com/tagbump/tagbump/pkg/registry"
)

// counter counts the plain-HTTP requests that go through it. For a
// loopback registry go-containerregistry also tries https in parallel
// with the http ping; that attempt never reaches the server as an HTTP
// request and is not counted.
type counter struct {
	n atomic.Int64
}

func (c *counter) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Scheme == "http" {
		c.n.Add(1)
	}
	return http.DefaultTransport.RoundTrip(req)
}

func startDistribution(t testing.TB, users map[string]string) *testenv.Registry {
	t.Helper()
	testenv.NeedDistribution(t)
	r, err := testenv.StartDistribution(t.TempDir(), users)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

func basic(user, pass string) authn.Keychain {
	return staticKeychain{authn.FromConfig(authn.AuthConfig{Username: user, Password: pass})}
}

type staticKeychain struct{ a authn.Authenticator }

func (k staticKeychain) Resolve(authn.Resource) (authn.Authenticator, error) { return k.a, nil }

func TestDistributionAuth(t *testing.T) {
	const user, pass = "ci", "correct-Horse-battery-staple"
	reg := startDistribution(t, map[string]string{user: pass})
	path, digest := tarball(t, 4096, 2)
	r := ref(t, reg.Host()+"/team/app:1.0.0")
	good := opts(registry.WithKeychain(basic(user, pass)))
	if _, err := registry.Push(context.Background(), path, r, good...); err != nil {
		t.Fatal(err)
	}

	c := &counter{}
	d, err := registry.Verify(context.Background(), r, append(good, registry.WithTransport(c))...)
	if err != nil || d.Digest != digest {
		t.Fatalf("Verify = %+v, %v; want digest %s", d, err, digest)
	}
	if n := c.n.Load(); n != 2 {
		t.Errorf("Verify made %d requests, want 2 (ping, HEAD)", n)
	}

	if _, err := registry.Verify(context.Background(), ref(t, reg.Host()+"/team/nothing:1"), good...); !isNotFound(err) {
		t.Errorf("missing repository = %v, want *NotFoundError", err)
	}

	c = &counter{}
	_, err = registry.Verify(context.Background(), r, opts(registry.WithKeychain(basic(user, "wrong-password-42")), registry.WithTransport(c))...)
	var ae *registry.AuthError
	if !errors.As(err, &ae) || ae.Anonymous || ae.Status != http.StatusUnauthorized {
		t.Errorf("wrong password = %v, want *AuthError 401 with credentials", err)
	}
	if err != nil && (strings.Contains(err.Error(), "wrong-password-42") || strings.Contains(fmt.Sprintf("%+v", err), "wrong-password-42")) {
		t.Errorf("the error shows the password: %v", err)
	}
	// ping, HEAD, GET for the reason: no retry.
	if n := c.n.Load(); n != 3 {
		t.Errorf("wrong password made %d requests, want 3 (no retries)", n)
	}

	_, err = registry.Verify(context.Background(), r, opts(registry.WithKeychain(authn.NewMultiKeychain()))...)
	if !errors.As(err, &ae) || !ae.Anonymous {
		t.Errorf("no credentials = %v, want anonymous *AuthError", err)
	}
}

// BenchmarkPush pushes a 50 MB image of two layers from a docker save
// tarball to a new repository of the distribution registry (or, when it
// is missing, the in-process registry) per iteration.
func BenchmarkPush(b *testing.B) {
	var host string
	if testenv.DistributionAvailable() == nil {
		host = startDistribution(b, nil).Host()
	} else {
		r, err := testenv.StartRegistry()
		if err != nil {
			b.Fatal(err)
		}
		defer r.Close()
		host = r.Host()
	}
	img, err := testenv.RandomImage(25<<20, 2)
	if err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(b.TempDir(), "image.tar")
	if err := testenv.WriteTarball(path, "example.com/app:bench", img); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(50 << 20)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r := ref(b, fmt.Sprintf("%s/bench/app%d:1", host, i))
		if _, err := registry.Push(context.Background(), path, r); err != nil {
			b.Fatal(err)
		}
	}
}
