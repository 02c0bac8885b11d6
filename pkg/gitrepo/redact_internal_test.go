package gitrepo

import (
	"errors"
	"strings"
	"testing"
)

// TestStripCredentials: http(s) loses its whole user part, ssh keeps its
// user name but never a password, scp-like addresses pass as they are.
func TestStripCredentials(t *testing.T) {
	for _, tc := range []struct {
		raw, clean string
		stripped   bool
	}{
		{"ssh://git:s3cret@git.example.com/charts.git", "ssh://git@git.example.com/charts.git", true},
		{"ssh://git:@git.example.com:2222/charts.git", "ssh://git@git.example.com:2222/charts.git", true},
		{"ssh://git@git.example.com/charts.git", "ssh://git@git.example.com/charts.git", false},
		{"ssh://git.example.com/charts.git", "ssh://git.example.com/charts.git", false},
		{"git@git.example.com:acme/charts.git", "git@git.example.com:acme/charts.git", false},
		{"https://bot:s3cret@git.example.com/charts.git", "https://git.example.com/charts.git", true},
		{"https://bot@git.example.com/charts.git", "https://git.example.com/charts.git", false},
		{"http://glpat-s3cret@127.0.0.1:8080/charts.git", "http://127.0.0.1:8080/charts.git", true},
	} {
		clean, stripped, err := stripCredentials(tc.raw)
		if err != nil || clean != tc.clean || stripped != tc.stripped {
			t.Errorf("stripCredentials(%q) = %q, %v, %v; want %q, %v", tc.raw, clean, stripped, err, tc.clean, tc.stripped)
		}
	}
}

// TestRedactRaw: an address that does not parse is shown without its user
// part, whatever that holds, and otherwise as given.
func TestRedactRaw(t *testing.T) {
	for raw, want := range map[string]string{
		"https://bot:s3cret@git.example.com:80a/charts.git": "https://REDACTED@git.example.com:80a/charts.git",
		"ssh://git:s3cret@git.example.com:x/charts.git":     "ssh://REDACTED@git.example.com:x/charts.git",
		"https://a@b:s3cret@git.example.com/%zz":            "https://REDACTED@git.example.com/%zz",
		"https://git.example.com:80a/charts.git":            "https://git.example.com:80a/charts.git",
		"git@git.example.com:charts.git":                    "git@git.example.com:charts.git",
	} {
		if got := redactRaw(raw); got != want {
			t.Errorf("redactRaw(%q) = %q, want %q", raw, got, want)
		}
	}
	_, _, err := stripCredentials("https://bot:s3cret@git.example.com:80a/charts.git")
	if !errors.Is(err, ErrBadAddress) || !strings.Contains(err.Error(), "REDACTED@git.example.com:80a") {
		t.Errorf("stripCredentials of a bad port: %v", err)
	}
}
