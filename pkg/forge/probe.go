package forge

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
)

// Probe finds the kind of a self-hosted host that Detect does not know,
// from the version endpoints the hosts document: Gitea and Forgejo answer
// GET <prefix>/api/v1/version with {"version": "…"}, and GitLab answers
// GET /api/v4/version with its version, or without a token with 401
// {"message":"401 Unauthorized"}. It sends no credentials, follows no
// redirect and reads at most 64 KiB of each answer; it returns "" when no
// endpoint answers as one of them does.
func Probe(ctx context.Context, repoURL string, hc *http.Client) Kind {
	u, err := url.Parse(repoURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return ""
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	if hc != nil {
		c.Transport, c.Timeout = hc.Transport, hc.Timeout
	}
	root := u.Scheme + "://" + u.Host
	var body struct {
		Version string `json:"version"`
		Message string `json:"message"`
	}
	get := func(path string) int {
		body.Version, body.Message = "", ""
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, root+path, nil)
		if err != nil {
			return 0
		}
		req.Header.Set("Accept", "application/json")
		resp, err := c.Do(req)
		if err != nil {
			return 0
		}
		defer resp.Body.Close()
		if json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&body) != nil {
			return 0
		}
		return resp.StatusCode
	}
	prefixes := []string{""}
	if prefix, _, _, err := ownerRepo(u); err == nil && prefix != "" {
		prefixes = []string{prefix, ""} // Gitea served under a path
	}
	for _, p := range prefixes {
		if get(p+"/api/v1/version") == http.StatusOK && body.Version != "" {
			return Gitea
		}
	}
	switch get("/api/v4/version") {
	case http.StatusOK:
		if body.Version != "" {
			return GitLab
		}
	case http.StatusUnauthorized:
		if body.Message == "401 Unauthorized" {
			return GitLab
		}
	}
	return ""
}
