package cli

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/spf13/cobra"
	"github.com/tagbump/tagbump/internal/ci"
	"github.com/tagbump/tagbump/pkg/address"
	"github.com/tagbump/tagbump/pkg/forge"
	"github.com/tagbump/tagbump/pkg/gitrepo"
	"github.com/tagbump/tagbump/pkg/registry"
)

// DoctorOptions are the inputs of `tagbump doctor`.
type DoctorOptions struct {
	Repo, Branch       string
	SSHKey, KnownHosts string
	Provider, APIURL   string
	PR                 bool
	Image              string
	// Sign holds --sign-key and --commit-via: how a bump's commits would
	// be signed and land.
	Sign     signFlags
	Registry registryFlags
	Output   outputFlag
}

// NewCmdDoctor builds `tagbump doctor`. runF replaces the command's work
// in tests.
func NewCmdDoctor(streams IOStreams, runF func(*DoctorOptions) error) *cobra.Command {
	opts := &DoctorOptions{}
	opts.Registry.Redactor = streams.Redactor
	cmd := &cobra.Command{
		Use:   "doctor --repo URL [--branch B] [--pr] [--provider P] [--image REF]",
		Short: "Tell whether a bump would work here, without changing anything",
		Long: `doctor checks what a bump needs, changes nothing, and prints a checklist
(--output json: the same as data):

- the Git credentials found and where from (never the secret);
- the Git server: reachable, protocol v2 or v0, partial fetch, the default
  branch, the fetch path a bump takes there and what it costs (one fetch of
  the branch is made), and whether the credentials may push (the
  receive-pack advertisement; a hook or branch rule may still refuse a push);
- the host's API, where --provider or the URL names the host, or its
  version endpoint answers (self-hosted Gitea, Forgejo and GitLab): the
  token valid there and reading pull requests; its scopes where the host
  reports them (GitHub classic tokens, GitLab, Bitbucket access tokens;
  else its permission on the repository); and the rules of the branch:
  pull requests required, signed commits required, who may push, with the
  flag that fits (--pr, --sign-key, --commit-via api). What the API refuses
  blocks only a bump that needs it (--pr, --commit-via api): for a direct
  push it is a warning;
- with --image: the registry reachable with the credentials found, the tag
  there and its digest.

It exits 0 when a bump would work as configured, else with the exit code of
the first blocker, whose line says how to fix it.`,
		Example: `  tagbump doctor --repo https://dev.azure.com/acme/shop/_git/helm-charts
  tagbump doctor --repo https://git.example.com/acme/charts.git --pr --image registry.example.com/app:1.2.3 -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := opts.Output.check(); err != nil {
				return err
			}
			if opts.Repo == "" {
				return usageErr(errors.New("--repo is required: the charts repository's URL or path"))
			}
			if runF != nil {
				return runF(opts)
			}
			return runDoctor(cmd.Context(), streams, opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.Repo, "repo", "", "charts repository: https or ssh URL, or a local path")
	f.StringVar(&opts.Branch, "branch", "", "branch a bump would change (default: the repository's default branch)")
	f.StringVar(&opts.SSHKey, "ssh-key", "", "private key file for ssh URLs (default: ssh-agent)")
	f.StringVar(&opts.KnownHosts, "known-hosts", "", "known_hosts file for ssh URLs (default: ~/.ssh/known_hosts and the system file)")
	f.BoolVar(&opts.PR, "pr", false, "check the host's pull request API too, as bump --pr needs it")
	f.StringVar(&opts.Provider, "provider", "", "the host's API when the URL does not tell: github, gitlab, azure, bitbucket or gitea")
	f.StringVar(&opts.APIURL, "api-url", "", "API base URL of the host (default derived from --repo)")
	f.StringVar(&opts.Image, "image", "", "image a bump would deploy: check its registry and tag")
	f.StringVar(&opts.Sign.SignKey, "sign-key", "", "the key a bump would sign commits with, as bump's --sign-key (TAGBUMP_SIGN_KEY holds the key itself): checked, and counted against a branch that requires signed commits")
	noEnv(f, "sign-key")
	f.StringVar(&opts.Sign.CommitVia, "commit-via", "push", "how a bump's commit would land, as bump's --commit-via: push or api (GitHub makes and signs it)")
	opts.Registry.register(f)
	gitTimeout(f)
	opts.Output.register(f)
	return cmd
}

// doctorCheck is one line of the checklist.
type doctorCheck struct {
	Name   string `json:"name"`
	Status string `json:"status"` // ok, warn, fail or info
	Detail string `json:"detail"`
	Fix    string `json:"fix,omitempty"`
	Exit   int    `json:"exit_code,omitempty"` // with fail: the exit code of the blocker
}

// doctorReport is doctor's answer.
type doctorReport struct {
	Repo   string        `json:"repo"`
	Ready  bool          `json:"ready"` // a bump would work as configured
	Checks []doctorCheck `json:"checks"`
	// Host is what the host's API reported, when it was asked.
	Host *doctorHostInfo `json:"host,omitempty"`
}

// doctorHostInfo is the host's part of doctor's answer: which API, how it
// was found, and what it told about the token and the branch.
type doctorHostInfo struct {
	Kind      string        `json:"kind"`
	FoundFrom string        `json:"found_from"`
	Access    *forge.Access `json:"access,omitempty"`
}

func (r *doctorReport) add(c doctorCheck) { r.Checks = append(r.Checks, c) }

// fail adds a blocker from err, its exit code decided as any command's.
func (r *doctorReport) fail(name string, err error, fix string) {
	r.add(doctorCheck{Name: name, Status: "fail", Detail: err.Error(), Fix: fix, Exit: ExitCode(err)})
}

// failed reports whether the check name failed.
func (r *doctorReport) failed(name string) bool {
	return slices.ContainsFunc(r.Checks, func(c doctorCheck) bool { return c.Name == name && c.Status == "fail" })
}

// blocker is the first failed check, nil when there is none.
func (r *doctorReport) blocker() *doctorCheck {
	for i, c := range r.Checks {
		if c.Status == "fail" {
			return &r.Checks[i]
		}
	}
	return nil
}

func runDoctor(ctx context.Context, streams IOStreams, opts *DoctorOptions) error {
	env := ci.Detect(os.Getenv)
	rep := &doctorReport{Repo: address.Redact(opts.Repo)}
	doctorCredentials(rep, env, opts)
	doctorSigning(rep, env, opts)
	branch := doctorGit(ctx, rep, env, opts)
	doctorHost(ctx, rep, env, opts, branch)
	if opts.Image != "" {
		doctorImage(ctx, rep, opts)
	}
	b := rep.blocker()
	rep.Ready = b == nil
	if opts.Output.Format == "json" {
		if err := opts.Output.print(streams.Out, "", rep); err != nil {
			return err
		}
	} else {
		writeChecklist(streams.Out, rep)
	}
	if b != nil {
		return &exitError{code: b.Exit, err: fmt.Errorf("doctor: %s: %s", b.Name, b.Detail), reported: opts.Output.Format == "json"}
	}
	return nil
}

// doctorCredentials says which Git credentials a bump would use, and from
// where, by the same rules as bump (gitOptions).
func doctorCredentials(rep *doctorReport, env ci.Env, opts *DoctorOptions) {
	c := doctorCheck{Name: "credentials", Status: "ok"}
	_, _, sysOK := env.Token(func(k string) string {
		if k == "TAGBUMP_GIT_TOKEN" {
			return ""
		}
		return os.Getenv(k)
	}, address.Host(opts.Repo))
	_, remote := webURL(opts.Repo)
	switch {
	case !remote:
		c.Detail = "none needed: a local clone"
	case strings.HasPrefix(opts.Repo, "ssh://") || strings.Contains(opts.Repo, "@") && !strings.Contains(opts.Repo, "://"):
		c.Detail = "SSH: " + cmp.Or(opts.SSHKey, "ssh-agent") + " (--ssh-key)"
	case urlCredentialsWin(opts.Repo):
		c.Detail = "the user and token in the --repo URL"
		c.Status, c.Fix = "warn", "pass the token in TAGBUMP_GIT_TOKEN instead: a URL is easily logged"
	case os.Getenv("TAGBUMP_GIT_TOKEN") != "":
		c.Detail = "TAGBUMP_GIT_TOKEN" + map[bool]string{true: " (user TAGBUMP_GIT_USER)", false: ""}[os.Getenv("TAGBUMP_GIT_USER") != ""]
	case sysOK:
		c.Detail = map[ci.System]string{ci.GitHub: "GITHUB_TOKEN", ci.Azure: "SYSTEM_ACCESSTOKEN", ci.GitLab: "CI_JOB_TOKEN"}[env.System] + ", the " + string(env.System) + " job's own token"
	default:
		c.Detail = "none: the repository is read anonymously"
		c.Status, c.Fix = "warn", "set TAGBUMP_GIT_TOKEN to a token that may push"
	}
	rep.add(c)
}

// doctorGit asks the server what it can do, fetches the branch the way a
// bump does, and checks push access. It returns the branch a bump would
// change ("" when it is not known).
func doctorGit(ctx context.Context, rep *doctorReport, env ci.Env, opts *DoctorOptions) string {
	gopts := gitOptions(env, opts.Repo, opts.SSHKey, opts.KnownHosts, opts.Registry.Timeout)
	repo, err := gitrepo.Open(ctx, opts.Repo, gopts...)
	if err != nil {
		rep.fail("git", err, "check --repo")
		return opts.Branch
	}
	defer repo.Close()
	info, err := repo.Check(ctx)
	if err != nil {
		rep.fail("git server", err, "check --repo and the credentials")
		return opts.Branch
	}
	if info != nil {
		proto := map[bool]string{true: "protocol v2", false: "protocol v0 (git before 2.18, or a proxy that drops the Git-Protocol header)"}[info.ProtocolV2]
		rep.add(doctorCheck{Name: "git server", Status: "ok", Detail: "reachable, " + proto + ", default branch " + info.DefaultBranch})
		if info.Filter && (info.ProtocolV2 || info.WantsByID) {
			rep.add(doctorCheck{Name: "partial fetch", Status: "ok", Detail: "the server filters: a bump reads trees and only the files it changes, and the rollback guard's history without blobs"})
		} else {
			rep.add(doctorCheck{Name: "partial fetch", Status: "warn",
				Detail: "the server cannot filter (or send objects by id): every bump fetches the whole tip of the branch, 50 commits deep for the rollback guard",
				Fix:    "on the server: git config uploadpack.allowFilter true (and uploadpack.allowReachableSHA1InWant true for protocol v0)"})
		}
	}
	branch := opts.Branch
	if branch == "" && info != nil {
		branch = info.DefaultBranch
	}
	start := time.Now()
	if branch == "" {
		if branch, err = repo.DefaultBranch(ctx); err != nil {
			rep.fail("branch", err, "pass --branch")
			return ""
		}
	}
	snap, err := repo.Fetch(ctx, branch)
	if err != nil {
		rep.fail("branch", err, "check --branch")
		return branch
	}
	st := repo.Stats()
	detail := fmt.Sprintf("%s at %s; a bump's fetch took %d ms", branch, snap.Tip().String()[:12], time.Since(start).Milliseconds())
	if st.Path != "" {
		detail += fmt.Sprintf(" on the %s path (%d upload-pack requests before the files)", st.Path, st.UploadPacks)
	}
	rep.add(doctorCheck{Name: "branch", Status: "ok", Detail: detail})
	switch {
	case info == nil:
		rep.add(doctorCheck{Name: "push access", Status: "ok", Detail: "a local clone: tagbump commits to its branch"})
	case info.Push == nil:
		rep.add(doctorCheck{Name: "push access", Status: "ok", Detail: "the server lets these credentials push (a hook or branch rule may still refuse a direct push: then use --pr)"})
	default:
		rep.fail("push access", info.Push, "give the token write access to the repository (GitHub contents: write; Azure DevOps Contribute; GitLab write_repository; Gitea write), or bump through --pr")
	}
	return branch
}

// doctorSigning checks the key a bump would sign with, and --commit-via
// as bump does (signFlags.check, and the API commits' host).
func doctorSigning(rep *doctorReport, env ci.Env, opts *DoctorOptions) {
	opts.Sign.APIURL = opts.APIURL
	if err := opts.Sign.check(opts.Repo, "", "", false); err != nil {
		rep.fail("signing", err, "change the flags as the line above says: bump refuses them alike")
		return
	}
	key, err := opts.Sign.signKey(os.Getenv)
	switch {
	case err != nil:
		rep.fail("signing", err, "give --sign-key a private key file (SSH or armored OpenPGP), or TAGBUMP_SIGN_KEY the key's text")
	case key != nil:
		rep.add(doctorCheck{Name: "signing", Status: "ok", Detail: fmt.Sprintf("commits are signed with the %s key %s", key.Format(), key.Fingerprint())})
	case opts.Sign.CommitVia == "api":
		if _, err := opts.Sign.apiPublisher(env, os.Getenv, opts.Repo, opts.Registry.Timeout); err != nil {
			rep.fail("signing", err, "drop --commit-via api (sign with --sign-key instead): only GitHub makes API commits")
			return
		}
		rep.add(doctorCheck{Name: "signing", Status: "ok", Detail: "commits are made and signed by GitHub (--commit-via api)"})
	}
}

// apiNeeded reports whether a bump as configured talks to the host's API:
// to open a pull request, or to have the host make the commit. A direct
// push needs Git only.
func (o *DoctorOptions) apiNeeded() bool { return o.PR || o.Sign.CommitVia == "api" }

// hostProblem adds c, a problem met on the host's API: a blocker when the
// bump needs the API, else a warning, since a direct push does not.
func (r *doctorReport) hostProblem(opts *DoctorOptions, c doctorCheck) {
	if opts.apiNeeded() {
		c.Status = "fail"
	} else {
		c.Status, c.Exit = "warn", 0
		c.Detail += " (a direct push does not need the host's API; a bump with --pr would)"
	}
	r.add(c)
}

// doctorHost finds the host's API (from --provider, the URL, or the
// version endpoints of self-hosted Gitea, Forgejo and GitLab), checks the
// token there, and reads its scopes and branch's rules. Without --pr,
// --commit-via api or --provider a host that is not found is skipped, and
// what the API refuses is a warning: a direct push does not need it.
func doctorHost(ctx context.Context, rep *doctorReport, env ci.Env, opts *DoctorOptions, branch string) {
	needed := opts.apiNeeded() || opts.Provider != ""
	repo, ok := webURL(opts.Repo)
	if !ok {
		if needed {
			rep.add(doctorCheck{Name: "host API", Status: "fail", Detail: "a local clone has no host to open a pull request on", Fix: "pass an https:// or ssh:// --repo URL", Exit: ExitUsage})
		}
		return
	}
	// The version endpoints are not probed for an ssh:// URL unless asked:
	// its host may not serve https at all, and a filtered port would hold
	// doctor up.
	kind, how := hostKind(repo, opts.Provider, opts.Registry.Timeout, needed || repo == opts.Repo)
	if !validKind(kind) {
		if !needed {
			rep.add(doctorCheck{Name: "host API", Status: "info", Detail: "the host is not one tagbump recognises from the URL (nor, over https, from Gitea's or GitLab's version endpoint): its branch rules are not checked",
				Fix: "pass --provider github|gitlab|azure|bitbucket|gitea to check them"})
			return
		}
		rep.add(doctorCheck{Name: "host API", Status: "fail", Detail: "the host is not one tagbump recognises and answers neither Gitea's nor GitLab's version endpoint",
			Fix: "pass --provider github|gitlab|azure|bitbucket|gitea", Exit: ExitUsage})
		return
	}
	rep.Host = &doctorHostInfo{Kind: string(kind), FoundFrom: how}
	if opts.PR && !rep.failed("signing") {
		if err := opts.Sign.checkPRHost(kind); err != nil {
			rep.fail("signing", err, "drop --commit-via api and sign with --sign-key")
		}
	}
	user, token, ok := env.Token(os.Getenv, address.Host(repo))
	if urlCredentialsWin(repo) {
		user, token, ok = gitrepo.URLCredentials(repo)
	}
	if !ok {
		rep.hostProblem(opts, doctorCheck{Name: "host API", Exit: ExitAuth,
			Detail: fmt.Sprintf("%s (found from %s), but no token for its API: the branch's rules on the host were not checked", kind, how),
			Fix:    "set TAGBUMP_GIT_TOKEN to a token for the host's API (with an SSH --repo too) to check them"})
		return
	}
	f, err := forge.New(forge.Options{Kind: kind, RepoURL: repo, APIURL: opts.APIURL, User: user, Token: token, HTTPClient: &http.Client{Timeout: opts.Registry.Timeout}})
	if err != nil {
		rep.fail("host API", err, "check --api-url and --repo")
		return
	}
	if _, err = f.FindOpen(ctx, "tagbump/doctor", cmp.Or(branch, "main")); err != nil {
		rep.hostProblem(opts, doctorCheck{Name: "host API", Exit: ExitCode(err), Detail: err.Error(),
			Fix: "check the token's scopes for pull requests (see docs/guides/pull-requests.md, per host)"})
		if opts.apiNeeded() {
			return
		}
	} else {
		rep.add(doctorCheck{Name: "host API", Status: "ok", Detail: fmt.Sprintf("%s (found from %s); the token is valid and reads its pull requests", kind, how)})
	}
	in, ok := f.(forge.Inspector)
	if !ok || branch == "" {
		return
	}
	a, err := in.Inspect(ctx, branch)
	if err != nil {
		rep.add(doctorCheck{Name: "branch rules", Status: "warn", Detail: "not read: " + err.Error(), Fix: "check the branch's rules in the host's settings"})
		return
	}
	rep.Host.Access = a
	doctorScopes(rep, kind, a, opts)
	doctorRules(rep, kind, a, opts)
}

// doctorScopes reports the token's scopes, or its permission where the
// host does not report scopes, and a missing scope the host's API needs
// (a blocker when the bump needs the API).
func doctorScopes(rep *doctorReport, kind forge.Kind, a *forge.Access, opts *DoctorOptions) {
	var need string
	switch {
	case a.Scopes == nil:
		rep.add(doctorCheck{Name: "token scopes", Status: "info", Detail: a.ScopesNote})
	case kind == forge.GitHub && !slices.Contains(a.Scopes, "repo") && !slices.Contains(a.Scopes, "public_repo"):
		need = "repo"
	case kind == forge.GitLab && !slices.Contains(a.Scopes, "api"):
		need = "api"
	case kind == forge.Bitbucket && !slices.Contains(a.Scopes, "pullrequest:write"):
		need = "pullrequest:write"
	}
	detail := cmp.Or(strings.Join(a.Scopes, ", "), "none")
	switch {
	case need != "":
		rep.hostProblem(opts, doctorCheck{Name: "token scopes", Exit: ExitAuth, Detail: detail + "; pull requests through the host's API need " + need,
			Fix: "create the token with the " + need + " scope"})
	case a.Scopes != nil:
		rep.add(doctorCheck{Name: "token scopes", Status: "ok", Detail: detail})
	}
	if a.Permission != "" || a.CanPush != nil {
		p := doctorCheck{Name: "repository permission", Status: "ok", Detail: cmp.Or(a.Permission, "reported")}
		if a.CanPush != nil && !*a.CanPush {
			p.Status, p.Exit = "fail", ExitAuth
			p.Detail += ": the token may not write to the repository"
			p.Fix = "give the token write access (GitHub contents: write; GitLab Developer; Gitea write)"
		}
		rep.add(p)
	}
}

// doctorRules reports the branch's rules and fails on one the bump as
// configured would break: a direct push where pushes are refused, an
// unsigned commit where signatures are required.
func doctorRules(rep *doctorReport, kind forge.Kind, a *forge.Access, opts *DoctorOptions) {
	b := a.Branch
	c := doctorCheck{Name: "branch rules", Status: "ok"}
	var rules []string
	if b.PullRequest {
		r := "pull requests required"
		if b.Approvals > 0 {
			r += fmt.Sprintf(" (%d approval%s)", b.Approvals, map[bool]string{true: "s"}[b.Approvals > 1])
		}
		rules = append(rules, r)
	}
	if b.Signed {
		rules = append(rules, "signed commits required")
	}
	if b.Pushers != "" {
		rules = append(rules, "who may push: "+b.Pushers)
	}
	switch {
	case !b.Protected && !b.Known:
		c.Detail = "no rule read applies to " + b.Name
	case !b.Protected:
		c.Detail = b.Name + " is not protected"
	case len(rules) == 0:
		c.Detail = b.Name + " is protected (no rule that changes how a bump lands)"
	default:
		c.Detail = b.Name + ": " + strings.Join(rules, "; ")
	}
	if !b.Known {
		c.Status, c.Fix = "warn", "not every rule could be read: "+b.Note
	} else if b.Note != "" {
		c.Detail += " (" + b.Note + ")"
	}
	rep.add(c)
	signed := opts.Sign.SignKey != "" || os.Getenv("TAGBUMP_SIGN_KEY") != "" || opts.Sign.CommitVia == "api"
	switch {
	case b.PushRefused && !opts.PR:
		rep.add(doctorCheck{Name: "direct push", Status: "fail", Exit: ExitRejected,
			Detail: "the host refuses pushes to " + b.Name + " from this token: a bump without --pr would be rejected",
			Fix:    "bump with --pr: tagbump pushes its own branch and opens a pull request (with --auto-merge it merges once the rules allow)"})
	case b.PushRefused:
		rep.add(doctorCheck{Name: "direct push", Status: "ok", Detail: "pushes to " + b.Name + " are refused, and --pr opens a pull request instead"})
	case b.Pushers != "" && !opts.PR:
		rep.add(doctorCheck{Name: "direct push", Status: "warn", Detail: "only " + b.Pushers + " may push to " + b.Name,
			Fix: "if the token's user is not one of them, bump with --pr"})
	}
	if b.Signed && !signed {
		fix := "sign with --sign-key FILE (or the key in TAGBUMP_SIGN_KEY), a key the host knows so that it shows as verified"
		if kind == forge.GitHub {
			fix += ", or let GitHub make and sign the commit with --commit-via api"
		}
		rep.add(doctorCheck{Name: "signed commits", Status: "fail", Exit: ExitRejected,
			Detail: b.Name + " requires signed commits and the bump would push unsigned ones", Fix: fix})
	}
}

// doctorImage checks the image in its registry as bump's verify does.
func doctorImage(ctx context.Context, rep *doctorReport, opts *DoctorOptions) {
	ref, ropts, err := opts.Registry.setup(&opts.Output, opts.Image)
	if err == nil {
		var d *registry.Descriptor
		if d, err = registry.Verify(ctx, ref, ropts...); err == nil {
			rep.add(doctorCheck{Name: "image", Status: "ok", Detail: d.Image + " is in its registry"})
			return
		}
	}
	rep.fail("image", err, "push the image first, or check the registry credentials (TAGBUMP_REGISTRY_USERNAME/PASSWORD, docker login)")
}

// writeChecklist prints the report as a checklist: ✓ ✗ ! on a terminal,
// [ok] [FAIL] [warn] elsewhere.
func writeChecklist(w io.Writer, rep *doctorReport) {
	marks := map[string]string{"ok": "[ok]  ", "fail": "[FAIL]", "warn": "[warn]", "info": "[info]"}
	if f, ok := w.(*os.File); ok && isatty.IsTerminal(f.Fd()) {
		marks = map[string]string{"ok": "✓", "fail": "✗", "warn": "!", "info": "·"}
	}
	for _, c := range rep.Checks {
		fmt.Fprintf(w, "%s %s: %s\n", marks[c.Status], c.Name, c.Detail)
		if c.Fix != "" {
			fmt.Fprintf(w, "       fix: %s\n", c.Fix)
		}
	}
	if rep.blocker() == nil {
		fmt.Fprintln(w, "a bump would work here")
	}
}
