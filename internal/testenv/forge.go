package testenv

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// FakeForge is an in-process stand-in for a SaaS Git host that cannot run
// here (GitHub, GitLab, Azure DevOps, Bitbucket Cloud). Git itself goes to
// a real git http-backend, so branch pushes are real; the pull request API
// follows the host's documented endpoints strictly (each host's file names
// the pages): it requires the documented fields, refuses unknown ones,
// answers with the documented status codes and bodies, and keeps the state
// of every pull request.
type FakeForge struct {
	// URL is the server's base URL, http://127.0.0.1:PORT.
	URL string
	// Token is accepted for Git and the API; ReadOnlyToken is a valid
	// token that may push but lacks the permission to open pull requests.
	Token, ReadOnlyToken string
	// Git serves the repositories.
	Git *GitServer

	kind string
	api  func(f *FakeForge, w http.ResponseWriter, r *http.Request)
	srv  *http.Server
	ln   net.Listener

	mu       sync.Mutex
	prs      []*FakePR
	requests []string
	log      []string
	// NoAutoMerge makes auto-merge requests fail as on a repository that
	// does not allow it (GitHub, GitLab).
	NoAutoMerge bool
	// statuses holds each commit's statuses and check runs, oldest first.
	statuses                          map[string][]FakeStatus
	statusSeq                         int
	statusLimit, statusRetryAfter     int
	statusRequests, statusNotModified int
	prNotModified                     int
	// rules are the branch rules the API reports (Protect), scopes the
	// token's scopes (SetScopes).
	rules  map[string]FakeRules
	scopes []string
	// GraphQL, when set, answers the GitHub kind's GraphQL requests other
	// than enablePullRequestAutoMerge (a GitHubGraphQL over Git).
	GraphQL http.Handler
}

// FakePR is a pull request as a FakeForge keeps it.
type FakePR struct {
	Number     int
	Head, Base string
	Title      string
	Body       string
	// State is open, closed or merged.
	State     string
	Draft     bool
	Labels    []string
	Reviewers []string
	Assignees []string
	Comments  []string
	// AutoMerge is the merge method auto-merge was enabled with.
	AutoMerge string
	// MergeMessage is the message the host's merge is to give the commit
	// it writes on the base (the merge commit, or the squash commit when
	// squashing), as the client set it; "" for the host's default.
	MergeMessage string
	// DeleteBranch reports that the host is to delete the head branch once
	// the pull request is merged.
	DeleteBranch bool
	// HeadSHA is the head branch's commit when the PR was last touched.
	HeadSHA string
	// Fork is "" for a pull request from a branch of the repository
	// itself, or the OWNER/NAME of the fork its head branch is in.
	Fork string
	// MergeCommit is the commit the merge left at the tip of the base
	// (merge commit, squash commit or rebased tip) and MergeMethod how it
	// was merged (merge, squash, rebase), once merged.
	MergeCommit, MergeMethod string
}

// StartFakeForge starts the fake for kind: "github", "gitlab", "azure" or
// "bitbucket".
func StartFakeForge(kind string) (*FakeForge, error) {
	api := map[string]func(*FakeForge, http.ResponseWriter, *http.Request){
		"github":    (*FakeForge).githubAPI,
		"gitlab":    (*FakeForge).gitlabAPI,
		"azure":     (*FakeForge).azureAPI,
		"bitbucket": (*FakeForge).bitbucketAPI,
	}[kind]
	if api == nil {
		return nil, fmt.Errorf("start fake forge: unknown kind %q", kind)
	}
	f := &FakeForge{kind: kind, api: api, Token: "fake-" + kind + "-token-0123456789", ReadOnlyToken: "fake-" + kind + "-readonly-0123456789"}
	user := "x-access-token"
	git, err := StartGitServer(WithBasicAuth(user, f.Token))
	if err != nil {
		return nil, err
	}
	f.Git = git
	target, _ := url.Parse("http://" + git.Addr())
	proxy := httputil.NewSingleHostReverseProxy(target)
	f.ln, err = net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		git.Close()
		return nil, err
	}
	f.URL = "http://" + f.ln.Addr().String()
	f.srv = &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if isGitRequest(r) {
			// Any basic-auth user name goes with the token, as on the
			// hosts; the backend checks the token.
			if _, p, ok := r.BasicAuth(); ok {
				if p == f.ReadOnlyToken {
					p = f.Token // it may push, as GITHUB_TOKEN with contents: write
				}
				r.SetBasicAuth(user, p)
			}
			if f.kind == "azure" {
				r.URL.Path = azureGitPath(r.URL.Path)
			}
			proxy.ServeHTTP(w, r)
			return
		}
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		r.Body = io.NopCloser(bytes.NewReader(body))
		f.mu.Lock()
		f.requests = append(f.requests, r.Method+" "+r.URL.Path)
		f.log = append(f.log, r.Method+" "+r.URL.RequestURI()+"\n"+string(body))
		f.mu.Unlock()
		if f.statusAPI(w, r) || f.accessAPI(w, r) {
			return
		}
		f.api(f, w, r)
	})}
	go f.srv.Serve(f.ln)
	return f, nil
}

func isGitRequest(r *http.Request) bool {
	p := r.URL.Path
	return strings.HasSuffix(p, "/info/refs") || strings.HasSuffix(p, "/git-upload-pack") || strings.HasSuffix(p, "/git-receive-pack")
}

// azureGitPath maps /org/project/_git/repo/... to the bare repository
// org/project/_git/repo.git.
func azureGitPath(p string) string {
	i := strings.Index(p, "/_git/")
	if i < 0 {
		return p
	}
	rest := p[i+len("/_git/"):]
	name, tail, _ := strings.Cut(rest, "/")
	return p[:i] + "/_git/" + strings.TrimSuffix(name, ".git") + ".git/" + tail
}

// Close stops the server and its git backend.
func (f *FakeForge) Close() {
	f.srv.Close()
	f.Git.Close()
}

// CreateRepo creates the repository at path (e.g. owner/name, or
// org/project/_git/name for Azure) with files on main.
func (f *FakeForge) CreateRepo(path string, files map[string]string) error {
	if err := os.MkdirAll(filepath.Dir(f.Git.Dir(path)), 0o755); err != nil {
		return err
	}
	_, err := f.Git.CreateRepo(path, files)
	return err
}

// Requests returns the API requests received so far as "METHOD path", and
// forgets them.
func (f *FakeForge) Requests() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	r := f.requests
	f.requests = nil
	return r
}

// Log returns every API request received: method, URI (with the query)
// and body, without the headers (where the token belongs).
func (f *FakeForge) Log() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.log...)
}

// PRs returns a copy of every pull request.
func (f *FakeForge) PRs() []FakePR {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]FakePR, len(f.prs))
	for i, p := range f.prs {
		out[i] = *p
		out[i].Labels = append([]string(nil), p.Labels...)
		out[i].Comments = append([]string(nil), p.Comments...)
	}
	return out
}

// Merge merges pull request n into its base with a merge commit, as the
// host's merge button does.
func (f *FakeForge) Merge(repo string, n int) error {
	_, err := f.MergeWith(repo, n, "merge")
	return err
}

// MergeWith merges pull request n into its base as the host's merge
// button does with method: "merge" (a merge commit of base and head),
// "squash" (one commit with the head's tree on the base) or "rebase" (the
// head's commit written again on the base, with the host as committer). It
// returns the commit the base now points at.
func (f *FakeForge) MergeWith(repo string, n int, method string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	pr := f.pr(n)
	if pr == nil || pr.State != "open" {
		return "", fmt.Errorf("merge %d: no open pull request", n)
	}
	dir := f.Git.Dir(repo)
	git := func(args ...string) (string, error) {
		out, err := exec.Command("git", append([]string{"--git-dir", dir}, args...)...).CombinedOutput()
		return strings.TrimSpace(string(out)), err
	}
	head, err := git("rev-parse", "refs/heads/"+pr.Head)
	if err != nil {
		return "", fmt.Errorf("merge: %v: %s", err, head)
	}
	base, err := git("rev-parse", "refs/heads/"+pr.Base)
	if err != nil {
		return "", fmt.Errorf("merge: %v: %s", err, base)
	}
	args := []string{"-c", "user.name=Fake Host", "-c", "user.email=host@example.com", "commit-tree", head + "^{tree}", "-p", base}
	switch method {
	case "merge":
		args = append(args, "-p", head, "-m", fmt.Sprintf("Merge pull request #%d", n))
	case "squash":
		args = append(args, "-m", pr.Title+fmt.Sprintf(" (#%d)", n))
	case "rebase":
		msg, err := git("log", "-1", "--format=%B", head)
		if err != nil {
			return "", fmt.Errorf("merge: %v: %s", err, msg)
		}
		args = append(args, "-m", msg)
	default:
		return "", fmt.Errorf("merge %d: unknown method %q", n, method)
	}
	c, err := git(args...)
	if err != nil {
		return "", fmt.Errorf("merge: %v: %s", err, c)
	}
	if out, err := git("update-ref", "refs/heads/"+pr.Base, c, base); err != nil {
		return "", fmt.Errorf("merge: %v: %s", err, out)
	}
	pr.State, pr.MergeCommit, pr.MergeMethod = "merged", c, method
	if method == "rebase" && f.kind == "gitlab" {
		// GitLab rebases the source branch, then fast-forwards the
		// target to it: the merge request's sha is the new tip.
		pr.HeadSHA = c
	}
	return c, nil
}

// ClosePR closes pull request n without merging it, as a reviewer does.
func (f *FakeForge) ClosePR(n int) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	pr := f.pr(n)
	if pr == nil || pr.State != "open" {
		return fmt.Errorf("close %d: no open pull request", n)
	}
	pr.State = "closed"
	return nil
}

// mergedAt is the time a merged pull request was merged, nil otherwise.
func mergedAt(p *FakePR) any {
	if p.State != "merged" {
		return nil
	}
	return "2026-01-02T03:04:05Z"
}

// writeETag answers data with an ETag of its bytes, or 304 Not Modified
// without a body when the request's If-None-Match is that ETag, as GitHub
// answers conditional requests; it reports a 304.
func writeETag(w http.ResponseWriter, r *http.Request, data []byte) (notModified bool) {
	sum := sha256.Sum256(data)
	etag := `W/"` + hex.EncodeToString(sum[:16]) + `"`
	w.Header().Set("ETag", etag)
	if r.Header.Get("If-None-Match") == etag {
		w.WriteHeader(http.StatusNotModified)
		return true
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_, _ = w.Write(append(data, '\n'))
	return false
}

// PRNotModified returns how many pull request reads were answered 304.
func (f *FakeForge) PRNotModified() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.prNotModified
}

// testMerge is the commit a host names as a pull request's merge commit
// while the pull request is open: GitHub's merge_commit_sha and Azure's
// lastMergeCommit are then a test merge, on no branch.
func testMerge(p *FakePR) string {
	return fmt.Sprintf("%040x", 0x7e57_0000+p.Number)
}

// BranchSHA returns the commit branch points at in repo, "" when it does
// not exist.
func (f *FakeForge) BranchSHA(repo, branch string) string {
	return f.resolve(repo, "refs/heads/"+branch)
}

// resolve returns the full hash of the commit rev names in repo, "" when
// there is none.
func (f *FakeForge) resolve(repo, rev string) string {
	out, err := exec.Command("git", "--git-dir", f.Git.Dir(repo), "rev-parse", "--verify", "-q", rev+"^{commit}").Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

// pr returns pull request n; the caller holds mu.
func (f *FakeForge) pr(n int) *FakePR {
	for _, p := range f.prs {
		if p.Number == n {
			return p
		}
	}
	return nil
}

// token returns the request's token from the header the host documents:
// "Authorization: Bearer T" or "token T", basic auth's password, or
// GitLab's PRIVATE-TOKEN.
func token(r *http.Request) string {
	if t := r.Header.Get("PRIVATE-TOKEN"); t != "" {
		return t
	}
	if _, p, ok := r.BasicAuth(); ok {
		return p
	}
	a := r.Header.Get("Authorization")
	for _, prefix := range []string{"Bearer ", "bearer ", "token "} {
		if t, ok := strings.CutPrefix(a, prefix); ok {
			return t
		}
	}
	return ""
}

// auth returns "rw", "ro" or "" (refused) for the request's token.
func (f *FakeForge) auth(r *http.Request) string {
	t := token(r)
	switch {
	case t != "" && subtle.ConstantTimeCompare([]byte(t), []byte(f.Token)) == 1:
		return "rw"
	case t != "" && subtle.ConstantTimeCompare([]byte(t), []byte(f.ReadOnlyToken)) == 1:
		return "ro"
	}
	return ""
}

// decode reads a JSON body strictly: unknown fields are refused.
func decode(r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		return fmt.Errorf("Content-Type %q, want application/json", ct)
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// branchExists reports whether branch exists in the bare repository repo.
func (f *FakeForge) branchExists(repo, branch string) bool { return f.BranchSHA(repo, branch) != "" }

// OpenForkPR records an open pull request from branch head of the
// repository fork (OWNER/NAME, not served) into base, as another user
// opens one from their fork, and returns its number.
func (f *FakeForge) OpenForkPR(fork, head, base, title string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := &FakePR{Number: len(f.prs) + 1, Head: head, Base: base, Title: title, State: "open", Fork: fork}
	f.prs = append(f.prs, p)
	return p.Number
}

// forkOwner returns the owner of p's head repository: owner, or the
// fork's.
func forkOwner(p *FakePR, owner string) string {
	if p.Fork != "" {
		owner, _, _ = strings.Cut(p.Fork, "/")
	}
	return owner
}

// openPR returns the open pull request from the repository's branch head
// to base; the caller holds mu.
func (f *FakeForge) openPR(head, base string) *FakePR {
	for _, p := range f.prs {
		if p.State == "open" && p.Head == head && p.Base == base && p.Fork == "" {
			return p
		}
	}
	return nil
}

// newPR records a new open pull request; the caller holds mu.
func (f *FakeForge) newPR(repo, head, base, title, body string, draft bool) *FakePR {
	p := &FakePR{Number: len(f.prs) + 1, Head: head, Base: base, Title: title, Body: body, State: "open", Draft: draft, HeadSHA: f.BranchSHA(repo, head)}
	f.prs = append(f.prs, p)
	return p
}

func addLabels(have []string, add ...string) []string {
	for _, a := range add {
		found := false
		for _, h := range have {
			found = found || h == a
		}
		if !found {
			have = append(have, a)
		}
	}
	return have
}

// pageOf returns the page'th run (from 1) of size items, empty past the
// end, as a host's paginated list answers.
func pageOf[T any](items []T, page, size int) []T {
	start := (max(page, 1) - 1) * size
	if start >= len(items) {
		return items[:0]
	}
	return items[start:min(start+size, len(items))]
}

// intParam reads the whole number q[key]: def when absent, capped at most
// (a host caps the page size it is asked for).
func intParam(q url.Values, key string, def, most int) int {
	n, err := strconv.Atoi(q.Get(key))
	if err != nil || n < 1 {
		n = def
	}
	return min(n, most)
}
