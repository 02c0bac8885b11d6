package gitrepo

import (
	"bytes"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing/format/packfile"
)

// TestDelta applies each delta with go-git's patcher, over the encoding's
// limits: inserts longer than 127 bytes, copies past 16 MiB, offsets with
// zero bytes, no common part, no change.
func TestDelta(t *testing.T) {
	tree := bytes.Repeat([]byte("100644 values-staging.yaml\x00aaaaaaaaaaaaaaaaaaaa"), 2000)
	edited := bytes.Clone(tree)
	copy(edited[0x10000+27:], "bbbbbbbbbbbbbbbbbbbb") // an offset with a zero byte
	huge := bytes.Repeat([]byte("x"), 0x1000000+300)
	hugeEdited := bytes.Clone(huge)
	hugeEdited[len(huge)-100] = 'y'
	long := strings.Repeat("image:\n  tag: v1\n", 100)
	for _, tc := range []struct {
		name         string
		base, target []byte
		small        bool // the delta is a few dozen bytes
	}{
		{"one hash changed", tree, edited, true},
		{"no change", tree, tree, true},
		{"appended", []byte(long), []byte(long + "x: 1\n"), true},
		{"prepended", []byte(long), []byte("x: 1\n" + long), true},
		{"insert over 127 bytes", []byte(long), []byte(long[:100] + strings.Repeat("z", 300) + long[100:]), false},
		{"shorter", []byte(long), []byte(long[:len(long)-40]), true},
		{"copy past 16 MiB", huge, hugeEdited, true},
		{"empty base", nil, []byte("abc"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := delta(tc.base, tc.target)
			if d == nil {
				if len(tc.target) > 0 && !tc.small {
					return // more than half inserted: sent whole
				}
				t.Fatal("no delta")
			}
			got, err := packfile.PatchDelta(tc.base, d)
			if err != nil || !bytes.Equal(got, tc.target) {
				t.Fatalf("patched: %d bytes, want %d; %v", len(got), len(tc.target), err)
			}
			if tc.small && len(d) > 40 {
				t.Errorf("delta of %d bytes", len(d))
			}
		})
	}
	if d := delta([]byte(long), []byte(strings.Repeat("q", len(long)))); d != nil {
		t.Errorf("a delta for a wholly different target: %d bytes", len(d))
	}
	if d := delta([]byte("abc"), nil); d != nil {
		t.Errorf("a delta of %d bytes for an empty target: git refuses deltas under 4 bytes", len(d))
	}
}

// FuzzDelta: a delta, when delta gives one, patches base into target.
func FuzzDelta(f *testing.F) {
	f.Add([]byte("100644 a\x00aaaaaaaaaaaaaaaaaaaa100644 b\x00bbbbbbbbbbbbbbbbbbbb"), []byte("100644 a\x00aaaaaaaaaaaaaaaaaaaa100644 b\x00cccccccccccccccccccc"))
	f.Add([]byte("abc"), []byte(""))
	f.Fuzz(func(t *testing.T, base, target []byte) {
		d := delta(base, target)
		if d == nil {
			return
		}
		got, err := packfile.PatchDelta(base, d)
		if err != nil || !bytes.Equal(got, target) || len(d) < 4 {
			t.Fatalf("patched %q, want %q: %v (a delta of %d bytes)", got, target, err, len(d))
		}
	})
}

// FuzzApplyDelta: applyDelta makes what go-git's PatchDelta makes of any
// base and delta, and fails where it fails (go-git refuses an empty base
// or a delta under 4 bytes, which git would apply). One difference is
// allowed, in one direction: applyDelta refuses a delta whose size header
// is cut short (a varint whose last byte has its high bit set), which
// PatchDelta reads as size 0 (testdata/fuzz/FuzzApplyDelta/84896820c55b1a2a);
// applyDelta never applies a delta PatchDelta refuses.
func FuzzApplyDelta(f *testing.F) {
	base := []byte("100644 a\x00aaaaaaaaaaaaaaaaaaaa100644 b\x00bbbbbbbbbbbbbbbbbbbb")
	f.Add(base, delta(base, []byte("100644 a\x00aaaaaaaaaaaaaaaaaaaa100644 b\x00cccccccccccccccccccc")))
	f.Add([]byte("abc"), []byte{3, 6, 0x90, 3, 3, 'x', 'y', 'z'})
	f.Add([]byte("abc"), []byte{3, 3, 0x80})
	f.Add([]byte("abc"), []byte{3, 3, 0})
	f.Fuzz(func(t *testing.T, base, d []byte) {
		got, err := applyDelta(base, d)
		want, werr := packfile.PatchDelta(base, d)
		if len(base) == 0 || len(d) < 4 {
			if err == nil && werr == nil && !bytes.Equal(got, want) {
				t.Fatalf("applied %q, PatchDelta %q", got, want)
			}
			return
		}
		if err != nil && werr == nil && deltaTargetSize(d) < 0 {
			return // a malformed header: refused, where PatchDelta guesses
		}
		if (err == nil) != (werr == nil) || !bytes.Equal(got, want) {
			t.Fatalf("applied %q (%v), PatchDelta %q (%v)", got, err, want, werr)
		}
		if err == nil && cap(got) != len(got) {
			t.Fatalf("a result of %d bytes in a slice of %d", len(got), cap(got))
		}
	})
}
