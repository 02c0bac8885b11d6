package gitrepo_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/tagbump/tagbump/internal/testenv"
	"github.com/tagbump/tagbump/pkg/gitrepo"
	"golang.org/x/crypto/ssh"
)

// hostileDeadline bounds a call against a hostile server: the tests fail,
// rather than hang the suite, where tagbump would read on.
const hostileDeadline = 30 * time.Second

// callWithin runs f and fails the test when it does not return within d.
func callWithin(t *testing.T, d time.Duration, f func() error) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- f() }()
	select {
	case err := <-done:
		return err
	case <-time.After(d):
		t.Fatalf("still reading after %s", d)
		return nil
	}
}

// TestZipBombPack answers a fetch with a pack whose one blob claims and
// inflates to a terabyte of zeros: the fetch fails on the blob's header,
// with ErrLimit, after reading no more than the first packet, over the
// partial path (trees, then the values file by id) and the full path.
func TestZipBombPack(t *testing.T) {
	for _, tc := range []struct {
		name string
		nth  int // the fetch command that gets the bomb
		opts []gitrepo.Option
	}{
		{"trees", 1, nil},
		{"values file", 2, nil},
		{"limit set", 1, []gitrepo.Option{gitrepo.WithMaxFetchBytes(1 << 20)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := testenv.NewGitServer(t)
			s.MustCreateRepo(t, "charts", seedFiles())
			fetches := 0
			// A terabyte claimed; 256 KiB of pack sent at most (a
			// quarter of a gigabyte inflated).
			p := faultOnFetch(t, s, &fetches, func(n int) bool { return n == tc.nth }, testenv.Fault{Kind: testenv.FaultZipBomb, Size: 1 << 40, Bytes: 256 << 10})
			r := open(t, p.URL(s.URL("charts")), tc.opts...)
			ctx := context.Background()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			err := callWithin(t, hostileDeadline, func() error {
				snap, err := r.Fetch(ctx, "main")
				if err != nil {
					return err
				}
				_, err = snap.ReadFile(ctx, "app/values-prod.yaml")
				return err
			})
			if p.FaultsOf(testenv.FaultZipBomb) != 1 {
				t.Fatalf("the proxy sent %d bombs, want 1", p.FaultsOf(testenv.FaultZipBomb))
			}
			runtime.ReadMemStats(&after)
			if got := after.TotalAlloc - before.TotalAlloc; got > 64<<20 {
				t.Errorf("the fetch allocated %d MiB: it inflated what the header said was a terabyte", got>>20)
			}
			if got := p.Written(); got >= 256<<10 {
				t.Errorf("the client read all %d bytes of the bomb", got)
			}
			if !errors.Is(err, gitrepo.ErrLimit) || errors.Is(err, gitrepo.ErrNetwork) {
				t.Fatalf("fetch of a zip bomb: %v, want ErrLimit and not a (retried) network error", err)
			}
			if !strings.Contains(err.Error(), "max-fetch-bytes") {
				t.Errorf("the error does not name the limit: %v", err)
			}
		})
	}
}

// TestEndlessAdvertisement answers the capability advertisement, or the
// ls-refs answer, with lines that never end: the client stops at its
// limit with ErrLimit, over HTTP and SSH.
func TestEndlessAdvertisement(t *testing.T) {
	for _, tc := range []struct {
		name  string
		match func(*http.Request) bool
	}{
		{"http capabilities", testenv.GitAdvertise("git-upload-pack")},
		{"http ls-refs", testenv.GitV2Command("ls-refs")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := testenv.NewGitServer(t)
			s.MustCreateRepo(t, "charts", seedFiles())
			p, err := testenv.StartFaultProxy(s.Addr(), testenv.WithFaultRule(&testenv.FaultRule{
				Match: tc.match,
				Fault: testenv.Fault{Kind: testenv.FaultEndlessAdvertisement, Bytes: 96 << 20},
			}))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { p.Close() })
			r := open(t, p.URL(s.URL("charts")))
			err = callWithin(t, hostileDeadline, func() error {
				_, err := r.Fetch(context.Background(), "main")
				return err
			})
			if !errors.Is(err, gitrepo.ErrLimit) {
				t.Fatalf("fetch: %v, want ErrLimit", err)
			}
			if got := p.Written(); got > 80<<20 {
				t.Errorf("the client read %d bytes of the advertisement", got)
			}
		})
	}
	for _, refs := range []bool{false, true} {
		name := "ssh capabilities"
		if refs {
			name = "ssh ls-refs"
		}
		t.Run(name, func(t *testing.T) {
			key, err := testenv.NewSSHKey(t.TempDir(), "id", "")
			if err != nil {
				t.Fatal(err)
			}
			srv, knownHosts := testenv.NewSSHServer(t, key)
			srv.Handler = func(_ string, _ []string, ch ssh.Channel) uint32 {
				go io.Copy(io.Discard, ch)
				if refs {
					// A real advertisement first, then an ls-refs
					// answer that does not end.
					io.WriteString(ch, "000eversion 2\n000cls-refs\n0019fetch=shallow filter\n0000")
				}
				testenv.EndlessAdvertisement(ch, refs, 96<<20)
				return 0
			}
			r := open(t, srv.URL("/charts.git"), gitrepo.WithSSHKey(key.Path, ""), gitrepo.WithKnownHosts(knownHosts))
			err = callWithin(t, hostileDeadline, func() error {
				_, err := r.Fetch(context.Background(), "main")
				return err
			})
			if !errors.Is(err, gitrepo.ErrLimit) {
				t.Fatalf("fetch: %v, want ErrLimit", err)
			}
		})
	}
}

// TestFullFetchWithoutTip: a server that cannot filter answers the full
// fetch with a pack that lacks the tip commit it advertised (a broken
// server, or one whose branch moved between ls-refs and fetch): the fetch
// fails with ErrRace, not with "object not found" when a file is read.
func TestFullFetchWithoutTip(t *testing.T) {
	s := testenv.NewGitServer(t, testenv.WithAllowFilter(false))
	s.MustCreateRepo(t, "charts", seedFiles())
	p, err := testenv.StartFaultProxy(s.Addr(), testenv.WithFaultRule(&testenv.FaultRule{
		Match: testenv.GitV2Command("fetch"),
		Fault: testenv.Fault{Kind: testenv.FaultBody, Body: testenv.FetchAnswer(testenv.EmptyPack())},
	}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	r := open(t, p.URL(s.URL("charts")))
	_, err = r.Fetch(context.Background(), "main")
	if !errors.Is(err, gitrepo.ErrRace) {
		t.Fatalf("full fetch of a pack without the tip: %v, want ErrRace", err)
	}
	if st := r.Stats(); st.Fallbacks != 1 {
		t.Fatalf("%d full fetches, want 1", st.Fallbacks)
	}
}
