package cli_test

import (
	"strings"
	"testing"
)

// TestPRAuthorIsNotOwner: a pipeline passes the developer who triggered it
// as --author. tagbump's commit on the pull request branch is authored by
// the developer but committed by tagbump's identity (--committer,
// TAGBUMP_COMMITTER) with the Tagbump-Branch trailer; the developer's own
// commit on that branch is theirs, and a re-run with the same --author
// refuses to replace it (exit 4) unless --pr-overwrite.
func TestPRAuthorIsNotOwner(t *testing.T) {
	c := forgeCases[0]
	f := startForge(t, c)
	dir := f.Git.Dir(c.repo)
	const head, dev = "tagbump/app-prod", "Dev <dev@example.com>"
	bump := func(tag string, extra ...string) (int, prResult, string) {
		t.Helper()
		code, out, errOut := forgeBump(t, c, f, f.Token, tag, append([]string{"--author", dev}, extra...)...)
		var r prResult
		if code == 0 {
			r = decodePR(t, out)
		}
		return code, r, errOut
	}
	tip := func() string {
		return mustGit(t, dir, "log", "-1", "--format=%an <%ae>|%cn <%ce>|%(trailers:key=Tagbump-Branch,valueonly,separator=%x2C)", head)
	}

	if code, r, errOut := bump("1.1.0"); code != 0 || r.PRAction != "created" {
		t.Fatalf("first bump: exit %d %+v\n%s", code, r, errOut)
	}
	if got, want := tip(), dev+"|tagbump <tagbump@tagbump.invalid>|"+head; got != want {
		t.Errorf("tagbump's commit: author|committer|trailer = %q, want %q", got, want)
	}

	// The developer's own commit, as their git makes it: author and
	// committer both theirs.
	human := commitAs(t, dir, head, "Dev", "dev@example.com")
	code, _, errOut := bump("1.2.0")
	if code != 4 || !strings.Contains(errOut, human) || !strings.Contains(errOut, "--pr-overwrite") {
		t.Errorf("bump over the developer's commit: exit %d, want 4 naming %s and --pr-overwrite\n%s", code, human, errOut)
	}
	if got := f.BranchSHA(c.repo, head); got != human {
		t.Fatalf("the developer's commit was replaced: %s at %s", head, got)
	}

	// --pr-overwrite replaces it, with the committer from TAGBUMP_COMMITTER;
	// a re-run with that committer replaces tagbump's own commit again.
	t.Setenv("TAGBUMP_COMMITTER", "Deploy Bot <bot@example.com>")
	if code, r, errOut := bump("1.2.0", "--pr-overwrite"); code != 0 || r.PRAction != "updated" {
		t.Fatalf("--pr-overwrite: exit %d %+v\n%s", code, r, errOut)
	}
	if got, want := tip(), dev+"|Deploy Bot <bot@example.com>|"+head; got != want {
		t.Errorf("with TAGBUMP_COMMITTER: author|committer|trailer = %q, want %q", got, want)
	}
	if code, r, errOut := bump("1.3.0"); code != 0 || r.PRAction != "updated" || !r.Pushed {
		t.Errorf("re-run over tagbump's own commit: exit %d %+v\n%s", code, r, errOut)
	}
}
