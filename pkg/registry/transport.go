package registry

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/tagbump/tagbump/pkg/address"
)

// baseTransport returns the transport below tagbump's layers and a
// function that releases it.
func (o *options) baseTransport() (http.RoundTripper, func()) {
	if o.transport != nil {
		return o.transport, func() {}
	}
	t := remote.DefaultTransport.(*http.Transport).Clone()
	t.DialContext = (&net.Dialer{Timeout: o.timeout, KeepAlive: 30 * time.Second}).DialContext
	t.TLSHandshakeTimeout = o.timeout
	return t, t.CloseIdleConnections
}

// plainHTTPAllowed reports whether host (host or host:port) may be reached
// without TLS.
func (o *options) plainHTTPAllowed(host string) bool {
	h := host
	if sh, _, err := net.SplitHostPort(host); err == nil {
		h = sh
	}
	h = strings.Trim(h, "[]")
	if address.IsLoopback(h) {
		return true
	}
	for _, a := range o.insecure {
		if strings.EqualFold(a, host) || strings.EqualFold(a, h) {
			return true
		}
	}
	return false
}

// schemeGuard refuses plain-HTTP requests to hosts that must use TLS.
// go-containerregistry falls back to http on its own for private address
// ranges and *.localhost; this layer stops that.
type schemeGuard struct {
	inner   http.RoundTripper
	allowed func(host string) bool
}

func (g *schemeGuard) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Scheme != "https" && !g.allowed(req.URL.Host) {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, &InsecureError{Host: req.URL.Host}
	}
	return g.inner.RoundTrip(req)
}

// stallTimeout fails a request that makes no progress for d: no
// connection, no response headers, or no byte of the request or response
// body read in that time. A slow but moving transfer is never cut.
type stallTimeout struct {
	inner http.RoundTripper
	d     time.Duration
}

func (s *stallTimeout) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx, cancel := context.WithCancel(req.Context())
	w := &watchdog{d: s.d, cancel: cancel, host: req.URL.Host}
	w.timer = time.AfterFunc(s.d, w.fire)
	req = req.Clone(ctx)
	if req.Body != nil && req.Body != http.NoBody {
		req.Body = &watchedBody{rc: req.Body, w: w}
	}
	resp, err := s.inner.RoundTrip(req)
	if err != nil {
		w.stop()
		return nil, w.wrap(err)
	}
	w.kick()
	resp.Body = &watchedBody{rc: resp.Body, w: w, closeStops: true}
	return resp, nil
}

type watchdog struct {
	d      time.Duration
	timer  *time.Timer
	cancel context.CancelFunc
	fired  atomic.Bool
	host   string
}

func (w *watchdog) fire() { w.fired.Store(true); w.cancel() }
func (w *watchdog) kick() { w.timer.Reset(w.d) }
func (w *watchdog) stop() { w.timer.Stop(); w.cancel() }

// wrap replaces the context error of a request that the watchdog canceled
// with a timeout error that names the host.
func (w *watchdog) wrap(err error) error {
	if err != nil && w.fired.Load() {
		return &timeoutError{host: w.host, d: w.d}
	}
	return err
}

type watchedBody struct {
	rc         io.ReadCloser
	w          *watchdog
	closeStops bool
}

func (b *watchedBody) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	if n > 0 && !b.w.fired.Load() {
		b.w.kick()
	}
	if err != nil && err != io.EOF {
		err = b.w.wrap(err)
	}
	return n, err
}

func (b *watchedBody) Close() error {
	if b.closeStops {
		b.w.stop()
	}
	return b.rc.Close()
}
