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
		// A user name of 40 characters or more is taken for a token.
		{"https://" + strings.Repeat("k", 40) + "@git.example.com/c", "https://git.example.com/c", true},
		{"https://" + strings.Repeat("k", 39) + "@git.example.com/c", "https://git.example.com/c", false},
	} {
		clean, stripped, err := stripCredentials(tc.raw)
		if err != nil || clean != tc.clean || stripped != tc.stripped {
			t.Errorf("stripCredentials(%q) = %q, %v, %v; want %q, %v", tc.raw, clean, stripped, err, tc.clean, tc.stripped)
		}
	}
}

// TestStripCredentialsParseError: an address that does not parse is
// named redacted in the error, never with its credentials.
func TestStripCredentialsParseError(t *testing.T) {
	_, _, err := stripCredentials("https://bot:s3cret@git.example.com:80a/charts.git")
	if !errors.Is(err, ErrBadAddress) || !strings.Contains(err.Error(), "REDACTED@git.example.com:80a") || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("stripCredentials of a bad port: %v", err)
	}
}
