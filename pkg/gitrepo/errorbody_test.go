package gitrepo_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tagbump/tagbump/pkg/gitrepo"
)

// TestErrorBodyBounded: a server that answers 500 with an endless body
// gets an error back after a bounded read, not a client that reads (and
// holds) all of it. The server counts what it could write before the
// client stopped reading.
func TestErrorBodyBounded(t *testing.T) {
	var written atomic.Int64
	const most = 64 << 20
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
		chunk := []byte(strings.Repeat("x", 32<<10))
		for written.Load() < most {
			n, err := w.Write(chunk)
			written.Add(int64(n))
			if err != nil {
				return
			}
		}
	}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	repo, err := gitrepo.Open(ctx, srv.URL+"/charts.git")
	if err == nil {
		_, err = repo.Fetch(ctx, "main")
		repo.Close()
	}
	if err == nil {
		t.Fatal("fetch from a server answering 500: no error")
	}
	if n := written.Load(); n >= most/2 {
		t.Errorf("the client read %d bytes of a 500 answer's body, want it cut near 64 KiB", n)
	}
}
