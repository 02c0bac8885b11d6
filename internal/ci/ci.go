// Package ci detects the CI system tagbump runs in and speaks its language:
// where the run comes from (repository, commit, run URL, actor, branch), how
// step outputs and annotations are written, and which token a job gets.
//
// Detection reads only the variables that GitHub Actions, Azure Pipelines
// and GitLab CI document for every job; anything else is "generic".
package ci

import (
	"net/url"
	"strings"

	"github.com/tagbump/tagbump/pkg/address"
)

// System names a CI system.
type System string

// The CI systems tagbump knows.
const (
	GitHub  System = "github"
	Azure   System = "azure"
	GitLab  System = "gitlab"
	Generic System = "generic"
)

// Env describes the CI run tagbump is part of. Fields the system does not
// provide are empty.
type Env struct {
	// System is the detected CI system.
	System System
	// Repository is the source repository that triggered the run, as the
	// system names it (owner/name on GitHub, group/project on GitLab, the
	// repository name on Azure).
	Repository string
	// Commit is the full SHA of the source commit being built.
	Commit string
	// RunURL links to the run (GitHub, Azure) or job (GitLab) in the CI UI.
	RunURL string
	// Actor is the user who started the run.
	Actor string
	// Branch is the source branch (the head branch of a pull or merge request).
	Branch string

	// OutputFile is $GITHUB_OUTPUT and SummaryFile is $GITHUB_STEP_SUMMARY
	// (GitHub only).
	OutputFile, SummaryFile string

	// ServerHosts are the Git hosts the system's own token is meant for
	// (github.com, the GitLab instance, dev.azure.com); Token gives that
	// token to no other host.
	ServerHosts []string
}

// Detect returns the CI environment described by getenv (os.Getenv in
// production). It checks GITHUB_ACTIONS=true, TF_BUILD=True and
// GITLAB_CI=true in that order; otherwise System is Generic and the other
// fields are empty.
func Detect(getenv func(string) string) Env {
	switch {
	case getenv("GITHUB_ACTIONS") == "true":
		e := Env{
			System:      GitHub,
			Repository:  getenv("GITHUB_REPOSITORY"),
			Commit:      getenv("GITHUB_SHA"),
			Actor:       getenv("GITHUB_ACTOR"),
			Branch:      first(getenv("GITHUB_HEAD_REF"), getenv("GITHUB_REF_NAME")),
			OutputFile:  getenv("GITHUB_OUTPUT"),
			SummaryFile: getenv("GITHUB_STEP_SUMMARY"),
		}
		server, id := getenv("GITHUB_SERVER_URL"), getenv("GITHUB_RUN_ID")
		e.ServerHosts = []string{first(address.Host(server), "github.com")}
		if server != "" && e.Repository != "" && id != "" {
			e.RunURL = strings.TrimSuffix(server, "/") + "/" + e.Repository + "/actions/runs/" + id
			if a := getenv("GITHUB_RUN_ATTEMPT"); a != "" && a != "1" {
				e.RunURL += "/attempts/" + a
			}
		}
		return e
	case strings.EqualFold(getenv("TF_BUILD"), "true"):
		e := Env{
			System:     Azure,
			Repository: getenv("BUILD_REPOSITORY_NAME"),
			Commit:     getenv("BUILD_SOURCEVERSION"),
			Actor:      getenv("BUILD_REQUESTEDFOR"),
			Branch: strings.TrimPrefix(first(getenv("SYSTEM_PULLREQUEST_SOURCEBRANCH"),
				getenv("BUILD_SOURCEBRANCH")), "refs/heads/"),
		}
		coll, project, id := getenv("SYSTEM_COLLECTIONURI"), getenv("SYSTEM_TEAMPROJECT"), getenv("BUILD_BUILDID")
		e.ServerHosts = []string{"dev.azure.com", "*.visualstudio.com"}
		if h := address.Host(coll); h != "" {
			e.ServerHosts = append(e.ServerHosts, h)
		}
		if coll != "" && project != "" && id != "" {
			e.RunURL = strings.TrimSuffix(coll, "/") + "/" + url.PathEscape(project) +
				"/_build/results?buildId=" + url.QueryEscape(id)
		}
		return e
	case getenv("GITLAB_CI") == "true":
		return Env{
			System:      GitLab,
			Repository:  getenv("CI_PROJECT_PATH"),
			Commit:      getenv("CI_COMMIT_SHA"),
			RunURL:      getenv("CI_JOB_URL"),
			Actor:       getenv("GITLAB_USER_LOGIN"),
			Branch:      first(getenv("CI_MERGE_REQUEST_SOURCE_BRANCH_NAME"), getenv("CI_COMMIT_REF_NAME")),
			ServerHosts: []string{first(getenv("CI_SERVER_HOST"), address.Host(getenv("CI_SERVER_URL")), "gitlab.com")},
		}
	}
	return Env{System: Generic}
}

// Token returns the Git credentials the job provides, for HTTPS basic
// authentication. TAGBUMP_GIT_TOKEN wins over the system's own token, with
// TAGBUMP_GIT_USER as user name (default: the system's user name below, or
// "tagbump"). Otherwise GitHub uses GITHUB_TOKEN with user x-access-token,
// Azure SYSTEM_ACCESSTOKEN with user build, and GitLab CI_JOB_TOKEN with
// user gitlab-ci-token. ok is false when no token is set.
//
// The system's token is given only for repoHost among ServerHosts: a job
// token must not reach a charts repository on another server.
func (e Env) Token(getenv func(string) string, repoHost string) (user, token string, ok bool) {
	var sysUser, sysToken string
	switch e.System {
	case GitHub:
		sysUser, sysToken = "x-access-token", getenv("GITHUB_TOKEN")
	case Azure:
		sysUser, sysToken = "build", getenv("SYSTEM_ACCESSTOKEN")
	case GitLab:
		sysUser, sysToken = "oauth2", getenv("CI_JOB_TOKEN")
	}
	if t := getenv("TAGBUMP_GIT_TOKEN"); t != "" {
		return first(getenv("TAGBUMP_GIT_USER"), sysUser, "tagbump"), t, true
	}
	if sysToken == "" || !e.serves(repoHost) {
		return "", "", false
	}
	if e.System == GitLab {
		// The job token authenticates only with this user name.
		sysUser = "gitlab-ci-token"
	}
	return sysUser, sysToken, true
}

// serves reports whether host is one of ServerHosts ("*.x" matches
// subdomains of x).
func (e Env) serves(host string) bool {
	host = strings.ToLower(host)
	for _, h := range e.ServerHosts {
		if suffix, ok := strings.CutPrefix(h, "*"); ok && strings.HasSuffix(host, suffix) || host == strings.ToLower(h) {
			return host != ""
		}
	}
	return false
}

// first returns the first non-empty string of ss.
func first(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// Trailers returns the Git commit trailers that tie a bump to its CI run,
// as key/value pairs in a fixed order, leaving out empty ones: CI-System,
// CI-Source (repository@commit), CI-Run and CI-Actor. Line breaks in values
// become spaces, so that each trailer stays one line.
func (e Env) Trailers() [][2]string {
	if e.System == Generic {
		return nil
	}
	source := e.Repository
	if e.Commit != "" {
		source += "@" + e.Commit
	}
	var out [][2]string
	for _, kv := range [][2]string{
		{"CI-System", string(e.System)}, {"CI-Source", source}, {"CI-Run", e.RunURL}, {"CI-Actor", e.Actor},
	} {
		if v := strings.Join(strings.Fields(kv[1]), " "); v != "" {
			out = append(out, [2]string{kv[0], v})
		}
	}
	return out
}

// LogFields returns key/value pairs for structured log lines (as
// charmbracelet/log takes them): ci (none outside a CI system), then
// source (repository@commit) and run when the system tells them.
func (e Env) LogFields() []any {
	var f []any
	if e.System != Generic && e.System != "" {
		f = append(f, "ci", string(e.System))
	}
	if e.Repository != "" && e.Commit != "" {
		f = append(f, "source", e.Repository+"@"+e.Commit)
	}
	if e.RunURL != "" {
		f = append(f, "run", e.RunURL)
	}
	return f
}
