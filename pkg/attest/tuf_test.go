package attest_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/tagbump/tagbump/internal/testenv"
	"github.com/tagbump/tagbump/pkg/attest"
)

// TestFetchTrustedRoot fetches trusted_root.json from a TUF repository on
// loopback, verified from its initial root, and refuses a file or metadata
// that does not verify.
func TestFetchTrustedRoot(t *testing.T) {
	ss, sroot := sigstore(t)
	repo, err := testenv.NewTUFRepository(map[string][]byte{"trusted_root.json": sroot})
	if err != nil {
		t.Fatal(err)
	}
	defer repo.Close()
	other, err := testenv.NewTUFRepository(map[string][]byte{"trusted_root.json": sroot})
	if err != nil {
		t.Fatal(err)
	}
	other.Close()
	ctx := context.Background()

	got, err := attest.FetchTrustedRoot(ctx, repo.URL()+"/", repo.Root, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, sroot) {
		t.Fatalf("fetched %d bytes, not the trusted root served", len(got))
	}
	reg := startRegistry(t, testenv.WithReferrers())
	im := pushImage(t, reg.Host(), "team/app")
	im.attach(t, signBundle(t, ss, im.ref.Digest, attest.CosignSign, good))
	if _, err := attest.Verify(ctx, im.ref, keyless(t, got), true, fast...); err != nil {
		t.Errorf("verify under the fetched root: %v", err)
	}

	for name, fetch := range map[string]func() error{
		"no initial root": func() error {
			_, err := attest.FetchTrustedRoot(ctx, repo.URL(), nil, t.TempDir())
			return err
		},
		"another repository's root": func() error {
			_, err := attest.FetchTrustedRoot(ctx, repo.URL(), other.Root, t.TempDir())
			return err
		},
		"tampered target": func() error {
			repo.Tamper("trusted_root.json", append(bytes.Clone(sroot), ' '))
			_, err := attest.FetchTrustedRoot(ctx, repo.URL(), repo.Root, t.TempDir())
			return err
		},
	} {
		var te *attest.TUFError
		if err := fetch(); !errors.As(err, &te) {
			t.Errorf("%s: err = %v, want *TUFError", name, err)
		}
	}
}

// TestFetchTrustedRootHonoursContext: a TUF repository
// that accepts the connection and never answers must not hang tagbump. The
// CLI gives FetchTrustedRoot a 2-minute context, but sigstore-go's TUF
// client ignores Options.Context ("for background tasks") and go-tuf's
// DefaultFetcher uses http.DefaultClient (no timeout) with
// context.Background(), so the deadline is never applied.
func TestFetchTrustedRootHonoursContext(t *testing.T) {
	repo, err := testenv.NewTUFRepository(map[string][]byte{"trusted_root.json": []byte("{}")})
	if err != nil {
		t.Fatal(err)
	}
	repo.Close()
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select { // a stalled mirror
		case <-release:
		case <-time.After(time.Minute):
		}
	}))
	defer srv.Close()
	defer close(release)

	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := attest.FetchTrustedRoot(ctx, srv.URL, repo.Root, t.TempDir())
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("no error from a repository that never answers")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("FetchTrustedRoot still running 5s after its 500ms context expired: the TUF fetch has no timeout")
	}
}
