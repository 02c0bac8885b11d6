package gitrepo

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/format/packfile"
	"github.com/go-git/go-git/v5/storage/memory"
	"github.com/tagbump/tagbump/internal/testenv"
)

// TestSpooledPack reads git-written packs into a spooled pack and finds
// every object as go-git's parser does: commits and trees from memory,
// blobs read back from the file, with a cache and with none (every delta
// base read back too). The file holds the pack as it came.
func TestSpooledPack(t *testing.T) {
	for _, ofs := range []bool{true, false} {
		pack, _ := gitDeltaPack(t, ofs)
		want := memory.NewStorage()
		if err := packfile.UpdateObjectStorage(want, bytes.NewReader(pack)); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			limit     int
			indexOnly bool
		}{{spoolCache, false}, {0, false}, {spoolCache, true}, {4 << 10, true}, {0, true}} {
			limit := c.limit
			path := filepath.Join(t.TempDir(), "pack")
			sp, err := newSpooledPack(path)
			if err != nil {
				t.Fatal(err)
			}
			sp.cache, sp.indexOnly = newByteLRU(limit), c.indexOnly
			if err := sp.read(bytes.NewReader(pack)); err != nil {
				t.Fatalf("ofs=%v: %v", ofs, err)
			}
			var blobDeltas, chained int
			for _, e := range sp.entries {
				if e.base >= 0 && e.typ == plumbing.BlobObject {
					blobDeltas++
					if sp.entries[e.base].base >= 0 {
						chained++
					}
				}
			}
			if c.indexOnly && len(sp.mem.Objects) != 0 {
				t.Fatalf("index only: %d objects in memory", len(sp.mem.Objects))
			}
			if blobDeltas == 0 || chained == 0 || len(sp.mem.Blobs) != 0 || len(sp.entries) != len(want.Objects) {
				t.Fatalf("ofs=%v: %d entries (go-git %d), %d blob deltas, %d on a delta, %d blobs in memory: the test needs blob deltas on deltas, and no blob in memory",
					ofs, len(sp.entries), len(want.Objects), blobDeltas, chained, len(sp.mem.Blobs))
			}
			for h, w := range want.Objects {
				g, err := sp.EncodedObject(plumbing.AnyObject, h)
				if err != nil || g.Type() != w.Type() || !bytes.Equal(content(t, g), content(t, w)) {
					t.Fatalf("ofs=%v, cache %d, index only %v: object %s differs: %v", ofs, limit, c.indexOnly, h, err)
				}
				if sp.cache.size > limit {
					t.Fatalf("index only %v: the cache holds %d bytes, over its %d", c.indexOnly, sp.cache.size, limit)
				}
				if _, err := sp.EncodedObject(w.Type(), h); err != nil {
					t.Fatalf("object %s as a %s: %v", h, w.Type(), err)
				}
				other := plumbing.BlobObject
				if w.Type() == plumbing.BlobObject {
					other = plumbing.TreeObject
				}
				if _, err := sp.EncodedObject(other, h); !errors.Is(err, plumbing.ErrObjectNotFound) {
					t.Fatalf("object %s (a %s) as a %s: %v", h, w.Type(), other, err)
				}
				if size, err := sp.EncodedObjectSize(h); err != nil || size != w.Size() || sp.HasEncodedObject(h) != nil {
					t.Fatalf("object %s: size %d, %v; want %d", h, size, err, w.Size())
				}
			}
			missing := plumbing.NewHash("0123456789012345678901234567890123456789")
			if _, err := sp.EncodedObject(plumbing.AnyObject, missing); !errors.Is(err, plumbing.ErrObjectNotFound) || !errors.Is(sp.HasEncodedObject(missing), plumbing.ErrObjectNotFound) {
				t.Fatalf("a missing object: %v", err)
			}
			if _, err := sp.SetEncodedObject(want.NewEncodedObject()); err == nil {
				t.Fatal("a spooled pack took a new object")
			}
			if limit == 0 && sp.cache.size != 0 {
				t.Fatalf("a cache of 0 bytes holds %d", sp.cache.size)
			}
			if err := sp.Close(); err != nil {
				t.Fatal(err)
			}
			if got, err := os.ReadFile(path); err != nil || !bytes.Equal(got, pack) {
				t.Fatalf("ofs=%v: the file holds %d bytes, not the pack's %d: %v", ofs, len(got), len(pack), err)
			}
		}
	}
}

// TestByteLRU keeps the newest contents within the limit.
func TestByteLRU(t *testing.T) {
	c := newByteLRU(10)
	c.put(1, []byte("aaaa"))
	c.put(2, []byte("bbbb"))
	if _, ok := c.get(1); !ok { // 1 is now the newest
		t.Fatal("1 was dropped")
	}
	c.put(3, []byte("cccc")) // 12 bytes: the oldest, 2, goes
	if _, ok := c.get(2); ok {
		t.Error("2 was kept over the limit")
	}
	for _, k := range []int{1, 3} {
		if _, ok := c.get(k); !ok {
			t.Errorf("%d was dropped", k)
		}
	}
	c.put(4, []byte("01234567890")) // larger than the limit: not kept
	if _, ok := c.get(4); ok || c.size != 8 {
		t.Errorf("an 11-byte content in a 10-byte cache: kept %v, size %d", ok, c.size)
	}
}

// BenchmarkSpooledPack reads a whole tip of 2,000 charts whose values files
// git stored as deltas of one another (4,000 deltas), as a full fetch
// spools it.
func BenchmarkSpooledPack(b *testing.B) {
	files := map[string]string{}
	common := strings.Repeat("# -- a comment line, as charts have many\nkey: value\n", 150)
	for i := range 2000 {
		files[fmt.Sprintf("chart-%04d/values.yaml", i)] = common + fmt.Sprintf("image:\n  repository: team/app-%d\n  tag: \"1.%d.0\"\n", i, i)
		files[fmt.Sprintf("chart-%04d/values-prod.yaml", i)] = common[:len(common)/3] + fmt.Sprintf("image:\n  tag: \"1.%d.0\"\n", i)
	}
	dir, err := testenv.CreateBareRepo(filepath.Join(b.TempDir(), "charts.git"), files)
	if err != nil {
		b.Fatal(err)
	}
	objects := testenv.MustGit(b, dir, "rev-list", "--objects", "--no-walk", "main")
	cmd := exec.Command("git", "pack-objects", "--stdout", "-q", "--delta-base-offset", "--no-reuse-object")
	cmd.Dir, cmd.Stdin = dir, strings.NewReader(objects+"\n")
	pack, err := cmd.Output()
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("pack of %d bytes, %d deltas", len(pack), countDeltas(b, pack))
	for b.Loop() {
		sp, err := newSpooledPack(filepath.Join(b.TempDir(), "pack"))
		if err != nil {
			b.Fatal(err)
		}
		if err := sp.read(bytes.NewReader(pack)); err != nil {
			b.Fatal(err)
		}
		sp.Close()
	}
}
