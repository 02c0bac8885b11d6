// Package address reads the network addresses tagbump is given (repository
// URLs, registry hosts) in one way everywhere: the host of a URL, the same
// URL with its credentials hidden, and whether a host is this machine.
package address

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
)

// Redacted replaces the user information of a URL in Redact's result.
const Redacted = "REDACTED"

// Parse parses raw as url.Parse does, but its error never carries the
// user information of raw: url.Parse quotes the whole input in its error,
// token included, so the error names Redact(raw) instead.
func Parse(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err == nil {
		return u, nil
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	// url.Parse's cause quotes the piece it stumbled on, which is part of
	// the credentials when they hold a '/', '?' or '#' (invalid port
	// ":token"): leave such a cause out.
	for _, piece := range strings.FieldsFunc(userinfo(raw), func(r rune) bool { return strings.ContainsRune(":/?#", r) }) {
		if len(piece) > 2 && strings.Contains(err.Error(), piece) {
			err = errors.New("the URL is not valid (details left out, as they would show the credentials): percent-encode '/', '?', '#' and '@' in a password")
			break
		}
	}
	return nil, fmt.Errorf("parse %q: %w", Redact(raw), err)
}

// Host returns the host name, without port or brackets, of a URL with a
// scheme (https://, ssh://), or "" for anything else: a local path, an
// scp-like address (git@host:path) or a URL that does not parse.
func Host(raw string) string {
	if !strings.Contains(raw, "://") {
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return u.Hostname()
}

// Redact returns raw with the user information of a URL (user:password@)
// replaced by "REDACTED@", also when raw does not parse as a URL: then
// everything up to its last '@' counts as user information, since a
// password may hold an unescaped '/'. Anything without "://" is returned as
// it is.
func Redact(raw string) string {
	user := userinfo(raw)
	if user == "" && !strings.Contains(raw, "://@") {
		return raw
	}
	i := strings.Index(raw, "://") + 3
	return raw[:i] + Redacted + raw[i+len(user):]
}

// userinfo returns the user information of the URL raw (what Redact
// hides), without its '@'; "" when there is none.
func userinfo(raw string) string {
	i := strings.Index(raw, "://")
	if i < 0 {
		return ""
	}
	rest := raw[i+3:]
	// The authority ends at the first '/', '?' or '#'; an '@' after it is
	// part of the path.
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	at := strings.LastIndex(rest[:end], "@")
	if _, err := url.Parse(raw); err != nil {
		at = strings.LastIndex(rest, "@")
	}
	if at < 0 {
		return ""
	}
	return rest[:at]
}

// IsLoopback reports whether host (a name or IP address, optionally with
// a port or in brackets) is this machine: localhost, 127.0.0.0/8 or ::1.
func IsLoopback(host string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.ToLower(strings.Trim(host, "[]")), ".")
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// MayFollow reports whether a request that carries credentials for the URL
// from may follow a redirect to the URL to: only to the same origin
// (scheme, host and port, a default port spelled out or not), or from
// http:// to https:// on the same host. A redirect to another scheme, host
// or port would hand the credentials to whoever answers there (net/http
// forwards Authorization to any port of the same host name, and from
// https:// to http://).
func MayFollow(from, to *url.URL) bool {
	if origin(from) == origin(to) {
		return true
	}
	return from.Scheme == "http" && to.Scheme == "https" && strings.EqualFold(from.Hostname(), to.Hostname())
}

// origin is u's scheme, host and port, the default port spelled out.
func origin(u *url.URL) string {
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[strings.ToLower(u.Scheme)]
	}
	return strings.ToLower(u.Scheme) + "://" + net.JoinHostPort(strings.ToLower(u.Hostname()), port)
}
