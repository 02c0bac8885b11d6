package gitrepo

import (
	"bytes"
	"fmt"
	"io"

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
	var out []rawEntry
	for pos := 0; pos < len(raw); {
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
