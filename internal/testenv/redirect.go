package testenv

import (
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
)

// HeaderRecorder is an HTTP server on 127.0.0.1 that answers every request
// with 404 and keeps its headers: the far end of a redirect, to prove that
// no credentials reach it.
type HeaderRecorder struct {
	// URL is the server's base URL, http://127.0.0.1:PORT.
	URL string

	srv     *httptest.Server
	mu      sync.Mutex
	headers []http.Header
}

// StartHeaderRecorder starts a HeaderRecorder; Close stops it.
func StartHeaderRecorder() *HeaderRecorder {
	h := &HeaderRecorder{}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.mu.Lock()
		h.headers = append(h.headers, r.Header.Clone())
		h.mu.Unlock()
		http.NotFound(w, r)
	}))
	h.URL = h.srv.URL
	return h
}

// Close stops the server.
func (h *HeaderRecorder) Close() { h.srv.Close() }

// Requests returns how many requests arrived.
func (h *HeaderRecorder) Requests() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.headers)
}

// Dump returns every header of every request that arrived, one
// "Name: value" a line, with the user:password of a Basic Authorization
// decoded after it, so that a search for a secret finds it in any form.
func (h *HeaderRecorder) Dump() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var b strings.Builder
	for _, hd := range h.headers {
		for name, values := range hd {
			for _, v := range values {
				b.WriteString(name + ": " + v + "\n")
				if rest, ok := strings.CutPrefix(v, "Basic "); ok {
					dec, _ := base64.StdEncoding.DecodeString(rest)
					b.WriteString(name + " (decoded): " + string(dec) + "\n")
				}
			}
		}
	}
	return b.String()
}

// StartRedirector starts a server on 127.0.0.1, https:// with a test
// certificate when tls is set, that answers every request with 302 Found to
// target followed by the request's path and query. Its Client trusts its
// certificate.
func StartRedirector(target string, tls bool) *httptest.Server {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, strings.TrimSuffix(target, "/")+r.URL.RequestURI(), http.StatusFound)
	})
	if tls {
		return httptest.NewTLSServer(h)
	}
	return httptest.NewServer(h)
}
