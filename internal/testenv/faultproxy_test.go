package testenv

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

func TestFaultProxy(t *testing.T) {
	var served atomic.Int64
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		served.Add(1)
		io.WriteString(w, strings.Repeat("x", 1000))
	}))
	defer up.Close()
	host := strings.TrimPrefix(up.URL, "http://")
	p, err := StartFaultProxy(host,
		WithFaultRule(&FaultRule{Nth: 2, Fault: Fault{Kind: FaultReset}}),
		WithFaultRule(&FaultRule{Nth: 3, Fault: Fault{Kind: FaultStatus, Status: 429}}),
		WithFaultRule(&FaultRule{Nth: 4, Fault: Fault{Kind: FaultCut, Bytes: 10}}),
		WithFaultRule(&FaultRule{Nth: 5, Fault: Fault{Kind: FaultResetAfter}}),
		WithFaultRule(&FaultRule{Nth: 6, Fault: Fault{Kind: FaultStall}}),
		WithFaultRule(&FaultRule{Nth: 7, Fault: Fault{Kind: FaultEmpty}}),
		WithFaultRule(&FaultRule{Nth: 8, Fault: Fault{Kind: FaultEmptyAfter}}),
	)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	c := &http.Client{Timeout: 300 * time.Millisecond, Transport: &http.Transport{DisableKeepAlives: true}}
	get := func() (int, int, error) {
		resp, err := c.Get(p.URL(up.URL) + "/x")
		if err != nil {
			return 0, 0, err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return resp.StatusCode, len(b), err
	}
	if code, n, err := get(); err != nil || code != 200 || n != 1000 {
		t.Fatalf("request 1 (no fault): %d %d %v", code, n, err)
	}
	if _, _, err := get(); !errors.Is(err, syscall.ECONNRESET) && (err == nil || !strings.Contains(err.Error(), "EOF")) {
		t.Errorf("request 2 (reset): err = %v, want a connection reset", err)
	}
	if code, _, err := get(); err != nil || code != 429 {
		t.Errorf("request 3 (429): %d %v", code, err)
	}
	before := served.Load()
	if code, n, err := get(); err == nil || code != 200 || n != 10 {
		t.Errorf("request 4 (cut): %d %d bytes, err %v; want 200, 10 bytes and an error", code, n, err)
	}
	if _, _, err := get(); err == nil {
		t.Errorf("request 5 (reset after): no error")
	}
	if got := served.Load() - before; got != 2 {
		t.Errorf("upstream served %d of the cut requests, want 2 (they reach the server)", got)
	}
	if _, _, err := get(); err == nil || !strings.Contains(err.Error(), "Timeout") {
		t.Errorf("request 6 (stall): err = %v, want a client timeout", err)
	}
	before = served.Load()
	if code, n, err := get(); err != nil || code != 200 || n != 0 {
		t.Errorf("request 7 (empty): %d %d bytes, err %v; want 200 and no byte", code, n, err)
	}
	if code, n, err := get(); err != nil || code != 200 || n != 0 {
		t.Errorf("request 8 (empty after): %d %d bytes, err %v; want 200 and no byte", code, n, err)
	}
	if got := served.Load() - before; got != 1 {
		t.Errorf("upstream served %d of the empty answers, want 1 (only empty-after reaches the server)", got)
	}
	if p.Requests() != 8 || p.Faults() != 7 || p.FaultsOf(FaultCut) != 1 || p.FaultsOf(FaultEmptyAfter) != 1 {
		t.Errorf("counts: requests %d faults %d cut %d empty-after %d, want 8 7 1 1", p.Requests(), p.Faults(), p.FaultsOf(FaultCut), p.FaultsOf(FaultEmptyAfter))
	}
}

func TestFaultProxyProbabilityIsSeeded(t *testing.T) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer up.Close()
	run := func() int64 {
		p, err := StartFaultProxy(strings.TrimPrefix(up.URL, "http://"), WithSeed(7),
			WithFaultRule(&FaultRule{Probability: 0.3, Fault: Fault{Kind: FaultStatus, Status: 500}}))
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		for i := 0; i < 100; i++ {
			resp, err := http.Get(p.URL(up.URL))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
		}
		return p.Faults()
	}
	a, b := run(), run()
	if a != b || a < 10 || a > 60 {
		t.Errorf("faults over 100 requests at p=0.3: %d then %d; want equal and about 30", a, b)
	}
}

// TestFaultProxyKeepsUploadsOnTheProxy pushes an image through the proxy
// to the distribution registry, whose blob uploads continue at the
// absolute Location it answers: every PATCH and PUT must still pass the
// proxy, or faults could never reach them.
func TestFaultProxyKeepsUploadsOnTheProxy(t *testing.T) {
	NeedDistribution(t)
	reg, err := StartDistribution(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	var blobPut, patch atomic.Int64
	p, err := StartFaultProxy(reg.Host(), WithFaultRule(&FaultRule{Match: func(r *http.Request) bool {
		switch {
		case r.Method == http.MethodPatch:
			patch.Add(1)
		case r.Method == http.MethodPut && strings.Contains(r.URL.Path, "/blobs/uploads/"):
			blobPut.Add(1)
		}
		return false
	}}))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	img, err := RandomImage(1024, 2)
	if err != nil {
		t.Fatal(err)
	}
	tag, err := name.NewTag(p.Addr()+"/app:1", name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(tag, img); err != nil {
		t.Fatal(err)
	}
	// Two layers and the config: three uploads, each ending in a PUT.
	if got := blobPut.Load(); got != 3 {
		t.Errorf("proxied blob upload PUTs = %d, want 3 (one per layer and the config)", got)
	}
	if patch.Load() == 0 {
		t.Errorf("no PATCH passed the proxy")
	}
}
