package wait

import (
	"context"
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/tagbump/tagbump/pkg/forge"
)

// Statuses is the Source of the commit statuses whose context matches a
// glob (path.Match syntax, e.g. argocd/app-service-*) on one commit.
type Statuses struct {
	Reader forge.StatusReader
	Commit string
	// Context is the glob the statuses' contexts must match.
	Context string
}

// Poll reads the commit's statuses. The glob stands for the contexts that
// have posted on the commit so far: a failure (or error) of any matching
// one is a failure, whatever the others say; a success needs at least one
// matching status and every matching one succeeded; anything else (none
// yet, or one still pending) is pending. A context that has not posted
// yet cannot be known to belong: name it exactly when it must count.
func (s *Statuses) Poll(ctx context.Context) (Observation, error) {
	list, err := s.Reader.Statuses(ctx, s.Commit)
	if err != nil {
		return Observation{}, err
	}
	var matched []forge.Status
	for _, st := range list {
		if ok, _ := path.Match(s.Context, st.Context); ok {
			matched = append(matched, st)
		}
	}
	if len(matched) == 0 {
		return Observation{State: Pending, Detail: fmt.Sprintf("no status %q yet", s.Context)}, nil
	}
	sort.SliceStable(matched, func(i, j int) bool { return matched[i].Context < matched[j].Context })
	obs := Observation{State: Succeeded}
	var parts, msgs []string
	for _, st := range matched {
		parts = append(parts, st.Context+": "+st.Native)
		switch st.State {
		case forge.StateFailure, forge.StateError:
			obs.State = Failed
			if st.Description != "" {
				msgs = append(msgs, st.Context+": "+st.Description)
			}
		case forge.StatePending:
			if obs.State != Failed {
				obs.State = Pending
			}
		}
	}
	obs.Detail = strings.Join(parts, ", ")
	obs.Message = strings.Join(msgs, "; ")
	return obs, nil
}
