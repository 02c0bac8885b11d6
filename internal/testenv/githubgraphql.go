package testenv

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// GitHubGraphQL stands in for GitHub's GraphQL endpoint (POST /graphql),
// which cannot run here. It serves the mutations createCommitOnBranch and
// updateRefs and the repository id query (githubrefs.go names the pages of
// the last two) over
// the bare repositories of a GitServer ("owner/name" is the repository
// owner/name.git there) and makes the commit with git itself, so the next
// fetch from the GitServer sees it. It follows these documentation pages:
//
//   - https://docs.github.com/en/graphql/reference/mutations#createcommitonbranch
//     (the mutation, its payload, authorship by the token's owner);
//   - https://docs.github.com/en/graphql/reference/input-objects#createcommitonbranchinput,
//     #committablebranch, #commitmessage, #filechanges, #fileaddition and
//     #filedeletion (the input, with its required fields);
//   - https://docs.github.com/en/graphql/guides/forming-calls-with-graphql
//     (POST with a JSON body of query and variables, "Authorization: bearer
//     TOKEN", 401 "Bad credentials");
//   - https://docs.github.com/en/graphql/overview/rate-limits-and-query-limits-for-the-graphql-api
//     (x-ratelimit-* headers; a primary limit is a 200 answer with an error
//     of type RATE_LIMITED; a secondary limit is a 403 with retry-after).
//
// Errors have GitHub's shape: {"data": {"createCommitOnBranch": null},
// "errors": [{"type", "path", "locations", "message"}]}, with the types
// STALE_DATA (expectedHeadOid is not the branch tip: "Expected branch to
// point to "OID" but it did not. Pull and try again."), FORBIDDEN (a token
// that may not write: "Resource not accessible by integration") and
// NOT_FOUND; an input that does not match the schema gets GraphQL's
// variable coercion error. Like GitHub, the server signs the commits it
// makes (with an SSH key, SigningKey), so a test can check they would show
// as Verified.
type GitHubGraphQL struct {
	git *GitServer
	srv *httptest.Server
	key *SSHKey
	dir string

	mu          sync.Mutex
	tokens      map[string]GitHubIdentity
	rateLimited int
	rateReset   time.Time
	secondary   int
	retryAfter  int
	before      func()
	after       func(oid string)
	loseAnswers int
	dropAnswers int
	failCommits int
	loseRef     int // 1 + the applied updateRefs to answer before losing one; 0: none
	requests    atomic.Int64
	commits     atomic.Int64
	refUpdates  atomic.Int64
}

// GitHubIdentity is who a token belongs to.
type GitHubIdentity struct {
	Login, Name, Email string
	// ReadOnly tokens may read but not write contents.
	ReadOnly bool
}

// NewGitHubGraphQL starts the endpoint for a test over the repositories of
// git and stops it at the end of t.
func NewGitHubGraphQL(t testing.TB, git *GitServer) *GitHubGraphQL {
	t.Helper()
	dir := t.TempDir()
	key, err := NewSSHKey(dir, "web-flow", "")
	if err != nil {
		t.Fatal(err)
	}
	g := &GitHubGraphQL{git: git, key: key, dir: dir, tokens: map[string]GitHubIdentity{}}
	g.srv = httptest.NewServer(http.HandlerFunc(g.serve))
	t.Cleanup(g.srv.Close)
	return g
}

// AddToken lets token in as id.
func (g *GitHubGraphQL) AddToken(token string, id GitHubIdentity) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.tokens[token] = id
}

// URL returns the API base; the GraphQL endpoint is URL()+"/graphql".
func (g *GitHubGraphQL) URL() string { return g.srv.URL }

// SigningKey returns the public key (an authorized_keys line) the server
// signs its commits with.
func (g *GitHubGraphQL) SigningKey() string { return strings.TrimSpace(string(g.key.Authorized)) }

// RateLimit answers the next n requests with the primary rate limit,
// reset at reset.
func (g *GitHubGraphQL) RateLimit(n int, reset time.Time) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.rateLimited, g.rateReset = n, reset
}

// SecondaryRateLimit answers the next n requests with a secondary rate
// limit and retry-after: seconds.
func (g *GitHubGraphQL) SecondaryRateLimit(n, seconds int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.secondary, g.retryAfter = n, seconds
}

// BeforeCommit runs f once, in the next commit, after the commit is built
// and before the branch is moved to it: f may move the branch to make the
// commit lose a race.
func (g *GitHubGraphQL) BeforeCommit(f func()) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.before = f
}

// LoseAnswers makes the next n commits land but answers them with 502 Bad
// Gateway, as a proxy that timed out on GitHub would: the client cannot
// know that the commit was made.
func (g *GitHubGraphQL) LoseAnswers(n int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.loseAnswers = n
}

// AfterCommit runs f once, in the next commit that lands, after the branch
// moved to it and before it is answered: f may commit on top, as a rival
// pipeline that deployed in the meantime would.
func (g *GitHubGraphQL) AfterCommit(f func(oid string)) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.after = f
}

// DropAnswers makes the next n commits land but closes the connection
// without an answer, as a network that cut it would.
func (g *GitHubGraphQL) DropAnswers(n int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.dropAnswers = n
}

// FailCommits answers the next n commits with 502 Bad Gateway without
// making them, as a proxy that timed out before GitHub got the request
// would: the client cannot know that the commit was not made.
func (g *GitHubGraphQL) FailCommits(n int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.failCommits = n
}

// LoseRefUpdateAnswer answers the next skip applied updateRefs mutations
// as usual, then applies the one after but answers it with 502 Bad
// Gateway, as a proxy that timed out would.
func (g *GitHubGraphQL) LoseRefUpdateAnswer(skip int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.loseRef = skip + 1
}

// badGateway answers as a proxy whose wait for GitHub timed out.
func badGateway(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/html")
	w.WriteHeader(http.StatusBadGateway)
	fmt.Fprint(w, "<html><body>502 Bad Gateway</body></html>")
}

// dropConnection closes the connection of w without an answer.
func dropConnection(w http.ResponseWriter) {
	if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
		conn.Close()
		return
	}
	panic(http.ErrAbortHandler) // the server closes the connection
}

// Requests returns how many requests the endpoint answered.
func (g *GitHubGraphQL) Requests() int { return int(g.requests.Load()) }

// Commits returns how many commits the endpoint made.
func (g *GitHubGraphQL) Commits() int { return int(g.commits.Load()) }

// RefUpdates returns how many updateRefs mutations the endpoint applied.
func (g *GitHubGraphQL) RefUpdates() int { return int(g.refUpdates.Load()) }

// ServeHTTP answers r as the endpoint does, for a server that routes its
// GraphQL requests here (FakeForge.GraphQL).
func (g *GitHubGraphQL) ServeHTTP(w http.ResponseWriter, r *http.Request) { g.serve(w, r) }

// mutationShape is the documented call: a mutation with one variable of
// type CreateCommitOnBranchInput! passed as createCommitOnBranch's input.
var mutationShape = regexp.MustCompile(`^\s*mutation\b\s*\w*\s*\(\s*\$(\w+)\s*:\s*CreateCommitOnBranchInput!\s*\)\s*\{\s*createCommitOnBranch\s*\(\s*input\s*:\s*\$(\w+)\s*\)\s*\{([^{}]*\{[^{}]*\}[^{}]*|[^{}]*)\}\s*\}\s*$`)

// payloadFields are the fields of CreateCommitOnBranchPayload and of the
// Commit and Ref objects the server can answer.
var payloadFields = map[string]bool{"clientMutationId": true, "commit": true, "ref": true, "oid": true, "url": true, "name": true}

func (g *GitHubGraphQL) serve(w http.ResponseWriter, r *http.Request) {
	g.requests.Add(1)
	g.setRateHeaders(w)
	if r.URL.Path != "/graphql" && r.URL.Path != "/api/graphql" {
		writeGraphQLJSON(w, http.StatusNotFound, map[string]any{"message": "Not Found", "documentation_url": "https://docs.github.com/graphql"})
		return
	}
	if r.Method != http.MethodPost {
		writeGraphQLJSON(w, http.StatusNotFound, map[string]any{"message": "Not Found", "documentation_url": "https://docs.github.com/graphql"})
		return
	}
	auth := r.Header.Get("Authorization")
	scheme, token, _ := strings.Cut(auth, " ")
	g.mu.Lock()
	id, ok := g.tokens[token]
	g.mu.Unlock()
	if !ok || (!strings.EqualFold(scheme, "bearer") && !strings.EqualFold(scheme, "token")) {
		writeGraphQLJSON(w, http.StatusUnauthorized, map[string]any{"message": "Bad credentials", "documentation_url": "https://docs.github.com/graphql"})
		return
	}
	if g.takeRateLimit(w) {
		return
	}
	var req struct {
		Query     string                     `json:"query"`
		Variables map[string]json.RawMessage `json:"variables"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeGraphQLJSON(w, http.StatusBadRequest, map[string]any{"message": "Problems parsing JSON", "documentation_url": "https://docs.github.com/graphql"})
		return
	}
	if m := repositoryShape.FindStringSubmatch(req.Query); m != nil {
		g.serveRepository(w, m, req.Variables)
		return
	}
	if m := updateRefsShape.FindStringSubmatch(req.Query); m != nil {
		g.serveUpdateRefs(w, r, id, m, req.Variables)
		return
	}
	m := mutationShape.FindStringSubmatch(req.Query)
	if m == nil || m[1] != m[2] {
		gqlErrors(w, map[string]any{"message": "this server only answers the documented createCommitOnBranch and updateRefs mutations and the repository(owner:, name:) { id } query"})
		return
	}
	for _, f := range regexp.MustCompile(`\w+`).FindAllString(m[3], -1) {
		if !payloadFields[f] {
			gqlErrors(w, map[string]any{"message": fmt.Sprintf("Field '%s' doesn't exist on type 'CreateCommitOnBranchPayload'", f)})
			return
		}
	}
	in, problem := parseCommitInput(req.Variables[m[1]])
	if problem != "" {
		gqlErrors(w, map[string]any{
			"message":   fmt.Sprintf("Variable $%s of type CreateCommitOnBranchInput! was provided invalid value%s", m[1], problem),
			"locations": []any{map[string]int{"line": 1, "column": 10}},
		})
		return
	}
	g.mu.Lock()
	fail := g.failCommits > 0
	if fail {
		g.failCommits--
	}
	g.mu.Unlock()
	if fail {
		badGateway(w)
		return
	}
	oid, etype, msg := g.commit(id, in)
	if etype != "" {
		gqlErrors(w, map[string]any{"type": etype, "path": []string{"createCommitOnBranch"}, "locations": []any{map[string]int{"line": 2, "column": 3}}, "message": msg},
			"createCommitOnBranch")
		return
	}
	g.mu.Lock()
	after := g.after
	g.after = nil
	lose, drop := g.loseAnswers > 0, g.loseAnswers == 0 && g.dropAnswers > 0
	if lose {
		g.loseAnswers--
	}
	if drop {
		g.dropAnswers--
	}
	g.mu.Unlock()
	if after != nil {
		after(oid)
	}
	switch {
	case lose:
		badGateway(w)
		return
	case drop:
		dropConnection(w)
		return
	}
	owner, name, _ := strings.Cut(in.Branch.Repo, "/")
	writeGraphQLJSON(w, http.StatusOK, map[string]any{"data": map[string]any{"createCommitOnBranch": map[string]any{
		"commit": map[string]any{"oid": oid, "url": fmt.Sprintf("%s/%s/%s/commit/%s", g.srv.URL, owner, name, oid)},
		"ref":    map[string]any{"name": "refs/heads/" + in.Branch.Name},
	}}})
}

func (g *GitHubGraphQL) setRateHeaders(w http.ResponseWriter) {
	g.mu.Lock()
	defer g.mu.Unlock()
	remaining, reset := 4999, time.Now().Add(time.Hour)
	if g.rateLimited > 0 {
		remaining, reset = 0, g.rateReset
	}
	h := w.Header()
	h.Set("X-Ratelimit-Limit", "5000")
	h.Set("X-Ratelimit-Remaining", strconv.Itoa(remaining))
	h.Set("X-Ratelimit-Reset", strconv.FormatInt(reset.Unix(), 10))
	h.Set("X-Ratelimit-Resource", "graphql")
}

// takeRateLimit answers a rate-limited request and reports whether it did.
func (g *GitHubGraphQL) takeRateLimit(w http.ResponseWriter) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	switch {
	case g.secondary > 0:
		g.secondary--
		w.Header().Set("Retry-After", strconv.Itoa(g.retryAfter))
		writeGraphQLJSON(w, http.StatusForbidden, map[string]any{
			"message":           "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
			"documentation_url": "https://docs.github.com/graphql/overview/rate-limits-and-query-limits-for-the-graphql-api#secondary-rate-limits",
		})
		return true
	case g.rateLimited > 0:
		g.rateLimited--
		writeGraphQLJSON(w, http.StatusOK, map[string]any{"errors": []any{map[string]any{
			"type": "RATE_LIMITED", "message": "API rate limit already exceeded for user ID 1.",
		}}})
		return true
	}
	return false
}

type commitInput struct {
	Branch struct {
		Repo, Name string
	}
	Headline, Body string
	Expected       string
	Additions      []struct {
		Path     string
		Contents []byte
	}
	Deletions []string
}

var hexOID = regexp.MustCompile(`^[0-9a-f]{40}$`)

// parseCommitInput checks raw against CreateCommitOnBranchInput and
// returns a coercion problem in GraphQL's words (" for FIELD (REASON)").
func parseCommitInput(raw json.RawMessage) (commitInput, string) {
	var in commitInput
	var obj map[string]json.RawMessage
	if len(raw) == 0 || string(raw) == "null" {
		return in, " (Expected value to not be null)"
	}
	if err := json.Unmarshal(raw, &obj); err != nil {
		return in, " (Expected value to be an input object)"
	}
	allowed := map[string]bool{"branch": true, "clientMutationId": true, "expectedHeadOid": true, "fileChanges": true, "message": true}
	for k := range obj {
		if !allowed[k] {
			return in, fmt.Sprintf(" for %s (Field is not defined on CreateCommitOnBranchInput)", k)
		}
	}
	var branch struct {
		ID                      *string `json:"id"`
		RepositoryNameWithOwner string  `json:"repositoryNameWithOwner"`
		BranchName              string  `json:"branchName"`
	}
	if len(obj["branch"]) == 0 || string(obj["branch"]) == "null" {
		return in, " for branch (Expected value to not be null)"
	}
	if err := strictUnmarshal(obj["branch"], &branch); err != nil {
		return in, " for branch (" + err.Error() + ")"
	}
	if branch.ID != nil {
		return in, " for branch.id (this server resolves branches by repositoryNameWithOwner and branchName only)"
	}
	if branch.RepositoryNameWithOwner == "" || branch.BranchName == "" {
		return in, " for branch (repositoryNameWithOwner and branchName are both required when id is not given)"
	}
	in.Branch.Repo, in.Branch.Name = branch.RepositoryNameWithOwner, strings.TrimPrefix(branch.BranchName, "refs/heads/")
	var msg struct {
		Headline *string `json:"headline"`
		Body     string  `json:"body"`
	}
	if len(obj["message"]) == 0 || string(obj["message"]) == "null" {
		return in, " for message (Expected value to not be null)"
	}
	if err := strictUnmarshal(obj["message"], &msg); err != nil {
		return in, " for message (" + err.Error() + ")"
	}
	if msg.Headline == nil {
		return in, " for message.headline (Expected value to not be null)"
	}
	in.Headline, in.Body = *msg.Headline, msg.Body
	if err := json.Unmarshal(obj["expectedHeadOid"], &in.Expected); err != nil || in.Expected == "" {
		return in, " for expectedHeadOid (Expected value to not be null)"
	}
	if !hexOID.MatchString(in.Expected) {
		return in, " for expectedHeadOid (Could not coerce value to GitObjectID)"
	}
	if fc := obj["fileChanges"]; len(fc) > 0 && string(fc) != "null" {
		var changes struct {
			Additions []struct {
				Path     *string `json:"path"`
				Contents *string `json:"contents"`
			} `json:"additions"`
			Deletions []struct {
				Path *string `json:"path"`
			} `json:"deletions"`
		}
		if err := strictUnmarshal(fc, &changes); err != nil {
			return in, " for fileChanges (" + err.Error() + ")"
		}
		for i, a := range changes.Additions {
			if a.Path == nil || a.Contents == nil {
				return in, fmt.Sprintf(" for fileChanges.additions[%d] (path and contents are required)", i)
			}
			b, err := base64.StdEncoding.DecodeString(*a.Contents)
			if err != nil {
				return in, fmt.Sprintf(" for fileChanges.additions[%d].contents (Could not coerce value to Base64String)", i)
			}
			in.Additions = append(in.Additions, struct {
				Path     string
				Contents []byte
			}{*a.Path, b})
		}
		for i, d := range changes.Deletions {
			if d.Path == nil {
				return in, fmt.Sprintf(" for fileChanges.deletions[%d].path (Expected value to not be null)", i)
			}
			in.Deletions = append(in.Deletions, *d.Path)
		}
	}
	return in, ""
}

func strictUnmarshal(raw json.RawMessage, v any) error {
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%s", strings.TrimPrefix(err.Error(), "json: "))
	}
	return nil
}

// commit makes the commit in the bare repository with git's plumbing and
// moves the branch with a compare-and-swap. It returns the new commit, or
// a GitHub error type and message.
func (g *GitHubGraphQL) commit(id GitHubIdentity, in commitInput) (string, string, string) {
	dir := g.git.Dir(in.Branch.Repo)
	if _, err := os.Stat(filepath.Join(dir, "HEAD")); err != nil || strings.Count(in.Branch.Repo, "/") != 1 {
		return "", "NOT_FOUND", fmt.Sprintf("Could not resolve to a Repository with the name '%s'.", in.Branch.Repo)
	}
	if id.ReadOnly {
		return "", "FORBIDDEN", "Resource not accessible by integration"
	}
	ref := "refs/heads/" + in.Branch.Name
	g.mu.Lock()
	defer g.mu.Unlock()
	cur, err := Git(dir, "rev-parse", "-q", "--verify", ref+"^{commit}")
	if err != nil || cur == "" {
		return "", "NOT_FOUND", fmt.Sprintf("Could not resolve to a Ref with the name '%s'.", ref)
	}
	stale := fmt.Sprintf("Expected branch to point to %q but it did not. Pull and try again.", in.Expected)
	if cur != in.Expected {
		return "", "STALE_DATA", stale
	}
	index := []string{"GIT_INDEX_FILE=" + filepath.Join(g.dir, "index")}
	defer os.Remove(filepath.Join(g.dir, "index"))
	if _, err := gitEnv(dir, index, nil, "read-tree", in.Expected); err != nil {
		return "", "INTERNAL", err.Error()
	}
	for _, a := range in.Additions {
		blob, err := gitEnv(dir, nil, a.Contents, "hash-object", "-w", "--stdin")
		if err != nil {
			return "", "INTERNAL", err.Error()
		}
		mode := "100644" // a new file; an existing one keeps its mode
		if ls, _ := gitEnv(dir, index, nil, "ls-files", "-s", "--", a.Path); ls != "" {
			mode = strings.Fields(ls)[0]
		}
		if _, err := gitEnv(dir, index, nil, "update-index", "--add", "--cacheinfo", mode+","+blob+","+a.Path); err != nil {
			return "", "UNPROCESSABLE", err.Error()
		}
	}
	for _, p := range in.Deletions {
		if ls, _ := gitEnv(dir, index, nil, "ls-files", "--", p); ls == "" {
			return "", "UNPROCESSABLE", fmt.Sprintf("A path was requested for deletion which does not exist as of commit oid `%s`", in.Expected)
		}
		if _, err := gitEnv(dir, index, nil, "update-index", "--force-remove", "--", p); err != nil {
			return "", "UNPROCESSABLE", err.Error()
		}
	}
	tree, err := gitEnv(dir, index, nil, "write-tree")
	if err != nil {
		return "", "INTERNAL", err.Error()
	}
	msg := in.Headline
	if in.Body != "" {
		msg += "\n\n" + in.Body
	}
	who := []string{
		"GIT_AUTHOR_NAME=" + id.Name, "GIT_AUTHOR_EMAIL=" + id.Email,
		"GIT_COMMITTER_NAME=GitHub", "GIT_COMMITTER_EMAIL=noreply@github.com",
	}
	oid, err := gitEnv(dir, who, []byte(msg+"\n"), "-c", "gpg.format=ssh", "-c", "user.signingkey="+g.key.Path,
		"commit-tree", "-S", tree, "-p", in.Expected, "-F", "-")
	if err != nil {
		return "", "INTERNAL", err.Error()
	}
	if f := g.before; f != nil {
		g.before = nil
		g.mu.Unlock()
		f()
		g.mu.Lock()
	}
	if _, err := Git(dir, "update-ref", ref, oid, in.Expected); err != nil {
		return "", "STALE_DATA", stale
	}
	g.commits.Add(1)
	return oid, "", ""
}

// gqlErrors writes a GraphQL error answer; nullField is the mutation field
// that resolved to null ("" for an error before execution).
func gqlErrors(w http.ResponseWriter, e map[string]any, nullField ...string) {
	body := map[string]any{"errors": []any{e}}
	if len(nullField) > 0 {
		body["data"] = map[string]any{nullField[0]: nil}
	}
	writeGraphQLJSON(w, http.StatusOK, body)
}

func writeGraphQLJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
