package gitrepo_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/tagbump/tagbump/internal/testenv"
	"github.com/tagbump/tagbump/pkg/gitrepo"
)

// The auth error reads "op repo: sentinel: go-git's reason: hint" with no
// empty segment when the answer has no body, and no repeated reason.
func TestAuthErrorMessage(t *testing.T) {
	ctx := context.Background()
	bare := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusUnauthorized) // no body
	}))
	t.Cleanup(bare.Close)
	url := bare.URL + "/charts.git"
	_, err := open(t, url).Fetch(ctx, "main")
	want := "fetch " + url + ": authentication or authorization failed: authentication required: no token was sent: set TAGBUMP_GIT_TOKEN (or the CI system's token)"
	if err == nil || err.Error() != want {
		t.Errorf("401 without a body:\n got %q\nwant %q", err, want)
	}

	s := testenv.NewGitServer(t, testenv.WithBasicAuth("bot", "right"), testenv.WithReadOnlyUser("reader", "ro"))
	s.MustCreateRepo(t, "charts", seedFiles())
	url = s.URL("charts")
	_, err = open(t, url, gitrepo.WithHTTPAuth("bot", "wrong")).Fetch(ctx, "main")
	want = "fetch " + url + ": authentication or authorization failed: authentication required: check the token in TAGBUMP_GIT_TOKEN (or the CI system's token) and the user in TAGBUMP_GIT_USER"
	if err == nil || err.Error() != want {
		t.Errorf("401 whose body repeats the status:\n got %q\nwant %q", err, want)
	}
	ro := open(t, url, gitrepo.WithHTTPAuth("reader", "ro"))
	err = ro.Push(ctx, bump(t, ro, "app/values-prod.yaml", "0.9.0", "1.0.0"))
	want = "push to " + url + ": authentication or authorization failed: authorization failed: read-only user may not push: the token may read but not write: give it write access to the repository"
	if err == nil || err.Error() != want {
		t.Errorf("403 with a reason:\n got %q\nwant %q", err, want)
	}
}
