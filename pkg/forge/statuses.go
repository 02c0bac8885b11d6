package forge

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// State is a commit status's state, the same word on every host.
type State string

// The states of a commit status. A host's own words map onto them: GitLab's
// running and created are pending, Azure DevOps' succeeded is success,
// Bitbucket's STOPPED is error, a GitHub check run that has not completed is
// pending and one that concluded neither success, neutral nor skipped is
// failure.
const (
	StatePending State = "pending"
	StateSuccess State = "success"
	StateFailure State = "failure"
	StateError   State = "error"
)

// Status is one status of a commit (a check run on GitHub), the newest of
// its context.
type Status struct {
	// Context names the status: GitHub's and Gitea's context, a GitHub
	// check run's name, GitLab's name, Azure DevOps' genre/name (name
	// alone without a genre), Bitbucket's key.
	Context string
	// State is the status's state; Native is the host's own word for it.
	State  State
	Native string
	// Description is the status's text (a check run's output title).
	Description string
	// URL is the page the status links to.
	URL string
}

// StatusReader reads the statuses of a commit. Every Forge is one.
type StatusReader interface {
	// Statuses returns the newest status of each context of the commit
	// sha. A host that supports conditional requests is asked with the
	// ETag of its previous answer, and a 304 answer costs no rate limit.
	Statuses(ctx context.Context, sha string) ([]Status, error)
}

// NewStatusReader returns the StatusReader for o.Kind: the host's Forge.
func NewStatusReader(o Options) (StatusReader, error) {
	return newAs[StatusReader](o, "commit statuses")
}

// newAs returns the host's Forge for o as a T (op names what it is for).
func newAs[T any](o Options, op string) (T, error) {
	var zero T
	f, err := New(o)
	if err != nil {
		return zero, err
	}
	r, ok := f.(T)
	if !ok {
		return zero, &Error{Op: op, Kind: ErrUnsupported}
	}
	return r, nil
}

// statusOp is the operation every status request names.
const statusOp = "read commit statuses"

// etagCache keeps the last answer of each URL with its ETag, so that a
// poll asks with If-None-Match and a 304 reuses the answer.
type etagCache struct {
	mu    sync.Mutex
	byURL map[string]cached
}

type cached struct {
	etag string
	body []byte
}

// get sends a GET of url, conditional where an earlier answer to the same
// URL had an ETag, and decodes the answer (or the cached one on 304) into
// out. A refusal is an *Error; one answered 429 or 503 with Retry-After
// carries the pause it asks for.
func (c *client) get(ctx context.Context, op, url string, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "tagbump")
	if c.token {
		if err := clearText(op, url); err != nil {
			return err
		}
	}
	if c.auth != nil {
		c.auth(req)
	}
	c.etags.mu.Lock()
	prev, ok := c.etags.byURL[url]
	c.etags.mu.Unlock()
	if ok {
		req.Header.Set("If-None-Match", prev.etag)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("%s: %w", op, ctx.Err())
		}
		kind := ErrServer
		if errors.Is(err, ErrBadURL) {
			kind = ErrBadURL
		}
		return &Error{Op: op, Message: stripURL(err), Kind: kind}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return &Error{Op: op, Status: resp.StatusCode, Message: "reading the answer: " + err.Error(), Kind: ErrServer}
	}
	switch {
	case resp.StatusCode == http.StatusNotModified && ok:
		data = prev.body
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		err := c.fail(op, resp.StatusCode, data)
		var e *Error
		if errors.As(err, &e) {
			e.RetryAfter = RetryAfter(resp.Header.Get("Retry-After"), time.Now())
		}
		return err
	default:
		if etag := resp.Header.Get("ETag"); etag != "" {
			c.etags.mu.Lock()
			if c.etags.byURL == nil {
				c.etags.byURL = map[string]cached{}
			}
			c.etags.byURL[url] = cached{etag: etag, body: data}
			c.etags.mu.Unlock()
		}
	}
	if out != nil && len(bytes.TrimSpace(data)) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			return &Error{Op: op, Status: resp.StatusCode, Message: "unexpected answer: " + err.Error(), Kind: ErrServer}
		}
	}
	return nil
}

// RetryAfter parses a Retry-After header, seconds or an HTTP date, into
// the pause it asks for from now; 0 when v is empty or unreadable.
func RetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// statusHint says which permission reading statuses needs, or that the
// commit is missing.
// GitHub answers 422 for a commit it does not have: that is not found.
func statusHint(err error, hint string) error {
	var e *Error
	if errors.As(err, &e) && e.Status == http.StatusUnprocessableEntity {
		e.Kind, e.Hint = ErrNotFound, "is the commit pushed to this repository?"
	}
	if errors.As(err, &e) && (errors.Is(err, ErrPermission) || errors.Is(err, ErrNotFound)) && e.Hint == "" {
		e.Hint = hint
	}
	return err
}

// Statuses reads the commit's combined status (GET
// .../commits/{ref}/status, the newest status of each context, up to 100)
// and its check runs (GET .../commits/{ref}/check-runs, the latest run of
// each name), docs.github.com/en/rest/commits/statuses and
// /rest/checks/runs#list-check-runs-for-a-git-reference.
func (g *github) Statuses(ctx context.Context, sha string) ([]Status, error) {
	const hint = "the token needs commit statuses: read and checks: read (in a workflow: permissions: statuses: read, checks: read)"
	var combined struct {
		Statuses []struct {
			Context     string `json:"context"`
			State       string `json:"state"`
			Description string `json:"description"`
			TargetURL   string `json:"target_url"`
		} `json:"statuses"`
	}
	if err := g.c.get(ctx, statusOp, g.url("/commits/%s/status?per_page=100", url.PathEscape(sha)), &combined); err != nil {
		return nil, statusHint(err, hint)
	}
	var out []Status
	for _, s := range combined.Statuses {
		out = append(out, Status{Context: s.Context, State: hubState(s.State), Native: s.State, Description: s.Description, URL: s.TargetURL})
	}
	var runs struct {
		CheckRuns []struct {
			Name       string  `json:"name"`
			Status     string  `json:"status"`
			Conclusion *string `json:"conclusion"`
			HTMLURL    string  `json:"html_url"`
			Output     struct {
				Title *string `json:"title"`
			} `json:"output"`
		} `json:"check_runs"`
	}
	if err := g.c.get(ctx, statusOp, g.url("/commits/%s/check-runs?filter=latest&per_page=100", url.PathEscape(sha)), &runs); err != nil {
		return nil, statusHint(err, hint)
	}
	for _, r := range runs.CheckRuns {
		s := Status{Context: r.Name, State: StatePending, Native: r.Status, URL: r.HTMLURL}
		if r.Output.Title != nil {
			s.Description = *r.Output.Title
		}
		if r.Status == "completed" && r.Conclusion != nil {
			s.Native = *r.Conclusion
			switch *r.Conclusion {
			case "success", "neutral", "skipped":
				s.State = StateSuccess
			default: // failure, cancelled, timed_out, action_required, stale
				s.State = StateFailure
			}
		}
		out = append(out, s)
	}
	return out, nil
}

// states maps a host's words for a status's state to State; any other
// word (GitLab's created, running, manual; Azure's notSet) is pending.
type states map[string]State

func (m states) of(native string) State {
	if s, ok := m[native]; ok {
		return s
	}
	return StatePending
}

var (
	gitlabStates    = states{"success": StateSuccess, "failed": StateFailure, "canceled": StateError}
	azureStates     = states{"succeeded": StateSuccess, "notApplicable": StateSuccess, "failed": StateFailure, "error": StateError}
	bitbucketStates = states{"SUCCESSFUL": StateSuccess, "FAILED": StateFailure, "STOPPED": StateError}
)

// hubState maps GitHub's and Gitea's status states (Gitea adds warning,
// which does not fail a commit's combined state there either).
func hubState(s string) State {
	switch s {
	case "success", "warning":
		return StateSuccess
	case "failure":
		return StateFailure
	case "error":
		return StateError
	}
	return StatePending
}

// Statuses lists the commit's statuses newest first (GET
// .../commits/{ref}/statuses, repoListStatusesByRef, default sort
// created_unix DESC) and keeps the first of each context.
func (g *gitea) Statuses(ctx context.Context, sha string) ([]Status, error) {
	var list []struct {
		ID          int64  `json:"id"`
		Status      string `json:"status"`
		Context     string `json:"context"`
		Description string `json:"description"`
		TargetURL   string `json:"target_url"`
	}
	if err := g.c.get(ctx, statusOp, g.url("/commits/%s/statuses?limit=50", url.PathEscape(sha)), &list); err != nil {
		return nil, statusHint(err, "the token needs the read:repository scope on "+g.owner+"/"+g.repo)
	}
	newest := map[string]int64{}
	var out []Status
	idx := map[string]int{}
	for _, s := range list {
		if id, ok := newest[s.Context]; ok && id >= s.ID {
			continue
		}
		st := Status{Context: s.Context, State: hubState(s.Status), Native: s.Status, Description: s.Description, URL: s.TargetURL}
		newest[s.Context] = s.ID
		if i, ok := idx[s.Context]; ok {
			out[i] = st
			continue
		}
		idx[s.Context] = len(out)
		out = append(out, st)
	}
	return out, nil
}

// Statuses lists the commit's statuses (GET
// /projects/:id/repository/commits/:sha/statuses, docs.gitlab.com/api/commits#list-the-statuses-of-a-commit),
// which without all=true holds the latest of each name.
func (g *gitlab) Statuses(ctx context.Context, sha string) ([]Status, error) {
	var list []struct {
		Name        string  `json:"name"`
		Status      string  `json:"status"`
		Description *string `json:"description"`
		TargetURL   *string `json:"target_url"`
	}
	if err := g.c.get(ctx, statusOp, g.api+"/repository/commits/"+url.PathEscape(sha)+"/statuses?per_page=100", &list); err != nil {
		return nil, statusHint(err, "the token needs the read_api scope and at least the Reporter role")
	}
	var out []Status
	for _, s := range list {
		st := Status{Context: s.Name, Native: s.Status, State: gitlabStates.of(s.Status)}
		if s.Description != nil {
			st.Description = *s.Description
		}
		if s.TargetURL != nil {
			st.URL = *s.TargetURL
		}
		out = append(out, st)
	}
	return out, nil
}

// Statuses lists the commit's statuses (GET
// .../repositories/{repo}/commits/{commitId}/statuses?latestOnly=true,
// learn.microsoft.com/en-us/rest/api/azure/devops/git/statuses/list).
func (a *azure) Statuses(ctx context.Context, sha string) ([]Status, error) {
	var list struct {
		Value []struct {
			State       string `json:"state"`
			Description string `json:"description"`
			TargetURL   string `json:"targetUrl"`
			Context     struct {
				Name  string `json:"name"`
				Genre string `json:"genre"`
			} `json:"context"`
		} `json:"value"`
	}
	if err := a.c.get(ctx, statusOp, a.api+"/commits/"+url.PathEscape(sha)+"/statuses?latestOnly=true&"+azureVersion, &list); err != nil {
		return nil, statusHint(err, "the token needs Code (read): give the build identity Read on the repository")
	}
	var out []Status
	for _, s := range list.Value {
		name := s.Context.Name
		if s.Context.Genre != "" {
			name = s.Context.Genre + "/" + name
		}
		out = append(out, Status{Context: name, Native: s.State, Description: s.Description, URL: s.TargetURL, State: azureStates.of(s.State)})
	}
	return out, nil
}

// Statuses lists the commit's build statuses (GET
// .../commit/{commit}/statuses, developer.atlassian.com/cloud/bitbucket/rest/api-group-commit-statuses),
// one per key.
func (b *bitbucket) Statuses(ctx context.Context, sha string) ([]Status, error) {
	var list struct {
		Values []struct {
			Key         string `json:"key"`
			State       string `json:"state"`
			Description string `json:"description"`
			URL         string `json:"url"`
		} `json:"values"`
	}
	if err := b.c.get(ctx, statusOp, b.api+"/commit/"+url.PathEscape(sha)+"/statuses?pagelen=100", &list); err != nil {
		return nil, statusHint(err, "the token needs the repository:read scope")
	}
	var out []Status
	for _, s := range list.Values {
		out = append(out, Status{Context: s.Key, Native: s.State, Description: s.Description, URL: s.URL, State: bitbucketStates.of(s.State)})
	}
	return out, nil
}
