package attest

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/tuf"
	"github.com/theupdateframework/go-tuf/v2/metadata/fetcher"
)

// PublicGoodTUF is Sigstore's public-good TUF repository, whose initial
// root sigstore-go embeds.
const PublicGoodTUF = tuf.DefaultMirror

// TUFError reports a trusted root that could not be fetched or verified
// from a TUF repository: the repository was unreachable, or its metadata
// or the file did not verify from the initial root.
type TUFError struct {
	URL string
	Err error
}

func (e *TUFError) Error() string {
	return fmt.Sprintf("trusted root from TUF repository %s: %v: check --tuf-url and --tuf-root, or give --trusted-root", e.URL, e.Err)
}

func (e *TUFError) Unwrap() error { return e.Err }

// FetchTrustedRoot gets trusted_root.json from the TUF repository at url,
// verified from tufRoot, that repository's initial root.json (empty for
// PublicGoodTUF: sigstore-go embeds its root). TUF metadata is kept in
// cacheDir between runs, so that a later root rotation is followed
// from the last one seen. It returns when ctx ends, whatever the
// repository does: every request carries ctx and, when ctx has a
// deadline, an HTTP client timeout up to it. Errors are *TUFError.
func FetchTrustedRoot(ctx context.Context, url string, tufRoot []byte, cacheDir string) ([]byte, error) {
	url = strings.TrimRight(url, "/")
	if len(tufRoot) == 0 && url != PublicGoodTUF {
		return nil, &TUFError{URL: url, Err: fmt.Errorf("no initial root: give the repository's root.json with --tuf-root")}
	}
	// sigstore-go v1.3.0 keeps Options.Context for background tasks and
	// go-tuf v2's DefaultFetcher sends its requests with http.DefaultClient
	// and context.Background(): the fetcher's client is what bounds them.
	hc := &http.Client{}
	if d, ok := ctx.Deadline(); ok {
		hc.Timeout = max(time.Until(d), time.Millisecond)
	}
	f := fetcher.NewDefaultFetcher() // one attempt per file, as sigstore-go's
	f.SetHTTPClient(ctxClient{ctx: ctx, hc: hc})
	opts := tuf.DefaultOptions().WithContext(ctx).WithRepositoryBaseURL(url).WithCachePath(cacheDir).WithCacheValidity(tuf.NoCache).WithFetcher(f)
	if len(tufRoot) > 0 {
		opts = opts.WithRoot(tufRoot)
	}
	type result struct {
		b   []byte
		err error
	}
	done := make(chan result, 1)
	go func() {
		b, err := fetchTarget(opts)
		done <- result{b, err}
	}()
	select {
	case r := <-done:
		if r.err != nil {
			return nil, &TUFError{URL: url, Err: r.err}
		}
		return r.b, nil
	case <-ctx.Done():
		return nil, &TUFError{URL: url, Err: context.Cause(ctx)}
	}
}

// fetchTarget runs the TUF client of opts and returns trusted_root.json,
// checked to parse.
func fetchTarget(opts *tuf.Options) ([]byte, error) {
	c, err := tuf.New(opts)
	if err != nil {
		return nil, err
	}
	b, err := c.GetTarget("trusted_root.json")
	if err != nil {
		return nil, err
	}
	if _, err := root.NewTrustedRootFromJSON(b); err != nil {
		return nil, fmt.Errorf("trusted_root.json: %w", err)
	}
	return b, nil
}

// ctxClient sends every request of go-tuf's fetcher, which makes them
// without a context, with ctx.
type ctxClient struct {
	ctx context.Context
	hc  *http.Client
}

func (c ctxClient) Do(req *http.Request) (*http.Response, error) {
	return c.hc.Do(req.WithContext(c.ctx))
}
