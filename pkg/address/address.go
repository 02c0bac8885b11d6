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
// replaced by "REDACTED@", also when raw does not parse as a URL. Anything
// without "://" is returned as it is.
func Redact(raw string) string {
	i := strings.Index(raw, "://")
	if i < 0 {
		return raw
	}
	rest := raw[i+3:]
	// The authority ends at the first '/', '?' or '#'; an '@' after it is
	// part of the path.
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	at := strings.LastIndex(rest[:end], "@")
	if at < 0 {
		return raw
	}
	return raw[:i+3] + Redacted + "@" + rest[at+1:]
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
