package bump

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"
	"text/template"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/tagbump/tagbump/pkg/forge"
	"github.com/tagbump/tagbump/pkg/gitrepo"
	"github.com/tagbump/tagbump/pkg/markdown"
)

// DefaultPRBranch is the template of tagbump's own branch when
// PRRequest.Branch is empty; several environments are joined with "+".
const DefaultPRBranch = "tagbump/{chart}-{env}"

// PR actions, reported in PRResult.Action.
const (
	PRCreated   = "created"
	PRUpdated   = "updated"
	PRUnchanged = "unchanged"
	PRClosed    = "closed"
)

// PRRequest asks for the bump's commit to arrive through a pull request
// instead of a direct push.
type PRRequest struct {
	// Forge is the host's API for the repository.
	Forge forge.Forge
	// Branch is the template of the PR branch, with {chart}, {env} and
	// {image} (the last path element of the image's repository, for a
	// pull request per image); DefaultPRBranch when empty.
	Branch string
	// Title and Body are text/templates over Chart, Env, Image, Tag,
	// OldTag, Digest, Subject, Table (the changes as a markdown table),
	// RunURL and Branch; the commit subject and a table of the changes
	// when empty. A hidden marker that identifies tagbump's PRs is always
	// appended to the body.
	Title, Body string
	Labels      []string
	Reviewers   []string
	Assignees   []string
	Draft       bool
	// AutoMerge is "", or the merge method (forge.MergeCommit, Squash,
	// Rebase) of the host's native auto-merge.
	AutoMerge string
	// Overwrite replaces the PR branch even when someone else's commit is
	// on it.
	Overwrite bool
	// RunURL links the CI run in the default body.
	RunURL string
}

// PRResult is what happened to the pull request; it is part of Result.
type PRResult struct {
	PRBranch string `json:"pr_branch,omitempty"`
	PRURL    string `json:"pr_url,omitempty"`
	PRNumber int    `json:"pr_number,omitempty"`
	// PRAction is created, updated, unchanged or closed.
	PRAction string `json:"pr_action,omitempty"`
}

// BranchTakenError reports a PR branch whose tip is not tagbump's commit:
// a human pushed to it. Overwrite (--pr-overwrite) replaces it anyway.
type BranchTakenError struct {
	Branch, Commit, Author string
}

func (e *BranchTakenError) Error() string {
	return fmt.Sprintf("pull request branch %s: its tip %s is a commit by %s, not tagbump's: merge or move that work, or pass --pr-overwrite to replace it", e.Branch, e.Commit, e.Author)
}

// prBranch expands the PR branch template.
func (r *Request) prBranch() (string, error) {
	tmpl := cmp.Or(r.PR.Branch, DefaultPRBranch)
	if r.Chart == "" {
		// No chart (a values file template without {chart}): tagbump/{env}.
		tmpl = strings.NewReplacer("{chart}-", "", "{chart}", "").Replace(tmpl)
	}
	var image string
	if strings.Contains(tmpl, "{image}") {
		switch {
		case len(r.more) > 1 || len(r.Images) > 0:
			return "", &InputError{"--pr-branch", tmpl, "{image} names one image, and this sets several: run one bump per image, or drop {image} to share one pull request"}
		case r.Image.Repository == "":
			return "", &InputError{"--pr-branch", tmpl, "{image} needs the image: it is for bump --pr (--image); drop it here"}
		}
		image = path.Base(r.Image.Repository)
	}
	b := strings.NewReplacer("{chart}", r.Chart, "{env}", strings.Join(r.Envs, "+"), "{image}", image).Replace(tmpl)
	var bad *gitrepo.NameError
	if errors.As(gitrepo.CheckBranch(b), &bad) {
		return "", &InputError{"--pr-branch", b, bad.Reason}
	}
	return b, nil
}

func (p *PRRequest) validate() error {
	if p.Forge == nil {
		return &InputError{"--pr", "", "no host API for the repository"}
	}
	switch p.AutoMerge {
	case "", forge.MergeCommit, forge.Squash, forge.Rebase:
	default:
		return &InputError{"--merge-method", p.AutoMerge, "use merge, squash or rebase"}
	}
	for _, t := range []struct{ field, tmpl string }{{"--pr-title", p.Title}, {"--pr-body", p.Body}} {
		if _, err := template.New(t.field).Option("missingkey=error").Parse(t.tmpl); err != nil {
			return &InputError{t.field, t.tmpl, err.Error()}
		}
	}
	return p.Forge.Check(forge.Content{Labels: p.Labels, Reviewers: p.Reviewers, Assignees: p.Assignees, Draft: p.Draft}, p.AutoMerge)
}

// runPR is Run's loop for a PR: the commit is made on the base branch's
// tip, as for a push, but goes to the PR branch.
func runPR(ctx context.Context, repo *gitrepo.Repo, req *Request, res *Result, o *options) (*Result, error) {
	head, err := req.prBranch()
	if err != nil {
		return nil, err
	}
	if head == res.Branch {
		return nil, &InputError{"--pr-branch", head, "must differ from the base branch"}
	}
	if err := req.PR.validate(); err != nil {
		return nil, err
	}
	res.PRBranch = head
	maxAttempts := cmp.Or(req.MaxAttempts, DefaultMaxAttempts)
	var transient, conflicts int
	for attempt := 1; ; {
		res.Attempts = attempt
		began := time.Now()
		c, err := once(ctx, repo, req, res, nil)
		switch {
		case err == nil && c == nil && res.Outcome == Unchanged && !req.DryRun && !req.NoPush && !req.pending.holds():
			var pr *PRResult
			pr, err = Withdraw(ctx, req.PR.Forge, head, res.Branch, fmt.Sprintf(
				"tagbump: closing this pull request: %s already has %s for %s in %s, so there is nothing left to merge.",
				markdown.Text(res.Branch), markdown.Text(cmp.Or(req.Image.Tag, strings.Join(req.imagesSet(res), ", "))),
				markdown.Text(cmp.Or(req.Chart, req.Image.Repository)), markdown.Text(strings.Join(req.Envs, ", "))))
			if err == nil && pr.PRAction == PRClosed {
				err = req.closedRead(ctx, repo, head)
			}
			if err == nil {
				res.PRResult = *pr
				return res, nil
			}
		case err == nil && c == nil && req.pending.holds() && !req.DryRun && !req.NoPush:
			// The branch already proposes this run's value, or a newer
			// one: name the pull request that holds it.
			res.Commit = req.pending.tip.String() // the PR branch's, as Result says
			done := res.PRAction                  // set when an earlier attempt pushed
			var open *forge.PR
			open, err = pendingPR(ctx, req.PR.Forge, head, res)
			if res.Pushed && done != "" {
				res.PRAction = done
			}
			switch {
			case err == nil && res.PRNumber == 0:
				// No open pull request from the branch: a run pushed it
				// and stopped before opening one. Open it now.
				err = req.openPending(ctx, head, res)
			case err == nil && open != nil && req.PR.AutoMerge != "" && req.pending.commit != nil && !strings.Contains(open.Body, marker(head)):
				// Someone opened this pull request from tagbump's branch
				// themselves: theirs to merge, never scheduled by a run.
				o.logger.Warn("auto-merge not requested: the pull request from the branch was not opened by tagbump", "pr", open.Number, "branch", head)
			case err == nil && open != nil && req.PR.AutoMerge != "" && req.pending.commit != nil:
				// A run that opened it may have had auto-merge refused
				// (or stopped before asking): ask for it again, as the
				// hosts keep one request per pull request. A person who
				// disabled it meanwhile gets it back: a run with
				// --auto-merge asks for it (docs/guides/pull-requests.md).
				if err = req.PR.Forge.AutoMerge(ctx, open, forge.Merge{Method: req.PR.AutoMerge, Message: req.pending.commit.Message}); err != nil {
					err = &AutoMergeError{Err: err}
				}
			}
			if err == nil {
				return res, nil
			}
		case err == nil && c == nil:
			return res, nil
		case err == nil:
			var content forge.Content
			if content, err = req.prContent(res, head); err != nil {
				return nil, err
			}
			var pr *Proposed
			writer, _ := o.publisher.(BranchWriter) // nil: a git push
			pr, err = Propose(ctx, repo, c, Proposal{
				Forge: req.PR.Forge, Head: head, Content: content, AutoMerge: req.PR.AutoMerge,
				Overwrite: req.PR.Overwrite, Committer: req.Committer, Writer: writer,
				Read: &req.pending.tip,
			})
			if err == nil {
				res.PRResult = pr.PRResult
				res.Commit, res.Pushed = pr.Commit, pr.Pushed
				if pr.Persons {
					o.logger.Warn("the pull request from the branch was not opened by tagbump: its title and body are kept and no auto-merge is asked for", "pr", pr.PRNumber, "branch", head)
				}
				if pr.Pushed && !pr.Persons {
					// Another run may have added to the branch since:
					// the title and body then list its deploys too.
					err = req.syncContent(ctx, repo, res, head, pr.Commit)
				}
				if err == nil {
					return res, nil
				}
			}
		}
		// An error from the host after the push is read again as the
		// rest: the next attempt finds the branch holding this run's
		// value and only names its pull request. Not auto-merge's: that
		// attempt would not enable it.
		if am := (*AutoMergeError)(nil); errors.As(err, &am) {
			return nil, err
		}
		if errors.Is(err, forge.ErrConflict) && conflicts < maxHostConflicts {
			// The host refused for the state of the pull request, which
			// another run changed meanwhile (Gitea: "the issue is
			// already changed"): read it again, as after a race.
			conflicts++
			err = fmt.Errorf("%w: %w", gitrepo.ErrRace, err)
		}
		if !errors.Is(err, gitrepo.ErrRace) {
			if err = o.pauseTransient(ctx, err, &transient); err != nil {
				return nil, err
			}
			continue
		}
		if attempt >= maxAttempts {
			return nil, &ConflictError{Repo: res.Repo, Branch: head, Attempts: attempt}
		}
		transient = 0
		wait := o.racePause(attempt, time.Since(began), maxRaceWindow)
		o.logger.Info("a branch moved, redoing the bump", "branch", head, "attempt", attempt, "wait", wait)
		attempt++
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(wait):
		}
	}
}

// closedRead is the lease of a withdrawal: the pull request was closed
// for the branch as this run read it. When another run pushed a deploy to
// the branch meanwhile, the close took that deploy's pull request away: a
// race, and the next attempt finds the deploy pending with no pull request
// open and opens one.
func (r *Request) closedRead(ctx context.Context, repo *gitrepo.Repo, head string) error {
	var read plumbing.Hash
	if r.pending != nil {
		read = r.pending.tip
	}
	tip, err := branchTip(ctx, repo, head)
	if err == nil && !tip.IsZero() && tip != read { // deleted after the close: nothing pending
		err = fmt.Errorf("%w: pull request branch %s moved while its pull request was closed", gitrepo.ErrRace, head)
	}
	return err
}

// Proposal is a commit to propose through a pull request.
type Proposal struct {
	Forge forge.Forge
	// Head is tagbump's PR branch; the base is the commit's branch.
	Head    string
	Content forge.Content
	// AutoMerge is "" or the merge method of the host's auto-merge.
	AutoMerge string
	// Overwrite replaces Head even when its tip is not tagbump's commit.
	Overwrite bool
	// Committer identifies tagbump's own commits on Head, with the
	// BranchTrailer naming Head (see ownCommit).
	Committer object.Signature
	// Writer writes Head; nil pushes the commit with git.
	Writer BranchWriter
	// Read, when set, is Head's tip that the commit's pending edits were
	// read from (zero: no branch): Head at another tip is a race (an
	// error wrapping gitrepo.ErrRace), so an edit pushed meanwhile is
	// read again instead of lost.
	Read *plumbing.Hash
}

// BranchWriter writes tagbump's pull request branch.
type BranchWriter interface {
	// WriteBranch sets branch, read through repo, to a commit with c's
	// change on c.Parent, provided branch is still at old (zero: absent):
	// a lease on old, as git push --force-with-lease, never a plain force.
	// It returns the hash of the commit now at branch's tip. A branch that
	// moved gives an error wrapping gitrepo.ErrRace; one wrapping
	// gitrepo.ErrNetwork means the answer was lost.
	WriteBranch(ctx context.Context, repo *gitrepo.Repo, c *gitrepo.Commit, branch string, old plumbing.Hash) (string, error)
}

// gitWriter is the default BranchWriter: a git push of the commit.
type gitWriter struct{}

func (w gitWriter) WriteBranch(ctx context.Context, repo *gitrepo.Repo, c *gitrepo.Commit, branch string, old plumbing.Hash) (string, error) {
	if err := repo.PushBranch(ctx, c, branch, old); err != nil {
		return "", err
	}
	return c.Hash.String(), nil
}

// Proposed is what Propose did.
type Proposed struct {
	PRResult
	// Commit is the PR branch's commit: the one pushed, or the equal one
	// already there.
	Commit string
	// Pushed reports that the PR branch was written.
	Pushed bool
	// Persons reports an open pull request from the branch that a
	// person opened (no tagbump marker): its title and body were kept
	// and no auto-merge was asked for; the branch still got the commit.
	Persons bool
}

// Propose puts c, a commit made on the tip of its branch (the base), on
// p.Head and opens a pull request from there to the base, or updates the
// open one. An earlier commit of tagbump's on p.Head is replaced, checked
// against the tip that was read (an error wrapping gitrepo.ErrRace when
// it moved: fetch and redo); anyone else's commit there is refused with a
// *BranchTakenError unless p.Overwrite. When p.Head already holds the same
// change on the same base tip nothing is written. p.Writer writes p.Head
// (a git push by default). promote and rollback use it as bump does.
func Propose(ctx context.Context, repo *gitrepo.Repo, c *gitrepo.Commit, p Proposal) (*Proposed, error) {
	out := &Proposed{PRResult: PRResult{PRBranch: p.Head}, Commit: c.Hash.String()}
	w := p.Writer
	if w == nil {
		w = gitWriter{}
	}
	old := plumbing.ZeroHash
	push := true
	snap, err := repo.Fetch(ctx, p.Head)
	switch {
	case errors.Is(err, gitrepo.ErrNotFound):
		if p.Read != nil && !p.Read.IsZero() {
			return nil, fmt.Errorf("pull request branch %s: %w: it was deleted after it was read", p.Head, gitrepo.ErrRace)
		}
	case err != nil:
		return nil, err
	case p.Read != nil && snap.Tip() != *p.Read:
		return nil, fmt.Errorf("pull request branch %s: %w: it moved after it was read", p.Head, gitrepo.ErrRace)
	default:
		old = snap.Tip()
		tip, err := snap.TipCommit()
		if err != nil {
			return nil, err
		}
		// tagbump's commit, pushed with git or made by the host through
		// its API (either mode may have written the branch before)
		own := ownCommit(tip, p.Committer, p.Head) || apiOwnCommit(tip, p.Head)
		if !p.Overwrite && !own {
			return nil, &BranchTakenError{Branch: p.Head, Commit: old.String(), Author: tip.Author.Name + " <" + tip.Author.Email + ">"}
		}
		if len(tip.ParentHashes) == 1 && tip.ParentHashes[0] == c.Parent && tip.TreeHash == c.TreeHash() {
			push, out.Commit = false, old.String()
		}
	}
	if push {
		if out.Commit, err = w.WriteBranch(ctx, repo, c, p.Head, old); err != nil {
			return nil, err
		}
		out.Pushed = true
	}
	f := p.Forge
	pr, err := f.FindOpen(ctx, p.Head, c.Branch)
	if err != nil {
		return nil, err
	}
	switch {
	case pr == nil:
		out.PRAction = PRCreated
		pr, err = f.Create(ctx, p.Head, c.Branch, p.Content)
		if errors.Is(err, forge.ErrConflict) {
			// Another pipeline opened it meanwhile (GitHub 422, GitLab
			// 409, Azure TF401179): update that one.
			found, ferr := f.FindOpen(ctx, p.Head, c.Branch)
			switch {
			case ferr != nil || found == nil:
			case !strings.Contains(found.Body, marker(p.Head)):
				out.Persons, out.PRAction, pr, err = true, PRUpdated, found, nil
			default:
				out.PRAction = PRUpdated
				pr, err = f.Update(ctx, found, p.Content)
			}
		}
	case !strings.Contains(pr.Body, marker(p.Head)):
		// A person opened it from tagbump's branch: their title, body
		// and merge stay theirs.
		out.Persons = true
		out.PRAction = PRUnchanged
		if out.Pushed {
			out.PRAction = PRUpdated
		}
	case forge.Needs(pr, p.Content):
		out.PRAction = PRUpdated
		pr, err = f.Update(ctx, pr, p.Content)
	case out.Pushed:
		out.PRAction = PRUpdated
	default:
		out.PRAction = PRUnchanged
	}
	if pr != nil {
		out.PRURL, out.PRNumber = pr.URL, pr.Number
	}
	if err != nil {
		return nil, err
	}
	if p.AutoMerge != "" && out.PRAction != PRUnchanged && !out.Persons {
		// The merge or squash commit carries tagbump's commit message, so
		// the base reads as after a direct push.
		if err := f.AutoMerge(ctx, pr, forge.Merge{Method: p.AutoMerge, Message: c.Message}); err != nil {
			return nil, &AutoMergeError{Err: err}
		}
	}
	return out, nil
}

// ownCommit reports whether c, the tip of the pull request branch head, is
// tagbump's: one parent, the committer tagbump commits as (--committer),
// and the BranchTrailer naming head, which tagbump writes on every commit
// for a pull request branch. Neither is enough alone: the committer is
// whatever identity a pipeline gives tagbump, which someone may commit as
// too, and a developer's amend or cherry-pick of tagbump's commit keeps the
// trailer (but makes them the committer).
func ownCommit(c *object.Commit, committer object.Signature, head string) bool {
	return len(c.ParentHashes) == 1 && c.Committer.Name == committer.Name && c.Committer.Email == committer.Email &&
		slices.Contains(trailers(c.Message), Trailer{BranchTrailer, head})
}

// Withdraw closes the open pull request from head to base with comment,
// when it is tagbump's (its body has the marker): the base already has
// what it proposed. The action is closed, or unchanged when there was
// nothing to close.
func Withdraw(ctx context.Context, f forge.Forge, head, base, comment string) (*PRResult, error) {
	out := &PRResult{PRBranch: head, PRAction: PRUnchanged}
	pr, err := f.FindOpen(ctx, head, base)
	if err != nil || pr == nil || !strings.Contains(pr.Body, marker(head)) {
		return out, err
	}
	if err := f.Close(ctx, pr, comment); err != nil {
		return nil, err
	}
	out.PRURL, out.PRNumber, out.PRAction = pr.URL, pr.Number, PRClosed
	return out, nil
}

// imagesSet names the images a result sets: a rollback or promote, or a
// bump of several images, has them in the Result, not in Request.Image.
func (r *Request) imagesSet(res *Result) []string {
	if len(res.Images) > 0 {
		return res.Images
	}
	return []string{r.Image.String()}
}

// marker is the hidden line that identifies tagbump's PR for head.
// A '>' in head (--pr-branch may hold one) is written as "&gt;", so that
// "-->" in it cannot end the comment.
func marker(head string) string {
	return "<!-- tagbump:pr branch=" + strings.ReplaceAll(head, ">", "&gt;") + " -->"
}

// openPending opens the pull request from head, whose branch holds
// pending deployments but has none open, with auto-merge as asked.
func (r *Request) openPending(ctx context.Context, head string, res *Result) error {
	// The branch's commit says what it proposes: its subject names the
	// pull request, as when a run opens it after its push.
	view := *res
	if r.pending.commit != nil {
		view.Message = r.pending.commit.Message
	}
	content, err := r.prContent(&view, head)
	if err != nil {
		return err
	}
	f := r.PR.Forge
	pr, err := f.Create(ctx, head, res.Branch, content)
	if err != nil {
		return err
	}
	res.PRURL, res.PRNumber, res.PRAction = pr.URL, pr.Number, PRCreated
	if r.PR.AutoMerge != "" && r.pending.commit != nil {
		if err := f.AutoMerge(ctx, pr, forge.Merge{Method: r.PR.AutoMerge, Message: r.pending.commit.Message}); err != nil {
			return &AutoMergeError{Err: err}
		}
	}
	return nil
}

// AutoMergeError is the host's refusal to enable auto-merge on the pull
// request this run opened or updated. It ends the run: an attempt again
// would find the branch holding the deploy and report success with no
// auto-merge.
type AutoMergeError struct{ Err error }

func (e *AutoMergeError) Error() string { return "enable auto-merge: " + e.Err.Error() }
func (e *AutoMergeError) Unwrap() error { return e.Err }

// maxHostConflicts bounds how often a run reads the pull request again
// after the host refused a change for its state: a refusal that persists
// is not a race.
const maxHostConflicts = 3

// prContent renders the PR's title and body.
func (r *Request) prContent(res *Result, head string) (forge.Content, error) {
	subject, _, _ := strings.Cut(res.Message, "\n")
	var oldTag string
	var table strings.Builder
	table.WriteString("| File | Key | Old | New |\n| --- | --- | --- | --- |\n")
	for _, c := range res.Files {
		if c.Skipped != "" {
			continue
		}
		if oldTag == "" {
			oldTag = c.Old
		}
		fmt.Fprintf(&table, "| %s | %s | %s | %s |\n", markdown.Code(c.File), markdown.Code(c.Key), markdown.Code(display(c.Old)), markdown.Code(c.New))
	}
	for _, c := range res.Pending { // earlier runs' deployments, still pending here
		fmt.Fprintf(&table, "| %s | %s | %s | %s |\n", markdown.Code(c.File), markdown.Code(c.Key), markdown.Code(display(c.Old)), markdown.Code(c.New))
	}
	// Every value comes from a file, a flag or the environment (a values
	// file may hold any old tag): the templates get them escaped, as
	// markdown text for the body and one plain line for the title.
	data := map[string]string{
		"Chart": r.Chart, "Env": strings.Join(r.Envs, ","), "Image": r.Image.String(), "Tag": r.Image.Tag,
		"OldTag": oldTag, "Digest": r.digest, "Subject": subject, "RunURL": r.PR.RunURL, "Branch": head,
	}
	titleData := map[string]string{"Table": markdown.Line(table.String())}
	bodyData := map[string]string{"Table": table.String()}
	for k, v := range data {
		titleData[k], bodyData[k] = markdown.Line(v), markdown.Text(v)
	}
	title, err := renderTemplate("--pr-title", r.PR.Title, titleData)
	if err != nil {
		return forge.Content{}, err
	}
	title = cmp.Or(strings.TrimSpace(title), markdown.Line(subject))
	body, err := renderTemplate("--pr-body", r.PR.Body, bodyData)
	if err != nil {
		return forge.Content{}, err
	}
	if strings.TrimSpace(body) == "" {
		var b strings.Builder
		var images []string
		for _, im := range r.imagesSet(res) {
			images = append(images, markdown.Code(im))
		}
		fmt.Fprintf(&b, "Sets **%s** to %s in %s.\n\n%s", markdown.Text(cmp.Or(r.Chart, r.Image.Repository)), strings.Join(images, ", "), markdown.Text(strings.Join(r.Envs, ", ")), table.String())
		if r.digest != "" {
			fmt.Fprintf(&b, "\nImage digest: %s\n", markdown.Code(r.digest))
		}
		if r.PR.RunURL != "" {
			fmt.Fprintf(&b, "\nCI run: %s\n", markdown.URL(r.PR.RunURL))
		}
		body = b.String()
	}
	for _, w := range res.Warnings {
		if strings.HasPrefix(w, pendingDropped) {
			body = strings.TrimRight(body, "\n") + "\n\n**Warning:** " + markdown.Text(w)
		}
	}
	for _, p := range res.RenderChecks {
		var b strings.Builder
		what := map[string]string{"helm": "chart", "kustomize": "kustomization", "manifests": "manifests in"}[p.Tool]
		if p.App != "" {
			what = "Application " + markdown.Code(p.App) + ", " + what
		}
		fmt.Fprintf(&b, "**Render check** (%s, %s %s): the commit changes these containers' images and nothing else:\n",
			markdown.Text(strings.TrimSpace(p.Tool+" "+p.Version)), what, markdown.Code(p.Chart))
		for _, c := range p.Containers {
			fmt.Fprintf(&b, "- %s %s, container %s: %s → %s\n", markdown.Text(c.Kind), markdown.Code(c.Name), markdown.Code(c.Container), markdown.Code(c.Old), markdown.Code(c.New))
		}
		body = strings.TrimRight(body, "\n") + "\n\n" + b.String()
	}
	body = strings.TrimRight(body, "\n") + "\n\n" + marker(head) + "\n"
	return forge.Content{
		Title: title, Body: body, Labels: r.PR.Labels, Reviewers: r.PR.Reviewers,
		Assignees: r.PR.Assignees, Draft: r.PR.Draft,
	}, nil
}

func renderTemplate(field, tmpl string, data map[string]string) (string, error) {
	if tmpl == "" {
		return "", nil
	}
	t, err := template.New(field).Option("missingkey=error").Parse(tmpl)
	if err != nil {
		return "", &InputError{field, tmpl, err.Error()}
	}
	var b strings.Builder
	if err := t.Execute(&b, data); err != nil {
		return "", &InputError{field, tmpl, err.Error()}
	}
	return b.String(), nil
}
