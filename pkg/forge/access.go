package forge

import (
	"context"
	"strings"
)

// Access is what a host tells about a token and a branch, read without
// changing anything: what `tagbump doctor` reports before a bump.
type Access struct {
	// Scopes are the token's scopes as the host lists them; nil when the
	// host does not report them, and ScopesNote then says why.
	Scopes     []string `json:"scopes,omitempty"`
	ScopesNote string   `json:"scopes_note,omitempty"`
	// Permission is the token's access to the repository as the host
	// names it (GitHub "push", GitLab "Developer"), "" when not reported.
	Permission string `json:"permission,omitempty"`
	// CanPush reports whether the token may write to the repository at
	// all, nil when the host does not say.
	CanPush *bool `json:"can_push,omitempty"`
	// Branch holds the rules of the branch a bump changes.
	Branch BranchRules `json:"branch"`
}

// BranchRules are a branch's rules that decide how a bump may land on it.
type BranchRules struct {
	// Name is the branch.
	Name string `json:"name"`
	// Known reports that the host told the rules; when it did not (the
	// token may not read them), Note says why and the other fields hold
	// what could be read.
	Known bool   `json:"known"`
	Note  string `json:"note,omitempty"`
	// Protected reports that a rule applies to the branch.
	Protected bool `json:"protected"`
	// PullRequest reports that changes must arrive through a pull request.
	PullRequest bool `json:"pull_request"`
	// Approvals is the number of approvals a pull request needs.
	Approvals int `json:"approvals,omitempty"`
	// Signed reports that commits must carry a (verified) signature.
	Signed bool `json:"signed"`
	// PushRefused reports that the host refuses a direct push to the
	// branch from this token.
	PushRefused bool `json:"push_refused"`
	// Pushers says who may push directly when the rules name them (users,
	// teams, roles), "" when anyone with write access may.
	Pushers string `json:"pushers,omitempty"`
}

// Inspector is a Forge that reads a token's scopes and a branch's rules.
// Every Forge of this package is one.
type Inspector interface {
	// Inspect reads the token's scopes and access and branch's rules.
	Inspect(ctx context.Context, branch string) (*Access, error)
}

// notReported is the note for hosts whose API does not list a token's
// scopes.
func notReported(host string) string {
	return "not reported: " + host + "'s API does not tell a token's scopes"
}

// splitScopes splits a header's comma-separated scope list.
func splitScopes(h string) []string {
	out := []string{}
	for _, s := range strings.Split(h, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func ptr[T any](v T) *T { return &v }
