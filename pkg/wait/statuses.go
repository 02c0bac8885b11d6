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

// Poll reads the commit's statuses: any matching one that failed makes a
// failure, all matching ones succeeded a success; no matching status yet
// is pending.
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
