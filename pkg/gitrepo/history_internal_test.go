package gitrepo

import (
	"errors"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/storage/memory"
)

// TestDetached: a commit kept from a history page reads as before, and
// holds on to nothing else of the page.
func TestDetached(t *testing.T) {
	page := memory.NewStorage()
	tree := page.NewEncodedObject()
	if err := (&object.Tree{}).Encode(tree); err != nil {
		t.Fatal(err)
	}
	treeID, err := page.SetEncodedObject(tree)
	if err != nil {
		t.Fatal(err)
	}
	sig := object.Signature{Name: "ci", Email: "ci@example.com"}
	co := page.NewEncodedObject()
	if err := (&object.Commit{Author: sig, Committer: sig, Message: "chore: x\n", TreeHash: treeID}).Encode(co); err != nil {
		t.Fatal(err)
	}
	id, err := page.SetEncodedObject(co)
	if err != nil {
		t.Fatal(err)
	}
	c, err := object.GetCommit(page, id)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Tree(); err != nil {
		t.Fatalf("the page's commit reads its tree: %v", err)
	}
	kept, err := detached(page, c)
	if err != nil || kept.Hash != id || kept.Message != "chore: x\n" || kept.TreeHash != treeID {
		t.Fatalf("detached = %+v, %v", kept, err)
	}
	if _, err := kept.Tree(); !errors.Is(err, plumbing.ErrObjectNotFound) {
		t.Errorf("the detached commit still reaches the page's tree: %v", err)
	}
	if k, err := detached(page, nil); k != nil || err != nil {
		t.Errorf("detached(nil) = %v, %v", k, err)
	}
}
