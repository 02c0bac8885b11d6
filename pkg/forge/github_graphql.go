package forge

import (
	"bytes"
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tagbump/tagbump/pkg/address"
)

// GitHub makes commits with GitHub's GraphQL mutation createCommitOnBranch,
// on github.com and GitHub Enterprise Server. GitHub signs such commits
// itself, so they show as Verified, and authors them as the token's owner.
//
// It follows https://docs.github.com/en/graphql/reference/mutations#createcommitonbranch
// and https://docs.github.com/en/graphql/reference/input-objects#createcommitonbranchinput
// for the mutation, and
// https://docs.github.com/en/graphql/overview/rate-limits-and-query-limits-for-the-graphql-api
// for rate limits.
type GitHubCommits struct {
	endpoint string
	host     string
	token    string
	client   *http.Client
	timeout  time.Duration
	now      func() time.Time

	mu  sync.Mutex
	ids map[string]string // repository node ids, by owner/name
}

// GitHubCommitsOption configures NewGitHubCommits.
type GitHubCommitsOption func(*GitHubCommits)

// WithCommitsHTTPClient sends requests with a copy of c instead of a client
// built on http.DefaultTransport; the copy follows the package's redirect
// policy (see Options.Token).
func WithCommitsHTTPClient(c *http.Client) GitHubCommitsOption {
	return func(g *GitHubCommits) { g.client = c }
}

// WithCommitsTimeout bounds each request, and is the longest wait for a rate
// limit's reset before giving up; the default is 2 minutes, and 0 means no
// limit beyond the context's.
func WithCommitsTimeout(d time.Duration) GitHubCommitsOption {
	return func(g *GitHubCommits) { g.timeout = d }
}

// GitHubGraphQLURL returns the GraphQL endpoint for a repository on host:
// derived from apiURL when it is given (a GraphQL URL ending in /graphql
// as is, a REST base such as https://api.github.com or
// https://HOST/api/v3 mapped to its GraphQL sibling), else
// https://api.github.com/graphql for github.com and https://HOST/api/graphql
// for GitHub Enterprise Server.
func GitHubGraphQLURL(apiURL, host string) string {
	if apiURL != "" {
		u := strings.TrimRight(apiURL, "/")
		switch {
		case strings.HasSuffix(u, "/graphql"):
			return u
		case strings.HasSuffix(u, "/api/v3"):
			return strings.TrimSuffix(u, "/v3") + "/graphql"
		}
		return u + "/graphql"
	}
	if h := strings.ToLower(host); h == "github.com" || h == "www.github.com" {
		return "https://api.github.com/graphql"
	}
	return "https://" + host + "/api/graphql"
}

// NewGitHubCommits returns a client of the GraphQL endpoint (see
// GitHubGraphQLURL) that authenticates with token. A token is never sent
// over plain http:// except to loopback.
func NewGitHubCommits(endpoint, token string, opts ...GitHubCommitsOption) (*GitHubCommits, error) {
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("github api %q: %w: use an https:// URL such as https://api.github.com", address.Redact(endpoint), ErrBadURL)
	}
	if err := clearText("github api", endpoint); err != nil {
		return nil, err
	}
	if token == "" {
		return nil, fmt.Errorf("github api %s: %w: no token: set GITHUB_TOKEN or TAGBUMP_GIT_TOKEN to a token that may write contents", u.Host, ErrAuth)
	}
	g := &GitHubCommits{endpoint: u.String(), host: u.Host, token: token, timeout: 2 * time.Minute, now: time.Now, ids: map[string]string{}}
	for _, o := range opts {
		o(g)
	}
	if g.client == nil {
		g.client = &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
	}
	g.client = guarded(g.client)
	return g, nil
}

// ErrBadURL means an API URL cannot be used.
var ErrBadURL = errors.New("invalid API URL")

const createCommitMutation = `mutation($input: CreateCommitOnBranchInput!) {
  createCommitOnBranch(input: $input) {
    commit { oid }
  }
}`

const repositoryIDQuery = `query($owner: String!, $name: String!) {
  repository(owner: $owner, name: $name) { id }
}`

const updateRefsMutation = `mutation($input: UpdateRefsInput!) {
  updateRefs(input: $input) { clientMutationId }
}`

// updateRefsPreview is the media type that enables updateRefs, a schema
// preview: https://docs.github.com/en/graphql/overview/schema-previews#update-refs-preview
const updateRefsPreview = "application/vnd.github.update-refs-preview+json"

type gqlRequest struct {
	Query     string         `json:"query"`
	Variables map[string]any `json:"variables"`
}

type gqlError struct {
	Type    string   `json:"type"`
	Message string   `json:"message"`
	Path    []string `json:"path"`
}

type gqlResponse struct {
	Data   json.RawMessage `json:"data"`
	Errors []gqlError      `json:"errors"`
	// Message is set on REST-style errors (401: "Bad credentials").
	Message string `json:"message"`
}

// CreateCommit makes req's commit with createCommitOnBranch, expecting the
// branch at req.ExpectedHead. Files become additions (a changed file keeps
// its mode). A rate limit is waited out when its reset comes within the
// timeout (WithCommitsTimeout), else it is a *RateLimitError.
func (g *GitHubCommits) CreateCommit(ctx context.Context, req CommitRequest) (string, error) {
	headline, body, _ := strings.Cut(strings.TrimRight(req.Message, "\n"), "\n")
	body = strings.TrimLeft(body, "\n")
	paths := make([]string, 0, len(req.Files))
	for p := range req.Files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	additions := make([]map[string]string, len(paths))
	for i, p := range paths {
		additions[i] = map[string]string{"path": p, "contents": base64.StdEncoding.EncodeToString(req.Files[p])}
	}
	message := map[string]string{"headline": headline}
	if body != "" {
		message["body"] = body
	}
	input := map[string]any{
		"branch":          map[string]string{"repositoryNameWithOwner": req.Repository, "branchName": req.Branch},
		"message":         message,
		"expectedHeadOid": req.ExpectedHead,
		"fileChanges":     map[string]any{"additions": additions},
	}
	var out struct {
		CreateCommitOnBranch *struct {
			Commit struct {
				OID string `json:"oid"`
			} `json:"commit"`
		} `json:"createCommitOnBranch"`
	}
	op := fmt.Sprintf("create commit on %s %s through %s", req.Repository, req.Branch, g.host)
	notFound := fmt.Sprintf("check --repo and --branch (%s, %s) and that the token can see the repository", req.Repository, req.Branch)
	if err := g.call(ctx, op, notFound, createCommitMutation, map[string]any{"input": input}, "", &out); err != nil {
		return "", err
	}
	if out.CreateCommitOnBranch == nil || out.CreateCommitOnBranch.Commit.OID == "" {
		return "", fmt.Errorf("%s: %w: the answer has no commit", op, ErrServer)
	}
	return out.CreateCommitOnBranch.Commit.OID, nil
}

// RefUpdate is one change of UpdateRefs: Name (refs/heads/...) goes from
// Before (ZeroOID: must not exist; "": not checked) to After (ZeroOID:
// delete). Force allows an update that is not a fast-forward; Before
// still guards it.
type RefUpdate struct {
	Name, Before, After string
	Force               bool
}

// ZeroOID names no object: as Before, the ref must not exist; as After,
// the ref is deleted.
const ZeroOID = "0000000000000000000000000000000000000000"

// ErrRefUpdate means the host refused a ref update. Its answer does not
// say why in a documented form: a ref that was not at Before (a race) is
// the usual reason, so read the ref to tell.
var ErrRefUpdate = errors.New("the host refused the ref update")

// UpdateRefs applies updates to the refs of repository ("owner/name")
// atomically, each guarded by its Before, with GraphQL's updateRefs (a
// schema preview; see updateRefsPreview).
func (g *GitHubCommits) UpdateRefs(ctx context.Context, repository string, updates ...RefUpdate) error {
	id, err := g.repositoryID(ctx, repository)
	if err != nil {
		return err
	}
	refs := make([]map[string]any, len(updates))
	names := make([]string, len(updates))
	for i, u := range updates {
		refs[i] = map[string]any{"name": u.Name, "afterOid": u.After, "force": u.Force}
		if u.Before != "" {
			refs[i]["beforeOid"] = u.Before
		}
		names[i] = u.Name
	}
	op := fmt.Sprintf("update %s of %s through %s", strings.Join(names, ", "), repository, g.host)
	input := map[string]any{"repositoryId": id, "refUpdates": refs}
	err = g.call(ctx, op, "", updateRefsMutation, map[string]any{"input": input}, updateRefsPreview, nil)
	var ae *APIError
	if errors.As(err, &ae) && ae.Kind == nil && ae.Status == http.StatusOK {
		ae.Kind = ErrRefUpdate
	}
	return err
}

// repositoryID returns the GraphQL node id of repository ("owner/name"),
// which updateRefs takes; it asks once per repository.
func (g *GitHubCommits) repositoryID(ctx context.Context, repository string) (string, error) {
	g.mu.Lock()
	id, ok := g.ids[repository]
	g.mu.Unlock()
	if ok {
		return id, nil
	}
	owner, name, _ := strings.Cut(repository, "/")
	var out struct {
		Repository *struct {
			ID string `json:"id"`
		} `json:"repository"`
	}
	op := fmt.Sprintf("look up %s through %s", repository, g.host)
	notFound := fmt.Sprintf("check --repo (%s) and that the token can see the repository", repository)
	if err := g.call(ctx, op, notFound, repositoryIDQuery, map[string]any{"owner": owner, "name": name}, "", &out); err != nil {
		return "", err
	}
	if out.Repository == nil || out.Repository.ID == "" {
		return "", fmt.Errorf("%s: %w", op, &APIError{Host: g.host, Status: 200, Type: "NOT_FOUND", Message: "no such repository", Kind: ErrNotFound, Hint: notFound})
	}
	g.mu.Lock()
	g.ids[repository] = out.Repository.ID
	g.mu.Unlock()
	return out.Repository.ID, nil
}

// call sends one GraphQL request and decodes its data into out (nil: the
// data is not read). A rate limit is waited out when its reset comes
// within the timeout (WithCommitsTimeout), else it is a *RateLimitError.
// notFound is the hint of a NOT_FOUND error.
func (g *GitHubCommits) call(ctx context.Context, op, notFound, query string, variables map[string]any, accept string, out any) error {
	payload, err := json.Marshal(gqlRequest{Query: query, Variables: variables})
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	start := g.now()
	for {
		wait, err := g.post(ctx, op, notFound, payload, accept, out)
		if err == nil {
			return nil
		}
		var rl *RateLimitError
		if !errors.As(err, &rl) {
			return err
		}
		if wait < 0 || (g.timeout > 0 && g.now().Add(wait).Sub(start) > g.timeout) {
			rl.Limit = g.timeout
			return err
		}
		if dl, ok := ctx.Deadline(); ok && g.now().Add(wait).After(dl) {
			rl.Limit = g.timeout
			return err
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// post sends the request once. On a rate limit it returns a
// *RateLimitError and how long to wait (-1 when unknown).
func (g *GitHubCommits) post(ctx context.Context, op, notFound string, payload []byte, accept string, data any) (time.Duration, error) {
	rctx, cancel := ctx, context.CancelFunc(func() {})
	if g.timeout > 0 {
		rctx, cancel = context.WithTimeout(ctx, g.timeout)
	}
	defer cancel()
	hreq, err := http.NewRequestWithContext(rctx, http.MethodPost, g.endpoint, bytes.NewReader(payload))
	if err != nil {
		return 0, fmt.Errorf("%s: %w", op, err)
	}
	hreq.Header.Set("Authorization", "bearer "+g.token)
	hreq.Header.Set("Content-Type", "application/json")
	hreq.Header.Set("Accept", cmp.Or(accept, "application/json"))
	resp, err := g.client.Do(hreq)
	if err != nil {
		if ctx.Err() != nil {
			return 0, ctx.Err()
		}
		if errors.Is(err, ErrBadURL) {
			return 0, fmt.Errorf("%s: %w", op, err) // a redirect refused by checkRedirect
		}
		return 0, fmt.Errorf("%s: %w: %w", op, ErrServer, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return 0, fmt.Errorf("%s: %w: reading the answer: %w", op, ErrServer, err)
	}
	var out gqlResponse
	jsonErr := json.Unmarshal(raw, &out)

	if rl, wait := g.rateLimit(resp, &out); rl != nil {
		return wait, fmt.Errorf("%s: %w", op, rl)
	}
	switch {
	case resp.StatusCode == http.StatusUnauthorized:
		return 0, fmt.Errorf("%s: %w", op, &APIError{Host: g.host, Status: resp.StatusCode, Message: cmp.Or(out.Message, "Bad credentials"), Kind: ErrAuth,
			Hint: "the token is invalid or expired: check GITHUB_TOKEN or TAGBUMP_GIT_TOKEN"})
	case resp.StatusCode >= 500:
		return 0, fmt.Errorf("%s: %w: HTTP %d (the change may or may not have been made)", op, ErrServer, resp.StatusCode)
	case resp.StatusCode != http.StatusOK:
		kind := error(nil)
		hint := ""
		if resp.StatusCode == http.StatusForbidden {
			kind, hint = ErrPermission, permissionHint
		}
		return 0, fmt.Errorf("%s: %w", op, &APIError{Host: g.host, Status: resp.StatusCode, Message: cmp.Or(out.Message, http.StatusText(resp.StatusCode)), Kind: kind, Hint: hint})
	case jsonErr != nil:
		return 0, fmt.Errorf("%s: %w: the answer is not GraphQL JSON: %w", op, ErrServer, jsonErr)
	}
	if len(out.Errors) > 0 {
		return 0, fmt.Errorf("%s: %w", op, g.graphQLError(out.Errors[0], notFound))
	}
	if data != nil {
		if len(out.Data) == 0 || string(out.Data) == "null" {
			return 0, fmt.Errorf("%s: %w: the answer has no data", op, ErrServer)
		}
		if err := json.Unmarshal(out.Data, data); err != nil {
			return 0, fmt.Errorf("%s: %w: the answer's data: %w", op, ErrServer, err)
		}
	}
	return 0, nil
}

const permissionHint = "give the token write access to contents (GITHUB_TOKEN: `permissions: contents: write` in the workflow; " +
	"GitHub App: Contents read and write; fine-grained token: Contents read and write), and check that no ruleset blocks the bot"

func (g *GitHubCommits) graphQLError(e gqlError, notFound string) error {
	ae := &APIError{Host: g.host, Status: 200, Type: e.Type, Message: e.Message}
	switch {
	case e.Type == "STALE_DATA" || strings.HasPrefix(e.Message, "Expected branch to point to"):
		ae.Kind = ErrBranchMoved
	case e.Type == "FORBIDDEN" || strings.Contains(e.Message, "Resource not accessible") || strings.Contains(e.Message, "does not have the correct permissions"):
		ae.Kind, ae.Hint = ErrPermission, permissionHint
	case e.Type == "NOT_FOUND":
		ae.Kind, ae.Hint = ErrNotFound, notFound
	}
	return ae
}

// rateLimit recognises GitHub's primary rate limit (a GraphQL error of type
// RATE_LIMITED, x-ratelimit-remaining 0, the reset in x-ratelimit-reset)
// and its secondary limit (403 or 429, with retry-after when known).
func (g *GitHubCommits) rateLimit(resp *http.Response, out *gqlResponse) (*RateLimitError, time.Duration) {
	limited := resp.Header.Get("X-Ratelimit-Remaining") == "0" && (resp.StatusCode == http.StatusForbidden || resp.StatusCode == http.StatusTooManyRequests)
	for _, e := range out.Errors {
		if e.Type == "RATE_LIMITED" {
			limited = true
		}
	}
	secondary := (resp.StatusCode == http.StatusForbidden || resp.StatusCode == http.StatusTooManyRequests) &&
		(resp.Header.Get("Retry-After") != "" || strings.Contains(strings.ToLower(out.Message), "secondary rate limit"))
	if !limited && !secondary {
		return nil, 0
	}
	rl := &RateLimitError{Host: g.host, Secondary: secondary && !limited}
	if s := resp.Header.Get("Retry-After"); s != "" {
		if n, err := strconv.Atoi(s); err == nil {
			rl.Reset = g.now().Add(time.Duration(n) * time.Second)
		}
	}
	if s := resp.Header.Get("X-Ratelimit-Reset"); rl.Reset.IsZero() && s != "" {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			rl.Reset = time.Unix(n, 0)
		}
	}
	switch {
	case !rl.Reset.IsZero():
		return rl, max(rl.Reset.Sub(g.now()), 0) + time.Second
	case rl.Secondary:
		return rl, time.Minute // the docs: wait at least a minute when no header says
	}
	return rl, -1
}
