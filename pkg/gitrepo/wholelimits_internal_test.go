package gitrepo

import (
	"bytes"
	"compress/zlib"
	"crypto/sha1"
	"encoding/binary"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
)

type rawObj struct {
	typ  plumbing.ObjectType
	size int64 // header size; -1: len(data)
	data []byte
	// cut: the zlib stream is truncated after its first bytes.
	cut bool
	// ref: a REF_DELTA's base id, written after the header.
	ref []byte
}

// rawPack writes objs as a pack (no checksum check matters: scanPack
// fails earlier in the tests that use cut objects).
func rawPack(objs []rawObj) []byte {
	var b bytes.Buffer
	b.WriteString("PACK\x00\x00\x00\x02")
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(objs)))
	b.Write(n[:])
	for _, o := range objs {
		size := o.size
		if size < 0 {
			size = int64(len(o.data))
		}
		h := []byte{byte(o.typ)<<4 | byte(size&0x0f)}
		for size >>= 4; size > 0; size >>= 7 {
			h[len(h)-1] |= 0x80
			h = append(h, byte(size&0x7f))
		}
		b.Write(h)
		b.Write(o.ref)
		var z bytes.Buffer
		zw := zlib.NewWriter(&z)
		zw.Write(o.data)
		zw.Close()
		if o.cut {
			b.Write(z.Bytes()[:z.Len()/2])
		} else {
			b.Write(z.Bytes())
		}
	}
	sum := sha1.Sum(b.Bytes())
	b.Write(sum[:])
	return b.Bytes()
}

// readWhole reads pack as the whole history's fetch does, with
// --max-fetch-bytes maxFetch (0: the default).
func readWhole(t *testing.T, pack []byte, maxFetch int64) error {
	t.Helper()
	sp, err := newSpooledPack(filepath.Join(t.TempDir(), "pack"))
	if err != nil {
		t.Fatal(err)
	}
	defer sp.Close()
	sp.indexOnly, sp.whole = true, true
	return storePack(bytes.NewReader(pack), sp, nil, packLimits{total: maxFetch})
}

// wantLimit fails unless err is ErrLimit saying what.
func wantLimit(t *testing.T, err error, what string) {
	t.Helper()
	if !errors.Is(err, ErrLimit) || !strings.Contains(err.Error(), what) {
		t.Fatalf("got %v, want ErrLimit saying %q", err, what)
	}
}

// TestWholeHistoryCommitsRaiseNoLimit: a hostile server answering the
// whole-history fetch sends thousands of empty commits (9 bytes each on
// the wire; each used to raise the inflate limit by 256 KiB), then a blob
// whose header claims 1 GiB, twice --max-fetch-bytes. The header check
// refuses it before anything is inflated or allocated: no object of a
// whole history may take more than --max-fetch-bytes/8.
func TestWholeHistoryCommitsRaiseNoLimit(t *testing.T) {
	var objs []rawObj
	for range 4096 {
		objs = append(objs, rawObj{typ: plumbing.CommitObject, size: -1})
	}
	// The stream is cut: were the header let through, the test would
	// not inflate a gigabyte.
	objs = append(objs, rawObj{typ: plumbing.BlobObject, size: 1 << 30, data: make([]byte, 64<<10), cut: true})
	wantLimit(t, readWhole(t, rawPack(objs), 0), "the most one object of a whole history may take is 67108864")
}

// TestWholeHistoryTotal: with --max-fetch-bytes 1 MiB a whole history may
// inflate to 8 MiB, in objects of at most 128 KiB: 40 blobs of 100 KiB
// (4 MiB) pass, 90 (9 MiB) fail, and so does one blob of 129 KiB, and a
// delta that makes one.
func TestWholeHistoryTotal(t *testing.T) {
	blobs := func(n int, size int) []rawObj {
		var objs []rawObj
		for i := range n {
			data := make([]byte, size)
			data[0] = byte(i)
			data[1] = byte(i >> 8)
			objs = append(objs, rawObj{typ: plumbing.BlobObject, size: -1, data: data})
		}
		return objs
	}
	if err := readWhole(t, rawPack(blobs(40, 100<<10)), 1<<20); err != nil {
		t.Fatalf("4 MiB of history, --max-fetch-bytes 1 MiB: %v", err)
	}
	wantLimit(t, readWhole(t, rawPack(blobs(90, 100<<10)), 1<<20), "inflates to more than 8388608 bytes")
	wantLimit(t, readWhole(t, rawPack(blobs(1, 129<<10)), 1<<20), "object of 132096 bytes")
	// A delta of 6 bytes whose header claims a 1 MiB target: refused
	// before applyDelta allocates it.
	base := []byte("abcdefgh")
	id := plumbing.ComputeHash(plumbing.BlobObject, base)
	pack := rawPack([]rawObj{
		{typ: plumbing.BlobObject, size: -1, data: base},
		{typ: plumbing.REFDeltaObject, size: -1, data: []byte{8, 0x80, 0x80, 0x40, 0x90, 8}, ref: id[:]},
	})
	wantLimit(t, readWhole(t, pack, 1<<20), "object of 1048576 bytes")
}

// TestWholeHistoryObjectCount: the pack's header may announce no more
// objects than one fetch of --max-fetch-bytes holds (1 MiB/256: 4096).
func TestWholeHistoryObjectCount(t *testing.T) {
	commits := func(n int) []rawObj {
		objs := make([]rawObj, n)
		for i := range objs {
			objs[i] = rawObj{typ: plumbing.CommitObject, size: -1}
		}
		return objs
	}
	if err := readWhole(t, rawPack(commits(4096)), 1<<20); err != nil {
		t.Fatalf("4096 objects, --max-fetch-bytes 1 MiB: %v", err)
	}
	wantLimit(t, readWhole(t, rawPack(commits(4097)), 1<<20), "the pack holds 4097 objects, the most a whole history may hold is 4096")
}

// TestApplyDeltaHostile: copies out of range, sizes past the base
// or the target, and huge announced sizes error without panicking.
func TestApplyDeltaHostile(t *testing.T) {
	base := []byte("abcdefgh")
	for _, d := range [][]byte{
		{8, 4, 0x91, 0xff, 4},                                     // offset 255
		{8, 4, 0x9f, 0xff, 0xff, 0xff, 0xff, 4},                   // offset 2^32-1
		{8, 4, 0x90, 9},                                           // size past base
		{8, 4, 0x80},                                              // size 0x10000
		{8, 0xff, 0xff, 0xff, 0xff, 0x07, 0x90, 1},                // target 2 GiB-1, one byte given
		{8, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x90, 1},                // target > MaxInt32
		{8, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}, // 63 bits
		{8, 2, 0x90, 4},                                           // copy past target
		{8, 2, 3, 'x', 'y', 'z'},                                  // insert past target
		{8, 2, 5, 'x'},                                            // insert past delta
		{8, 1, 0},                                                 // opcode 0
		{9, 0},                                                    // base size wrong
	} {
		if got, err := applyDelta(base, d); err == nil {
			t.Errorf("applyDelta(% x) = %q, want an error", d, got)
		}
	}
}
