package gitrepo_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tagbump/tagbump/internal/testenv"
	"github.com/tagbump/tagbump/pkg/gitrepo"
)

// A token is never sent over plain http to a host other than loopback.
func TestPlainHTTPWithToken(t *testing.T) {
	tok := gitrepo.WithHTTPAuth("bot", "tok-plain-0815")
	for _, url := range []string{
		"http://git.example.com/charts.git",
		"http://10.0.0.7:3000/charts.git",
		"HTTP://git.example.com/charts.git",
		"http://localhost.example.com/charts.git",
	} {
		_, err := gitrepo.Open(context.Background(), url, tok)
		if !errors.Is(err, gitrepo.ErrBadAddress) || !strings.Contains(err.Error(), "use https://") || strings.Contains(err.Error(), "tok-plain-0815") {
			t.Errorf("Open(%s) with a token: %v, want ErrBadAddress saying use https://", url, err)
		}
	}
	for _, tc := range []struct {
		url  string
		opts []gitrepo.Option
	}{
		{"http://127.0.0.1:8080/charts.git", []gitrepo.Option{tok}},
		{"http://127.1.2.3/charts.git", []gitrepo.Option{tok}},
		{"http://localhost:3000/charts.git", []gitrepo.Option{tok}},
		{"http://[::1]:3000/charts.git", []gitrepo.Option{tok}},
		{"https://git.example.com/charts.git", []gitrepo.Option{tok}},
		{"http://git.example.com/charts.git", nil}, // anonymous
	} {
		r, err := gitrepo.Open(context.Background(), tc.url, tc.opts...)
		if err != nil {
			t.Errorf("Open(%s): %v", tc.url, err)
			continue
		}
		r.Close()
	}
}

// A user name without a password (Azure's clone URLs carry the
// organisation there) is dropped without a warning; a password, or a user
// part that is a token, counts as credentials stripped.
func TestURLUserName(t *testing.T) {
	for _, tc := range []struct {
		url, clean        string
		stripped, fromURL bool
	}{
		{"https://org@dev.azure.com/org/proj/_git/charts", "https://dev.azure.com/org/proj/_git/charts", false, false},
		{"https://bot@git.example.com/charts.git", "https://git.example.com/charts.git", false, false},
		{"https://bot:pw@git.example.com/charts.git", "https://git.example.com/charts.git", true, true},
		{"https://bot:@git.example.com/charts.git", "https://git.example.com/charts.git", true, false},
		{"https://ghp_0123456789abcdefghijABCDEFGHIJ012345@github.com/o/charts.git", "https://github.com/o/charts.git", true, true},
		{"https://glpat-0123456789abcdefghij@gitlab.com/o/charts.git", "https://gitlab.com/o/charts.git", true, true},
		{"https://" + strings.Repeat("k", 52) + "@dev.azure.com/org/proj/_git/charts", "https://dev.azure.com/org/proj/_git/charts", true, true},
	} {
		r, err := gitrepo.Open(context.Background(), tc.url)
		if err != nil {
			t.Fatalf("Open(%s): %v", tc.url, err)
		}
		if r.URL() != tc.clean || r.CredentialsStripped() != tc.stripped || r.CredentialsFromURL() != tc.fromURL {
			t.Errorf("Open(%s): URL %q stripped %v from URL %v, want %q %v %v", tc.url, r.URL(), r.CredentialsStripped(), r.CredentialsFromURL(), tc.clean, tc.stripped, tc.fromURL)
		}
		r.Close()
	}
}

// A URL with credentials that does not parse is refused with an error
// that names it without the credentials: url.Parse quotes its whole input.
func TestBadURLErrorHasNoCredentials(t *testing.T) {
	for _, url := range []string{
		"https://bot:canary-tok-77@git.example.com:80a/charts.git",
		"https://canary-tok-77@git.example.com:80a/charts.git",
		"https://bot:canary-tok-77@git.example.com/charts%zz",
		"ssh://git:canary-tok-77@[::1/charts",
	} {
		_, err := gitrepo.Open(context.Background(), url)
		if !errors.Is(err, gitrepo.ErrBadAddress) {
			t.Errorf("Open(%s): %v, want ErrBadAddress", url, err)
			continue
		}
		if strings.Contains(err.Error(), "canary-tok-77") {
			t.Errorf("Open(%s): the error carries the token: %v", url, err)
		}
		if !strings.Contains(err.Error(), "REDACTED@") {
			t.Errorf("Open(%s): %v, want the URL named with its credentials redacted", url, err)
		}
	}
}

// An scp-like address has no password part in Git's syntax, but a user
// part "user:secret" is taken for a user name by go-git: the secret must
// be removed like a URL's password, and never named in an error.
func TestSCPLikePasswordStripped(t *testing.T) {
	known := filepath.Join(t.TempDir(), "known_hosts")
	if err := os.WriteFile(known, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	r, err := gitrepo.Open(context.Background(), "bot:canary-tok-55@git.example.com:org/charts.git", gitrepo.WithKnownHosts(known), gitrepo.WithSSHKey("/nonexistent/key", ""))
	if err == nil {
		r.Close()
		t.Fatal("Open with a missing key file succeeded")
	}
	if strings.Contains(err.Error(), "canary-tok-55") {
		t.Errorf("the error names the secret: %v", err)
	}
	r, err = gitrepo.Open(context.Background(), "bot:canary-tok-55@git.example.com:org/charts.git", gitrepo.WithKnownHosts(known), gitrepo.WithSSHKey(writeKey(t), ""))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if r.URL() != "bot@git.example.com:org/charts.git" || !r.CredentialsStripped() {
		t.Errorf("URL %q stripped %v, want bot@git.example.com:org/charts.git and true", r.URL(), r.CredentialsStripped())
	}
}

// writeKey writes a fresh ssh key without passphrase and returns its path.
func writeKey(t *testing.T) string {
	k, err := testenv.NewSSHKey(t.TempDir(), "id", "")
	if err != nil {
		t.Fatal(err)
	}
	return k.Path
}
