package gitrepo

import (
	"bufio"
	"cmp"
	"container/list"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/format/packfile"
	"github.com/go-git/go-git/v5/plumbing/storer"
	"github.com/go-git/go-git/v5/storage/memory"
	"github.com/klauspost/compress/zlib"
)

// spooledPack holds the objects of a full fetch: the pack, written to a
// file as it is read from the network, and an index of it. Commits, trees
// and tags stay in memory (the snapshot walks them; a page of history
// keeps them in the file, see indexOnly); blobs are read back
// from the file when asked for, a delta applied to its base, through a
// cache bounded in bytes. A fetch of a whole tip reads its pack once,
// hashing each object as it arrives, and holds the blobs in neither memory
// nor an index file; go-git's parser, which this replaces, inflated every
// object twice and wrote an index.
type spooledPack struct {
	f       *os.File
	w       *bufio.Writer // while the pack is being read
	mem     *memory.Storage
	entries []spoolEntry // pack order: offsets only grow
	byHash  map[plumbing.Hash]int32
	cache   *byteLRU
	zr      io.ReadCloser
	last    int        // the entry base returned last, for add
	limits  packLimits // bound what read inflates
	// indexOnly keeps commits and trees in the file too, read back like
	// blobs: a page of history holds a tree per commit, and the walk
	// reads a few of them once each.
	indexOnly bool
	// outside, when set, holds the bases of a thin pack's deltas: objects
	// the client has, which the server left out of the pack. outBase
	// names the base of each entry whose base is there.
	outside storer.EncodedObjectStorer
	outBase map[int]plumbing.Hash
	lastOut plumbing.Hash // the outside base returned last, for add
	// whole reads the pack of a whole history: within
	// wholeHistoryLimits, not the limits of the fetch.
	whole bool
	// seen, when set, sees each object as it arrives (pathIndex).
	seen func(*packObject)
}

// spoolEntry is one object of the pack: 56 bytes, one per object of a
// whole history (wholeHistory) too.
type spoolEntry struct {
	off        int64 // the entry's offset
	streamSize int64 // the stream's inflated size (a delta's, for a delta)
	size       int64
	hash       plumbing.Hash
	base       int32 // the entry of a delta's base; -1 for a whole object
	header     uint8 // the length of the entry's header: its zlib stream follows
	typ        plumbing.ObjectType
}

// stream is the offset of the entry's zlib stream.
func (e *spoolEntry) stream() int64 { return e.off + int64(e.header) }

// spoolCache is the most blob content a spooledPack keeps for delta bases
// and repeated reads.
const spoolCache = 8 << 20

// newSpooledPack creates the pack file at path.
func newSpooledPack(path string) (*spooledPack, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, err
	}
	return &spooledPack{f: f, mem: memory.NewStorage(), byHash: map[plumbing.Hash]int32{}, cache: newByteLRU(spoolCache)}, nil
}

// inMem reports whether objects of type t are kept in memory.
func (s *spooledPack) inMem(t plumbing.ObjectType) bool {
	return t != plumbing.BlobObject && !s.indexOnly
}

// read reads a pack from r into the file and the index. It is called once.
func (s *spooledPack) read(r io.Reader) error {
	s.w = bufio.NewWriterSize(s.f, 64<<10)
	err := scanPack(io.TeeReader(r, s.w), s, s.limits)
	if ferr := s.w.Flush(); err == nil {
		err = ferr
	}
	s.w = nil
	return err
}

func (s *spooledPack) base(h entryHeader) (plumbing.ObjectType, []byte, error) {
	i, ok := -1, false
	if h.typ == plumbing.OFSDeltaObject {
		i, ok = slices.BinarySearchFunc(s.entries, h.baseOffset, func(e spoolEntry, off int64) int { return cmp.Compare(e.off, off) })
	} else {
		var j int32
		j, ok = s.byHash[h.baseID]
		i = int(j)
	}
	if !ok && s.outside != nil && h.typ == plumbing.REFDeltaObject {
		o, err := s.outside.EncodedObject(plumbing.AnyObject, h.baseID)
		if err != nil {
			return 0, nil, fmt.Errorf("%w: %s: %w", errOutside, short(h.baseID), err)
		}
		data, err := objectContent(s.outside, o.Type(), h.baseID)
		s.last, s.lastOut = -1, h.baseID
		return o.Type(), data, err
	}
	if !ok {
		return 0, nil, errOutside
	}
	data, err := s.content(i)
	s.last = i
	return s.entries[i].typ, data, err
}

// reserve makes room in the index for n entries.
func (s *spooledPack) reserve(n int) {
	if len(s.entries) == 0 {
		s.entries = make([]spoolEntry, 0, n)
		s.byHash = make(map[plumbing.Hash]int32, n)
	}
}

func (s *spooledPack) add(off, stream int64, h entryHeader, o *packObject) error {
	if stream-off > math.MaxUint8 || len(s.entries) >= math.MaxInt32 {
		return fmt.Errorf("%w: an entry's header of %d bytes, or more than %d objects", packfile.ErrMalformedPackFile, stream-off, math.MaxInt32)
	}
	e := spoolEntry{off: off, header: uint8(stream - off), streamSize: h.size, base: -1, typ: o.typ, size: int64(len(o.data)), hash: o.hash}
	if h.typ == plumbing.OFSDeltaObject || h.typ == plumbing.REFDeltaObject {
		e.base = int32(s.last)
		if e.base < 0 {
			if s.outBase == nil {
				s.outBase = map[int]plumbing.Hash{}
			}
			s.outBase[len(s.entries)] = s.lastOut
		}
	}
	if _, dup := s.byHash[o.hash]; !dup {
		s.byHash[o.hash] = int32(len(s.entries))
	}
	s.entries = append(s.entries, e)
	if s.seen != nil {
		s.seen(o)
	}
	if s.inMem(o.typ) {
		_, err := s.mem.SetEncodedObject(o)
		return err
	}
	if s.indexOnly && o.typ != plumbing.BlobObject {
		// The next entries are likely deltas of this one: reading it
		// back would flush the file and inflate it again.
		s.cache.put(spoolKey{s, len(s.entries) - 1}, o.data)
	}
	return nil
}

// content returns the content of entry i: from memory, the cache, or the
// file.
func (s *spooledPack) content(i int) ([]byte, error) {
	e := &s.entries[i]
	if s.inMem(e.typ) {
		return objectContent(s.mem, e.typ, e.hash)
	}
	if data, ok := s.cache.get(spoolKey{s, i}); ok {
		return data, nil
	}
	if s.w != nil {
		// The pack is still being read: what is buffered goes to the
		// file first.
		if err := s.w.Flush(); err != nil {
			return nil, err
		}
	}
	rd := bufio.NewReader(io.NewSectionReader(s.f, e.stream(), math.MaxInt64-e.stream()))
	var err error
	if s.zr == nil {
		s.zr, err = zlib.NewReader(rd)
	} else {
		err = s.zr.(zlib.Resetter).Reset(rd, nil)
	}
	if err != nil {
		return nil, fmt.Errorf("read back object %s: %w", e.hash, err)
	}
	data, err := inflate(s.zr, e.streamSize)
	if err != nil {
		return nil, fmt.Errorf("read back object %s: %w", e.hash, err)
	}
	var base []byte
	switch out, ok := s.outBase[i]; {
	case e.base >= 0:
		base, err = s.content(int(e.base))
	case ok:
		base, err = objectContent(s.outside, plumbing.AnyObject, out)
	}
	if err != nil {
		return nil, err
	}
	if e.base >= 0 || base != nil {
		if data, err = applyDelta(base, data); err != nil {
			return nil, fmt.Errorf("read back object %s: %w", e.hash, err)
		}
	}
	s.cache.put(spoolKey{s, i}, data)
	return data, nil
}

// Close closes the file; the caller removes it.
func (s *spooledPack) Close() error { return s.f.Close() }

// The storer.EncodedObjectStorer of a snapshot: reads only, and new
// objects in memory.

func (s *spooledPack) EncodedObject(t plumbing.ObjectType, h plumbing.Hash) (plumbing.EncodedObject, error) {
	j, ok := s.byHash[h]
	i := int(j)
	if !ok || t != plumbing.AnyObject && t != s.entries[i].typ {
		return nil, plumbing.ErrObjectNotFound
	}
	typ := s.entries[i].typ
	if s.inMem(typ) {
		return s.mem.EncodedObject(t, h)
	}
	data, err := s.content(i)
	if err != nil {
		return nil, err
	}
	return &packObject{typ: typ, data: data, hash: h}, nil
}

func (s *spooledPack) HasEncodedObject(h plumbing.Hash) error {
	if _, ok := s.byHash[h]; !ok {
		return plumbing.ErrObjectNotFound
	}
	return nil
}

func (s *spooledPack) EncodedObjectSize(h plumbing.Hash) (int64, error) {
	i, ok := s.byHash[h]
	if !ok {
		return 0, plumbing.ErrObjectNotFound
	}
	return s.entries[i].size, nil
}

func (s *spooledPack) NewEncodedObject() plumbing.EncodedObject { return s.mem.NewEncodedObject() }

// errSpooled is a write to, or a listing of, a spooled pack.
var errSpooled = errors.New("a fetched pack is read-only and not listed")

func (s *spooledPack) SetEncodedObject(plumbing.EncodedObject) (plumbing.Hash, error) {
	return plumbing.ZeroHash, errSpooled
}

func (s *spooledPack) IterEncodedObjects(plumbing.ObjectType) (storer.EncodedObjectIter, error) {
	return nil, errSpooled
}

func (s *spooledPack) AddAlternate(string) error { return errSpooled }

// byteLRU keeps the most recently used contents by key, up to a total
// size; one larger than the limit is not kept. A spooled pack's keys are
// its entries (spoolKey): packs may share one cache.
type byteLRU struct {
	limit, size int
	order       *list.List // of *lruItem, most recent first
	items       map[any]*list.Element
}

type lruItem struct {
	key  any
	data []byte
}

// spoolKey is the cache key of entry i of a spooled pack.
type spoolKey struct {
	pack *spooledPack
	i    int
}

func newByteLRU(limit int) *byteLRU {
	return &byteLRU{limit: limit, order: list.New(), items: map[any]*list.Element{}}
}

// reset drops every content.
func (c *byteLRU) reset() {
	clear(c.items)
	c.order.Init()
	c.size = 0
}

func (c *byteLRU) get(k any) ([]byte, bool) {
	el, ok := c.items[k]
	if !ok {
		return nil, false
	}
	c.order.MoveToFront(el)
	return el.Value.(*lruItem).data, true
}

func (c *byteLRU) put(k any, data []byte) {
	if len(data) > c.limit {
		return
	}
	if _, ok := c.items[k]; ok {
		return
	}
	c.items[k] = c.order.PushFront(&lruItem{key: k, data: data})
	c.size += len(data)
	for c.size > c.limit {
		el := c.order.Back()
		it := el.Value.(*lruItem)
		c.order.Remove(el)
		delete(c.items, it.key)
		c.size -= len(it.data)
	}
}
