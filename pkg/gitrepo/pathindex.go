package gitrepo

import (
	"bytes"
	"encoding/hex"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
)

// pathIndex notes, while a whole history's pack is read, the entries on
// some paths of the trees that arrive: the trees of the commits that came
// before them, and their subtrees on the paths. A history walk then finds
// most entries there instead of reading every tree back from the file and
// applying its deltas again (a root tree per commit). git writes a pack's
// commits first and a tree before its subtrees; a tree that comes before
// the tree or commit that names it is not noted, and the walk reads it.
type pathIndex struct {
	paths [][]string // each path's names
	// want holds the trees the pack's commits and trees name on a path:
	// the tree, and at which path and level its entry is wanted.
	want map[pathKey]struct{}
	got  map[pathKey]pathEntry
}

type pathKey struct {
	tree        plumbing.Hash
	path, level int
}

type pathEntry struct {
	id   plumbing.Hash
	mode filemode.FileMode
	ok   bool // the tree has the name
}

func newPathIndex(paths []string) *pathIndex {
	x := &pathIndex{want: map[pathKey]struct{}{}, got: map[pathKey]pathEntry{}}
	for _, p := range paths {
		x.paths = append(x.paths, strings.Split(p, "/"))
	}
	return x
}

// seen takes an object of the pack as it arrives.
func (x *pathIndex) seen(o *packObject) {
	switch o.typ {
	case plumbing.CommitObject:
		// A commit starts with "tree <id>\n" (gitformat-commit).
		var tree plumbing.Hash
		if len(o.data) < 46 || !bytes.HasPrefix(o.data, []byte("tree ")) || o.data[45] != '\n' {
			return
		}
		if _, err := hex.Decode(tree[:], o.data[5:45]); err != nil {
			return
		}
		for i := range x.paths {
			x.want[pathKey{tree, i, 0}] = struct{}{}
		}
	case plumbing.TreeObject:
		for i, names := range x.paths {
			for level, name := range names {
				k := pathKey{o.hash, i, level}
				if _, ok := x.want[k]; !ok {
					continue
				}
				delete(x.want, k)
				e, ok, err := rawEntryNamed(o.data, name)
				if err != nil {
					continue // the walk reads it, and says what is wrong
				}
				var pe pathEntry
				if ok {
					pe = pathEntry{id: e.id(o.data), mode: e.mode, ok: true}
				}
				x.got[k] = pe
				if ok && e.mode == filemode.Dir && level+1 < len(names) {
					x.want[pathKey{pe.id, i, level + 1}] = struct{}{}
				}
			}
		}
	}
}

// entry returns what seen noted of the entry wanted in tree, at path i
// and level.
func (x *pathIndex) entry(tree plumbing.Hash, i, level int) (pathEntry, bool) {
	if x == nil {
		return pathEntry{}, false
	}
	e, ok := x.got[pathKey{tree, i, level}]
	return e, ok
}
