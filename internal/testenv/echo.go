package testenv

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
)

// EchoServer is an HTTP server on 127.0.0.1 that fails every request and
// repeats the request in its answer, as a misconfigured proxy or a debug
// endpoint may: the request line, the Authorization header first, the
// other headers, then the body. It stands for a Git server, a forge API or
// a registry that puts whatever a client sent into its error text.
//
// A request without credentials (an Authorization or Private-Token
// header) gets 401 with a Basic
// challenge, so that a client that waits to be asked (a registry client)
// sends them; a HEAD request with them gets 404, which has no
// body (a registry client then uploads what it looked for); any other
// gets the server's status. The answer is JSON whose "message" and
// "errors" hold the echo (the fields forge and registry clients read), or
// the echo as plain text. With EchoOnly, the server passes other requests
// on to a real server.
type EchoServer struct {
	// URL is the server's base URL, http://127.0.0.1:PORT.
	URL string

	srv *httptest.Server
}

// EchoOption configures StartEchoServer.
type EchoOption func(*echoOptions)

type echoOptions struct {
	text     bool
	only     string
	upstream *url.URL
}

// EchoText makes the server answer with a short line of plain text
// instead of JSON: "denied: " and the credential headers, as a Git server
// may (tagbump shows a Git server's reason when it is one short line).
func EchoText() EchoOption { return func(o *echoOptions) { o.text = true } }

// EchoOnly makes the server echo only the requests whose path contains
// part and pass the others to upstream (a base URL): in front of a Git
// server, EchoOnly(gitURL, "git-receive-pack") lets a fetch through and
// echoes the push.
func EchoOnly(upstream, part string) EchoOption {
	u, err := url.Parse(upstream)
	if err != nil {
		panic(err)
	}
	return func(o *echoOptions) { o.upstream, o.only = u, part }
}

// StartEchoServer starts an EchoServer that answers an authenticated
// request with status; Close stops it.
func StartEchoServer(status int, opts ...EchoOption) *EchoServer {
	var o echoOptions
	for _, opt := range opts {
		opt(&o)
	}
	var proxy http.Handler
	if o.upstream != nil {
		proxy = httputil.NewSingleHostReverseProxy(o.upstream)
	}
	e := &EchoServer{}
	e.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if proxy != nil && !strings.Contains(r.URL.Path, o.only) {
			proxy.ServeHTTP(w, r)
			return
		}
		echo := echoRequest(r)
		code := status
		switch {
		case credentials(r) == "":
			w.Header().Set("WWW-Authenticate", `Basic realm="echo"`)
			code = http.StatusUnauthorized
		case r.Method == http.MethodHead:
			code = http.StatusNotFound
		}
		if o.text {
			w.Header().Set("Content-Type", "text/plain")
			w.WriteHeader(code)
			io.WriteString(w, "denied: "+credentials(r)+"\n")
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		json.NewEncoder(w).Encode(map[string]any{
			"message": echo,
			"errors":  []map[string]string{{"code": "UNAUTHORIZED", "message": echo}},
		})
	}))
	e.URL = e.srv.URL
	return e
}

// Host returns the server's host:port, for an image reference.
func (e *EchoServer) Host() string { return strings.TrimPrefix(e.URL, "http://") }

// Close stops the server.
func (e *EchoServer) Close() { e.srv.Close() }

// credentialHeaders are the headers that carry a client's credentials:
// Authorization, and GitLab's Private-Token.
var credentialHeaders = []string{"Authorization", "Private-Token"}

// credentials renders r's credential headers on one line, "" when it has
// none.
func credentials(r *http.Request) string {
	var parts []string
	for _, name := range credentialHeaders {
		for _, v := range r.Header.Values(name) {
			parts = append(parts, name+": "+v)
		}
	}
	return strings.Join(parts, "; ")
}

// echoRequest renders r: the request line, the credential headers, the
// other headers in name order, a blank line and up to 4 KiB of the body.
func echoRequest(r *http.Request) string {
	var b strings.Builder
	b.WriteString(r.Method + " " + r.URL.RequestURI() + " " + r.Proto + "\n")
	for _, name := range credentialHeaders {
		for _, v := range r.Header.Values(name) {
			b.WriteString(name + ": " + v + "\n")
		}
	}
	names := make([]string, 0, len(r.Header))
	for name := range r.Header {
		if !slices.Contains(credentialHeaders, name) {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	for _, name := range names {
		for _, v := range r.Header.Values(name) {
			b.WriteString(name + ": " + v + "\n")
		}
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, 4<<10))
	b.WriteString("\n" + string(body))
	return b.String()
}
