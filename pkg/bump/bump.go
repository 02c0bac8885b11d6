// Package bump is tagbump's pipeline step: it fetches the tip of a branch of
// a Helm charts repository, sets an image tag in one or more values files,
// commits and pushes, and redoes the edit on the new tip when another
// pipeline pushed first. It prints nothing; it returns a Result.
package bump

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/tagbump/tagbump/pkg/attest"
	"github.com/tagbump/tagbump/pkg/gitrepo"
	"github.com/tagbump/tagbump/pkg/imageref"
	"github.com/tagbump/tagbump/pkg/registry"
	"github.com/tagbump/tagbump/pkg/render"
	edit "github.com/tagbump/tagbump/pkg/target"
)

// DefaultValuesFile is the layout of values files when Request.ValuesFile is
// empty: one file per chart and environment.
const DefaultValuesFile = "{chart}/values-{env}.yaml"

// DefaultMessage is the commit subject template when Request.Message is empty.
const DefaultMessage = "chore({{.Env}}): update {{.Chart}} image to {{.Tag}}"

// DefaultMaxAttempts is how often a push is tried at most when
// Request.MaxAttempts is 0; DefaultRetryFor usually ends the retries first.
const DefaultMaxAttempts = 50

// DefaultRetryFor is how long a bump keeps redoing the edit after lost
// races when Request.RetryFor is 0.
const DefaultRetryFor = 30 * time.Minute

// Outcomes of a bump.
const (
	Changed   = "changed"   // a commit was made (and pushed unless DryRun or NoPush)
	Unchanged = "unchanged" // every target already had the value
	Skipped   = "skipped"   // the downgrade guard kept a newer tag
)

// Request is what a pipeline asks for: set Image's tag for Chart in each of
// Envs. Chart may be empty when ValuesFile has no {chart}; the commit
// subject then names the image's repository.
type Request struct {
	Repo   string // URL or local path of the charts repository
	Branch string // "" means the remote's default branch
	Chart  string
	Envs   []string
	// ValuesFile is the path template of a values file, with {chart} and
	// {env}; DefaultValuesFile when empty.
	ValuesFile string
	// Apps name Argo CD Applications ("NAME" or "NAMESPACE/NAME") whose
	// Helm value files the bump changes, instead of Chart, Envs and
	// ValuesFile: see argocd.Find. FileChange.Env and .App then name the
	// Application.
	Apps []string
	// AppsPath is where the Application manifests are (a file,
	// directory or glob); "" searches argocd.DefaultAppsPaths and the
	// root's files.
	AppsPath string
	// AppsRepo is the repository of the Application manifests when it
	// is not Repo: fetched once, read only (WithAppsGitOptions).
	AppsRepo string
	Image    imageref.Ref
	// Images are more images set in the same commit, each in the blocks
	// found by its repository (Keys must then be empty).
	Images []imageref.Ref
	// Keys are the paths to set. When empty, the image blocks that name
	// Image's repository are found (reading each file over the chart's
	// values.yaml next to it, as Helm does), else .image.tag is used when
	// .image names no repository at all; a block naming another
	// repository is never set.
	Keys []string
	// KeyOtherRepository lets a key of Keys that is in, or holds, an
	// image naming another repository than Image be set: its repository
	// is kept and only the tag (and digest) change.
	KeyOtherRepository bool
	// DigestKey is where WriteDigest writes the digest when the image
	// block has no digest key of its own.
	DigestKey string
	// AllowDowngrade lets an older tag replace a newer one.
	AllowDowngrade bool
	// NoCreate refuses to add a tag (or digest, or key) that only the
	// chart's values define to a values file that lacks it; by default
	// the minimal override is added (FileChange.Created).
	NoCreate bool
	// AllowDisabled writes the tag also into blocks the chart does not
	// render with the merged values (an enabled: false on the way, a
	// subchart whose condition or tags are false): pre-staging a version.
	// Without it such blocks are skipped, and refused (DisabledError)
	// when no other block names the image.
	AllowDisabled bool
	// AllowRolledBack lets a tag that a rollback in the last
	// GuardDepth commits took away be deployed again.
	AllowRolledBack bool
	// Message is a text/template for the commit subject over Chart, Env,
	// Image, Tag, OldTag and Digest; DefaultMessage when empty.
	Message string
	// Trailers are appended to the commit message as "Key: value" lines.
	Trailers []Trailer
	// Signoff appends "Signed-off-by: Author" as the last trailer, as
	// git commit --signoff does.
	Signoff bool
	SkipCI  bool
	// Author and Committer sign the commit; a zero When means the time
	// of the commit. Committer is tagbump's own identity: on a pull
	// request branch, a commit by it with the BranchTrailer naming the
	// branch is tagbump's to replace, whoever the Author.
	Author    object.Signature
	Committer object.Signature
	// MaxAttempts bounds how often a push that lost a race is redone;
	// DefaultMaxAttempts when 0.
	MaxAttempts int
	// RetryFor bounds how long lost races are redone, counted from the
	// first fetch: no retry starts after it; DefaultRetryFor when 0.
	RetryFor time.Duration

	// Verify checks the image in its registry first, and PushFrom pushes
	// it there first from a docker-save tarball or an OCI layout.
	Verify   bool
	PushFrom string
	// Signature, when set, requires the image's Sigstore signature and
	// attestations (pkg/attest) before anything is written; it needs the
	// image's digest (Verify or PushFrom).
	Signature *SignatureCheck
	// WriteDigest writes the image's digest next to its tag: the verified
	// or pushed digest, else the one in Image.
	WriteDigest bool
	// DryRun does everything but registry writes and the push: the
	// result has the diff and the commit message, no commit.
	DryRun bool
	// NoPush does everything but the push: the image is verified or
	// pushed to its registry and the commit is made (the result has its
	// hash, the diff and the message), but nothing is written to the Git
	// repository, a URL or a local clone alike.
	NoPush bool
	// PR, when set, sends the commit through a pull request (see
	// PRRequest) instead of pushing it to Branch.
	PR *PRRequest

	digest string // the image's digest, when known (set by Run)
	// signature is what Signature found for the first image (set by Run).
	signature *attest.Result

	more    []imageEdit // Images with their digests (set by Run), or the edits of a rollback or promote
	planner planner     // nil: plan the bump of Image and Images
	soft    bool        // write digests only where the image block has a digest key, clear them where the edit has none
	// skipDisabled skips the blocks the chart does not render instead of
	// refusing when none is (a promote copies every image the source
	// file sets, also those only another environment switches on).
	skipDisabled bool
	// exactDigest writes a string reference's digest as the edit has it,
	// also where the string has none now (a rollback restores the form).
	exactDigest bool
	// setRepository writes Image's repository into a string reference
	// named by Keys (a rollback across a repository change).
	setRepository bool
	// places are the Application manifest places some Keys name (as
	// Pick.Places): a rollback --app writes each where it is at the tip,
	// found by what it is, not at the key's document or index.
	places map[string]edit.AppPlace
	// pending is what tagbump's pull request branch proposes beyond the
	// base, read on each attempt of a bump with PR; the plan reads the
	// values files with its edits.
	pending *pending
	// Render proves each commit with the real renderer (--render-check).
	Render *RenderCheck

	branch   appsBranch   // the branch, for Apps (set by run)
	appSlots []valuesSlot // Apps resolved on this attempt's snapshot
}

// Trailer is one "Key: value" line at the end of a commit message.
type Trailer struct{ Key, Value string }

// SignatureCheck is what an image must carry in its registry: a signature
// (RequireSignature) and the attestations Policy names, each satisfying
// Policy. A refusal is an *attest.RefusedError.
type SignatureCheck struct {
	Policy           *attest.Compiled
	RequireSignature bool
}

// Result is what a bump did.
type Result struct {
	Repo     string       `json:"repo"`
	Branch   string       `json:"branch"`
	Commit   string       `json:"commit,omitempty"`
	Outcome  string       `json:"outcome"`
	Files    []FileChange `json:"files"`
	Attempts int          `json:"attempts"`
	Image    string       `json:"image"`
	Digest   string       `json:"digest,omitempty"`
	Message  string       `json:"message,omitempty"`
	Diff     string       `json:"diff,omitempty"`
	DryRun   bool         `json:"dry_run,omitempty"`
	// NoPush reports a bump run with Request.NoPush: Commit was made and
	// not written anywhere.
	NoPush bool `json:"no_push,omitempty"`
	// Pushed reports that the commit reached the branch (for a local
	// repository: was written into it).
	Pushed bool `json:"pushed"`
	// LostPushLanded reports an unchanged outcome after a push whose
	// answer was lost: another pipeline's push set the value, or that
	// push did and the history that would tell is out of reach (a server
	// without partial fetch, or more than GuardDepth commits on top).
	// When the history shows that push, the outcome is changed, with its
	// commit.
	LostPushLanded bool `json:"lost_push_landed,omitempty"`
	// Warnings are things the caller should see that did not stop the
	// bump (skipped values are in Files).
	Warnings []string `json:"warnings,omitempty"`
	// Images lists every image when a bump sets several, or a rollback
	// or promote sets any.
	Images []string `json:"images,omitempty"`
	// PRResult is filled when Request.PR is set; Commit and Pushed then
	// describe the PR branch.
	PRResult
	// Pending lists the values that earlier runs' deployments, still
	// waiting on tagbump's pull request branch, set beyond the base: the
	// branch keeps them with this run's (Old is the base's value).
	Pending []FileChange `json:"pending,omitempty"`
	// RenderChecks are the proofs of --render-check, a chart each.
	RenderChecks []render.Proof `json:"render_check,omitempty"`
	// Signature is what Request.Signature found for the (first) image.
	Signature *attest.Result `json:"signature,omitempty"`
}

// FileChange is one value in one file, before and after.
type FileChange struct {
	File string `json:"file"`
	Env  string `json:"env"`
	// App is the Application the file belongs to (Request.Apps).
	App string `json:"app,omitempty"`
	Key string `json:"key"`
	Old string `json:"old"`
	// New is the value the bump asked for, also when it was skipped.
	New string `json:"new"`
	// Skipped says why the value was left alone, and Kept is the value
	// left there.
	Skipped string `json:"skipped,omitempty"`
	Kept    string `json:"kept,omitempty"`
	// Created reports that the file lacked the key, which only the
	// chart's values defined, and that it was added.
	Created bool `json:"created,omitempty"`
	// AlsoChanges lists the paths that read the value through an alias
	// of the anchored definition that was set (".loki.image.tag via
	// *image"); they change with it.
	AlsoChanges []string `json:"also_changes,omitempty"`
}

// Option configures Run.
type Option func(*options)

type options struct {
	publisher Publisher
	git       []gitrepo.Option
	appsGit   []gitrepo.Option
	registry  []registry.Option
	logger    *slog.Logger
	backoff   func(attempt int) time.Duration
	// netRetries bounds consecutive retries after transient Git errors.
	netRetries int
}

// WithGitOptions passes options (auth, timeouts) to gitrepo.Open.
func WithGitOptions(o ...gitrepo.Option) Option {
	return func(opts *options) { opts.git = append(opts.git, o...) }
}

// WithAppsGitOptions passes options (auth, timeouts) to the gitrepo.Open of
// Request.AppsRepo.
func WithAppsGitOptions(o ...gitrepo.Option) Option {
	return func(opts *options) { opts.appsGit = append(opts.appsGit, o...) }
}

// Publisher lands a commit on its branch: c was built on c.Parent, the
// branch tip the edit was planned on, and must land only if the branch is
// still there. Publish returns the hash of the commit now at the tip of the
// branch (c.Hash, or the commit the server made from c). A branch that moved
// gives an error wrapping gitrepo.ErrRace, and the bump is redone on the
// new tip; an error wrapping gitrepo.ErrNetwork means the answer was lost
// and the commit may or may not have landed.
type Publisher interface {
	Publish(ctx context.Context, c *gitrepo.Commit) (string, error)
}

// WithPublisher sets how the commit lands; the default pushes it with the
// Repo's compare-and-swap (gitrepo.Repo.Push).
func WithPublisher(p Publisher) Option { return func(o *options) { o.publisher = p } }

// pusher is the default Publisher: a git push.
type pusher struct{ repo *gitrepo.Repo }

func (p pusher) Publish(ctx context.Context, c *gitrepo.Commit) (string, error) {
	if err := p.repo.Push(ctx, c); err != nil {
		return "", err
	}
	return c.Hash.String(), nil
}

// WithRegistryOptions passes options (auth, policy, timeouts) to the
// registry calls.
func WithRegistryOptions(o ...registry.Option) Option {
	return func(opts *options) { opts.registry = append(opts.registry, o...) }
}

// WithLogger sets where progress is logged; the default discards it.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// WithBackoff sets the pause before retry number attempt (1-based). The
// default is full jitter sized to the contention seen: a pause drawn
// between zero and a window that starts at twice the time the last attempt
// took (fetch to the push's answer: how long the branch must stay still for
// a push to land) and doubles with each lost race, up to 5 minutes and the
// time left (Request.RetryFor).
func WithBackoff(f func(attempt int) time.Duration) Option {
	return func(o *options) { o.backoff = f }
}

// DefaultNetworkRetries is how many consecutive transient Git errors
// (connection reset or cut, 5xx, 429) a bump retries by default. A retry
// redoes the whole try (ref listing, fetch, history, blobs, push: four to
// six requests), so a network losing one request in ten fails a try about
// four times in ten; ten failed tries in a row then happen about once in
// ten thousand.
const DefaultNetworkRetries = 10

// WithNetworkRetries sets how many consecutive transient Git errors
// (connection reset or cut, 5xx, 429, but not timeouts, 401, 403 or 404)
// are retried after a backoff pause; the default is DefaultNetworkRetries.
// A push whose answer was lost counts as an attempt (Request.MaxAttempts):
// the next fetch shows whether it landed.
func WithNetworkRetries(n int) Option { return func(o *options) { o.netRetries = n } }

// networkBackoff is the pause before network retry n when WithBackoff is
// not given: doubling from 200ms to 3s, drawn between half and all of that
// (at most about 21s over DefaultNetworkRetries pauses).
func networkBackoff(n int) time.Duration {
	d := 200 * time.Millisecond << min(n-1, 5)
	d = min(d, 3*time.Second)
	return d/2 + rand.N(d/2+1)
}

// Bounds of the race backoff's window.
const (
	minRaceUnit   = 50 * time.Millisecond
	maxRaceWindow = 5 * time.Minute
)

// raceBackoff is the default pause after lost race number losses (1-based)
// when the last attempt took cycle and left is the time left to retry: full
// jitter, uniform in [0, window), where the window is cycle × 2^losses,
// capped at maxRaceWindow and left. Contending pipelines spread their
// retries over a window that grows until it holds them all, one attempt's
// time apart: N pipelines need a window of about N cycles, so the cap must
// not be lower than that (200 bumps that take 1s each under load need
// 200s).
func raceBackoff(losses int, cycle, left time.Duration) time.Duration {
	w := max(cycle, minRaceUnit) << min(losses, 16)
	w = min(w, maxRaceWindow, left)
	if w <= 0 {
		return 0
	}
	return rand.N(w)
}

// racePause is the pause before the retry after lost race number attempt,
// whose attempt took cycle, with left to go: WithBackoff's, else
// raceBackoff's.
func (o *options) racePause(attempt int, cycle, left time.Duration) time.Duration {
	if o.backoff != nil {
		return o.backoff(attempt)
	}
	return raceBackoff(attempt, cycle, left)
}

// ConflictError reports that every attempt lost a race with another push.
type ConflictError struct {
	Repo, Branch string
	Attempts     int
	// Elapsed is the time from the first fetch to giving up.
	Elapsed time.Duration
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("push %s %s: the branch moved on each of %d attempts in %s; raise --max-attempts or --retry-for, or retry the job", e.Repo, e.Branch, e.Attempts, e.Elapsed.Round(time.Millisecond))
}

// Run does the bump that req describes.
func Run(ctx context.Context, req Request, opts ...Option) (*Result, error) {
	o := options{logger: slog.New(slog.DiscardHandler), netRetries: DefaultNetworkRetries}
	for _, f := range opts {
		f(&o)
	}
	if err := req.validate(); err != nil {
		return nil, err
	}
	if len(req.Apps) > 0 {
		req.Envs = req.Apps // pull request branches and titles name them
	}
	digest, err := resolveImages(ctx, &req, &o)
	if err != nil {
		return nil, err
	}
	if req.WriteDigest && digest == "" {
		return nil, &InputError{"--digest", req.Image.String(), "no digest to write: verify the image or give it as REPO:TAG@sha256:..."}
	}
	req.digest = digest
	return run(ctx, req, o)
}

// run is the one loop of bump, rollback and promote: fetch the tip, plan,
// commit, push, and redo it all on the new tip after a lost race.
func run(ctx context.Context, req Request, o options) (*Result, error) {
	var transient int // consecutive transient network errors
	repo, err := gitrepo.Open(ctx, req.Repo, o.git...)
	if err != nil {
		return nil, err
	}
	defer repo.Close()
	publisher := o.publisher
	if publisher == nil {
		publisher = pusher{repo}
	}
	var warnings []string
	switch {
	case repo.CredentialsFromURL():
		w := "the repository URL carries credentials; they are used, as TAGBUMP_GIT_TOKEN is not set: move the token to TAGBUMP_GIT_TOKEN and remove it from the URL"
		o.logger.Warn(w, "repo", repo.URL())
		warnings = append(warnings, w)
	case repo.CredentialsStripped():
		w := "the repository URL carries credentials; they are not used: pass the token in TAGBUMP_GIT_TOKEN"
		o.logger.Warn(w, "repo", repo.URL())
		warnings = append(warnings, w)
	}

	branch := req.Branch
	for branch == "" {
		branch, err = repo.DefaultBranch(ctx)
		if err == nil && branch == "" {
			return nil, fmt.Errorf("default branch of %s: %w: the remote HEAD names no branch: pass the branch explicitly", repo.URL(), gitrepo.ErrNotFound)
		}
		if err != nil {
			if err = o.pauseTransient(ctx, err, &transient); err != nil {
				return nil, err
			}
		}
	}
	transient = 0 // the count is of consecutive errors: the branch lookup succeeded
	if len(req.Apps) > 0 {
		req.branch, err = appsBranchOf(ctx, repo, &req, branch, &o)
		defer req.branch.close()
		if err != nil {
			return nil, err
		}
	}
	res := &Result{Repo: repo.URL(), Branch: branch, DryRun: req.DryRun, NoPush: req.NoPush, Image: req.Image.String(), Digest: req.digest, Warnings: warnings, Signature: req.signature}
	if req.PR != nil {
		return runPR(ctx, repo, &req, res, &o)
	}
	maxAttempts := cmp.Or(req.MaxAttempts, DefaultMaxAttempts)
	start := time.Now()
	deadline := start.Add(cmp.Or(req.RetryFor, DefaultRetryFor))
	// lost are the pushes whose answer never arrived: each may or may not
	// have landed, and the next fetch tells. A race met later does not
	// clear them: a host may make a commit after answering 502, while the
	// next attempt is under way.
	var lost lostPushes
	for attempt := 1; ; {
		res.Attempts = attempt
		began := time.Now()
		c, err := once(ctx, repo, &req, res, lost)
		answerLost := false
		switch {
		case err == nil && c == nil: // done: nothing (more) to push
			switch {
			case len(lost) > 0 && res.Pushed:
				o.logger.Info("the push whose answer was lost had landed", "branch", branch, "commit", res.Commit)
			case res.LostPushLanded:
				o.logger.Warn("a push's answer was lost and the branch now has the value: that push or another pipeline's set it", "branch", branch)
			}
			return res, nil
		case err == nil:
			var landed string
			if landed, err = publisher.Publish(ctx, c); err == nil {
				res.Commit, res.Pushed = landed, true
				return res, nil
			}
			answerLost = !errors.Is(err, gitrepo.ErrRace) && transientErr(ctx, err)
			if answerLost {
				lost = append(lost, newLostPush(publisher, c))
			}
		}
		switch {
		case !answerLost && !errors.Is(err, gitrepo.ErrRace):
			// Not a race, and not a push whose answer was lost: a
			// transient network error is retried without counting an
			// attempt, anything else ends the bump.
			if err = o.pauseTransient(ctx, err, &transient); err != nil {
				return nil, err
			}
			continue
		}
		transient = 0
		var wait time.Duration
		outOfTries := attempt >= maxAttempts
		if !outOfTries {
			wait = o.racePause(attempt, time.Since(began), time.Until(deadline))
			outOfTries = time.Now().Add(wait).After(deadline)
		}
		switch {
		case outOfTries && len(lost) > 0:
			return nil, fmt.Errorf("%w (the last push's answer was lost: run the bump again, it finds the value already set if the push landed)", err)
		case outOfTries:
			return nil, &ConflictError{Repo: res.Repo, Branch: branch, Attempts: attempt, Elapsed: time.Since(start)}
		}
		if answerLost {
			o.logger.Warn("push answer lost, checking the branch and retrying", "branch", branch, "error", err.Error(), "wait", wait)
		} else {
			o.logger.Info("branch moved, redoing the bump on the new tip", "branch", branch, "attempt", attempt, "wait", wait)
		}
		attempt++
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(wait):
		}
	}
}

// once fetches the branch tip, redoes the edit on it and returns the
// commit to push, or nil when res is final (unchanged, skipped, a dry run,
// --no-push, or the push whose answer was lost turned out to have landed).
func once(ctx context.Context, repo *gitrepo.Repo, req *Request, res *Result, lost lostPushes) (*gitrepo.Commit, error) {
	snap, err := req.fetch(ctx, repo, res.Branch)
	if err != nil {
		return nil, err
	}
	if len(lost) > 0 {
		commit, err := lost.landed(ctx, snap)
		if err != nil {
			return nil, err
		}
		if commit != "" {
			// The push landed, maybe with others' pushes on top since:
			// it is not redone, which would undo theirs.
			res.Commit, res.Outcome, res.Pushed, res.Attempts = commit, Changed, true, res.Attempts-1
			return nil, nil
		}
	}
	req.pending = nil
	if res.PRBranch != "" {
		// The pull request branch keeps every pending deployment: the
		// plan is made over them, and the guards see what it proposes.
		if req.pending, err = readPending(ctx, repo, snap, res.PRBranch, req.Committer); err != nil {
			return nil, err
		}
	}
	p, err := req.makePlan(ctx, snap)
	if err != nil {
		return nil, err
	}
	// Everything below describes this attempt only: an earlier attempt's
	// message or commit must not survive into an unchanged result.
	res.Files, res.Outcome, res.Diff = p.changes, p.outcome(), p.diff()
	res.Message, res.Commit = "", ""
	p.report(res)
	files := p.files
	if req.pending != nil {
		if files = req.pending.settle(p, res, res.PRBranch); len(files) == 0 && res.Outcome == Changed {
			res.Outcome = Unchanged // this run sets back what the base has
		}
	}
	if res.Outcome != Changed {
		res.LostPushLanded = len(lost) > 0
		return nil, nil
	}
	if req.Render != nil {
		if err := req.renderCheck(ctx, snap, cmp.Or(p.req, req), files, res); err != nil {
			return nil, err
		}
	}
	if res.Message, err = p.message(req); err == nil && len(res.RenderChecks) > 0 {
		for _, t := range renderTrailer(res.RenderChecks) {
			res.Message = withTrailer(res.Message, t.Key+": "+t.Value)
		}
	}
	if err == nil && req.pending != nil {
		res.Message = req.pending.message(res.Message)
	}
	if err == nil && req.Signoff {
		res.Message = withSignoff(res.Message, req.Author)
	}
	if err == nil && res.PRBranch != "" {
		// tagbump's mark on its pull request branch (ownCommit), last, as
		// the API branch writer puts it
		res.Message = withTrailer(res.Message, BranchTrailer+": "+res.PRBranch)
	}
	if err != nil || req.DryRun {
		return nil, err
	}
	now := time.Now()
	c, err := snap.Commit(files, res.Message, stamp(req.Author, now), stamp(req.Committer, now))
	if err != nil {
		return nil, err
	}
	if req.NoPush {
		res.Commit = c.Hash.String()
		return nil, nil
	}
	return c, nil
}

// lostPush is a commit whose publishing answer was lost: it may or may not
// have landed.
type lostPush struct {
	c *gitrepo.Commit
	// tree is c's root tree, set when the publisher has the host make
	// its own commit from c (a hostCommitter): that commit has another
	// hash, and is recognised by c's parent and tree instead.
	tree plumbing.Hash
}

// newLostPush records c, whose answer from p was lost.
func newLostPush(p Publisher, c *gitrepo.Commit) *lostPush {
	l := &lostPush{c: c}
	if _, ok := p.(hostCommitter); ok {
		l.tree = c.TreeHash()
	}
	return l
}

// is reports whether commit is the lost push as it landed: c itself, or,
// when the host made the commit, one with c's parent, only that parent, and
// c's tree: the same change made on the same tip. A rival's commit that
// made the very same change on the same tip also matches; it deploys
// exactly what c would, and only one of the two can have landed there.
func (l *lostPush) is(commit *object.Commit) bool {
	if l.tree.IsZero() {
		return commit.Hash == l.c.Hash
	}
	return len(commit.ParentHashes) == 1 && commit.ParentHashes[0] == l.c.Parent && commit.TreeHash == l.tree
}

// lostPushes are the pushes of a run whose answers were lost; at most one
// of them can have landed (each was planned on the tip its attempt read).
type lostPushes []*lostPush

// landed returns the commit in which one of the lost pushes landed when
// that is the snapshot's tip or among the newest GuardDepth commits of its
// first-parent history (the rollback guard's, fetched already unless
// --allow-rolled-back), else "". A server that cannot send history gives
// "" unless the tip is one of the pushes.
func (ls lostPushes) landed(ctx context.Context, snap *gitrepo.Snapshot) (string, error) {
	for _, l := range ls {
		if snap.Tip() == l.c.Hash {
			return l.c.Hash.String(), nil
		}
	}
	for _, l := range ls {
		if !l.tree.IsZero() {
			// The tip is in the snapshot even where history is out of reach.
			if tip, err := snap.TipCommit(); err == nil && l.is(tip) {
				return tip.Hash.String(), nil
			}
		}
	}
	log, err := snap.Log(ctx, GuardDepth)
	if errors.Is(err, gitrepo.ErrNoHistory) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	for _, c := range log {
		for _, l := range ls {
			if l.is(c) {
				return c.Hash.String(), nil
			}
		}
	}
	return "", nil
}

// stamp returns sig dated now unless it has a date.
func stamp(sig object.Signature, now time.Time) object.Signature {
	if sig.When.IsZero() {
		sig.When = now
	}
	return sig
}

// transientErr reports whether err is a network error or a busy server
// (5xx, 429) that a later try may get past. Timeouts are not: --timeout
// bounds the wait, and a stalled server tends to stay stalled.
func transientErr(ctx context.Context, err error) bool {
	return ctx.Err() == nil && errors.Is(err, gitrepo.ErrNetwork) && !errors.Is(err, context.DeadlineExceeded)
}

// pauseTransient returns nil after a backoff pause when err is transient
// and fewer than the allowed consecutive retries were made (*n counts
// them), else err.
func (o *options) pauseTransient(ctx context.Context, err error, n *int) error {
	if !transientErr(ctx, err) || *n >= o.netRetries {
		return err
	}
	*n++
	wait := networkBackoff(*n)
	if o.backoff != nil {
		wait = o.backoff(*n)
	}
	o.logger.Warn("network error, retrying", "error", err.Error(), "retry", *n, "wait", wait)
	select {
	case <-ctx.Done():
		return err
	case <-time.After(wait):
		return nil
	}
}

// resolveImage pushes or verifies the image as req asks and returns its
// digest ("" when unknown).
func resolveImage(ctx context.Context, req *Request, o *options) (string, error) {
	switch {
	case req.PushFrom != "" && req.DryRun:
		o.logger.Info("dry run: not pushing the image", "image", req.Image.String(), "from", req.PushFrom)
		if req.Signature != nil {
			o.logger.Warn("dry run: the signature of an image not pushed is not checked", "image", req.Image.String())
		}
		return req.Image.Digest, nil
	case req.PushFrom != "":
		r, err := registry.Push(ctx, req.PushFrom, req.Image, o.registry...)
		if err != nil {
			return "", err
		}
		o.logger.Info("image pushed", "image", r.Image, "written", r.Pushed)
		return r.Digest, req.checkSignature(ctx, req.Image, r.Digest, o)
	case req.Verify:
		d, err := registry.Verify(ctx, req.Image, o.registry...)
		if err != nil {
			return "", err
		}
		o.logger.Info("image verified", "image", d.Image)
		return d.Digest, req.checkSignature(ctx, req.Image, d.Digest, o)
	}
	return req.Image.Digest, req.checkSignature(ctx, req.Image, req.Image.Digest, o)
}

// checkSignature applies req.Signature to ref at digest, records the
// result and adds the Image-Signed-By and Image-Attested trailers.
func (req *Request) checkSignature(ctx context.Context, ref imageref.Ref, digest string, o *options) error {
	if req.Signature == nil {
		return nil
	}
	res, err := checkSignature(ctx, req.Signature, ref, digest, o)
	if err != nil {
		return err
	}
	if req.signature == nil {
		req.signature = res
	}
	req.Trailers = append(req.Trailers, signatureTrailers(res)...)
	return nil
}

func checkSignature(ctx context.Context, sc *SignatureCheck, ref imageref.Ref, digest string, o *options) (*attest.Result, error) {
	if digest == "" {
		return nil, &InputError{"--require-signature", ref.String(), "the image's digest is unknown: verify the image (drop --no-verify)"}
	}
	ref.Digest = digest
	res, err := attest.Verify(ctx, ref, sc.Policy, sc.RequireSignature, o.registry...)
	if err != nil {
		return nil, err
	}
	o.logger.Info("signature verified", "image", ref.String(), "format", res.Format, "identity", res.Identity, "attestations", strings.Join(res.PredicateTypes, ","))
	return res, nil
}

// signatureTrailers are the commit trailers of a verified signature.
func signatureTrailers(r *attest.Result) []Trailer {
	var out []Trailer
	if r.Identity != "" {
		out = append(out, Trailer{"Image-Signed-By", r.Identity})
	}
	for _, p := range r.PredicateTypes {
		out = append(out, Trailer{"Image-Attested", p})
	}
	return out
}
