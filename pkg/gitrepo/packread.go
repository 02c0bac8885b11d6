package gitrepo

import (
	"bytes"
	"crypto"
	"crypto/sha1"
	"encoding/binary"
	"errors"
	"fmt"
	"github.com/klauspost/compress/zlib"
	"hash"
	"io"
	"slices"
	"strconv"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/format/packfile"
	githash "github.com/go-git/go-git/v5/plumbing/hash"
	"github.com/go-git/go-git/v5/plumbing/storer"
	"github.com/go-git/go-git/v5/storage/memory"
)

// storePack stores the pack read from r in st: with readPack in memory (a
// bump's packs and history pages), in a spooled pack for the full fetch.
// observe, when not nil, is called with each object once it is stored in
// memory;
// lim bounds what it inflates.
func storePack(r io.Reader, st storer.EncodedObjectStorer, observe func(plumbing.EncodedObject), lim packLimits) error {
	switch st := st.(type) {
	case *memory.Storage:
		return scanPack(r, &memSink{st: st, observe: observe}, lim)
	case *collected:
		return scanPack(r, &memSink{list: st, observe: observe}, lim)
	case *spooledPack:
		if st.whole {
			lim = wholeHistoryLimits(lim.total)
		}
		st.limits = lim
		return st.read(r)
	}
	return fmt.Errorf("read pack: no reader for storage %T", st)
}

// readPack stores the objects of the pack read from r in st, resolving
// deltas as it goes. A pack without haves has no thin deltas: a base
// outside the pack is refused.
//
// It does what go-git's parser does for an in-memory fetch, with less: one
// inflater reused for every object and fed byte by byte, so that it never
// reads past an object's stream (no re-reading, no per-object CRC); each
// object hashed once and its content held once, by the storage. On the
// tree pack of a 2,000-chart repository (BenchmarkReadPack) it takes 6 ms
// where go-git's parser takes 20-26 ms (8 ms with the standard library's
// inflater instead of klauspost/compress's).
//
// It inflates at most DefaultMaxFetchBytes (see packLimits).
func readPack(r io.Reader, st *memory.Storage, observe func(plumbing.EncodedObject)) error {
	return scanPack(r, &memSink{st: st, observe: observe}, packLimits{})
}

// DefaultMaxFetchBytes is the most a fetched pack may inflate to by
// default: 512 MiB. The whole tip of bitnami/charts, the largest public
// charts repository (about 110 charts; 4,200 files and 543 trees at its
// July 2026 tip), inflates to 62 MiB, prometheus-community/helm-charts's to
// 12 MiB: the default leaves eight times the largest room, and a pack that
// inflates to gigabytes, a zip bomb, fails after reading a few hundred
// kilobytes.
const DefaultMaxFetchBytes = 512 << 20

// WithMaxFetchBytes sets the most bytes the objects of one fetched pack
// may inflate to (each object counts its size plus objectCost, a delta
// also the object it makes); a larger pack fails with ErrLimit. The
// default is DefaultMaxFetchBytes (512 MiB); n <= 0 keeps it.
func WithMaxFetchBytes(n int64) Option { return func(o *options) { o.maxFetchBytes = n } }

// objectCost is what each object of a pack counts against the limit on
// top of its size: about what storing an empty object costs, so that a
// pack of millions of empty objects is bounded too.
const objectCost = 256

// packLimits bounds what scanPack inflates from one pack. Sizes are
// checked against the entry headers before anything is inflated, and
// inflate never reads past a header's size.
type packLimits struct {
	// total is the most the pack's objects may inflate to, as
	// WithMaxFetchBytes counts; 0 means DefaultMaxFetchBytes.
	total int64
	// blob, when above 0, is the largest blob the pack may hold: a
	// fetch of files (WithMaxFileSize).
	blob int64
	// object, when above 0, is the largest object the pack may hold,
	// the result of a delta included, checked against the entry's and
	// the delta's header before anything is allocated for it.
	object int64
	// objects, when above 0, is the most objects the pack may hold,
	// checked against the pack's header: each costs an entry of the
	// index (spooledPack) however little it inflates to.
	objects int64
}

// budget is what is left of a packLimits' total while a pack is read.
type budget struct {
	packLimits
	left int64
}

func (l packLimits) budget() *budget {
	if l.total <= 0 {
		l.total = DefaultMaxFetchBytes
	}
	return &budget{packLimits: l, left: l.total}
}

// take counts n more bytes, and fails once the total is exceeded.
func (b *budget) take(n int64) error {
	if n < 0 || n > b.left {
		b.left = -1
		return fmt.Errorf("%w: the pack inflates to more than %d bytes (--max-fetch-bytes, TAGBUMP_MAX_FETCH_BYTES): the server sent far more than a charts repository holds; check the server, or raise the limit", ErrLimit, b.total)
	}
	b.left -= n
	return nil
}

// objectSize fails when an object of size bytes is larger than the
// limit on one object.
func (b *budget) objectSize(size int64) error {
	if b.object > 0 && size > b.object {
		return fmt.Errorf("%w: the server sends an object of %d bytes, the most one object of a whole history may take is %d (--max-fetch-bytes/%d): check the server, or raise the limit", ErrLimit, size, b.object, wholeObjectShare)
	}
	return nil
}

// blobSize fails when a blob of size bytes is larger than the limit.
func (b *budget) blobSize(size int64) error {
	if b.blob > 0 && size > b.blob {
		return fmt.Errorf("%w: the server sends a blob of %d bytes, the limit is %d (--max-file-size)", ErrTooLarge, size, b.blob)
	}
	return nil
}

// deltaTargetSize returns the size of the object that delta makes: the
// second of the two varints that start it (gitformat-pack, deltified
// representation), or -1 when they are malformed.
func deltaTargetSize(delta []byte) int64 {
	var size [2]int64
	for i := range size {
		for shift := 0; ; shift += 7 {
			if len(delta) == 0 || shift > 56 {
				return -1
			}
			b := delta[0]
			delta = delta[1:]
			size[i] |= int64(b&0x7f) << shift
			if b&0x80 == 0 {
				break
			}
		}
	}
	return size[1]
}

// packSink is where scanPack puts a pack's objects.
type packSink interface {
	// base returns the type and content of a delta's base: the object
	// at h.baseOffset (OFS_DELTA) or with id h.baseID (REF_DELTA), read
	// before it.
	base(h entryHeader) (plumbing.ObjectType, []byte, error)
	// add takes the next object: its entry's pack offset, where its
	// zlib stream starts, its header, and the object, deltas resolved.
	add(off, stream int64, h entryHeader, o *packObject) error
}

// errOutside is a delta whose base is not among the objects before it.
var errOutside = fmt.Errorf("%w: a delta of an object outside the pack", packfile.ErrMalformedPackFile)

// scanPack reads the pack from r and gives each object to sink, within
// lim.
func scanPack(r io.Reader, sink packSink, lim packLimits) error {
	bud := lim.budget()
	p := &packStream{r: r, buf: make([]byte, 64<<10), sum: sha1.New()}
	var hdr [12]byte
	if err := p.readFull(hdr[:]); err != nil {
		return fmt.Errorf("read pack: header: %w", err)
	}
	if string(hdr[:4]) != "PACK" {
		return fmt.Errorf("read pack: %w: no pack signature", packfile.ErrMalformedPackFile)
	}
	if v := binary.BigEndian.Uint32(hdr[4:8]); v != 2 && v != 3 {
		return fmt.Errorf("read pack: %w: version %d", packfile.ErrMalformedPackFile, v)
	}
	n := binary.BigEndian.Uint32(hdr[8:])
	if lim.objects > 0 && int64(n) > lim.objects {
		return fmt.Errorf("read pack: %w: the pack holds %d objects, the most a whole history may hold is %d (--max-fetch-bytes/%d): check the server, or raise the limit", ErrLimit, n, lim.objects, objectCost)
	}
	if r, ok := sink.(interface{ reserve(int) }); ok {
		r.reserve(int(min(n, maxReserve)))
	}
	var zr io.ReadCloser
	hasher := newObjectHasher()
	for i := range n {
		fail := func(err error) error { return fmt.Errorf("read pack: object %d of %d: %w", i+1, n, err) }
		off := p.offset()
		h, err := p.objectHeader()
		if err != nil {
			return fail(err)
		}
		// Sizes first: nothing is inflated past the limits.
		if err := bud.take(h.size + objectCost); err != nil {
			return fail(err)
		}
		if err := bud.objectSize(h.size); err != nil {
			return fail(err)
		}
		if h.typ == plumbing.BlobObject {
			if err := bud.blobSize(h.size); err != nil {
				return fail(err)
			}
		}
		stream := p.offset()
		if zr == nil {
			zr, err = zlib.NewReader(p)
		} else {
			err = zr.(zlib.Resetter).Reset(p, nil)
		}
		if err != nil {
			return fail(err)
		}
		data, err := inflate(zr, h.size)
		if err != nil {
			return fail(err)
		}
		typ := h.typ
		if typ == plumbing.OFSDeltaObject || typ == plumbing.REFDeltaObject {
			var base []byte
			if typ, base, err = sink.base(h); err != nil {
				return fail(err)
			}
			size := deltaTargetSize(data)
			if err := bud.take(size); err != nil {
				return fail(err)
			}
			if err := bud.objectSize(size); err != nil {
				return fail(err)
			}
			if typ == plumbing.BlobObject {
				if err := bud.blobSize(size); err != nil {
					return fail(err)
				}
			}
			if data, err = applyDelta(base, data); err != nil {
				return fail(err)
			}
		}
		if err := sink.add(off, stream, h, &packObject{typ: typ, data: data, hash: hasher.id(typ, data)}); err != nil {
			return fail(err)
		}
	}
	if err := p.checksum(); err != nil {
		return fmt.Errorf("read pack: %w", err)
	}
	return nil
}

// maxReserve is the most entries a sink makes room for before a pack's
// objects arrive: the header's count is the server's word.
const maxReserve = 1 << 17

// collected is a storage that lists the objects of a pack, for a caller
// that stores them itself once the whole fetch has succeeded: cheaper than
// a temporary memory.Storage for thousands of small objects.
type collected struct {
	*memory.Storage // never written: for the interface only
	objects         []plumbing.EncodedObject
}

func newCollected() *collected { return &collected{Storage: memory.NewStorage()} }

// memSink stores every object in memory: in st, or listed in list.
type memSink struct {
	st      *memory.Storage
	list    *collected
	observe func(plumbing.EncodedObject)
	// Every object in pack order, for delta bases; offsets only grow.
	offsets []int64
	objects []*packObject
	byHash  map[plumbing.Hash]*packObject // built at the first REF_DELTA
}

func (m *memSink) base(h entryHeader) (plumbing.ObjectType, []byte, error) {
	var base *packObject
	if h.typ == plumbing.OFSDeltaObject {
		if k, ok := slices.BinarySearch(m.offsets, h.baseOffset); ok {
			base = m.objects[k]
		}
	} else {
		if m.byHash == nil {
			m.byHash = make(map[plumbing.Hash]*packObject, len(m.objects))
			for _, o := range m.objects {
				m.byHash[o.hash] = o
			}
		}
		base = m.byHash[h.baseID]
	}
	if base == nil {
		return 0, nil, errOutside
	}
	return base.typ, base.data, nil
}

func (m *memSink) add(off, _ int64, _ entryHeader, o *packObject) error {
	if m.list != nil {
		m.list.objects = append(m.list.objects, o)
	} else if _, err := m.st.SetEncodedObject(o); err != nil {
		return err
	}
	m.offsets, m.objects = append(m.offsets, off), append(m.objects, o)
	if m.byHash != nil {
		m.byHash[o.hash] = o
	}
	if m.observe != nil {
		m.observe(o)
	}
	return nil
}

// inflate reads one object's zlib stream, which must hold exactly size
// bytes. The buffer grows with what arrives rather than with what the
// header claims.
func inflate(zr io.Reader, size int64) ([]byte, error) {
	// One byte of room past size: reading to the stream's end checks its
	// checksum, and a longer stream is an error.
	data := make([]byte, 0, min(size, 1<<20)+1)
	for int64(len(data)) <= size {
		if len(data) == cap(data) {
			data = slices.Grow(data, 1)
		}
		n, err := zr.Read(data[len(data):cap(data)])
		data = data[:len(data)+n]
		if errors.Is(err, io.EOF) {
			if int64(len(data)) != size {
				break
			}
			return data, nil
		}
		if err != nil {
			return nil, err
		}
	}
	return nil, fmt.Errorf("%w: an object's stream holds %d bytes or more, its header says %d", packfile.ErrMalformedPackFile, len(data), size)
}

// objectHasher computes object ids as go-git does, reusing its hash and
// buffer from object to object.
type objectHasher struct {
	h   hash.Hash
	buf [64]byte
}

func newObjectHasher() *objectHasher { return &objectHasher{h: githash.New(crypto.SHA1)} }

// id is the id of an object of type typ with content data.
func (o *objectHasher) id(typ plumbing.ObjectType, data []byte) plumbing.Hash {
	o.h.Reset()
	b := append(append(append(o.buf[:0], typ.String()...), ' '), strconv.Itoa(len(data))...)
	o.h.Write(append(b, 0))
	o.h.Write(data)
	var id plumbing.Hash
	copy(id[:], o.h.Sum(o.buf[:0]))
	return id
}

// packObject is an object read from a pack: its content and id, computed
// once. It is read-only.
type packObject struct {
	typ  plumbing.ObjectType
	data []byte
	hash plumbing.Hash
}

var errReadOnly = errors.New("object read from a pack is read-only")

func (o *packObject) Hash() plumbing.Hash             { return o.hash }
func (o *packObject) Type() plumbing.ObjectType       { return o.typ }
func (o *packObject) SetType(plumbing.ObjectType)     {}
func (o *packObject) Size() int64                     { return int64(len(o.data)) }
func (o *packObject) SetSize(int64)                   {}
func (o *packObject) Writer() (io.WriteCloser, error) { return nil, errReadOnly }
func (o *packObject) Reader() (io.ReadCloser, error) {
	return io.NopCloser(bytes.NewReader(o.data)), nil
}

// packStream is a pack being read. It is an io.ByteReader, so that the
// inflater reads exactly an object's stream and not past it; it knows the
// offset of the next byte and hashes what was consumed, for the pack's
// trailing checksum.
type packStream struct {
	r        io.Reader
	buf      []byte
	pos, end int   // buf[pos:end] is read but not consumed
	hashed   int   // buf[:hashed] is in sum
	off      int64 // the pack offset of buf[0]
	sum      hash.Hash
	err      error
}

func (p *packStream) offset() int64 { return p.off + int64(p.pos) }

// fill reads more after what is not consumed yet.
func (p *packStream) fill() error {
	if p.err != nil {
		return p.err
	}
	p.sum.Write(p.buf[p.hashed:p.pos])
	n := copy(p.buf, p.buf[p.pos:p.end])
	p.off += int64(p.pos)
	p.pos, p.end, p.hashed = 0, n, 0
	m, err := p.r.Read(p.buf[n:])
	p.end += m
	if m > 0 {
		return nil
	}
	switch {
	case err == nil:
		err = io.ErrNoProgress
	case errors.Is(err, io.EOF):
		err = io.ErrUnexpectedEOF // a pack ends with its checksum, not with EOF
	}
	p.err = err
	return err
}

func (p *packStream) ReadByte() (byte, error) {
	if p.pos == p.end {
		if err := p.fill(); err != nil {
			return 0, err
		}
	}
	b := p.buf[p.pos]
	p.pos++
	return b, nil
}

func (p *packStream) Read(b []byte) (int, error) {
	if p.pos == p.end {
		if err := p.fill(); err != nil {
			return 0, err
		}
	}
	n := copy(b, p.buf[p.pos:p.end])
	p.pos += n
	return n, nil
}

// readFull reads len(b) bytes into b.
func (p *packStream) readFull(b []byte) error {
	for len(b) > 0 {
		if p.pos == p.end {
			if err := p.fill(); err != nil {
				return err
			}
		}
		n := copy(b, p.buf[p.pos:p.end])
		p.pos += n
		b = b[n:]
	}
	return nil
}

// checksum reads the pack's trailing checksum and compares it with the
// hash of everything before it.
func (p *packStream) checksum() error {
	p.sum.Write(p.buf[p.hashed:p.pos])
	p.hashed = p.pos
	want := p.sum.Sum(nil)
	var got [sha1.Size]byte
	if err := p.readFull(got[:]); err != nil {
		return fmt.Errorf("pack checksum: %w", err)
	}
	if !bytes.Equal(got[:], want) {
		return fmt.Errorf("%w: pack checksum mismatch", packfile.ErrMalformedPackFile)
	}
	return nil
}

// entryHeader is what precedes an object's stream in a pack.
type entryHeader struct {
	typ        plumbing.ObjectType
	size       int64         // inflated size (of the delta, for a delta)
	baseOffset int64         // OFS_DELTA: the base's pack offset
	baseID     plumbing.Hash // REF_DELTA: the base's id
}

// objectHeader reads an entry's header (gitformat-pack: type and size,
// then an OFS_DELTA's negative offset or a REF_DELTA's base id).
func (p *packStream) objectHeader() (h entryHeader, err error) {
	start := p.offset()
	b, err := p.ReadByte()
	if err != nil {
		return h, err
	}
	h.typ = plumbing.ObjectType(b >> 4 & 7)
	h.size = int64(b & 0x0f)
	for shift := 4; b&0x80 != 0; shift += 7 {
		if shift > 56 {
			return h, fmt.Errorf("%w: object size too large", packfile.ErrMalformedPackFile)
		}
		if b, err = p.ReadByte(); err != nil {
			return h, err
		}
		h.size |= int64(b&0x7f) << shift
	}
	switch h.typ {
	case plumbing.CommitObject, plumbing.TreeObject, plumbing.BlobObject, plumbing.TagObject:
	case plumbing.OFSDeltaObject:
		if b, err = p.ReadByte(); err != nil {
			return h, err
		}
		rel := int64(b & 0x7f)
		for b&0x80 != 0 {
			if rel >= 1<<48 {
				return h, fmt.Errorf("%w: delta offset too large", packfile.ErrMalformedPackFile)
			}
			if b, err = p.ReadByte(); err != nil {
				return h, err
			}
			rel = (rel+1)<<7 | int64(b&0x7f)
		}
		if rel > start-12 {
			return h, fmt.Errorf("%w: delta base before the pack's start", packfile.ErrMalformedPackFile)
		}
		h.baseOffset = start - rel
	case plumbing.REFDeltaObject:
		err = p.readFull(h.baseID[:])
	default:
		return h, fmt.Errorf("%w: object type %d", packfile.ErrMalformedPackFile, h.typ)
	}
	return h, err
}
