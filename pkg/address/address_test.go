package address_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/tagbump/tagbump/pkg/address"
)

func TestHost(t *testing.T) {
	for raw, want := range map[string]string{
		"https://git.example.com/charts.git":       "git.example.com",
		"https://bot:tok@Git.Example.com:8443/c":   "Git.Example.com",
		"ssh://git@[::1]:2222/charts":              "::1",
		"http://127.0.0.1:8080/x":                  "127.0.0.1",
		"git@github.com:org/charts.git":            "",
		"/home/me/charts":                          "",
		"./charts":                                 "",
		"https://bot:tok@host:80a/charts":          "",
		"https://dev.azure.com/org/project/_git/r": "dev.azure.com",
	} {
		if got := address.Host(raw); got != want {
			t.Errorf("Host(%q) = %q, want %q", raw, got, want)
		}
	}
}

func TestRedact(t *testing.T) {
	for raw, want := range map[string]string{
		"https://bot:tok@host/charts":         "https://REDACTED@host/charts",
		"https://bot:tok@host:80a/charts":     "https://REDACTED@host:80a/charts",
		"https://a@b:c@host/x":                "https://REDACTED@host/x",
		"https://host/path@with-at":           "https://host/path@with-at",
		"https://host?q=a@b":                  "https://host?q=a@b",
		"ssh://git:pw@host:22/x":              "ssh://REDACTED@host:22/x",
		"https://host/charts":                 "https://host/charts",
		"git@github.com:org/charts.git":       "git@github.com:org/charts.git",
		"https://tok@host":                    "https://REDACTED@host",
		"https://x-access-token:t%zz@host/c%": "https://REDACTED@host/c%",
	} {
		if got := address.Redact(raw); got != want {
			t.Errorf("Redact(%q) = %q, want %q", raw, got, want)
		}
	}
}

func TestParseErrorHasNoCredentials(t *testing.T) {
	for _, raw := range []string{
		"https://bot:canary-tok@host:80a/charts",
		"https://canary-tok@host:80a/charts",
		"https://bot:canary-tok/x@host/charts", // a '/' in the token, not percent-encoded
		"https://bot:canary-tok?x@host/charts",
		"https://bot:canary-tok@host/%zz",
		"ssh://git:canary-tok@[::1/charts",
	} {
		u, err := address.Parse(raw)
		if err == nil {
			t.Errorf("Parse(%q) = %v, want an error", raw, u)
			continue
		}
		if strings.Contains(err.Error(), "canary-tok") {
			t.Errorf("Parse(%q) error carries the token: %v", raw, err)
		}
		if !strings.Contains(err.Error(), "REDACTED@") {
			t.Errorf("Parse(%q) error = %v, want the redacted URL in it", raw, err)
		}
	}
	u, err := address.Parse("https://bot:tok@host/charts")
	if err != nil || u.Host != "host" || u.User.Username() != "bot" {
		t.Errorf("Parse of a valid URL = %v, %v", u, err)
	}
}

func TestIsLoopback(t *testing.T) {
	for host, want := range map[string]bool{
		"localhost": true, "LOCALHOST.": true, "localhost:5000": true,
		"127.0.0.1": true, "127.8.9.10": true, "127.0.0.1:8080": true,
		"::1": true, "[::1]": true, "[::1]:5000": true,
		"10.0.0.1": false, "example.com": false, "localhost.example.com": false,
		"128.0.0.1": false, "": false, "::2": false,
	} {
		if got := address.IsLoopback(host); got != want {
			t.Errorf("IsLoopback(%q) = %v, want %v", host, got, want)
		}
	}
}

func TestMayFollow(t *testing.T) {
	for _, c := range []struct {
		from, to string
		want     bool
	}{
		{"https://api.example.com/a", "https://api.example.com/b", true},
		{"https://api.example.com/a", "https://API.example.com:443/b", true},
		{"http://127.0.0.1:3000/a", "https://127.0.0.1:3443/a", true},
		{"https://api.example.com/a", "http://api.example.com/a", false},
		{"https://api.example.com/a", "https://api.example.com:8443/a", false},
		{"http://127.0.0.1:3000/a", "http://127.0.0.1:3001/a", false},
		{"https://api.example.com/a", "https://evil.example/a", false},
		{"http://api.example.com/a", "https://evil.example/a", false},
	} {
		from, _ := url.Parse(c.from)
		to, _ := url.Parse(c.to)
		if got := address.MayFollow(from, to); got != c.want {
			t.Errorf("MayFollow(%s, %s) = %v, want %v", c.from, c.to, got, c.want)
		}
	}
}
