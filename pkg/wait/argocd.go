package wait

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/tagbump/tagbump/pkg/address"
	"github.com/tagbump/tagbump/pkg/argocd"
)

// Relation is how a revision Argo CD synced relates to the commit waited
// for, on the branch's first-parent history.
type Relation int

// The relations of a synced revision to the commit.
const (
	// Unrelated: not found on the branch near the commit (another branch,
	// or history older than what is read).
	Unrelated Relation = iota
	// Same: the commit itself.
	Same
	// Descendant: a later commit of the branch, which deploys the commit
	// too.
	Descendant
	// Ancestor: an earlier commit of the branch.
	Ancestor
)

// History tells how revisions relate to the commit on the branch.
type History interface {
	// Relation returns how rev relates to the commit.
	Relation(ctx context.Context, rev string) (Relation, error)
	// CommitTime returns when the commit was made (its committer time);
	// the zero time when unknown.
	CommitTime(ctx context.Context) (time.Time, error)
}

// Application is the Source of an Argo CD application deploying the
// commit: it succeeds once the application is synced to the commit or a
// later commit of the branch, its last sync operation succeeded and its
// health is Healthy.
type Application struct {
	Client       *argocd.Client
	Name         string
	AppNamespace string
	// Commit is the commit waited for and RepoURL the charts repository
	// (it picks the source of a multi-source application).
	Commit, RepoURL string
	History         History

	since     time.Time
	sinceRead bool
	relations map[string]Relation
	unrelated map[string]time.Time
}

// Poll reads the application once. It reports a failure when the
// application synced to the commit (or a later one) turned Degraded, when
// a sync started after the commit failed, and when a sync started after
// the commit left the application on an earlier revision (a rollback).
func (a *Application) Poll(ctx context.Context) (Observation, error) {
	app, err := a.Client.Application(ctx, a.Name, a.AppNamespace)
	if err != nil {
		return Observation{}, err
	}
	if !a.sinceRead {
		if a.since, err = a.History.CommitTime(ctx); err != nil {
			return Observation{}, err
		}
		if a.since.IsZero() { // not on the branch's recent history
			a.since = time.Now()
		}
		a.sinceRead = true
	}
	st := app.Status
	rev := a.revision(app)
	obs := Observation{State: Pending, SyncedRevision: rev, Health: st.Health.Status}
	op := st.OperationState
	phase := ""
	if op != nil {
		phase = op.Phase
	}
	obs.Detail = strings.Join(nonEmpty(st.Sync.Status, st.Health.Status, phase), ", ")
	if rev != "" {
		obs.Detail = "synced to " + short(rev) + ": " + obs.Detail
	}
	afterCommit := op != nil && !op.StartedAt.IsZero() && !op.StartedAt.Before(a.since)
	rel, err := a.relation(ctx, rev)
	if err != nil {
		return Observation{}, err
	}
	if rel != Same && rel != Descendant {
		// Argo CD compares the application with an earlier or an unknown
		// revision: it has not read our commit yet.
		return obs, nil
	}
	// What the last operation synced: our commit (or a later one), or
	// an earlier one while Argo CD compares with ours (a rollback).
	opRel := Unrelated
	if op != nil && op.SyncResult != nil {
		if opRel, err = a.relation(ctx, a.pick(app, op.SyncResult.Revision, op.SyncResult.Revisions)); err != nil {
			return Observation{}, err
		}
	}
	ours := opRel == Same || opRel == Descendant
	switch {
	case phase == "Running" || phase == "Terminating":
	case ours && (phase == "Failed" || phase == "Error"):
		obs.State, obs.Message = Failed, "sync failed: "+op.Message
	case afterCommit && opRel == Ancestor && phase == "Succeeded":
		obs.State = Failed
		obs.Message = fmt.Sprintf("a sync started at %s deployed an earlier commit than %s while Argo CD compares with %s (a rollback?): %s",
			op.StartedAt.UTC().Format(time.RFC3339), short(a.Commit), short(rev), op.Message)
	case st.Sync.Status == "Synced" && st.Health.Status == "Degraded" && ours:
		obs.State, obs.Message = Failed, "Degraded: "+st.Health.Message
	case st.Sync.Status == "Synced" && st.Health.Status == "Healthy":
		obs.State = Succeeded
	}
	return obs, nil
}

// revision returns the synced revision of the application's source that
// is the charts repository: status.sync.revisions at that source's index
// for a multi-source application.
func (a *Application) revision(app *argocd.Application) string {
	return a.pick(app, app.Status.Sync.Revision, app.Status.Sync.Revisions)
}

// pick returns, of a revision or one per source, the charts repository's.
func (a *Application) pick(app *argocd.Application, one string, many []string) string {
	revs := many
	if len(revs) == 0 && one != "" {
		revs = []string{one}
	}
	if len(app.Spec.Sources) > 0 && len(revs) == len(app.Spec.Sources) {
		for i, s := range app.Spec.Sources {
			if sameRepo(s.RepoURL, a.RepoURL) {
				return revs[i]
			}
		}
	}
	if len(revs) > 0 {
		return revs[0]
	}
	return ""
}

// relation caches History.Relation per revision: the branch's history
// does not change where it was already read.
func (a *Application) relation(ctx context.Context, rev string) (Relation, error) {
	switch {
	case rev == "":
		return Unrelated, nil
	case sameCommit(rev, a.Commit):
		return Same, nil
	}
	if r, ok := a.relations[rev]; ok {
		return r, nil
	}
	if at, ok := a.unrelated[rev]; ok && time.Since(at) < recheckUnrelated {
		return Unrelated, nil
	}
	r, err := a.History.Relation(ctx, rev)
	if err != nil {
		return Unrelated, err
	}
	if a.relations == nil {
		a.relations, a.unrelated = map[string]Relation{}, map[string]time.Time{}
	}
	if r == Unrelated {
		// It may appear on the branch later: read the history again,
		// but not at every poll.
		a.unrelated[rev] = time.Now()
	} else {
		a.relations[rev] = r
	}
	return r, nil
}

// recheckUnrelated is how long a revision not found on the branch is taken
// as unrelated before the branch's history is read again.
const recheckUnrelated = time.Minute

// sameCommit compares a full hash with a possibly abbreviated one.
func sameCommit(full, abbrev string) bool {
	full, abbrev = strings.ToLower(full), strings.ToLower(abbrev)
	if len(abbrev) > len(full) {
		full, abbrev = abbrev, full
	}
	return len(abbrev) >= 7 && strings.HasPrefix(full, abbrev)
}

// sameRepo compares repository URLs by host and path: without scheme,
// credentials, port, case, trailing slash and .git. The port goes because
// one repository is served on several (ssh://git@host:2222/org/charts and
// https://host/org/charts are the same repository), and an scp-like
// address (git@host:org/charts) has none.
func sameRepo(a, b string) bool {
	return repoKey(a) == repoKey(b)
}

// repoKey returns "host/path" of a repository URL (https://, ssh://,
// scp-like), or the path of a local repository.
func repoKey(s string) string {
	s = strings.TrimSpace(s)
	var host, p string
	switch i := strings.Index(s, "://"); {
	case i >= 0:
		u, err := url.Parse(s)
		if err != nil {
			return strings.ToLower(address.Redact(s))
		}
		host, p = u.Hostname(), u.Path
	case strings.Contains(s, ":") && !strings.ContainsAny(s[:strings.Index(s, ":")], "/\\"):
		// scp-like: [user@]host:path
		host, p, _ = strings.Cut(s, ":")
		if j := strings.LastIndex(host, "@"); j >= 0 {
			host = host[j+1:]
		}
	default:
		p = s
	}
	p = strings.TrimSuffix(strings.Trim(p, "/"), ".git")
	return strings.ToLower(host + "/" + strings.Trim(p, "/"))
}

func short(rev string) string {
	if len(rev) > 12 {
		return rev[:12]
	}
	return rev
}

func nonEmpty(s ...string) []string {
	var out []string
	for _, x := range s {
		if x != "" {
			out = append(out, x)
		}
	}
	return out
}
