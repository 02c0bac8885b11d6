package gitrepo

import (
	"bytes"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/format/packfile"
	"github.com/go-git/go-git/v5/storage/memory"
	"github.com/tagbump/tagbump/internal/testenv"
)

// TestReadSmallPack reads packs that git itself wrote, with deltas against
// an offset (as fetches get them) and against a hash, and stores the same
// objects as go-git's parser. A pack with a flipped byte is refused.
func TestReadSmallPack(t *testing.T) {
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
	for _, ofs := range []bool{true, false} {
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
		deltas := countDeltas(t, pack)
		if deltas == 0 {
			t.Fatalf("ofs=%v: git wrote no deltas; the test needs some", ofs)
		}
		got, want := memory.NewStorage(), memory.NewStorage()
		if err := readSmallPack(bytes.NewReader(pack), got); err != nil {
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

		bad := bytes.Clone(pack)
		bad[len(bad)/2] ^= 0x20
		if err := readSmallPack(bytes.NewReader(bad), memory.NewStorage()); err == nil {
			t.Errorf("ofs=%v: a pack with a flipped byte was read", ofs)
		}
	}
}

func countDeltas(t *testing.T, pack []byte) int {
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
