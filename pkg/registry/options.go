package registry

import (
	"net/http"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/tagbump/tagbump/pkg/imageref"
)

// Option configures Verify, Push and Tag.
type Option func(*options)

type options struct {
	keychain     authn.Keychain
	insecure     []string
	transport    http.RoundTripper
	timeout      time.Duration
	attempts     int
	backoff      time.Duration
	progress     func(Progress)
	userAgent    string
	expectDigest string
	policy       imageref.Policy
}

func makeOptions(opts []Option) *options {
	o := &options{
		keychain:  authn.DefaultKeychain,
		timeout:   30 * time.Second,
		attempts:  3,
		backoff:   time.Second,
		userAgent: "tagbump",
	}
	for _, opt := range opts {
		opt(o)
	}
	if o.attempts < 1 {
		o.attempts = 1
	}
	return o
}

// WithKeychain sets where credentials come from. The default is
// authn.DefaultKeychain (docker's config.json, credential helpers and
// podman's auth.json), which falls back to anonymous access.
func WithKeychain(k authn.Keychain) Option {
	return func(o *options) { o.keychain = k }
}

// WithInsecureRegistries names registry hosts ("host" for any port, or
// "host:port") that may be reached over plain HTTP. Localhost and
// 127.0.0.0/8 always may; every other host, including private address
// ranges, must use HTTPS. The default is none.
func WithInsecureRegistries(hosts []string) Option {
	return func(o *options) { o.insecure = append(o.insecure, hosts...) }
}

// WithTransport sets the HTTP transport that requests go through, below
// tagbump's timeout, retry, scheme and authentication layers. The default
// is a clone of go-containerregistry's remote.DefaultTransport.
func WithTransport(t http.RoundTripper) Option {
	return func(o *options) { o.transport = t }
}

// WithTimeout sets how long one request may go without progress:
// connecting, waiting for the response headers, or reading or writing the
// body. The default is 30 seconds.
func WithTimeout(d time.Duration) Option {
	return func(o *options) { o.timeout = d }
}

// WithRetry sets how many times in all a request is tried (1 = no retry)
// when the registry answers 408, 429 or 5xx, or the network fails or
// times out; 401, 403 and 404 are never retried. Values below 1 count as
// 1. The default is 3 attempts.
func WithRetry(attempts int) Option {
	return func(o *options) { o.attempts = attempts }
}

// WithBackoff sets the wait before the first retry; each later wait is
// twice as long, and every wait gets up to 100% random jitter added. The
// default is 1 second.
func WithBackoff(d time.Duration) Option {
	return func(o *options) { o.backoff = d }
}

// Progress reports how far a Push has come.
type Progress struct {
	// Complete and Total count bytes of blobs and manifests; blobs that the
	// registry already has count as complete.
	Complete, Total int64
	// Layers is the number of layers of the pushed image or images.
	Layers int
}

// WithProgress makes Push call f, from one goroutine at a time, as bytes
// are written. The default is no progress reports.
func WithProgress(f func(Progress)) Option {
	return func(o *options) { o.progress = f }
}

// WithUserAgent sets the product added to the User-Agent header. The
// default is "tagbump".
func WithUserAgent(ua string) Option {
	return func(o *options) { o.userAgent = ua }
}

// WithExpectDigest makes Verify fail with a *RefusedError unless the tag
// points to digest, in addition to the digest of the reference itself. The
// default is to accept any digest.
func WithExpectDigest(digest string) Option {
	return func(o *options) { o.expectDigest = digest }
}

// WithPolicy sets the tag policy that Verify, Push and Tag apply before
// they contact the registry. The default is the zero imageref.Policy,
// which refuses "latest".
func WithPolicy(p imageref.Policy) Option {
	return func(o *options) { o.policy = p }
}
