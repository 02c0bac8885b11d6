package bump_test

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/tagbump/tagbump/pkg/bump"
	"github.com/tagbump/tagbump/pkg/gitrepo"
	"github.com/tagbump/tagbump/pkg/imageref"
)

// retryCounter counts the "network error, retrying" log records and
// cancels the run when they pass a limit, so that an unbounded retry loop
// fails the test instead of hanging it.
type retryCounter struct {
	mu     sync.Mutex
	n      int
	limit  int
	cancel context.CancelFunc
}

func (c *retryCounter) Enabled(context.Context, slog.Level) bool { return true }
func (c *retryCounter) WithAttrs([]slog.Attr) slog.Handler       { return c }
func (c *retryCounter) WithGroup(string) slog.Handler            { return c }
func (c *retryCounter) Handle(_ context.Context, r slog.Record) error {
	if r.Message != "network error, retrying" {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n++; c.n > c.limit {
		c.cancel()
	}
	return nil
}

// TestRunBoundsNetworkRetries runs a bump against a loopback port where
// nothing listens: Run retries the network error WithNetworkRetries times,
// then fails with ErrNetwork.
func TestRunBoundsNetworkRetries(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	img, err := imageref.Parse("registry.example.com/app:1.1.0")
	if err != nil {
		t.Fatal(err)
	}
	sig := object.Signature{Name: "tagbump", Email: "tagbump@example.invalid"}
	for _, branch := range []string{"", "main"} { // DefaultBranch, then Fetch
		ctx, cancel := context.WithCancel(context.Background())
		counter := &retryCounter{limit: 10, cancel: cancel}
		_, err = bump.Run(ctx, bump.Request{
			Repo: "http://" + addr + "/charts.git", Branch: branch, Chart: "app", Envs: []string{"staging"},
			Image: img, Author: sig, Committer: sig,
		}, bump.WithBackoff(func(int) time.Duration { return 0 }), bump.WithNetworkRetries(2), bump.WithLogger(slog.New(counter)))
		cancel()
		if !errors.Is(err, gitrepo.ErrNetwork) {
			t.Errorf("branch %q: Run: %v, want ErrNetwork", branch, err)
		}
		if counter.n != 2 {
			t.Errorf("branch %q: %d network retries, want 2", branch, counter.n)
		}
	}
}
