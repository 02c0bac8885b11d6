package gitrepo

import (
	"bytes"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/format/packfile"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/protocol/packp"
	"github.com/go-git/go-git/v5/storage/memory"
	"github.com/tagbump/tagbump/internal/testenv"
)

// Only the statuses git's receive-pack sends for a failed compare-and-swap
// are races; git push's own client-side words ("fetch first", "stale
// info") never come from a server, and a status that happens to contain
// them is a refusal to report, not to retry.
func TestReportStatusRace(t *testing.T) {
	for _, tc := range []struct {
		status string
		race   bool
	}{
		{"failed to update ref", true},
		{"failed to lock", true},
		{"non-fast-forward", true},
		{"pre-receive hook declined", false},
		{"hook declined", false},
		{"deny updating a hidden ref", false},
		{"protected branch: fetch first and open a merge request", false},
		{"stale info", false},
	} {
		rs := &packp.ReportStatus{UnpackStatus: "ok", CommandStatuses: []*packp.CommandStatus{
			{ReferenceName: plumbing.NewBranchReferenceName("main"), Status: tc.status},
		}}
		err := reportError(rs, plumbing.NewBranchReferenceName("main"), "")
		var rej *RejectedError
		if got := errors.Is(err, ErrRace); got != tc.race || got == errors.As(err, &rej) {
			t.Errorf("status %q: %v, want race=%v (else a RejectedError)", tc.status, err, tc.race)
		}
	}
}

// A failed unpack is an error even when the server reports no command, or
// reports the command ok: the objects did not arrive.
func TestReportStatusUnpackFailed(t *testing.T) {
	main := plumbing.NewBranchReferenceName("main")
	for _, cs := range [][]*packp.CommandStatus{
		nil,
		{{ReferenceName: main, Status: "ok"}},
		{{ReferenceName: main, Status: "unpacker error"}},
	} {
		rs := &packp.ReportStatus{UnpackStatus: "index-pack abnormal exit", CommandStatuses: cs}
		err := reportError(rs, main, "")
		if err == nil || errors.Is(err, ErrRace) || !strings.Contains(err.Error(), "could not unpack") || !strings.Contains(err.Error(), "index-pack abnormal exit") {
			t.Errorf("unpack failed, %d command statuses: %v", len(cs), err)
		}
	}
	for _, unpack := range []string{"ok", ""} {
		rs := &packp.ReportStatus{UnpackStatus: unpack, CommandStatuses: []*packp.CommandStatus{{ReferenceName: main, Status: "ok"}}}
		if err := reportError(rs, main, ""); err != nil {
			t.Errorf("unpack %q, command ok: %v", unpack, err)
		}
	}
}

// TestReportStatusNoRefStatus: a report without a status for the pushed
// ref ("unpack ok" and a flush, or statuses of other refs only, whatever
// they say) is a lost answer, ErrNetwork, as git's "remote failed to
// report status": not a push that landed, nor a race or a refusal.
func TestReportStatusNoRefStatus(t *testing.T) {
	main := plumbing.NewBranchReferenceName("main")
	other := plumbing.NewBranchReferenceName("other")
	for _, cs := range [][]*packp.CommandStatus{
		nil,
		{{ReferenceName: other, Status: "ok"}},
		{{ReferenceName: other, Status: "failed to update ref"}},
		{{ReferenceName: other, Status: "pre-receive hook declined"}},
	} {
		for _, unpack := range []string{"ok", ""} {
			rs := &packp.ReportStatus{UnpackStatus: unpack, CommandStatuses: cs}
			err := reportError(rs, main, "")
			var rej *RejectedError
			if !errors.Is(err, ErrNetwork) || !errors.Is(err, errNoRefStatus) || errors.Is(err, ErrRace) || errors.As(err, &rej) {
				t.Errorf("unpack %q, statuses %v: %v, want a lost answer (ErrNetwork)", unpack, cs, err)
			}
		}
	}
	// our status among others decides
	rs := &packp.ReportStatus{UnpackStatus: "ok", CommandStatuses: []*packp.CommandStatus{
		{ReferenceName: other, Status: "pre-receive hook declined"}, {ReferenceName: main, Status: "ok"},
	}}
	if err := reportError(rs, main, ""); err != nil {
		t.Errorf("our ref ok after another's refusal: %v", err)
	}
}

// TestPackReadBack: the pack a commit pushes holds exactly its objects, as
// go-git's own pack parser and git's index-pack (which checks every
// object's hash and the pack's checksum) read it. The pushes of every test
// go to servers with receive.fsckObjects.
func TestPackReadBack(t *testing.T) {
	st := memory.NewStorage()
	snap := &Snapshot{branch: "main", objects: st, repo: &Repo{}}
	base := &Commit{objects: st, old: map[string]plumbing.Hash{}, blobs: map[string]plumbing.Hash{}, bases: map[plumbing.Hash]deltaBase{}}
	big := strings.Repeat("image:\n  tag: \"1.0.0\"\n", 2000) // several size bytes
	baseFiles := map[string][]byte{"app/values.yaml": []byte(big), "app/Chart.yaml": []byte("name: app\n"), "README.md": []byte("x\n")}
	for i := range 300 {
		baseFiles[fmt.Sprintf("chart-%03d/values.yaml", i)] = fmt.Appendf(nil, "image:\n  tag: \"1.0.%d\"\n", i)
	}
	tree, err := base.writeTree(st, plumbing.ZeroHash, "", baseFiles)
	if err != nil {
		t.Fatal(err)
	}
	sig := object.Signature{Name: "ci", Email: "ci@example.com", When: time.Unix(1700000000, 0)}
	if snap.tip, err = base.store(&object.Commit{Author: sig, Committer: sig, Message: "init\n", TreeHash: tree}); err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{"app/values.yaml": []byte(big + "# edited\n")}
	// sizes around each boundary of the pack's size encoding (4 bits, then
	// 7 per byte), and with each bit of a 7-bit group set
	for _, n := range []int{1, 15, 16, 127, 128, 2047, 2048, 0x3fff, 0x4000, 1<<20 + 0x55} {
		files[fmt.Sprintf("sizes/%d", n)] = bytes.Repeat([]byte{'a' + byte(n%26)}, n)
	}
	c, err := snap.Commit(files, "chore: edit\n", sig, sig)
	if err != nil {
		t.Fatal(err)
	}
	pack, err := c.pack(false)
	if err != nil {
		t.Fatal(err)
	}
	got := memory.NewStorage()
	if err := packfile.UpdateObjectStorage(got, bytes.NewReader(pack)); err != nil {
		t.Fatalf("go-git cannot read the pack: %v", err)
	}
	if len(got.Objects) != len(c.hashes) || len(c.hashes) != 15 { // 11 blobs, 3 trees, the commit
		t.Fatalf("the pack has %d objects, the commit %d new ones; want 15", len(got.Objects), len(c.hashes))
	}
	for _, h := range c.hashes {
		if _, err := got.EncodedObject(plumbing.AnyObject, h); err != nil {
			t.Errorf("object %s: %v", h, err)
		}
	}
	dir := t.TempDir()
	testenv.MustGit(t, dir, "init", "-q")
	cmd := exec.Command("git", "index-pack", "--stdin")
	cmd.Dir, cmd.Stdin = dir, bytes.NewReader(pack)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git index-pack: %v\n%s", err, out)
	}

	// Thin: a bump's commit sends the edited file and the trees on its
	// path as deltas against the parent's, which git completes from the
	// repository's objects; the root, an entry per chart, shrinks most.
	bump, err := snap.Commit(map[string][]byte{"app/values.yaml": []byte(strings.Replace(big, "1.0.0", "1.0.1", 1))}, "chore: bump\n", sig, sig)
	if err != nil {
		t.Fatal(err)
	}
	full, err := bump.pack(false)
	if err != nil {
		t.Fatal(err)
	}
	thin, err := bump.pack(true)
	if err != nil {
		t.Fatal(err)
	}
	if d := countDeltas(t, thin); d != 3 || len(thin) > 500 || len(full) < 5000 {
		t.Errorf("thin pack: %d deltas, want 3 (app/values.yaml, app, the root); %d bytes, without deltas %d", d, len(thin), len(full))
	}
	parent := t.TempDir()
	testenv.MustGit(t, parent, "init", "-q", "--bare")
	basePack, err := base.pack(true)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range [][]byte{basePack, thin} {
		cmd := exec.Command("git", "index-pack", "--stdin", "--fix-thin", "--strict")
		cmd.Dir, cmd.Stdin = parent, bytes.NewReader(p)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git index-pack --fix-thin: %v\n%s", err, out)
		}
	}
	for _, h := range bump.hashes {
		testenv.MustGit(t, parent, "cat-file", "-e", h.String())
	}
}
