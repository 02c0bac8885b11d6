package bump

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/tagbump/tagbump/pkg/forge"
	"github.com/tagbump/tagbump/pkg/gitrepo"
	"github.com/tagbump/tagbump/pkg/values"
)

// pendingDeploy is one deployment waiting on tagbump's pull request
// branch: its commit subject and the values it sets.
type pendingDeploy struct {
	subject string
	// changes hold, per value, the base's value (Old) and the one the
	// branch proposes (New).
	changes []FileChange
	// trailers are the deployment's own (see scoped): a rollback's
	// or a promote's, which say nothing of the other deployments.
	trailers []Trailer
}

// pending is what tagbump's pull request branch proposes beyond the base:
// the deployments of earlier runs that the base does not have yet, each
// replayed onto the base's current tip.
type pending struct {
	// tip is the branch's tip when it was read (zero: no branch); the
	// update is leased on it.
	tip plumbing.Hash
	// commit is the tip when it is tagbump's commit, else nil: then
	// nothing on the branch is pending.
	commit  *object.Commit
	deploys []pendingDeploy
	// files are the base's files with the pending edits, base the
	// base's own content of every file a pending edit touched.
	files, base map[string][]byte
	// trailers are the tip's trailers but tagbump's branch mark and
	// sign-offs: the trailers of the pending deployments.
	trailers []Trailer
	// dropped says which pending edits no longer apply.
	dropped []string
}

// holds reports whether a deployment is pending on the branch.
func (pd *pending) holds() bool { return pd != nil && len(pd.deploys) > 0 }

// readPending reads the pull request branch head and replays the
// deployments its tip (when tagbump's own) proposes onto base: an edit the
// base already has is dropped, and one whose key the base no longer has is
// dropped with a warning. The value each edit writes is the one the
// branch's file holds, set with the same byte-exact editor.
func readPending(ctx context.Context, repo *gitrepo.Repo, base *gitrepo.Snapshot, head string, committer object.Signature) (*pending, error) {
	pd := &pending{files: map[string][]byte{}, base: map[string][]byte{}}
	snap, err := repo.Fetch(ctx, head)
	if errors.Is(err, gitrepo.ErrNotFound) {
		return pd, nil
	}
	if err != nil {
		return nil, err
	}
	pd.tip = snap.Tip()
	tip, err := snap.TipCommit()
	if err != nil {
		return nil, err
	}
	if !ownCommit(tip, committer, head) && !apiOwnCommit(tip, head) {
		return pd, nil // Propose refuses or, with --pr-overwrite, replaces it
	}
	pd.commit = tip
	for _, t := range trailers(tip.Message) {
		if t.Key != BranchTrailer && t.Key != "Signed-off-by" && !scoped(t) && !slices.Contains(pd.trailers, t) {
			pd.trailers = append(pd.trailers, t)
		}
	}
	deploys, unread := parseDeploys(tip.Message)
	for _, l := range unread {
		pd.dropped = append(pd.dropped, fmt.Sprintf(pendingDropped+"%q: tagbump cannot read this change line back", l))
	}
	for _, d := range deploys {
		kept := pendingDeploy{subject: d.subject, trailers: d.trailers}
		for _, c := range d.changes {
			drop := func(why string) {
				pd.dropped = append(pd.dropped, fmt.Sprintf(pendingDropped+"%s %s → %s (%s): %s", c.File, c.Key, c.New, d.subject, why))
			}
			branchSrc, err := snap.ReadFile(ctx, c.File)
			if errors.Is(err, fs.ErrNotExist) {
				drop("the pull request branch has no such file")
				continue
			}
			if err != nil {
				return nil, err
			}
			want, err := values.Get(branchSrc, c.Key)
			if err != nil {
				drop("the pull request branch has no such key")
				continue
			}
			src, ok := pd.files[c.File]
			if !ok {
				if src, ok = pd.base[c.File]; !ok {
					src, err = base.ReadFile(ctx, c.File)
					if errors.Is(err, fs.ErrNotExist) {
						drop("the base branch no longer has the file")
						continue
					}
					if err != nil {
						return nil, err
					}
					pd.base[c.File] = src
				}
			}
			now, err := values.Get(src, c.Key)
			if err != nil {
				drop("the base branch no longer has the key")
				continue
			}
			if now == want {
				continue // the base has it: merged, or deployed directly
			}
			if display(now) != c.Old {
				// The base moved this value since the deploy was
				// proposed (a direct deploy, a rollback, another
				// repository): replaying it would undo that.
				drop(fmt.Sprintf("the base branch changed it since, from %s to %s", c.Old, display(now)))
				continue
			}
			out, _, err := values.SetShared(src, c.Key, want)
			if err != nil {
				drop(err.Error())
				continue
			}
			pd.files[c.File] = out
			kept.changes = append(kept.changes, FileChange{File: c.File, Key: c.Key, Old: now, New: want})
		}
		if len(kept.changes) > 0 {
			pd.deploys = append(pd.deploys, kept)
		}
	}
	return pd, nil
}

// pendingDropped starts the warning about a pending edit that no longer
// applies; the pull request body shows it.
const pendingDropped = "pending change dropped: "

// changeLineRE is a change line: "- FILE KEY: old → new". A key starts
// with a dot; where it ends is found by keyEnd.
var changeLineRE = regexp.MustCompile(`^- (.+?) (\..*) → (.*)$`)

// parseChangeLine reads one change line.
func parseChangeLine(l string) (FileChange, bool) {
	m := changeLineRE.FindStringSubmatch(strings.TrimRight(l, "\r"))
	if m == nil {
		return FileChange{}, false
	}
	end := keyEnd(m[2])
	if end < 0 {
		return FileChange{}, false
	}
	return FileChange{File: m[1], Key: m[2][:end], Old: m[2][end+2:], New: m[3]}, true
}

// keyEnd is where the key at the start of s ends: at the first ": "
// outside a quoted part (.["a: b"]), or -1.
func keyEnd(s string) int {
	var quote byte
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case quote != 0 && c == '\\' && quote == '"':
			i++ // an escaped character inside double quotes
		case quote != 0 && c == quote:
			quote = 0
		case quote != 0:
		case c == '"' || c == '\'':
			quote = c
		case c == ':' && i+1 < len(s) && s[i+1] == ' ':
			return i
		}
	}
	return -1
}

// scoped reports whether a trailer belongs to one deployment rather than
// to the run: a rollback's and a promote's. In a commit that carries
// several deployments, such a trailer is written indented under its
// deployment's change lines ("  Rolls-Back: …"), so that it labels only
// those values; in the trailer block it labels every change of the commit.
func scoped(t Trailer) bool {
	switch t.Key {
	case "Rolls-Back", "Rolled-Back-Tag", "Promoted-From":
		return true
	}
	return false
}

// scopedLine reads a scoped trailer written under a deployment.
func scopedLine(l string) (Trailer, bool) {
	rest, ok := strings.CutPrefix(strings.TrimRight(l, "\r"), "  ")
	if !ok {
		return Trailer{}, false
	}
	m := trailerLine.FindStringSubmatch(rest)
	if m == nil || !scoped(Trailer{m[1], m[2]}) {
		return Trailer{}, false
	}
	return Trailer{m[1], m[2]}, true
}

// parseDeploys reads the deployments of a commit message tagbump wrote:
// one (the subject, then the change lines), or several (a paragraph each:
// its subject, its change lines and its scoped trailers). The scoped
// trailers of the trailer block belong to every deployment. unread are
// the lines that look like a change ("- … → …") but do not parse.
func parseDeploys(msg string) (out []pendingDeploy, unread []string) {
	paras := strings.Split(strings.ReplaceAll(strings.TrimRight(msg, "\n"), "\r\n", "\n"), "\n\n")
	subject, _, _ := strings.Cut(paras[0], "\n")
	var common []Trailer
	for _, t := range trailers(msg) {
		if scoped(t) {
			common = append(common, t)
		}
	}
	for _, p := range paras[1:] {
		lines := strings.Split(p, "\n")
		d := pendingDeploy{subject: subject}
		if !strings.HasPrefix(lines[0], "- ") {
			d.subject, lines = lines[0], lines[1:]
		}
		ok := len(lines) > 0
		var bad []string
		for _, l := range lines {
			if c, isChange := parseChangeLine(l); isChange {
				d.changes = append(d.changes, c)
				continue
			}
			if t, isTrailer := scopedLine(l); isTrailer {
				d.trailers = append(d.trailers, t)
				continue
			}
			if strings.HasPrefix(l, "- ") && strings.Contains(l, " → ") {
				bad = append(bad, l)
			}
			// "  also PATH" under a change, "- FILE KEY: kept ..."
			ok = ok && (strings.HasPrefix(l, "  also ") || strings.HasPrefix(l, "- "))
		}
		if ok && len(d.changes)+len(bad) > 0 {
			unread = append(unread, bad...)
			if len(d.changes) > 0 {
				for _, t := range common {
					if !slices.Contains(d.trailers, t) {
						d.trailers = append(d.trailers, t)
					}
				}
				out = append(out, d)
			}
		}
	}
	return out, unread
}

// settle fits this attempt's plan p to the pending deployments: a pending
// value the plan sets to another value is replaced by it (its Old becomes
// the base's value), a value the downgrade guard kept because the branch proposes a
// newer one says so, and the files to commit are the pending ones with
// the plan's. A file that ends as the base has it is not committed.
func (pd *pending) settle(p *planned, res *Result, head string) map[string][]byte {
	files := maps.Clone(pd.files)
	maps.Copy(files, p.files)
	for i := range res.Files {
		c := &res.Files[i]
		for d := range pd.deploys {
			j := slices.IndexFunc(pd.deploys[d].changes, func(o FileChange) bool { return o.File == c.File && o.Key == c.Key })
			if j < 0 {
				continue
			}
			o := pd.deploys[d].changes[j]
			switch {
			case c.Skipped != "":
				c.Skipped = fmt.Sprintf("pull request branch %s proposes %s, newer than %s", head, o.New, c.New)
				continue
			case c.New == o.New:
				// The pending deploy already sets it: it stays, with
				// its subject and trailers (a rollback's say what it
				// took away).
				continue
			}
			c.Old = o.Old
			pd.deploys[d].changes = slices.Delete(pd.deploys[d].changes, j, j+1)
		}
	}
	pd.deploys = slices.DeleteFunc(pd.deploys, func(d pendingDeploy) bool { return len(d.changes) == 0 })
	for f, b := range pd.base {
		if out, ok := files[f]; ok && bytes.Equal(out, b) {
			delete(files, f)
		}
	}
	for _, w := range pd.dropped {
		if !slices.Contains(res.Warnings, w) {
			res.Warnings = append(res.Warnings, w)
		}
	}
	res.Pending = nil
	for _, d := range pd.deploys {
		res.Pending = append(res.Pending, d.changes...)
	}
	return files
}

// message combines msg, this attempt's commit message, with the pending
// deployments into the one commit of the pull request branch: the subject
// of msg with the count of the others, then a paragraph per deployment
// (its subject and change lines, pending ones first), then every
// deployment's trailers.
func (pd *pending) message(msg string) string {
	if !pd.holds() {
		return msg
	}
	paras := strings.Split(strings.TrimRight(msg, "\n"), "\n\n")
	subject := paras[0]
	own := trailers(msg)
	body := paras[1:]
	if len(own) > 0 {
		body = body[:len(body)-1]
	}
	var ownScoped []string
	own = slices.DeleteFunc(own, func(t Trailer) bool {
		if scoped(t) {
			ownScoped = append(ownScoped, fmt.Sprintf("  %s: %s", t.Key, t.Value))
		}
		return scoped(t)
	})
	if len(ownScoped) > 0 {
		// under this run's change lines: they label only its values
		body = slices.Clone(body)
		if len(body) == 0 {
			body = []string{""}
		}
		body[0] = strings.TrimPrefix(body[0]+"\n"+strings.Join(ownScoped, "\n"), "\n")
	}
	skip := ""
	if s, ok := strings.CutSuffix(subject, " [skip ci]"); ok {
		subject, skip = s, " [skip ci]"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s (+%d more in this pull request)%s\n\n", subject, len(pd.deploys), skip)
	for _, d := range pd.deploys {
		b.WriteString(d.subject + "\n")
		for _, c := range d.changes {
			fmt.Fprintf(&b, "- %s %s: %s → %s\n", c.File, c.Key, display(c.Old), c.New)
		}
		for _, t := range d.trailers {
			fmt.Fprintf(&b, "  %s: %s\n", t.Key, t.Value)
		}
		b.WriteString("\n")
	}
	b.WriteString(paras[0] + "\n" + strings.Join(body, "\n\n") + "\n")
	all := slices.Clone(own)
	for _, t := range pd.trailers {
		if !slices.Contains(all, t) {
			all = append(all, t)
		}
	}
	if len(all) > 0 {
		b.WriteString("\n")
		for _, t := range all {
			fmt.Fprintf(&b, "%s: %s\n", t.Key, t.Value)
		}
	}
	return b.String()
}

// readValues reads a values file at the snapshot, with the pending edits
// of the pull request branch when there are some.
func (r *Request) readValues(ctx context.Context, snap *gitrepo.Snapshot, file string) ([]byte, error) {
	if r.pending != nil {
		if b, ok := r.pending.files[file]; ok {
			return b, nil
		}
	}
	return snap.ReadFile(ctx, file)
}

// pendingPR fills res's pull request fields with the open pull request
// from head, which holds this run's value or a newer one, and names it in
// the reason of each value kept.
func pendingPR(ctx context.Context, f forge.Forge, head string, res *Result) (*forge.PR, error) {
	res.PRAction = PRUnchanged
	pr, err := f.FindOpen(ctx, head, res.Branch)
	if err != nil || pr == nil {
		return nil, err
	}
	res.PRURL, res.PRNumber = pr.URL, pr.Number
	for i := range res.Files {
		if c := &res.Files[i]; c.Skipped != "" {
			c.Skipped = strings.Replace(c.Skipped, "pull request branch "+head, fmt.Sprintf("pull request #%d (%s)", pr.Number, head), 1)
		}
	}
	return pr, nil
}

// syncRounds bounds how often syncContent rereads a branch that keeps
// moving; the run that moved it syncs after its own write.
const syncRounds = 8

// syncContent makes the open pull request from head list what the branch
// proposes now, when it moved on from written, the commit this run wrote:
// the run that wrote after it may have updated the title and body before
// this run did, with this run's older list. It rereads until the branch
// holds still after an update.
func (r *Request) syncContent(ctx context.Context, repo *gitrepo.Repo, res *Result, head, written string) error {
	var refused error // the host's last refusal for the pull request's state
	for range syncRounds {
		tip, err := branchTip(ctx, repo, head)
		if err != nil || tip.String() == written {
			return err
		}
		base, err := repo.Fetch(ctx, res.Branch)
		if err != nil {
			return err
		}
		pd, err := readPending(ctx, repo, base, head, r.Committer)
		if err != nil || pd.commit == nil {
			return err // no longer tagbump's branch: not this run's to describe
		}
		now := *res
		now.Files, now.Message, now.Pending = nil, pd.commit.Message, nil
		now.Warnings = slices.Clone(pd.dropped)
		for _, d := range pd.deploys {
			now.Pending = append(now.Pending, d.changes...)
		}
		content, err := r.prContent(&now, head)
		if err != nil {
			return err
		}
		pr, err := r.PR.Forge.FindOpen(ctx, head, res.Branch)
		if err != nil || pr == nil {
			return err
		}
		if forge.Needs(pr, content) {
			_, err := r.PR.Forge.Update(ctx, pr, content)
			if errors.Is(err, forge.ErrConflict) {
				// Another run changed the pull request meanwhile (Gitea:
				// "the issue is already changed"): read both again.
				refused = err
				continue
			}
			if err != nil {
				return err
			}
		}
		refused = nil
		written = pd.tip.String()
	}
	if refused != nil {
		// This run's commit is on the branch; only the description lags,
		// and the run that keeps changing it describes what it read.
		res.Warnings = append(res.Warnings, fmt.Sprintf("the pull request's title and body may not list every pending deploy: %v", refused))
	}
	return nil
}
