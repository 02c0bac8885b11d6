package bump

import (
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// TestAPIOwnCommit checks which commits on a pull request branch count as
// the ones the host made for tagbump: the host's web-flow committer, one
// parent and the trailer naming that branch in the last paragraph.
func TestAPIOwnCommit(t *testing.T) {
	const branch = "tagbump/app-prod"
	one := []plumbing.Hash{plumbing.NewHash("1111111111111111111111111111111111111111")}
	two := append(one, plumbing.NewHash("2222222222222222222222222222222222222222"))
	github := object.Signature{Name: "GitHub", Email: "noreply@github.com"}
	ghes := object.Signature{Name: "GitHub Enterprise", Email: "noreply@ghe.example.com"}
	msg := withTrailer("chore(prod): update app image to 1.1.0\n\n- app/values-prod.yaml\n", BranchTrailer+": "+branch)
	for _, tc := range []struct {
		name      string
		committer object.Signature
		parents   []plumbing.Hash
		msg       string
		want      bool
	}{
		{"github.com", github, one, msg, true},
		{"GitHub Enterprise Server", ghes, one, msg, true},
		{"with other trailers", github, one, withTrailer(withTrailer("chore: x\n", "CI-Run: https://ci.example/1"), BranchTrailer+": "+branch), true},
		{"a web edit", github, one, "Update values-prod.yaml\n", false},
		{"another branch's", github, one, withTrailer("chore: x\n", BranchTrailer+": tagbump/app-staging"), false},
		{"trailer not last", github, one, "chore: x\n\n" + BranchTrailer + ": " + branch + "\n\nmore text\n", false},
		{"a merge", github, two, msg, false},
		{"a person", object.Signature{Name: "Human", Email: "human@example.com"}, one, msg, false},
	} {
		c := &object.Commit{Committer: tc.committer, ParentHashes: tc.parents, Message: tc.msg}
		if got := apiOwnCommit(c, branch); got != tc.want {
			t.Errorf("%s: apiOwnCommit = %v, want %v", tc.name, got, tc.want)
		}
	}
	if got := withTrailer("chore: x\n\nbody\n", "Tagbump-Branch: b"); got != "chore: x\n\nbody\n\nTagbump-Branch: b\n" {
		t.Errorf("withTrailer after a body = %q", got)
	}
}
