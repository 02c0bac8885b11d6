package gitrepo

import (
	"bytes"
	"compress/zlib"
	"crypto/sha1"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/format/packfile"
	"github.com/go-git/go-git/v5/storage/memory"
	"github.com/tagbump/tagbump/internal/testenv"
)

// gitDeltaPack returns a pack that git wrote of a tip with similar trees
// and blobs, with deltas against an offset (ofs, as fetches get them) or
// against a hash, and git's list of its objects.
func gitDeltaPack(t *testing.T, ofs bool) ([]byte, string) {
	t.Helper()
	files := map[string]string{}
	for i := range 40 { // similar trees and blobs: git deltifies them
		files[fmt.Sprintf("chart-%02d/values.yaml", i)] = strings.Repeat("image:\n  repository: team/app\n  tag: \"1.0.0\"\n", 30) + fmt.Sprintf("# %d\n", i)
		files[fmt.Sprintf("chart-%02d/values-prod.yaml", i)] = fmt.Sprintf("image:\n  tag: \"1.%d.0\"\n", i)
	}
	dir, err := testenv.CreateBareRepo(filepath.Join(t.TempDir(), "charts.git"), files)
	if err != nil {
		t.Fatal(err)
	}
	objects := testenv.MustGit(t, dir, "rev-list", "--objects", "--no-walk", "main")
	args := []string{"pack-objects", "--stdout", "-q", "--window=50", "--no-reuse-object"}
	if ofs {
		args = append(args, "--delta-base-offset")
	}
	cmd := exec.Command("git", args...)
	cmd.Dir, cmd.Stdin = dir, strings.NewReader(objects+"\n")
	pack, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	if countDeltas(t, pack) == 0 {
		t.Fatalf("ofs=%v: git wrote no deltas; the test needs some", ofs)
	}
	return pack, objects
}

// TestReadPack reads packs that git itself wrote, with deltas against
// an offset (as fetches get them) and against a hash, and stores the same
// objects as go-git's parser. A pack with a flipped byte is refused.
func TestReadPack(t *testing.T) {
	for _, ofs := range []bool{true, false} {
		pack, objects := gitDeltaPack(t, ofs)
		deltas := countDeltas(t, pack)
		got, want := memory.NewStorage(), memory.NewStorage()
		if err := readPack(bytes.NewReader(pack), got, nil); err != nil {
			t.Fatalf("ofs=%v: %v", ofs, err)
		}
		if err := packfile.UpdateObjectStorage(want, bytes.NewReader(pack)); err != nil {
			t.Fatal(err)
		}
		if len(got.Objects) != len(want.Objects) || len(got.Objects) != strings.Count(objects, "\n")+1 {
			t.Fatalf("ofs=%v: %d objects, go-git %d, git listed %d", ofs, len(got.Objects), len(want.Objects), strings.Count(objects, "\n")+1)
		}
		for h, w := range want.Objects {
			g, err := got.EncodedObject(plumbing.AnyObject, h)
			if err != nil || g.Type() != w.Type() || !bytes.Equal(content(t, g), content(t, w)) {
				t.Fatalf("ofs=%v: object %s differs: %v", ofs, h, err)
			}
		}
		t.Logf("ofs=%v: %d objects, %d deltas", ofs, len(got.Objects), deltas)

		// The stream's reads may end anywhere: in a header, a zlib
		// stream or the checksum.
		oneByte := memory.NewStorage()
		if err := readPack(iotest.OneByteReader(bytes.NewReader(pack)), oneByte, nil); err != nil || len(oneByte.Objects) != len(want.Objects) {
			t.Errorf("ofs=%v: read a byte at a time: %d objects, %v", ofs, len(oneByte.Objects), err)
		}

		bad := bytes.Clone(pack)
		bad[len(bad)/2] ^= 0x20
		if err := readPack(bytes.NewReader(bad), memory.NewStorage(), nil); err == nil {
			t.Errorf("ofs=%v: a pack with a flipped byte was read", ofs)
		}
		sum := bytes.Clone(pack)
		sum[len(sum)-1] ^= 1
		if err := readPack(bytes.NewReader(sum), memory.NewStorage(), nil); !errors.Is(err, packfile.ErrMalformedPackFile) {
			t.Errorf("ofs=%v: a pack with a wrong checksum: %v", ofs, err)
		}
		for _, cut := range []int{len(pack) - 1, len(pack) - 20, len(pack) / 2, 12} {
			if err := readPack(bytes.NewReader(pack[:cut]), memory.NewStorage(), nil); !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Errorf("ofs=%v: pack cut at %d of %d: %v, want an unexpected EOF", ofs, cut, len(pack), err)
			}
		}
	}
}

func countDeltas(t testing.TB, pack []byte) int {
	t.Helper()
	sc := packfile.NewScanner(bytes.NewReader(pack))
	_, n, err := sc.Header()
	if err != nil {
		t.Fatal(err)
	}
	deltas := 0
	for range n {
		h, err := sc.NextObjectHeader()
		if err != nil {
			t.Fatal(err)
		}
		if h.Type == plumbing.OFSDeltaObject || h.Type == plumbing.REFDeltaObject {
			deltas++
		}
		if _, _, err := sc.NextObject(io.Discard); err != nil {
			t.Fatal(err)
		}
	}
	return deltas
}

func content(t *testing.T, o plumbing.EncodedObject) []byte {
	t.Helper()
	rd, err := o.Reader()
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	b, err := io.ReadAll(rd)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// FuzzReadPack feeds readPack damaged packs: it must not panic, and a pack
// it reads must hold what go-git's parser finds in it, in memory and
// spooled.
func FuzzReadPack(f *testing.F) {
	files := map[string]string{"a/values.yaml": strings.Repeat("image:\n  tag: \"1.0.0\"\n", 20), "b/values.yaml": strings.Repeat("image:\n  tag: \"1.0.0\"\n", 20) + "x: 1\n", "c": ""}
	dir, err := testenv.CreateBareRepo(filepath.Join(f.TempDir(), "r.git"), files)
	if err != nil {
		f.Fatal(err)
	}
	objects := testenv.MustGit(f, dir, "rev-list", "--objects", "--no-walk", "main")
	for _, args := range [][]string{{"--delta-base-offset"}, {}} {
		cmd := exec.Command("git", append([]string{"pack-objects", "--stdout", "-q", "--window=10", "--no-reuse-object"}, args...)...)
		cmd.Dir, cmd.Stdin = dir, strings.NewReader(objects+"\n")
		pack, err := cmd.Output()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(pack)
	}
	// Hostile packs: a zip bomb (one blob that claims a terabyte of
	// zeros, cut after 4 KiB), and millions of empty objects claimed.
	var bomb bytes.Buffer
	testenv.ZipBombPack(&bomb, 1<<40, 4<<10)
	f.Add(bomb.Bytes())
	many := rawBlobPack("", "")
	copy(many[8:12], []byte{0x7f, 0xff, 0xff, 0xff})
	f.Add(many)
	f.Fuzz(func(t *testing.T, pack []byte) {
		got := memory.NewStorage()
		if err := readPack(bytes.NewReader(pack), got, nil); err != nil {
			return
		}
		want := memory.NewStorage()
		if err := packfile.UpdateObjectStorage(want, bytes.NewReader(pack)); err != nil {
			t.Fatalf("read a pack go-git refuses (%v)", err)
		}
		if len(got.Objects) != len(want.Objects) {
			t.Fatalf("%d objects, go-git %d", len(got.Objects), len(want.Objects))
		}
		// The full fetch's spooled pack reads it as well, blobs read
		// back from its file.
		sp, err := newSpooledPack(filepath.Join(t.TempDir(), "pack"))
		if err != nil {
			t.Fatal(err)
		}
		defer sp.Close()
		if err := sp.read(bytes.NewReader(pack)); err != nil {
			t.Fatalf("spooled: %v", err)
		}
		for h, w := range want.Objects {
			g, err := got.EncodedObject(plumbing.AnyObject, h)
			if err != nil || g.Type() != w.Type() || !bytes.Equal(content(t, g), content(t, w)) {
				t.Fatalf("object %s differs: %v", h, err)
			}
			g, err = sp.EncodedObject(plumbing.AnyObject, h)
			if err != nil || g.Type() != w.Type() || !bytes.Equal(content(t, g), content(t, w)) {
				t.Fatalf("spooled: object %s differs: %v", h, err)
			}
		}
	})
}

// TestReadPackSizes refuses an object whose stream holds more or fewer
// bytes than its header says.
func TestReadPackSizes(t *testing.T) {
	blobPack := func(size int, content string) []byte {
		var b bytes.Buffer
		b.WriteString("PACK\x00\x00\x00\x02\x00\x00\x00\x01")
		b.WriteByte(byte(plumbing.BlobObject)<<4 | byte(size)) // size < 16
		zw := zlib.NewWriter(&b)
		zw.Write([]byte(content))
		zw.Close()
		sum := sha1.Sum(b.Bytes())
		b.Write(sum[:])
		return b.Bytes()
	}
	st := memory.NewStorage()
	if err := readPack(bytes.NewReader(blobPack(5, "hello")), st, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := st.EncodedObject(plumbing.BlobObject, plumbing.ComputeHash(plumbing.BlobObject, []byte("hello"))); err != nil {
		t.Fatalf("the blob is not stored under its id: %v", err)
	}
	for _, size := range []int{4, 6, 0} {
		if err := readPack(bytes.NewReader(blobPack(size, "hello")), memory.NewStorage(), nil); !errors.Is(err, packfile.ErrMalformedPackFile) {
			t.Errorf("header size %d for 5 bytes: %v, want a malformed pack", size, err)
		}
	}
}

// BenchmarkReadPack reads the pack of one commit's trees (no blobs) of a
// 2,000-chart repository, as a bump's first fetch gets it, with readPack
// and with go-git's parser.
func BenchmarkReadPack(b *testing.B) {
	dir, err := testenv.CreateBareRepo(filepath.Join(b.TempDir(), "charts.git"), testenv.ChartsFiles(2000, 1))
	if err != nil {
		b.Fatal(err)
	}
	objects := testenv.MustGit(b, dir, "rev-list", "--objects", "--no-object-names", "--filter=blob:none", "--max-count=1", "main")
	cmd := exec.Command("git", "pack-objects", "--stdout", "-q")
	cmd.Dir, cmd.Stdin = dir, strings.NewReader(objects+"\n")
	pack, err := cmd.Output()
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("%d objects, %d bytes", strings.Count(objects, "\n")+1, len(pack))
	b.Run("readPack", func(b *testing.B) {
		for b.Loop() {
			if err := readPack(bytes.NewReader(pack), memory.NewStorage(), nil); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("go-git", func(b *testing.B) {
		for b.Loop() {
			if err := packfile.UpdateObjectStorage(memory.NewStorage(), bytes.NewReader(pack)); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestReadPackZipBomb reads a pack whose one blob claims a terabyte (and
// would inflate to it): readPack fails on the header, with ErrLimit,
// having read a few bytes of it.
func TestReadPackZipBomb(t *testing.T) {
	pr, pw := io.Pipe()
	go func() {
		_, err := testenv.ZipBombPack(pw, 1<<40, 0)
		pw.CloseWithError(err)
	}()
	cr := &countReader{r: pr}
	done := make(chan error, 1)
	go func() { done <- readPack(cr, memory.NewStorage(), nil) }()
	var err error
	select {
	case err = <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("still inflating after 30s")
	}
	pr.Close()
	if !errors.Is(err, ErrLimit) {
		t.Fatalf("readPack of a zip bomb: %v, want ErrLimit", err)
	}
	if cr.n > 64<<10 {
		t.Errorf("read %d bytes of the bomb", cr.n)
	}
}

// TestReadPackLimits: the total counts every object, and a fetch of
// files refuses a blob larger than the file limit by its header.
func TestReadPackLimits(t *testing.T) {
	blobs := make([]string, 8)
	for i := range blobs {
		blobs[i] = strings.Repeat(string(rune('a'+i)), 200<<10)
	}
	pack := rawBlobPack(blobs...)
	if err := scanPack(bytes.NewReader(pack), &memSink{st: memory.NewStorage()}, packLimits{total: 4 << 20}); err != nil {
		t.Fatalf("8 blobs of 200 KiB within 4 MiB: %v", err)
	}
	err := scanPack(bytes.NewReader(pack), &memSink{st: memory.NewStorage()}, packLimits{total: 1 << 20})
	if !errors.Is(err, ErrLimit) || !strings.Contains(err.Error(), "object 6 of 8") {
		t.Errorf("8 blobs of 200 KiB within 1 MiB: %v, want ErrLimit at the 6th", err)
	}
	err = scanPack(bytes.NewReader(pack), &memSink{st: memory.NewStorage()}, packLimits{blob: 100 << 10})
	if !errors.Is(err, ErrTooLarge) || errors.Is(err, ErrLimit) {
		t.Errorf("a blob of 200 KiB with a limit of 100 KiB: %v, want ErrTooLarge", err)
	}
	if got := deltaTargetSize([]byte{0x80 | 5, 1, 0x80 | 0x10, 0x80, 1}); got != 0x10|0<<7|1<<14 {
		t.Errorf("deltaTargetSize = %d", got)
	}
	if got := deltaTargetSize([]byte{0x80}); got != -1 {
		t.Errorf("deltaTargetSize of a cut header = %d, want -1", got)
	}
}

// rawBlobPack is a pack of the given blobs, whole.
func rawBlobPack(blobs ...string) []byte {
	var b bytes.Buffer
	b.WriteString("PACK\x00\x00\x00\x02")
	b.Write([]byte{0, 0, 0, byte(len(blobs))})
	for _, s := range blobs {
		size := len(s)
		h := []byte{byte(plumbing.BlobObject)<<4 | byte(size&0x0f)}
		for size >>= 4; size > 0; size >>= 7 {
			h[len(h)-1] |= 0x80
			h = append(h, byte(size&0x7f))
		}
		b.Write(h)
		zw := zlib.NewWriter(&b)
		zw.Write([]byte(s))
		zw.Close()
	}
	sum := sha1.Sum(b.Bytes())
	b.Write(sum[:])
	return b.Bytes()
}

type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.n += int64(n)
	return n, err
}
