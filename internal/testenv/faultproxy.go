package testenv

import (
	"bytes"
	"cmp"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// FaultKind is what a FaultProxy does to a request instead of forwarding it
// faithfully.
type FaultKind int

// Faults a FaultProxy can inject.
const (
	// FaultReset closes the client's connection with a TCP reset before
	// the request reaches the upstream server.
	FaultReset FaultKind = iota + 1
	// FaultStatus answers with Fault.Status (500, 503, 429, ...) without
	// contacting the upstream server.
	FaultStatus
	// FaultStall reads the request and never answers, until the client
	// gives up or the proxy is closed.
	FaultStall
	// FaultCut forwards the request (the upstream server processes it in
	// full), writes the upstream status, headers and the first Fault.Bytes
	// bytes of its body, then resets the connection.
	FaultCut
	// FaultResetAfter forwards the request (the upstream server processes
	// it in full) and resets the connection before any byte of the answer
	// reaches the client.
	FaultResetAfter
	// FaultEmpty answers 200 with an empty body without contacting the
	// upstream server.
	FaultEmpty
	// FaultEmptyAfter forwards the request (the upstream server processes
	// it in full) and answers with the upstream's status and headers but an
	// empty body.
	FaultEmptyAfter
	// FaultBody answers 200 with Fault.Body without contacting the
	// upstream server.
	FaultBody
	// FaultBodyAfter forwards the request (the upstream server processes
	// it in full) and answers with the upstream's status and headers but
	// Fault.Body as the body: a server that misreports what it did.
	FaultBodyAfter
	// FaultZipBomb answers a protocol v2 fetch with a pack of one blob
	// that claims and inflates to Fault.Size bytes of zeros (1 TiB when
	// 0), generated as it is sent, and cut after Fault.Bytes bytes of the
	// pack (256 KiB when 0), without contacting the upstream server.
	FaultZipBomb
	// FaultEndlessAdvertisement answers with a protocol v2 capability
	// advertisement (a GET of info/refs) or an ls-refs answer (a POST)
	// that does not end, cut after Fault.Bytes bytes (128 MiB when 0),
	// without contacting the upstream server.
	FaultEndlessAdvertisement
)

func (k FaultKind) String() string {
	switch k {
	case FaultReset:
		return "reset"
	case FaultStatus:
		return "status"
	case FaultStall:
		return "stall"
	case FaultCut:
		return "cut"
	case FaultResetAfter:
		return "reset-after"
	case FaultEmpty:
		return "empty"
	case FaultEmptyAfter:
		return "empty-after"
	case FaultBody:
		return "body"
	case FaultBodyAfter:
		return "body-after"
	case FaultZipBomb:
		return "zip-bomb"
	case FaultEndlessAdvertisement:
		return "endless-advertisement"
	}
	return fmt.Sprintf("FaultKind(%d)", int(k))
}

// Fault is one injected failure.
type Fault struct {
	Kind FaultKind
	// Status is the answer of FaultStatus; 503 when 0.
	Status int
	// Bytes is how much of the upstream body FaultCut passes on.
	Bytes int
	// Body is the answer of FaultBody and FaultBodyAfter.
	Body []byte
	// Size is what FaultZipBomb's blob claims and inflates to.
	Size int64
}

// FaultRule decides which requests get a fault. A request gets the fault
// of the first rule that matches it; a rule matches when every condition
// that is set holds.
type FaultRule struct {
	// Nth matches the Nth request the proxy received (1-based), counted
	// over all requests; 0 matches any.
	Nth int64
	// Match, when set, must return true for the request.
	Match func(*http.Request) bool
	// Probability, when above 0, matches with that probability, drawn
	// from the proxy's seeded generator.
	Probability float64
	// Times limits how often the rule fires; 0 means no limit.
	Times int64
	Fault Fault

	fired atomic.Int64
}

// FaultProxy is an HTTP reverse proxy on 127.0.0.1 that injects faults
// into the traffic to one upstream server (a GitServer or a Registry).
type FaultProxy struct {
	upstream string // host:port
	ln       net.Listener
	srv      *http.Server
	client   *http.Transport
	done     chan struct{}
	closed   atomic.Bool

	mu    sync.Mutex
	rng   *rand.Rand
	rules []*FaultRule

	latency time.Duration

	requests atomic.Int64
	faults   atomic.Int64
	written  atomic.Int64 // bytes of generated answers sent
	byKind   sync.Map     // FaultKind → *atomic.Int64
}

// FaultProxyOption configures StartFaultProxy.
type FaultProxyOption func(*FaultProxy)

// WithSeed seeds the generator behind FaultRule.Probability; the default
// seed is 1, so runs repeat.
func WithSeed(seed uint64) FaultProxyOption {
	return func(p *FaultProxy) { p.rng = rand.New(rand.NewPCG(seed, 0x5eed)) }
}

// WithLatency delays every request by d before the proxy handles it, as a
// server d away would; faults apply after the delay.
func WithLatency(d time.Duration) FaultProxyOption {
	return func(p *FaultProxy) { p.latency = d }
}

// WithFaultRule adds a rule (see FaultProxy.AddRule).
func WithFaultRule(r *FaultRule) FaultProxyOption {
	return func(p *FaultProxy) { p.rules = append(p.rules, r) }
}

// StartFaultProxy starts a proxy on 127.0.0.1 with a free port in front of
// the plain-HTTP server at upstream (host:port). Without rules it forwards
// every request unchanged.
func StartFaultProxy(upstream string, opts ...FaultProxyOption) (*FaultProxy, error) {
	p := &FaultProxy{
		upstream: upstream,
		done:     make(chan struct{}),
		client:   &http.Transport{Proxy: nil, DisableCompression: true, MaxIdleConnsPerHost: 64},
	}
	WithSeed(1)(p)
	for _, o := range opts {
		o(p)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("start fault proxy: %w", err)
	}
	p.ln = ln
	p.srv = &http.Server{Handler: http.HandlerFunc(p.serve), ReadHeaderTimeout: 10 * time.Second}
	go p.srv.Serve(ln)
	return p, nil
}

// Addr returns the proxy's host:port.
func (p *FaultProxy) Addr() string { return p.ln.Addr().String() }

// URL returns upstreamURL (an http URL of the upstream server) with the
// proxy's host:port in place of the upstream's.
func (p *FaultProxy) URL(upstreamURL string) string {
	return strings.Replace(upstreamURL, p.upstream, p.Addr(), 1)
}

// AddRule adds r after the existing rules; it applies from the next
// request on.
func (p *FaultProxy) AddRule(r *FaultRule) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rules = append(p.rules, r)
}

// Requests returns how many requests the proxy received.
func (p *FaultProxy) Requests() int64 { return p.requests.Load() }

// Faults returns how many faults the proxy injected.
func (p *FaultProxy) Faults() int64 { return p.faults.Load() }

// FaultsOf returns how many faults of kind k the proxy injected.
func (p *FaultProxy) FaultsOf(k FaultKind) int64 {
	if v, ok := p.byKind.Load(k); ok {
		return v.(*atomic.Int64).Load()
	}
	return 0
}

// Written returns how many bytes of generated answers (FaultZipBomb's
// pack, FaultEndlessAdvertisement's lines) the proxy sent: what a client
// read before it gave up, give or take the buffers between.
func (p *FaultProxy) Written() int64 { return p.written.Load() }

// Close stops the proxy, ending stalled requests. It is safe to call twice.
func (p *FaultProxy) Close() error {
	if p.closed.Swap(true) {
		return nil
	}
	close(p.done)
	err := p.srv.Close()
	p.client.CloseIdleConnections()
	return err
}

// pick returns the fault for the nth request, if any.
func (p *FaultProxy) pick(n int64, r *http.Request) (Fault, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, rule := range p.rules {
		if rule.Nth != 0 && rule.Nth != n {
			continue
		}
		if rule.Match != nil && !rule.Match(r) {
			continue
		}
		if rule.Probability > 0 && p.rng.Float64() >= rule.Probability {
			continue
		}
		if rule.Times > 0 && rule.fired.Load() >= rule.Times {
			continue
		}
		rule.fired.Add(1)
		return rule.Fault, true
	}
	return Fault{}, false
}

func (p *FaultProxy) count(k FaultKind) {
	p.faults.Add(1)
	v, _ := p.byKind.LoadOrStore(k, new(atomic.Int64))
	v.(*atomic.Int64).Add(1)
}

func (p *FaultProxy) serve(w http.ResponseWriter, r *http.Request) {
	n := p.requests.Add(1)
	if p.latency > 0 {
		select {
		case <-time.After(p.latency):
		case <-r.Context().Done():
			return
		case <-p.done:
			return
		}
	}
	f, ok := p.pick(n, r)
	if !ok {
		p.forward(w, r, nil)
		return
	}
	p.count(f.Kind)
	switch f.Kind {
	case FaultReset:
		io.Copy(io.Discard, r.Body)
		reset(w)
	case FaultStatus:
		io.Copy(io.Discard, r.Body)
		code := f.Status
		if code == 0 {
			code = http.StatusServiceUnavailable
		}
		if code == http.StatusTooManyRequests || code == http.StatusServiceUnavailable {
			w.Header().Set("Retry-After", "0")
		}
		http.Error(w, fmt.Sprintf("injected fault: %d", code), code)
	case FaultStall:
		io.Copy(io.Discard, r.Body)
		select {
		case <-r.Context().Done():
		case <-p.done:
		}
	case FaultEmpty:
		io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusOK)
	case FaultBody:
		io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusOK)
		w.Write(f.Body)
	case FaultCut, FaultResetAfter, FaultEmptyAfter, FaultBodyAfter:
		p.forward(w, r, &f)
	case FaultZipBomb, FaultEndlessAdvertisement:
		io.Copy(io.Discard, r.Body)
		ct := "application/x-git-upload-pack-result"
		if r.Method == http.MethodGet {
			ct = "application/x-git-upload-pack-advertisement"
		}
		w.Header().Set("Content-Type", ct)
		w.WriteHeader(http.StatusOK)
		out := &countingWriter{w: flushWriter{w}, n: &p.written}
		if f.Kind == FaultZipBomb {
			size, max := cmp.Or(f.Size, 1<<40), cmp.Or(int64(f.Bytes), 256<<10)
			ZipBombFetchAnswer(out, size, max)
			return
		}
		EndlessAdvertisement(out, r.Method != http.MethodGet, cmp.Or(int64(f.Bytes), 128<<20))
	}
}

// countingWriter adds what it writes to n.
type countingWriter struct {
	w io.Writer
	n *atomic.Int64
}

func (c *countingWriter) Write(b []byte) (int, error) {
	n, err := c.w.Write(b)
	c.n.Add(int64(n))
	return n, err
}

// forward sends r upstream and copies the answer back; with a cut fault it
// stops early and resets the connection, with an empty-after fault it
// sends no byte of the body.
func (p *FaultProxy) forward(w http.ResponseWriter, r *http.Request, cut *Fault) {
	out := r.Clone(r.Context())
	out.RequestURI = ""
	out.URL.Scheme = "http"
	out.URL.Host = p.upstream
	// Keep the client's Host header (the proxy's address): servers that
	// answer absolute URLs, like the distribution registry's blob upload
	// Location, then send the client back through the proxy.
	out.Host = r.Host
	resp, err := p.client.RoundTrip(out)
	if err != nil {
		http.Error(w, "fault proxy: upstream: "+err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	if cut != nil && cut.Kind == FaultResetAfter {
		io.Copy(io.Discard, resp.Body) // the server finishes its work
		reset(w)
		return
	}
	for k, vs := range resp.Header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	if cut != nil && (cut.Kind == FaultEmptyAfter || cut.Kind == FaultBodyAfter) {
		w.Header().Del("Content-Length")
		w.WriteHeader(resp.StatusCode)
		io.Copy(io.Discard, resp.Body) // the server finishes its work
		w.Write(cut.Body)              // nil for FaultEmptyAfter
		return
	}
	w.WriteHeader(resp.StatusCode)
	if cut == nil {
		io.Copy(flushWriter{w}, resp.Body)
		return
	}
	io.CopyN(w, resp.Body, int64(cut.Bytes))
	io.Copy(io.Discard, resp.Body)
	http.NewResponseController(w).Flush()
	reset(w)
}

// flushWriter flushes after each write, so streamed answers (git's
// side-band progress) pass through as they come.
type flushWriter struct{ w http.ResponseWriter }

func (f flushWriter) Write(b []byte) (int, error) {
	n, err := f.w.Write(b)
	http.NewResponseController(f.w).Flush()
	return n, err
}

// reset hijacks the connection and closes it with SO_LINGER 0, so the
// client sees a TCP reset.
func reset(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	conn.Close()
}

// GitPost returns a FaultRule.Match for the POST requests of a Git smart
// HTTP service ("git-upload-pack" or "git-receive-pack").
func GitPost(service string) func(*http.Request) bool {
	return func(r *http.Request) bool {
		return r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/"+service)
	}
}

// GitAdvertise returns a FaultRule.Match for the reference advertisement
// (GET info/refs?service=...) of a Git smart HTTP service.
func GitAdvertise(service string) func(*http.Request) bool {
	return func(r *http.Request) bool {
		return r.Method == http.MethodGet && r.URL.Query().Get("service") == service
	}
}

// GitReportStatus is a receive-pack answer carrying the report-status lines
// (e.g. "unpack ok", "ok refs/heads/main") on side-band channel 1, as git
// sends it to a client that asked for side-band-64k: a Fault.Body for a
// server that misreports a push.
func GitReportStatus(lines ...string) []byte {
	pkt := func(s string) string { return fmt.Sprintf("%04x%s", len(s)+4, s) }
	var inner strings.Builder
	for _, l := range lines {
		inner.WriteString(pkt(l + "\n"))
	}
	inner.WriteString("0000")
	return []byte(pkt("\x01"+inner.String()) + "0000")
}

// GitV2Command returns a FaultRule.Match for a protocol v2 command
// (command=fetch, command=ls-refs) posted to git-upload-pack. It reads the
// request's body and puts it back for the upstream server.
func GitV2Command(command string) func(*http.Request) bool {
	return func(r *http.Request) bool {
		if r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/git-upload-pack") {
			return false
		}
		b, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		r.Body.Close()
		r.Body = io.NopCloser(bytes.NewReader(b))
		return err == nil && bytes.Contains(b, []byte("command="+command+"\n"))
	}
}
