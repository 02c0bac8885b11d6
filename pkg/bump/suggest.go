package bump

import (
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/tagbump/tagbump/pkg/editdist"
	"github.com/tagbump/tagbump/pkg/gitrepo"
)

// missingValuesFile is the error for a values file that is not at the
// snapshot: it names the environments whose files are there, by the
// template's pattern, and the nearest to env.
func (r *Request) missingValuesFile(snap *gitrepo.Snapshot, env string, err error) error {
	envs := r.existingEnvs(snap)
	if len(envs) == 0 {
		return fmt.Errorf("%w: check --chart, --env and --values-file", err)
	}
	msg := fmt.Sprintf("%v: check --env; environments with a values file there: %s", err, strings.Join(envs, ", "))
	if near := nearestName(env, envs); near != "" {
		msg += "; did you mean --env " + near + "?"
	}
	return &notFoundError{msg: msg, err: err}
}

// notFoundError keeps err's kind (fs.ErrNotExist) under its own message.
type notFoundError struct {
	msg string
	err error
}

func (e *notFoundError) Error() string { return e.msg }
func (e *notFoundError) Unwrap() error { return e.err }

// existingEnvs lists the environments for which the values file template
// names a file at the snapshot: the template's {env} part, matched
// against the entries of the directory it lies in.
func (r *Request) existingEnvs(snap *gitrepo.Snapshot) []string {
	tmpl := strings.ReplaceAll(r.valuesTemplate(), "{chart}", r.Chart)
	parts := strings.Split(tmpl, "/")
	at := slices.IndexFunc(parts, func(p string) bool { return strings.Contains(p, "{env}") })
	if at < 0 || strings.Count(tmpl, "{env}") != 1 {
		return nil
	}
	prefix, suffix, _ := strings.Cut(parts[at], "{env}")
	entries, err := snap.ReadDir(path.Join(parts[:at]...))
	if err != nil {
		return nil
	}
	var envs []string
	for _, e := range entries {
		env, ok := strings.CutPrefix(e.Name, prefix)
		if env, ok = strings.CutSuffix(env, suffix); !ok || !safeName.MatchString(env) {
			continue
		}
		if p, err := r.valuesPath(env); err != nil || !exists(snap, p) {
			continue
		}
		envs = append(envs, env)
	}
	return envs
}

func exists(snap *gitrepo.Snapshot, p string) bool {
	dir, name := path.Split(p)
	entries, err := snap.ReadDir(strings.TrimSuffix(dir, "/"))
	return err == nil && slices.ContainsFunc(entries, func(e gitrepo.DirEntry) bool { return e.Name == name && !e.Dir })
}

// nearestName is the name among names closest to s by edit distance, when
// it is close enough to be a typo (at most a third of its letters off).
func nearestName(s string, names []string) string {
	best, bestD := "", len(s)/3+1
	for _, n := range names {
		if d := editdist.Levenshtein(s, n); d < bestD {
			best, bestD = n, d
		}
	}
	return best
}
