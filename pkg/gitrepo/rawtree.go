package gitrepo

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/storer"
)

// rawEntry is an entry of an encoded tree.
type rawEntry struct {
	mode filemode.FileMode
	name string
	at   int // where its id lies in the encoding
}

func (e rawEntry) id(raw []byte) plumbing.Hash {
	var h plumbing.Hash
	copy(h[:], raw[e.at:])
	return h
}

// rawEntries returns the entries of the encoded tree raw ("<octal mode>
// <name>\0" and a 20-byte id, each) whose names match; it decodes
// nothing else.
func rawEntries(raw []byte, match func(name []byte) bool) ([]rawEntry, error) {
	return scanRawEntries(raw, match, 0)
}

// rawEntryNamed returns the entry named name of the encoded tree raw, and
// false when there is none. A tree holds a name once: the scan stops there.
func rawEntryNamed(raw []byte, name string) (rawEntry, bool, error) {
	found, err := scanRawEntries(raw, func(n []byte) bool { return string(n) == name }, 1)
	if err != nil || len(found) == 0 {
		return rawEntry{}, false, err
	}
	return found[0], true, nil
}

// scanRawEntries is rawEntries stopping after limit matches (0: none).
func scanRawEntries(raw []byte, match func(name []byte) bool, limit int) ([]rawEntry, error) {
	var out []rawEntry
	for pos := 0; pos < len(raw) && (limit == 0 || len(out) < limit); {
		sp := bytes.IndexByte(raw[pos:], ' ')
		nul := bytes.IndexByte(raw[pos:], 0)
		if sp < 1 || nul < sp+2 || pos+nul+1+len(plumbing.ZeroHash) > len(raw) {
			return nil, fmt.Errorf("malformed tree entry at byte %d", pos)
		}
		if name := raw[pos+sp+1 : pos+nul]; match(name) {
			mode, err := filemode.New(string(raw[pos : pos+sp]))
			if err != nil {
				return nil, fmt.Errorf("tree entry at byte %d: %w", pos, err)
			}
			out = append(out, rawEntry{mode: mode, name: string(name), at: pos + nul + 1})
		}
		pos += nul + 1 + len(plumbing.ZeroHash)
	}
	return out, nil
}

// objectContent returns the content of the object h of type typ in st.
// It must not be changed: it may be the stored object's own.
func objectContent(st storer.EncodedObjectStorer, typ plumbing.ObjectType, h plumbing.Hash) ([]byte, error) {
	obj, err := st.EncodedObject(typ, h)
	if err != nil {
		return nil, err
	}
	if o, ok := obj.(*packObject); ok {
		return o.data, nil
	}
	rd, err := obj.Reader()
	if err != nil {
		return nil, err
	}
	defer rd.Close()
	return io.ReadAll(rd)
}

// DirEntry is one entry of a directory in a snapshot's tip tree.
type DirEntry struct {
	Name string
	Dir  bool // a directory; otherwise a file, symlink or submodule
}

// ReadDir lists the entries of the directory at p (a clean path, "" or "."
// for the root) in the tip commit, in tree order. It reads trees only,
// which a partial fetch holds: no request is made. A missing path, or one
// that is not a directory, gives an error matching fs.ErrNotExist.
func (s *Snapshot) ReadDir(p string) ([]DirEntry, error) {
	tree, raw, err := s.dir(p)
	if errors.Is(err, errNotDir) {
		return nil, &fs.PathError{Op: "read", Path: p, Err: notFoundFile{}}
	}
	if err != nil {
		return nil, err
	}
	all, err := rawEntries(raw, func([]byte) bool { return true })
	if err != nil {
		return nil, fmt.Errorf("read tree %s: %w", tree, err)
	}
	out := make([]DirEntry, len(all))
	for i, e := range all {
		out[i] = DirEntry{Name: e.name, Dir: e.mode == filemode.Dir}
	}
	return out, nil
}

// errNotDir is dir's error for a path that is not a directory.
var errNotDir = errors.New("not a directory")

// dir returns the tree of the directory at p (a clean path, "" or "." for
// the root) in the tip commit, and its encoding; errNotDir when p is a
// file, symlink or submodule.
func (s *Snapshot) dir(p string) (plumbing.Hash, []byte, error) {
	tree, err := s.rootTree()
	if err != nil {
		return plumbing.ZeroHash, nil, err
	}
	if p != "" && p != "." {
		e, err := s.entry(p)
		if err != nil {
			return plumbing.ZeroHash, nil, err
		}
		if e.Mode != filemode.Dir {
			return plumbing.ZeroHash, nil, errNotDir
		}
		tree = e.Hash
	}
	raw, err := objectContent(s.objects, plumbing.TreeObject, tree)
	return tree, raw, err
}
