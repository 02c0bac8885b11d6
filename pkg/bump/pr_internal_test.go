package bump

import (
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// TestOwnCommit: the tip of a pull request branch is tagbump's when it has
// one parent, tagbump's committer and the Tagbump-Branch trailer naming the
// branch; whoever the author is.
func TestOwnCommit(t *testing.T) {
	const head = "tagbump/app-prod"
	tagbump := object.Signature{Name: "tagbump", Email: "tagbump@tagbump.invalid"}
	dev := object.Signature{Name: "Dev", Email: "dev@example.com"}
	body := "chore(prod): update app image to 1.1.0\n\n- app/values-prod.yaml .image.tag: 1.0.0 → 1.1.0\n"
	one := []plumbing.Hash{plumbing.NewHash("1111111111111111111111111111111111111111")}
	two := append(one, plumbing.NewHash("2222222222222222222222222222222222222222"))
	for _, tc := range []struct {
		name              string
		author, committer object.Signature
		parents           []plumbing.Hash
		msg               string
		own               bool
	}{
		{"tagbump's", tagbump, tagbump, one, body + "\nTagbump-Branch: " + head + "\n", true},
		{"tagbump's for a developer", dev, tagbump, one, body + "\nTagbump-Branch: " + head + "\n", true},
		{"after other trailers", dev, tagbump, one, body + "\nCI-Run: https://ci.example.com/1\nSigned-off-by: Dev <dev@example.com>\nTagbump-Branch: " + head + "\n", true},
		{"no trailer", dev, tagbump, one, body, false},
		{"a developer's with tagbump's committer", dev, tagbump, one, "fix by hand\n", false},
		{"trailer of another branch", tagbump, tagbump, one, body + "\nTagbump-Branch: tagbump/app-staging\n", false},
		{"trailer in the body", tagbump, tagbump, one, "fix\n\nTagbump-Branch: " + head + "\n\nmore text\n", false},
		{"the developer's", dev, dev, one, "fix by hand\n", false},
		{"the developer's amend of tagbump's", dev, dev, one, body + "\nTagbump-Branch: " + head + "\n", false},
		{"a merge", tagbump, tagbump, two, body + "\nTagbump-Branch: " + head + "\n", false},
	} {
		c := &object.Commit{Author: tc.author, Committer: tc.committer, ParentHashes: tc.parents, Message: tc.msg}
		if got := ownCommit(c, tagbump, head); got != tc.own {
			t.Errorf("%s: ownCommit = %v, want %v", tc.name, got, tc.own)
		}
	}
}
