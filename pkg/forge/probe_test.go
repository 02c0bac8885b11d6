package forge_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/tagbump/tagbump/pkg/forge"
)

// answer is a stand-in's status and body for one path.
type answer struct {
	status int
	body   string
}

// TestProbe: each self-hosted kind is known by its documented version
// endpoint, under a path prefix too; no credentials go out; a host that
// answers otherwise (a plain web server, a redirect) is not guessed at.
func TestProbe(t *testing.T) {
	for _, tc := range []struct {
		name   string
		repo   string // path of the repository URL
		answer map[string]answer
		want   forge.Kind
	}{
		{"gitea", "/acme/charts.git", map[string]answer{"/api/v1/version": {200, `{"version":"1.24.6"}`}}, forge.Gitea},
		{"forgejo under a prefix", "/git/acme/charts", map[string]answer{"/git/api/v1/version": {200, `{"version":"11.0.1+gitea-1.22.0"}`}}, forge.Gitea},
		{"gitlab without token", "/group/sub/charts.git", map[string]answer{"/api/v4/version": {401, `{"message":"401 Unauthorized"}`}}, forge.GitLab},
		{"gitlab answering", "/group/charts.git", map[string]answer{"/api/v4/version": {200, `{"version":"18.1.0","revision":"abc"}`}}, forge.GitLab},
		{"plain web server", "/acme/charts.git", map[string]answer{"/api/v1/version": {200, `<html></html>`}, "/api/v4/version": {401, `{"error":"no"}`}}, ""},
		{"redirect to a login page", "/acme/charts.git", map[string]answer{"/api/v1/version": {302, `{"version":"1"}`}}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var paths []string
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				paths = append(paths, r.URL.Path)
				if r.Header.Get("Authorization") != "" || r.Header.Get("Private-Token") != "" {
					t.Errorf("credentials sent to %s", r.URL.Path)
				}
				a, ok := tc.answer[r.URL.Path]
				if !ok {
					http.NotFound(w, r)
					return
				}
				if a.status == 302 {
					w.Header().Set("Location", "/login")
				}
				w.WriteHeader(a.status)
				w.Write([]byte(a.body))
			}))
			defer srv.Close()
			if got := forge.Probe(context.Background(), "http://u:secret@"+srv.Listener.Addr().String()+tc.repo, srv.Client()); got != tc.want {
				t.Errorf("Probe = %q, want %q (requests %v)", got, tc.want, paths)
			}
			if len(paths) > 3 {
				t.Errorf("%d requests: %v", len(paths), paths)
			}
		})
	}
}
