package argocd

import (
	"fmt"
	"slices"
	"strings"

	"github.com/tagbump/tagbump/pkg/editdist"
)

// Problem says why an Application cannot be resolved to files to edit.
type Problem string

// Problems of an AppError.
const (
	ProblemNotFound     Problem = "not found"
	ProblemDuplicate    Problem = "duplicate"
	ProblemInvalid      Problem = "invalid manifest"
	ProblemRevision     Problem = "other revision"
	ProblemHelmRepo     Problem = "chart from a Helm repository"
	ProblemOtherRepo    Problem = "other repository"
	ProblemUnsupported  Problem = "unsupported"
	ProblemMissingFiles Problem = "missing file"
)

// AppError reports an Application that tagbump cannot follow to the files
// it deploys: not found, defined twice, not valid YAML, deploying another
// revision or another repository, a chart from a Helm repository, or
// something tagbump does not read (a plugin source, an ApplicationSet
// generator that needs the cluster). Reason says what and how to fix it.
type AppError struct {
	App     string
	Problem Problem
	Reason  string
	// Near lists the Applications with names close to App (ProblemNotFound).
	Near []string
}

func (e *AppError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "application %s: %s", e.App, e.Reason)
	if len(e.Near) > 0 {
		fmt.Fprintf(&b, "; did you mean %s?", strings.Join(e.Near, ", "))
	}
	return b.String()
}

// near returns up to five of names that are close to name, closest first:
// within an edit distance of a third of its length, or holding it or held
// by it.
func near(name string, names []string) []string {
	type cand struct {
		name string
		d    int
	}
	var cs []cand
	limit := max(2, len(name)/3)
	for _, n := range names {
		if n == name || slices.ContainsFunc(cs, func(c cand) bool { return c.name == n }) {
			continue
		}
		if d := editdist.Levenshtein(n, name); d <= limit || strings.Contains(n, name) || strings.Contains(name, n) {
			cs = append(cs, cand{n, d})
		}
	}
	slices.SortStableFunc(cs, func(a, b cand) int { return a.d - b.d })
	var out []string
	for _, c := range cs[:min(len(cs), 5)] {
		out = append(out, c.name)
	}
	return out
}
