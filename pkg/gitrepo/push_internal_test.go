package gitrepo

import (
	"errors"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/protocol/packp"
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
		err := reportError(rs, "")
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
		err := reportError(rs, "")
		if err == nil || errors.Is(err, ErrRace) || !strings.Contains(err.Error(), "could not unpack") || !strings.Contains(err.Error(), "index-pack abnormal exit") {
			t.Errorf("unpack failed, %d command statuses: %v", len(cs), err)
		}
	}
	for _, unpack := range []string{"ok", ""} {
		rs := &packp.ReportStatus{UnpackStatus: unpack, CommandStatuses: []*packp.CommandStatus{{ReferenceName: main, Status: "ok"}}}
		if err := reportError(rs, ""); err != nil {
			t.Errorf("unpack %q, command ok: %v", unpack, err)
		}
	}
}
