package gitrepo

import (
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
)

// FuzzPathIndex: whatever a pack's commit and trees hold, pathIndex notes
// what rawEntryNamed finds in a tree the commit names, and nothing for a
// tree no commit or tree named.
func FuzzPathIndex(f *testing.F) {
	f.Add([]byte("tree 0123456789012345678901234567890123456789\nparent x\n"), []byte("40000 app\x0001234567890123456789100644 x\x0001234567890123456789"))
	f.Add([]byte("tree zz\n"), []byte("100644 app\x00"))
	f.Fuzz(func(t *testing.T, commit, tree []byte) {
		x := newPathIndex([]string{"app/values.yaml"})
		hasher := newObjectHasher()
		treeID := hasher.id(plumbing.TreeObject, tree)
		x.seen(&packObject{typ: plumbing.TreeObject, data: tree, hash: treeID})
		if _, ok := x.entry(treeID, 0, 0); ok {
			t.Fatal("a tree no commit named was noted")
		}
		c := append([]byte("tree "+treeID.String()+"\n"), commit...)
		x.seen(&packObject{typ: plumbing.CommitObject, data: c, hash: hasher.id(plumbing.CommitObject, c)})
		x.seen(&packObject{typ: plumbing.CommitObject, data: commit, hash: hasher.id(plumbing.CommitObject, commit)})
		x.seen(&packObject{typ: plumbing.TreeObject, data: tree, hash: treeID})
		got, noted := x.entry(treeID, 0, 0)
		want, ok, err := rawEntryNamed(tree, "app")
		switch {
		case err != nil:
			if noted {
				t.Fatalf("a malformed tree noted: %+v", got)
			}
		case !noted:
			t.Fatal("the commit's tree was not noted")
		case got.ok != ok || ok && (got.id != want.id(tree) || got.mode != want.mode):
			t.Fatalf("noted %+v, rawEntryNamed %+v %v", got, want, ok)
		}
	})
}
