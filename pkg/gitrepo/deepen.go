package gitrepo

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/protocol/packp"
	"github.com/go-git/go-git/v5/plumbing/protocol/packp/capability"
	"github.com/go-git/go-git/v5/plumbing/storer"
	"github.com/go-git/go-git/v5/storage/memory"
)

// deepening reads the history of a snapshot from a full fetch, for a
// server that cannot filter: a shallow fetch deepened step by step, as git
// fetch --deepen does, with full objects.
//
// Each step asks for the tip to a greater depth, names the tip as a have
// and every commit held without its parents as shallow. The server then
// sends the commits beyond that boundary, and of their trees and blobs
// only those the client does not hold already: an older commit's tree
// that equals one of a newer commit (a file set back to what it was, a
// directory no commit of the page touched) does not come again. So every
// page stays readable for as long as the walk goes on: each is a spooled
// pack on disk, trees and blobs read back through a small cache, and only
// its commits in memory. A walk that dropped older pages, or remembered
// only the trees it looked at, would miss such objects ("object not
// found": a tree the server left out because a commit of an earlier page,
// not on the walked path, holds it).
type deepening struct {
	s   *Snapshot
	dir string // the pages' files; removed by close
	// pages are the packs fetched, oldest first.
	pages []*spooledPack
	// parents holds every commit the snapshot and the pages hold, with
	// its parents: the boundary is read from it.
	parents map[plumbing.Hash][]plumbing.Hash
	depth   int      // the depth asked for last
	cache   *byteLRU // the pages' trees and blobs read back, shared
}

// newDeepening starts the history of s, a snapshot from a full fetch.
func newDeepening(s *Snapshot) (*deepening, error) {
	d := &deepening{s: s, parents: map[plumbing.Hash][]plumbing.Hash{}, cache: newByteLRU(spoolCache)}
	if err := eachCommit(s.objects, func(c *object.Commit) {
		d.parents[c.Hash] = c.ParentHashes
	}); err != nil {
		return nil, err
	}
	// The depth of the full fetch: its first-parent chain.
	for h := s.tip; ; d.depth++ {
		ps, ok := d.parents[h]
		if !ok || len(ps) == 0 {
			break
		}
		h = ps[0]
	}
	return d, nil
}

// store returns storage that reads the snapshot's objects and every
// page's.
func (d *deepening) store() storer.EncodedObjectStorer {
	l := layered{d.s.objects}
	for _, p := range slices.Backward(d.pages) {
		l = append(l, p)
	}
	return l
}

// holds reports whether the first-parent chain from start holds n commits
// (or reaches the root).
func (d *deepening) holds(start plumbing.Hash, n int) bool {
	h := start
	for range n {
		ps, ok := d.parents[h]
		if !ok {
			return false
		}
		if len(ps) == 0 {
			return true
		}
		h = ps[0]
	}
	return true
}

// shallows lists the boundary: the commits held whose parents are not all
// held, sorted.
func (d *deepening) shallows() []plumbing.Hash {
	var out []plumbing.Hash
	for h, ps := range d.parents {
		if slices.ContainsFunc(ps, func(p plumbing.Hash) bool { _, ok := d.parents[p]; return !ok }) {
			out = append(out, h)
		}
	}
	slices.SortFunc(out, func(a, b plumbing.Hash) int { return bytes.Compare(a[:], b[:]) })
	return out
}

// deepen fetches the history from the tip down to depth commits (counted
// as git's deepen does: along any parent) as a new page. It does nothing
// when the whole history is held.
func (d *deepening) deepen(ctx context.Context, depth int) error {
	shallows := d.shallows()
	if len(shallows) == 0 || depth <= d.depth {
		return nil
	}
	r := d.s.repo
	if d.dir == "" {
		tmp, err := r.tempDir()
		if err != nil {
			return err
		}
		if d.dir, err = os.MkdirTemp(tmp, "history-"); err != nil {
			return err
		}
	}
	sp, err := newSpooledPack(filepath.Join(d.dir, fmt.Sprintf("page-%d", len(d.pages))))
	if err != nil {
		return err
	}
	sp.indexOnly, sp.cache = true, d.cache
	// A thin pack: the server leaves out what the client holds (the
	// tip's tree, the boundary's) and sends deltas against it, so that a
	// page costs what its commits changed, not a whole tree again.
	sp.outside = d.store()
	ctx, cancel := r.opContext(ctx)
	defer cancel()
	sess, err := r.v2(ctx)
	if err == nil {
		sess, err = r.v2ForDeepen(ctx)
	}
	switch {
	case err == nil:
		err = r.uploadPackV2(ctx, sess, fetchArgs{wants: []plumbing.Hash{d.s.tip}, haves: []plumbing.Hash{d.s.tip}, shallows: shallows, deepen: depth, thin: true}, sp)
	case errors.Is(err, errNoV2):
		err = d.deepenV0(ctx, depth, shallows, sp)
	}
	if err != nil {
		sp.Close()
		return err
	}
	if err := eachCommit(sp, func(c *object.Commit) { d.parents[c.Hash] = c.ParentHashes }); err != nil {
		sp.Close()
		return err
	}
	d.pages = append(d.pages, sp)
	d.depth = depth
	return nil
}

// deepenV0 is deepen's request in protocol v0. The tip is wanted by hash:
// a server without allow-reachable-sha1-in-want serves it only while it is
// still the branch's tip.
func (d *deepening) deepenV0(ctx context.Context, depth int, shallows []plumbing.Hash, st *spooledPack) error {
	r := d.s.repo
	adv, sess, err := r.advertise(ctx, false)
	if err != nil {
		return err
	}
	defer sess.Close()
	if !adv.Capabilities.Supports(capability.Shallow) {
		return fmt.Errorf("%s: %w: no shallow capability", r.display, ErrNoHistory)
	}
	req := uploadRequest(adv.Capabilities)
	req.Wants = []plumbing.Hash{d.s.tip}
	req.Haves = []plumbing.Hash{d.s.tip}
	req.Shallows = shallows
	req.Depth = packp.DepthCommits(depth)
	// go-git drops thin-pack from every advertisement it reads (its own
	// fetch cannot complete a thin pack); git's upload-pack has always
	// offered it.
	for _, c := range []capability.Capability{capability.Shallow, capability.ThinPack} {
		if err := req.Capabilities.Set(c); err != nil {
			return err
		}
	}
	err = r.uploadPack(ctx, sess, req, st)
	if err != nil && refusedPartial(err) {
		// "not our ref": the branch moved on since the snapshot.
		return fmt.Errorf("%w: the branch moved while its history was read: %w", ErrRace, err)
	}
	return err
}

// close removes the pages.
func (d *deepening) close() {
	for _, p := range d.pages {
		p.Close()
	}
	d.pages = nil
	if d.dir != "" {
		os.RemoveAll(d.dir)
		d.dir = ""
	}
}

// keepBlobs copies the blobs hashes from st, the pages, into the snapshot, for
// ReadBlobs once the pages are gone. A blob larger than the file size
// limit keeps only its size: ReadBlobs refuses it.
func (d *deepening) keepBlobs(st storer.EncodedObjectStorer, hashes []plumbing.Hash) error {
	s := d.s
	for _, h := range hashes {
		if h.IsZero() || s.kept[h] != nil {
			continue
		}
		if _, err := s.objects.EncodedObject(plumbing.BlobObject, h); err == nil {
			continue // ReadBlobs finds it there
		}
		if limit := s.repo.o.maxFileSize; limit > 0 {
			if size, err := st.EncodedObjectSize(h); err == nil && size > limit {
				o := &plumbing.MemoryObject{}
				o.SetType(plumbing.BlobObject)
				o.SetSize(size)
				s.keep(h, o)
				continue
			}
		}
		b, err := objectContent(st, plumbing.BlobObject, h)
		if err != nil {
			return fmt.Errorf("read blob %s: %w", short(h), err)
		}
		s.keep(h, &packObject{typ: plumbing.BlobObject, data: b, hash: h})
	}
	return nil
}

// keep adds a blob that a history walk with full objects read.
func (s *Snapshot) keep(h plumbing.Hash, o plumbing.EncodedObject) {
	if s.kept == nil {
		s.kept = map[plumbing.Hash]plumbing.EncodedObject{}
	}
	s.kept[h] = o
}

// eachCommit calls fn for every commit st holds: a spooled pack's, memory
// storage's or a filesystem storage's.
func eachCommit(st storer.EncodedObjectStorer, fn func(*object.Commit)) error {
	var objs map[plumbing.Hash]plumbing.EncodedObject
	switch st := st.(type) {
	case *spooledPack:
		objs = st.mem.Commits
		if st.indexOnly {
			objs = map[plumbing.Hash]plumbing.EncodedObject{}
			for _, e := range st.entries {
				if e.typ != plumbing.CommitObject {
					continue
				}
				o, err := st.EncodedObject(plumbing.CommitObject, e.hash)
				if err != nil {
					return err
				}
				objs[e.hash] = o
			}
		}
	case *memory.Storage:
		objs = st.Commits
	}
	add := func(o plumbing.EncodedObject) error {
		c, err := object.DecodeCommit(st, o)
		if err != nil {
			return err
		}
		fn(c)
		return nil
	}
	if objs != nil {
		for _, o := range objs {
			if err := add(o); err != nil {
				return err
			}
		}
		return nil
	}
	iter, err := st.IterEncodedObjects(plumbing.CommitObject)
	if err != nil {
		return err
	}
	return iter.ForEach(add)
}

// layered reads objects from the first storage that holds them; it is
// read-only.
type layered []storer.EncodedObjectStorer

func (l layered) EncodedObject(t plumbing.ObjectType, h plumbing.Hash) (plumbing.EncodedObject, error) {
	for _, st := range l {
		o, err := st.EncodedObject(t, h)
		if !errors.Is(err, plumbing.ErrObjectNotFound) {
			return o, err
		}
	}
	return nil, plumbing.ErrObjectNotFound
}

func (l layered) HasEncodedObject(h plumbing.Hash) error {
	for _, st := range l {
		if err := st.HasEncodedObject(h); !errors.Is(err, plumbing.ErrObjectNotFound) {
			return err
		}
	}
	return plumbing.ErrObjectNotFound
}

func (l layered) EncodedObjectSize(h plumbing.Hash) (int64, error) {
	for _, st := range l {
		n, err := st.EncodedObjectSize(h)
		if !errors.Is(err, plumbing.ErrObjectNotFound) {
			return n, err
		}
	}
	return 0, plumbing.ErrObjectNotFound
}

func (l layered) NewEncodedObject() plumbing.EncodedObject { return &plumbing.MemoryObject{} }

func (l layered) SetEncodedObject(plumbing.EncodedObject) (plumbing.Hash, error) {
	return plumbing.ZeroHash, errSpooled
}

func (l layered) IterEncodedObjects(plumbing.ObjectType) (storer.EncodedObjectIter, error) {
	return nil, errSpooled
}

func (l layered) AddAlternate(string) error { return errSpooled }
