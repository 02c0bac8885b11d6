// Package argocd reads Argo CD Applications two ways. From their manifests
// in a repository (Find): which sources, paths, value files and embedded
// values an Application deploys from the repository being changed, also for
// Applications an ApplicationSet generates. Through Argo CD's API server
// (Client): what revision an Application is synced to, how its last sync
// operation ended and whether its resources are healthy. It knows nothing
// of Git transport (files come through Files) and never prints.
//
// It speaks the REST gateway of Argo CD's API (the OpenAPI document served
// at /swagger.json, ApplicationService_Get: GET
// /api/v1/applications/{name}?appNamespace=...) with net/http, rather than
// Argo CD's own module, which pulls in Kubernetes' client libraries.
package argocd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/tagbump/tagbump/pkg/address"
	"github.com/tagbump/tagbump/pkg/forge"
)

// Sentinel errors; the package's errors wrap them.
var (
	// ErrAuth means Argo CD refused the token (401) or the token may not
	// read the application (403).
	ErrAuth = errors.New("argo cd refused the token")
	// ErrNotFound means the application does not exist (or the token's
	// project may not see it: Argo CD answers both with 403 or 404).
	ErrNotFound = errors.New("application not found")
	// ErrServer means Argo CD failed (5xx), limited the rate (429) or
	// could not be reached.
	ErrServer = errors.New("argo cd server error")
	// ErrBadURL means the server URL cannot carry the token.
	ErrBadURL = errors.New("bad argo cd server URL")
)

// Refused requests are *forge.Error values (Op, HTTP status, Argo CD's
// message, a hint) whose Kind is one of the sentinels above.

// Application is the part of an Argo CD Application (v1alpha1) that tells
// what is deployed.
type Application struct {
	Metadata struct {
		Name      string `json:"name"`
		Namespace string `json:"namespace"`
	} `json:"metadata"`
	Spec struct {
		Source  *Source  `json:"source"`
		Sources []Source `json:"sources"`
	} `json:"spec"`
	Status struct {
		Sync struct {
			// Status is Synced, OutOfSync or Unknown.
			Status    string   `json:"status"`
			Revision  string   `json:"revision"`
			Revisions []string `json:"revisions"`
		} `json:"sync"`
		Health struct {
			// Status is Healthy, Progressing, Degraded, Suspended,
			// Missing or Unknown.
			Status  string `json:"status"`
			Message string `json:"message"`
		} `json:"health"`
		OperationState *OperationState `json:"operationState"`
		Conditions     []struct {
			Type    string `json:"type"`
			Message string `json:"message"`
		} `json:"conditions"`
	} `json:"status"`
}

// Source is one source of an application.
type Source struct {
	RepoURL        string `json:"repoURL"`
	TargetRevision string `json:"targetRevision"`
	Path           string `json:"path"`
	Chart          string `json:"chart"`
}

// OperationState is the state of the application's last (or running)
// operation, a sync.
type OperationState struct {
	// Phase is Running, Terminating, Failed, Error or Succeeded.
	Phase      string    `json:"phase"`
	Message    string    `json:"message"`
	StartedAt  time.Time `json:"startedAt"`
	FinishedAt time.Time `json:"finishedAt"`
	SyncResult *struct {
		Revision  string   `json:"revision"`
		Revisions []string `json:"revisions"`
	} `json:"syncResult"`
}

// SyncedRevisions returns the revisions the application is synced to: one
// for a single-source application, one per source (in spec order) for a
// multi-source one (status.sync.revisions).
func (a *Application) SyncedRevisions() []string {
	if len(a.Status.Sync.Revisions) > 0 {
		return a.Status.Sync.Revisions
	}
	if a.Status.Sync.Revision != "" {
		return []string{a.Status.Sync.Revision}
	}
	return nil
}

// Client reads applications from one Argo CD API server.
type Client struct {
	server string
	token  string
	hc     *http.Client
	etag   string
	body   []byte
}

// New returns a client of the Argo CD API at server (https://argocd.example.com)
// that sends token as a bearer token; hc nil uses a client on
// http.DefaultTransport. The token is never sent over http:// to another
// machine, nor along a redirect to another scheme, host or port.
func New(server, token string, hc *http.Client) (*Client, error) {
	u, err := address.Parse(server)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("argo cd server %s: %w: use https://HOST", address.Redact(server), ErrBadURL)
	}
	if strings.EqualFold(u.Scheme, "http") && !address.IsLoopback(u.Hostname()) {
		return nil, fmt.Errorf("argo cd server %s: %w: the token would cross the network in clear text over http://: use https://", address.Redact(server), ErrBadURL)
	}
	c := &http.Client{}
	if hc != nil {
		*c = *hc
	}
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if len(via) >= 10 || !address.MayFollow(via[0].URL, req.URL) {
			return fmt.Errorf("%w: the server redirects to %s://%s, and tagbump sends the token only to the server it was given", ErrBadURL, req.URL.Scheme, req.URL.Host)
		}
		return nil
	}
	return &Client{server: strings.TrimSuffix(u.String(), "/"), token: token, hc: c}, nil
}

// Application returns the application name (in namespace appNamespace
// when not "", for applications outside Argo CD's own namespace). It asks
// with the ETag of its previous answer where the server gave one.
func (c *Client) Application(ctx context.Context, name, appNamespace string) (*Application, error) {
	op := "get argo cd application " + name
	u := c.server + "/api/v1/applications/" + url.PathEscape(name)
	if appNamespace != "" {
		u += "?" + url.Values{"appNamespace": {appNamespace}}.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "tagbump")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if c.etag != "" {
		req.Header.Set("If-None-Match", c.etag)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("%s: %w", op, ctx.Err())
		}
		kind := ErrServer
		if errors.Is(err, ErrBadURL) {
			kind = ErrBadURL
		}
		var ue *url.Error
		msg := err.Error()
		if errors.As(err, &ue) {
			msg = ue.Err.Error()
		}
		return nil, &forge.Error{Op: op, Message: msg, Kind: kind}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return nil, &forge.Error{Op: op, Status: resp.StatusCode, Message: "reading the answer: " + err.Error(), Kind: ErrServer}
	}
	switch {
	case resp.StatusCode == http.StatusNotModified && c.etag != "":
		data = c.body
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		e := &forge.Error{Op: op, Status: resp.StatusCode, Message: message(data), Kind: ErrServer}
		switch resp.StatusCode {
		case http.StatusUnauthorized:
			e.Kind, e.Hint = ErrAuth, "the token was refused: check ARGOCD_AUTH_TOKEN (or --argocd-token-file) and that it has not expired"
		case http.StatusForbidden:
			e.Kind, e.Hint = ErrAuth, "the token's role needs applications, get on the application's project (Argo CD answers so for an application that does not exist, too)"
		case http.StatusNotFound:
			e.Kind = ErrNotFound
		case http.StatusTooManyRequests, http.StatusServiceUnavailable:
			e.RetryAfter = forge.RetryAfter(resp.Header.Get("Retry-After"), time.Now())
		}
		return nil, e
	default:
		if etag := resp.Header.Get("ETag"); etag != "" {
			c.etag, c.body = etag, data
		}
	}
	var app Application
	if err := json.Unmarshal(data, &app); err != nil {
		return nil, &forge.Error{Op: op, Status: resp.StatusCode, Message: "unexpected answer: " + err.Error(), Kind: ErrServer}
	}
	return &app, nil
}

// message returns the error text of an Argo CD error body (grpc-gateway's
// {"error", "message", "code"}), shortened.
func message(data []byte) string {
	var v struct {
		Message string `json:"message"`
		Error   string `json:"error"`
	}
	s := strings.TrimSpace(string(data))
	if json.Unmarshal(data, &v) == nil {
		s = v.Message
		if s == "" {
			s = v.Error
		}
	}
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > 300 {
		s = string(r[:300]) + "…"
	}
	return s
}
