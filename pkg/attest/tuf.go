package attest

import (
	"context"
	"fmt"
	"strings"

	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/tuf"
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
// from the last one seen. Errors are *TUFError.
func FetchTrustedRoot(ctx context.Context, url string, tufRoot []byte, cacheDir string) ([]byte, error) {
	url = strings.TrimRight(url, "/")
	opts := tuf.DefaultOptions().WithContext(ctx).WithRepositoryBaseURL(url).WithCachePath(cacheDir).WithCacheValidity(tuf.NoCache)
	switch {
	case len(tufRoot) > 0:
		opts = opts.WithRoot(tufRoot)
	case url != PublicGoodTUF:
		return nil, &TUFError{URL: url, Err: fmt.Errorf("no initial root: give the repository's root.json with --tuf-root")}
	}
	c, err := tuf.New(opts)
	if err != nil {
		return nil, &TUFError{URL: url, Err: err}
	}
	b, err := c.GetTarget("trusted_root.json")
	if err != nil {
		return nil, &TUFError{URL: url, Err: err}
	}
	if _, err := root.NewTrustedRootFromJSON(b); err != nil {
		return nil, &TUFError{URL: url, Err: fmt.Errorf("trusted_root.json: %w", err)}
	}
	return b, nil
}
