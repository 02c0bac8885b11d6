package forge

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/tagbump/tagbump/pkg/address"
)

// client sends JSON requests to one API with one set of credentials.
type client struct {
	hc *http.Client
	// token reports that auth adds credentials.
	token bool
	auth  func(*http.Request)
	// hint maps a refused request to the permission it needed.
	hint func(op string, status int, msg string) string
	// etags keeps the answers of conditional GETs (get).
	etags etagCache
}

func newClient(o Options) *client {
	return &client{hc: guarded(o.HTTPClient), token: o.Token != ""}
}

// guarded returns a copy of hc (nil: a client on http.DefaultTransport)
// whose redirect policy is checkRedirect.
func guarded(hc *http.Client) *http.Client {
	c := &http.Client{}
	if hc != nil {
		*c = *hc
	}
	c.CheckRedirect = checkRedirect
	return c
}

// checkRedirect is the redirect policy of every API client of the package,
// the same as Git's (pkg/gitrepo): a redirect is followed only to the same
// scheme, host and port, or from http:// to https:// on the same host (see
// address.MayFollow). Any other is refused, ErrBadURL, rather than followed
// without the token: net/http would forward Authorization to another port
// of the same host and from https:// to http://, and GitLab's
// PRIVATE-TOKEN header anywhere.
func checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= 10 {
		return errors.New("stopped after 10 redirects")
	}
	from := via[0].URL
	if address.MayFollow(from, req.URL) {
		return nil
	}
	return fmt.Errorf("%w: %s://%s redirects to %s://%s, and tagbump sends the token only to the host, scheme and port it was given: use the new URL as --api-url if it is the API's",
		ErrBadURL, from.Scheme, from.Host, req.URL.Scheme, req.URL.Host)
}

// clearText refuses to send a token to the URL raw over http:// to a host
// other than this machine, where it would cross the network in clear text;
// op names what was attempted. The error names raw without its
// credentials.
func clearText(op, raw string) error {
	u, err := address.Parse(raw)
	if err != nil {
		return fmt.Errorf("%s: %w: %w", op, ErrBadURL, err)
	}
	if strings.EqualFold(u.Scheme, "http") && !address.IsLoopback(u.Hostname()) {
		return fmt.Errorf("%s %s: %w: the token would cross the network in clear text over http://: use https://", op, address.Redact(raw), ErrBadURL)
	}
	return nil
}

// call sends method url with body (marshalled to JSON unless nil) and
// decodes a 2xx answer into out (unless nil). Any other status becomes an
// *Error; codes in accept (e.g. 404 for "not there") are returned without
// error and out is left alone.
func (c *client) call(ctx context.Context, op, method, url string, body, out any, accept ...int) (int, error) {
	return c.callHeader(ctx, op, method, url, body, out, nil, accept...)
}

// callHeader is call that also keeps the answer's header in hdr (unless
// nil), for what a host reports only there (GitHub's X-OAuth-Scopes).
func (c *client) callHeader(ctx context.Context, op, method, url string, body, out any, hdr *http.Header, accept ...int) (int, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, fmt.Errorf("%s: %w", op, err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", op, err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "tagbump")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token {
		if err := clearText(op, url); err != nil {
			return 0, err
		}
	}
	if c.auth != nil {
		c.auth(req)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return 0, fmt.Errorf("%s: %w", op, ctx.Err())
		}
		kind := ErrServer
		if errors.Is(err, ErrBadURL) {
			kind = ErrBadURL // a redirect refused by checkRedirect
		}
		return 0, &Error{Op: op, Message: stripURL(err), Kind: kind}
	}
	defer resp.Body.Close()
	if hdr != nil {
		*hdr = resp.Header
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return resp.StatusCode, &Error{Op: op, Status: resp.StatusCode, Message: "reading the answer: " + err.Error(), Kind: ErrServer}
	}
	for _, a := range accept {
		if resp.StatusCode == a {
			return a, nil
		}
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.StatusCode, c.fail(op, resp.StatusCode, data)
	}
	if out != nil && len(bytes.TrimSpace(data)) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			return resp.StatusCode, &Error{Op: op, Status: resp.StatusCode, Message: "unexpected answer: " + err.Error(), Kind: ErrServer}
		}
	}
	return resp.StatusCode, nil
}

// fail turns a refused request into an *Error with the host's message.
func (c *client) fail(op string, status int, data []byte) error {
	e := &Error{Op: op, Status: status, Message: message(data)}
	switch {
	case status == http.StatusUnauthorized:
		e.Kind, e.Hint = ErrAuth, "the token was refused: check that it is valid and not expired"
	case status == http.StatusForbidden:
		e.Kind = ErrPermission
	case status == http.StatusNotFound:
		e.Kind = ErrNotFound
	case status == http.StatusConflict || status == http.StatusUnprocessableEntity:
		e.Kind = ErrConflict
	case status >= 500 || status == http.StatusTooManyRequests:
		e.Kind = ErrServer
	default:
		e.Kind = ErrConflict
	}
	if c.hint != nil && e.Hint == "" {
		e.Hint = c.hint(op, status, e.Message)
	}
	return e
}

// message extracts a short human message from an error body: the usual
// "message", "error" or "errors" fields, else the text itself.
func message(data []byte) string {
	var v struct {
		Message any `json:"message"`
		Error   any `json:"error"`
		Errors  any `json:"errors"`
	}
	var parts []string
	if json.Unmarshal(data, &v) == nil {
		for _, x := range []any{v.Message, v.Error, v.Errors} {
			if s := flatten(x); s != "" {
				parts = append(parts, s)
			}
		}
	}
	s := strings.Join(parts, "; ")
	if s == "" {
		s = strings.TrimSpace(string(data))
	}
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 300 {
		i := 300
		for i > 0 && !utf8.RuneStart(s[i]) {
			i--
		}
		s = s[:i] + "…"
	}
	return s
}

// flatten renders a JSON message field (string, list or object) as text.
func flatten(x any) string {
	switch v := x.(type) {
	case nil:
		return ""
	case string:
		return v
	case []any:
		var s []string
		for _, e := range v {
			if f := flatten(e); f != "" {
				s = append(s, f)
			}
		}
		return strings.Join(s, ", ")
	case map[string]any:
		if m, ok := v["message"]; ok {
			return flatten(m)
		}
		b, _ := json.Marshal(v)
		return string(b)
	}
	b, _ := json.Marshal(x)
	return string(b)
}

// stripURL keeps a transport error's cause without the URL it names.
func stripURL(err error) string {
	var ue interface{ Unwrap() error }
	if errors.As(err, &ue) && ue.Unwrap() != nil {
		return ue.Unwrap().Error()
	}
	return err.Error()
}

func bearer(token string) func(*http.Request) {
	return func(r *http.Request) {
		if token != "" {
			r.Header.Set("Authorization", "Bearer "+token)
		}
	}
}
