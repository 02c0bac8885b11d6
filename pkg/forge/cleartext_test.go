package forge_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/tagbump/tagbump/internal/testenv"
	"github.com/tagbump/tagbump/pkg/forge"
)

const canary = "canary-forge-Rr7d-token"

// repoURLs is a repository URL per host, for the clients to parse.
var repoURLs = map[forge.Kind]string{
	forge.GitHub:    "https://github.com/acme/charts.git",
	forge.GitLab:    "https://gitlab.com/group/charts.git",
	forge.Azure:     "https://dev.azure.com/org/project/_git/charts",
	forge.Bitbucket: "https://bitbucket.org/ws/charts.git",
	forge.Gitea:     "https://gitea.acme.example/acme/charts.git",
}

// countingTransport counts the requests it is asked to send and sends
// none.
type countingTransport struct{ n atomic.Int64 }

func (c *countingTransport) RoundTrip(*http.Request) (*http.Response, error) {
	c.n.Add(1)
	return nil, errors.New("no request may be sent")
}

// TestClearTextRefused checks that every host's client, and the GitHub
// API commit client, refuses a token over http:// to a host that is not
// this machine (192.0.2.2, TEST-NET-1) before it sends anything, with an
// error that names the URL without its credentials and the fix.
func TestClearTextRefused(t *testing.T) {
	const api = "http://bot:url-pw-Qz3k@192.0.2.2:3000/api"
	for _, kind := range forge.Kinds {
		t.Run(string(kind), func(t *testing.T) {
			rt := &countingTransport{}
			f, err := forge.New(forge.Options{Kind: kind, RepoURL: repoURLs[kind], APIURL: api, User: "bot", Token: canary,
				HTTPClient: &http.Client{Transport: rt}})
			if err == nil {
				_, err = f.FindOpen(context.Background(), "tagbump/app-prod", "main")
			}
			checkClearText(t, err)
			if n := rt.n.Load(); n != 0 {
				t.Errorf("%d requests sent", n)
			}
		})
	}
	t.Run("repository URL", func(t *testing.T) {
		_, err := forge.New(forge.Options{Kind: forge.Gitea, RepoURL: "http://192.0.2.2:3000/acme/charts.git", Token: canary})
		if !errors.Is(err, forge.ErrBadURL) || !strings.Contains(err.Error(), "http://192.0.2.2:3000") {
			t.Errorf("New = %v, want ErrBadURL naming the URL", err)
		}
	})
	t.Run("loopback", func(t *testing.T) {
		if _, err := forge.New(forge.Options{Kind: forge.Gitea, RepoURL: "http://127.0.0.1:3000/acme/charts.git", Token: canary}); err != nil {
			t.Errorf("New over http:// to loopback: %v", err)
		}
	})
	t.Run("github api commits", func(t *testing.T) {
		rt := &countingTransport{}
		_, err := forge.NewGitHubCommits(api+"/graphql", canary, forge.WithCommitsHTTPClient(&http.Client{Transport: rt}))
		checkClearText(t, err)
	})
}

func checkClearText(t *testing.T, err error) {
	t.Helper()
	if !errors.Is(err, forge.ErrBadURL) {
		t.Fatalf("err = %v, want ErrBadURL", err)
	}
	msg := err.Error()
	for _, want := range []string{"http://REDACTED@192.0.2.2:3000/api", "clear text", "https://"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not name %q", msg, want)
		}
	}
	if strings.Contains(msg, "url-pw-Qz3k") || strings.Contains(msg, canary) {
		t.Errorf("error %q shows a credential", msg)
	}
}

// TestRedirectKeepsToken checks that no host's client, nor the GitHub API
// commit client, follows a redirect with the token to another scheme
// (https:// to http://) or port: the far end, a server that records the
// headers it gets, sees no token, and the request fails with ErrBadURL.
func TestRedirectKeepsToken(t *testing.T) {
	for _, c := range []struct {
		name string
		tls  bool
	}{{"https to http", true}, {"other port", false}} {
		t.Run(c.name, func(t *testing.T) {
			// Each client gets its own far end and redirector.
			start := func(t *testing.T) (*testenv.HeaderRecorder, *httptest.Server) {
				rec := testenv.StartHeaderRecorder()
				t.Cleanup(rec.Close)
				red := testenv.StartRedirector(rec.URL, c.tls)
				t.Cleanup(red.Close)
				return rec, red
			}
			for _, kind := range forge.Kinds {
				t.Run(string(kind), func(t *testing.T) {
					rec, red := start(t)
					f, err := forge.New(forge.Options{Kind: kind, RepoURL: repoURLs[kind], APIURL: red.URL + "/api", User: "bot", Token: canary,
						HTTPClient: red.Client()})
					if err != nil {
						t.Fatal(err)
					}
					_, err = f.FindOpen(context.Background(), "tagbump/app-prod", "main")
					checkRedirect(t, rec, err)
				})
			}
			t.Run("github api commits", func(t *testing.T) {
				rec, red := start(t)
				g, err := forge.NewGitHubCommits(red.URL+"/api/graphql", canary, forge.WithCommitsHTTPClient(red.Client()))
				if err != nil {
					t.Fatal(err)
				}
				_, err = g.CreateCommit(context.Background(), forge.CommitRequest{Repository: "acme/charts", Branch: "main",
					ExpectedHead: strings.Repeat("a", 40), Message: "m", Files: map[string][]byte{"a": []byte("x")}})
				checkRedirect(t, rec, err)
			})
		})
	}
}

func checkRedirect(t *testing.T, rec *testenv.HeaderRecorder, err error) {
	t.Helper()
	if dump := rec.Dump(); strings.Contains(dump, canary) {
		t.Errorf("the token crossed the redirect:\n%s", dump)
	}
	if !errors.Is(err, forge.ErrBadURL) || !strings.Contains(err.Error(), "redirects to "+rec.URL) {
		t.Errorf("err = %v, want ErrBadURL naming %s", err, rec.URL)
	}
	if err != nil && strings.Contains(err.Error(), canary) {
		t.Errorf("error %q shows the token", err)
	}
}
