package wait_test

import (
	"context"
	"testing"

	"github.com/tagbump/tagbump/pkg/forge"
	"github.com/tagbump/tagbump/pkg/wait"
)

// statusList is a StatusReader that answers the same statuses for any
// commit.
type statusList []forge.Status

func (l statusList) Statuses(context.Context, string) ([]forge.Status, error) { return l, nil }

func st(ctx string, s forge.State) forge.Status {
	return forge.Status{Context: ctx, State: s, Native: string(s)}
}

// TestStatusesGlob checks the rule of a glob over several contexts:
// success only when every matching context that has posted succeeded and
// at least one has; pending while any matching one is pending; failure as
// soon as any matching one failed or errored, pending ones or not.
// Contexts the glob does not match do not count.
func TestStatusesGlob(t *testing.T) {
	const glob = "argocd/*-staging"
	for _, c := range []struct {
		name string
		list statusList
		want wait.State
	}{
		{"none posted", nil, wait.Pending},
		{"only others posted", statusList{st("argocd/app-prod", forge.StateSuccess), st("ci/build", forge.StateFailure)}, wait.Pending},
		{"one success", statusList{st("argocd/app-staging", forge.StateSuccess)}, wait.Succeeded},
		{"success and pending", statusList{st("argocd/app-staging", forge.StateSuccess), st("argocd/worker-staging", forge.StatePending)}, wait.Pending},
		{"pending and success", statusList{st("argocd/worker-staging", forge.StatePending), st("argocd/app-staging", forge.StateSuccess)}, wait.Pending},
		{"all success", statusList{st("argocd/app-staging", forge.StateSuccess), st("argocd/worker-staging", forge.StateSuccess)}, wait.Succeeded},
		{"pending and failure", statusList{st("argocd/app-staging", forge.StatePending), st("argocd/worker-staging", forge.StateFailure)}, wait.Failed},
		{"failure and pending", statusList{st("argocd/app-staging", forge.StateError), st("argocd/worker-staging", forge.StatePending)}, wait.Failed},
		{"success and error", statusList{st("argocd/app-staging", forge.StateSuccess), st("argocd/worker-staging", forge.StateError)}, wait.Failed},
	} {
		src := &wait.Statuses{Reader: c.list, Commit: "1111111111111111111111111111111111111111", Context: glob}
		obs, err := src.Poll(context.Background())
		if err != nil || obs.State != c.want {
			t.Errorf("%s: %s (%s) %v, want %s", c.name, obs.State, obs.Detail, err, c.want)
		}
	}
}
