package cli

import (
	"strings"
	"testing"
)

// TestIdentities: the committer is tagbump's identity whatever the author
// (--committer, default DefaultAuthor), the author defaults to the
// committer, and when signing the committer defaults to --author, the
// account hosts verify the signature against.
func TestIdentities(t *testing.T) {
	const dev, bot = "Dev <dev@example.com>", "Deploy Bot <bot@example.com>"
	for _, tc := range []struct {
		author, committer string
		signing           bool
		wantA, wantC      string
	}{
		{"", "", false, DefaultAuthor, DefaultAuthor},
		{dev, "", false, dev, DefaultAuthor},
		{dev, bot, false, dev, bot},
		{"", bot, false, bot, bot},
		{bot, "", true, bot, bot},
		{dev, bot, true, dev, bot},
		{"", "", true, DefaultAuthor, DefaultAuthor},
	} {
		a, c, err := identities(tc.author, tc.committer, tc.signing)
		if err != nil {
			t.Errorf("identities(%q, %q, %v): %v", tc.author, tc.committer, tc.signing, err)
			continue
		}
		if got := a.Name + " <" + a.Email + ">"; got != tc.wantA {
			t.Errorf("identities(%q, %q, %v): author %q, want %q", tc.author, tc.committer, tc.signing, got, tc.wantA)
		}
		if got := c.Name + " <" + c.Email + ">"; got != tc.wantC {
			t.Errorf("identities(%q, %q, %v): committer %q, want %q", tc.author, tc.committer, tc.signing, got, tc.wantC)
		}
	}
	for _, tc := range []struct{ author, committer, flag string }{
		{"no-email", "", "--author"},
		{"", "bot@example.com", "--committer"},
	} {
		_, _, err := identities(tc.author, tc.committer, false)
		if ExitCode(err) != ExitUsage || err == nil || !strings.Contains(err.Error(), tc.flag) {
			t.Errorf("identities(%q, %q): %v, want a usage error naming %s", tc.author, tc.committer, err, tc.flag)
		}
	}
}
