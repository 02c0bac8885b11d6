package bump

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path"
	"slices"
	"strings"

	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/tagbump/tagbump/pkg/gitrepo"
	"github.com/tagbump/tagbump/pkg/imageref"
	edit "github.com/tagbump/tagbump/pkg/target"
	"github.com/tagbump/tagbump/pkg/values"
)

// GuardDepth is how many commits of history the rollback guard reads.
const GuardDepth = 50

// RollbackMessage is the commit subject template of a rollback.
const RollbackMessage = "revert({{.Env}}): roll back {{.Chart}} to {{.Tag}}"

// RollbackRequest asks to undo the last deployments of one chart and
// environment with a new commit on the branch tip.
type RollbackRequest struct {
	// Request names the repository, branch, chart, the one environment
	// (Envs), the values file, the commit's author and trailers, and
	// MaxAttempts, DryRun and NoPush. Its image fields are not used.
	Request
	// To is the tag every image of the undone deployments gets; empty
	// means the value each had before them.
	To string
	// Steps is how many deployments to undo (1 when 0).
	Steps int
	// Pick narrows the rollback to some images of the file: only their
	// deployments count, and only they are set back.
	Pick Pick
}

// RolledBackError reports a bump of a tag that a rollback took away from
// the environment.
type RolledBackError struct {
	Chart, Env, Tag string
	// Commit is the rollback commit.
	Commit string
}

func (e *RolledBackError) Error() string {
	return fmt.Sprintf("bump %s in %s to %s: refused: rollback %s took %s away from %s: deploy a newer tag, or pass --allow-rolled-back",
		e.Chart, e.Env, e.Tag, e.Commit, e.Tag, e.Env)
}

// GuardError reports a bump that the rollback guard could not check: the
// branch's history cannot be read from the server. It wraps the cause.
type GuardError struct{ Err error }

func (e *GuardError) Error() string {
	return fmt.Sprintf("rollback guard: cannot read the history to check for rolled-back tags: %v: use a server that serves shallow fetches, or pass --allow-rolled-back to deploy without the check", e.Err)
}

func (e *GuardError) Unwrap() error { return e.Err }

// NoHistoryError reports a rollback with fewer deployments in the values
// file's history than it needs.
type NoHistoryError struct {
	File  string
	Found int
	Steps int
}

func (e *NoHistoryError) Error() string {
	return fmt.Sprintf("roll back %s: %d deployment(s) found in its history, %d to undo: lower --steps, or name the tag with --to", e.File, e.Found, e.Steps)
}

// Rollback writes the value each image of the newest Steps deployments had
// before them (or To), as a new commit on the tip with the same
// byte-exact edit as a bump, races retried and never forced. The downgrade
// guard does not apply: a rollback is an explicit intent.
func Rollback(ctx context.Context, rr RollbackRequest, opts ...Option) (*Result, error) {
	o := newOptions(opts)
	if err := rr.validateTarget(); err != nil {
		return nil, err
	}
	if len(rr.Envs) != 1 {
		return nil, &InputError{"--env", strings.Join(rr.Envs, ","), "a rollback takes exactly one environment"}
	}
	if rr.Steps == 0 {
		rr.Steps = 1
	}
	if rr.Steps < 0 {
		return nil, &InputError{"--steps", fmt.Sprint(rr.Steps), "use 1 or more"}
	}
	if rr.To != "" {
		if err := imageref.ValidateTag(rr.To); err != nil {
			return nil, err
		}
	}
	req := rr.Request
	var first string // the newest deployment the first attempt undid
	req.planner = func(ctx context.Context, snap *gitrepo.Snapshot, req *Request) (*planned, error) {
		return rr.plan(ctx, snap, req, &first)
	}
	return run(ctx, req, o)
}

// RepositoryChangedError reports a rollback of a deployment that changed
// an image block's registry or repository: tagbump restores a string
// reference whole, but does not rewrite a block's repository keys.
type RepositoryChangedError struct {
	File, Key string
	Old, New  string // the repository before and after the deployment
}

func (e *RepositoryChangedError) Error() string {
	return fmt.Sprintf("roll back %s: refused: the deployment to undo moved %s from %s to %s, and the old tag exists only in %s; "+
		"writing the old tag alone would deploy an image that never existed: set the repository back by hand (tagbump set), or revert that commit",
		e.File, e.Key, e.Old, e.New, e.Old)
}

// DeployedMeanwhileError reports a deployment that landed while a
// rollback was retrying a lost race: undoing it too would guess.
type DeployedMeanwhileError struct {
	File, Commit string
}

func (e *DeployedMeanwhileError) Error() string {
	return fmt.Sprintf("roll back %s: the branch moved and commit %s deployed meanwhile: check the history (tagbump history) and run the rollback again", e.File, e.Commit)
}

// plan finds the deployments to undo on the snapshot and plans writing the
// values from before them.
func (rr *RollbackRequest) plan(ctx context.Context, snap *gitrepo.Snapshot, req *Request, first *string) (*planned, error) {
	env := req.Envs[0]
	file, _ := req.valuesPath(env)
	if src, err := snap.ReadFile(ctx, file); err == nil {
		if kind, ok := editsTarget(file, src); ok {
			return nil, valuesOnly(file, kind)
		}
	}
	all, deps, err := undoable(ctx, snap, file, rr.Steps, rr.Pick)
	if err != nil {
		return nil, err
	}
	if len(deps) < rr.Steps {
		return nil, &NoHistoryError{File: file, Found: len(deps), Steps: rr.Steps}
	}
	switch {
	case *first == "":
		*first = all[0].Commit
	case all[0].Commit != *first:
		return nil, &DeployedMeanwhileError{File: file, Commit: all[0].Commit}
	}
	// restore holds, per tag key, the change of the oldest undone
	// deployment that touched it: its Old is the value to write back.
	restore, newest := map[string]ImageChange{}, map[string]ImageChange{}
	var keys []string
	derived := *req
	derived.planner, derived.soft, derived.exactDigest, derived.AllowDowngrade, derived.Keys = nil, true, true, true, nil
	derived.Message, derived.more, derived.Trailers = RollbackMessage, nil, nil
	if len(rr.Pick.Places) > 0 {
		derived.places = map[string]edit.AppPlace{}
		for i, k := range rr.Pick.Keys {
			if i < len(rr.Pick.Places) {
				derived.places[k] = rr.Pick.Places[i]
			}
		}
	}
	var badTags []string
	for _, d := range deps[:rr.Steps] {
		derived.Trailers = append(derived.Trailers, Trailer{"Rolls-Back", d.Commit})
		for _, c := range d.Images {
			if _, ok := restore[c.Key]; !ok {
				keys = append(keys, c.Key)
				newest[c.Key] = c
			}
			restore[c.Key] = c
			if c.New != "" && !slices.Contains(badTags, c.New) {
				badTags = append(badTags, c.New)
			}
		}
	}
	for _, t := range badTags {
		derived.Trailers = append(derived.Trailers, Trailer{"Rolled-Back-Tag", t})
	}
	derived.Trailers = append(derived.Trailers, req.Trailers...)
	for _, k := range keys {
		// The image is restored at the key the deployments changed, and
		// only there: other blocks of the same repository keep theirs.
		c, now := restore[k], newest[k]
		e := imageEdit{ref: imageref.Ref{Registry: now.Registry, Repository: now.Repository, Tag: c.Old}, digest: c.OldDigest, keys: []string{k}}
		if old := c.oldName(); old != now.Name() {
			// An undone deployment moved the image to another
			// repository: the old tag exists only in the old one.
			if now.form != values.FormString || rr.To != "" {
				return nil, &RepositoryChangedError{File: file, Key: k, Old: old, New: now.Name()}
			}
			e.ref.Registry, e.ref.Repository = c.Registry, c.Repository
			if c.OldRepository != "" {
				e.ref.Registry, e.ref.Repository = c.OldRegistry, c.OldRepository
			}
			e.repository = true
		}
		switch {
		case rr.To != "" && (c.OldDigest != "" || c.NewDigest != ""):
			return nil, &InputError{"--to-tag", rr.To, fmt.Sprintf("%s %s has a digest, which --to-tag cannot know: roll back with --steps, or bump the tag with --digest", file, c.Key)}
		case rr.To != "":
			e.ref.Tag = rr.To
		case c.Old == "":
			return nil, &NoHistoryError{File: file, Found: rr.Steps - 1, Steps: rr.Steps}
		}
		derived.more = append(derived.more, e)
	}
	derived.Image, derived.digest = derived.more[0].ref, derived.more[0].digest
	p, err := plan(ctx, snap, &derived)
	if err != nil {
		return nil, err
	}
	p.req, p.images = &derived, derived.imageNames()
	return p, nil
}

// undoable returns the newest deployments of file (all) and, of those, the
// newest n a rollback may undo: rollbacks and the deployments they undid
// are skipped, so a second rollback goes further back instead of
// redeploying what the first took away.
func undoable(ctx context.Context, snap *gitrepo.Snapshot, file string, n int, pick Pick) (all, out []Deployment, err error) {
	for want := n + 4; ; want *= 4 {
		all, err = deployments(ctx, snap, file, want, pick)
		if err != nil {
			return nil, nil, err
		}
		out = out[:0]
		undone := map[string]bool{}
		for _, d := range all {
			switch {
			case d.Kind == KindRollback:
				for _, c := range d.RollsBack {
					undone[c] = true
				}
			case undone[d.Commit]:
			case len(out) > 0 && out[len(out)-1].Commit == d.Commit:
				// Another deploy of the same commit (a merged pull
				// request): one step undoes the commit, all of it.
				last := &out[len(out)-1]
				last.Images = append(slices.Clone(last.Images), d.Images...)
			case len(out) == n:
				return all, out, nil
			default:
				out = append(out, d)
			}
		}
		if len(all) < want || len(out) == n {
			return all, out, nil // the whole history was read, or enough
		}
	}
}

// rollbackGuard refuses a bump that would deploy again a tag which a
// rollback in the last GuardDepth commits took away from a key the bump
// changes. A rollback is known by what it did, as the rollback wrote it:
// the values file and key of its change lines ("- FILE KEY: old → new")
// and its Rolled-Back-Tag trailers, whether or not the layout has a chart;
// in a commit of several deployments, only the rollback's own change lines.
// Commits only are read for that (no trees, no blobs). When the window
// holds a commit that is not tagbump's (made by hand, or a merge the host
// wrote its own message for), the changed files' histories are read too,
// and a commit that moved a key back to an earlier tag counts as the
// rollback it is. The guard never turns itself off: history that cannot
// be read at all (a server without shallow fetches) fails the bump with a
// *GuardError; --allow-rolled-back (AllowRolledBack) skips the guard.
func (r *Request) rollbackGuard(ctx context.Context, snap *gitrepo.Snapshot, p *planned) error {
	commits, err := snap.Log(ctx, GuardDepth)
	if errors.Is(err, gitrepo.ErrNoHistory) {
		return &GuardError{Err: err}
	}
	if err != nil {
		return err
	}
	if r.pending != nil && r.pending.commit != nil {
		// A rollback still pending on the pull request branch took its
		// tags away too.
		commits = append([]*object.Commit{r.pending.commit}, commits...)
	}
	tags := map[string]bool{r.Image.Tag: true}
	for _, e := range r.more {
		tags[e.ref.Tag] = true
	}
	type fileKey struct{ file, key string }
	set := map[fileKey]string{} // the planned changes, with their env
	var files []string
	for _, c := range p.changes {
		if _, changed := p.files[c.File]; !changed || c.Skipped != "" {
			continue
		}
		set[fileKey{c.File, c.Key}] = c.Env
		if !slices.Contains(files, c.File) {
			files = append(files, c.File)
		}
	}
	foreign := false
	for _, c := range commits {
		lines := changeLines(c.Message)
		if len(lines) == 0 && len(c.ParentHashes) > 0 {
			foreign = true // a root commit undoes nothing
		}
		deploys, _ := parseDeploys(c.Message)
		for _, d := range deploys {
			if !slices.ContainsFunc(d.trailers, func(t Trailer) bool { return t.Key == "Rolls-Back" }) {
				continue
			}
			for _, l := range d.changes {
				env, ok := set[fileKey{l.File, l.Key}]
				if !ok {
					continue
				}
				for _, t := range d.trailers {
					if t.Key == "Rolled-Back-Tag" && tags[t.Value] {
						return &RolledBackError{Chart: r.chartName(), Env: env, Tag: t.Value, Commit: c.Hash.String()}
					}
				}
			}
		}
	}
	if !foreign {
		return nil
	}
	hist, err := recentDeployments(ctx, snap, files, GuardDepth)
	if errors.Is(err, gitrepo.ErrNoHistory) {
		return &GuardError{Err: err}
	}
	if err != nil {
		return err
	}
	for _, file := range files {
		for _, d := range hist[file] {
			if d.Kind != KindRollback {
				continue
			}
			for _, c := range d.Images {
				env, ok := set[fileKey{file, c.Key}]
				if !ok {
					continue
				}
				for _, t := range d.RolledBackTags {
					if tags[t] {
						return &RolledBackError{Chart: r.chartName(), Env: env, Tag: t, Commit: d.Commit}
					}
				}
			}
		}
	}
	return nil
}

// chartName names the chart in messages: the chart, or the image's
// repository where the layout has none (as the commit subject does).
func (r *Request) chartName() string {
	if r.Chart != "" || r.Image.Repository == "" {
		return cmp.Or(r.Chart, "image")
	}
	return path.Base(r.Image.Repository)
}

// changeLines returns the values of a commit message's change lines.
func changeLines(msg string) []FileChange {
	var out []FileChange
	for _, line := range strings.Split(msg, "\n") {
		if c, ok := parseChangeLine(line); ok {
			out = append(out, c)
		}
	}
	return out
}

// newOptions applies opts over the defaults.
func newOptions(opts []Option) options {
	o := options{logger: slog.New(slog.DiscardHandler), netRetries: DefaultNetworkRetries}
	for _, f := range opts {
		f(&o)
	}
	return o
}
