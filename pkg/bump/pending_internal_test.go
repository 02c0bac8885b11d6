package bump

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/google/go-cmp/cmp"
	"github.com/tagbump/tagbump/pkg/imageref"
)

// TestPRBranchImage: {image} in --pr-branch is the image repository's last
// path element; it is refused where there is no one image to name.
func TestPRBranchImage(t *testing.T) {
	tmpl := "tagbump/{chart}-{env}-{image}"
	r := Request{Chart: "shop", Envs: []string{"prod"}, Image: imageref.Ref{Registry: "ghcr.io", Repository: "acme/shop-backend", Tag: "1.2.0"}, PR: &PRRequest{Branch: tmpl}}
	if b, err := r.prBranch(); err != nil || b != "tagbump/shop-prod-shop-backend" {
		t.Errorf("prBranch = %q, %v", b, err)
	}
	var in *InputError
	none := Request{Chart: "shop", Envs: []string{"prod"}, PR: &PRRequest{Branch: tmpl}}
	if _, err := none.prBranch(); !errors.As(err, &in) || in.Field != "--pr-branch" {
		t.Errorf("no image: %v", err)
	}
	several := r
	several.Images = []imageref.Ref{{Repository: "acme/shop-frontend", Tag: "1.2.0"}}
	if _, err := several.prBranch(); !errors.As(err, &in) || !strings.Contains(in.Problem, "one image") {
		t.Errorf("several images: %v", err)
	}
}

// TestPendingMessage: the combined message of a pull request branch reads
// back as its deployments, each with its subject and changes, and carries
// every deployment's trailers.
func TestPendingMessage(t *testing.T) {
	single := "chore(prod): update shop image to 1.1.0\n\n- shop/values-prod.yaml .backend.image.tag: 1.0.0 → 1.1.0\n\nCI-Run: https://ci/1\nTagbump-Branch: tagbump/shop-prod\n"
	got, unread := parseDeploys(single)
	if len(unread) > 0 {
		t.Errorf("unread lines %q", unread)
	}
	want := []pendingDeploy{{subject: "chore(prod): update shop image to 1.1.0", changes: []FileChange{{File: "shop/values-prod.yaml", Key: ".backend.image.tag", Old: "1.0.0", New: "1.1.0"}}}}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(pendingDeploy{})); diff != "" {
		t.Fatalf("single (-want +got):\n%s", diff)
	}
	pd := &pending{deploys: got, trailers: []Trailer{{"CI-Run", "https://ci/1"}}}
	own := "chore(prod): update shop image to 1.2.0 [skip ci]\n\n- shop/values-prod.yaml .frontend.image.tag: 1.0.0 → 1.2.0\n  also .web.image.tag\n\nCI-Run: https://ci/2\n"
	msg := pd.message(own)
	wantMsg := "chore(prod): update shop image to 1.2.0 (+1 more in this pull request) [skip ci]\n\n" +
		"chore(prod): update shop image to 1.1.0\n- shop/values-prod.yaml .backend.image.tag: 1.0.0 → 1.1.0\n\n" +
		"chore(prod): update shop image to 1.2.0 [skip ci]\n- shop/values-prod.yaml .frontend.image.tag: 1.0.0 → 1.2.0\n  also .web.image.tag\n\n" +
		"CI-Run: https://ci/2\nCI-Run: https://ci/1\n"
	if msg != wantMsg {
		t.Fatalf("message:\n%s\nwant\n%s", msg, wantMsg)
	}
	if back, _ := parseDeploys(msg); len(back) != 2 {
		t.Errorf("combined message reads as %d deployments, want 2", len(back))
	}
	if tr := trailers(msg); len(tr) != 2 {
		t.Errorf("trailers %v", tr)
	}
}

// TestPendingRollbackScoped: a pending rollback of one service and a bump
// of another make one commit; the rollback's trailers label only the
// rollback's values, in the guard's reading and in history's, and a
// rollback superseded on its key takes its trailers with it.
func TestPendingRollbackScoped(t *testing.T) {
	rollback := "revert(prod): roll back web to 1.0.0\n\n- shop/values-prod.yaml .web.image.tag: 1.2.0 → 1.0.0\n\nRolls-Back: 1111111111111111111111111111111111111111\nRolled-Back-Tag: 1.2.0\nCI-Run: https://ci/1\nTagbump-Branch: tagbump/shop-prod\n"
	deploys, _ := parseDeploys(rollback)
	if len(deploys) != 1 || len(deploys[0].trailers) != 2 {
		t.Fatalf("rollback reads as %+v", deploys)
	}
	pd := &pending{deploys: deploys, trailers: []Trailer{{"CI-Run", "https://ci/1"}}}
	own := "chore(prod): update shop image to 1.2.0\n\n- shop/values-prod.yaml .api.image.tag: 1.0.0 → 1.2.0\n\nCI-Run: https://ci/2\n"
	msg := pd.message(own)
	if tr := trailers(msg); slices.ContainsFunc(tr, scoped) {
		t.Errorf("the combined commit's trailer block labels every change: %v\n%s", tr, msg)
	}
	back, _ := parseDeploys(msg)
	if len(back) != 2 || len(back[0].trailers) != 2 || len(back[1].trailers) != 0 {
		t.Fatalf("combined message reads as %+v\n%s", back, msg)
	}
	c := &object.Commit{Message: msg}
	deps := commitDeployments(c, "shop/values-prod.yaml", []ImageChange{{Key: ".web.image.tag", Old: "1.2.0", New: "1.0.0"}, {Key: ".api.image.tag", Old: "1.0.0", New: "1.2.0"}})
	if len(deps) != 2 || deps[0].Kind != KindRollback || deps[1].Kind != KindBump || deps[1].Images[0].Key != ".api.image.tag" {
		t.Errorf("history reads the combined commit as %+v", deps)
	}
	// a newer bump of web supersedes the pending rollback: its trailers go
	res := &Result{Files: []FileChange{{File: "shop/values-prod.yaml", Key: ".web.image.tag", Old: "1.0.0", New: "1.3.0"}}}
	pd.settle(&planned{files: map[string][]byte{}}, res, "tagbump/shop-prod")
	if m := pd.message("chore(prod): update shop image to 1.3.0\n\n- shop/values-prod.yaml .web.image.tag: 1.0.0 → 1.3.0\n"); strings.Contains(m, "Rolls-Back") || strings.Contains(m, "Rolled-Back-Tag") {
		t.Errorf("the bump that supersedes the pending rollback carries its trailers:\n%s", m)
	}

	// a key with a space reads back; a change line that does not is named
	spaced := "chore(prod): update shop image to 1.1.0\n\n- shop/values-prod.yaml .annotations[\"a b\"].tag: 1.0.0 → 1.1.0\n- shop/values-prod.yaml broken → 1.1.0\n"
	got, unread := parseDeploys(spaced)
	if len(got) != 1 || len(got[0].changes) != 1 || got[0].changes[0].Key != `.annotations["a b"].tag` {
		t.Errorf("spaced key reads as %+v", got)
	}
	if len(unread) != 1 {
		t.Errorf("unread %q, want the broken line", unread)
	}
}

// TestParseChangeLine: the key ends at the first ": " outside its quotes.
func TestParseChangeLine(t *testing.T) {
	for line, want := range map[string]FileChange{
		`- shop/values-prod.yaml .["a: b"].tag: 1.0.0 → 1.1.0`: {File: "shop/values-prod.yaml", Key: `.["a: b"].tag`, Old: "1.0.0", New: "1.1.0"},
		`- shop/values prod.yaml .a.tag: x: y → 1.1.0`:         {File: "shop/values prod.yaml", Key: ".a.tag", Old: "x: y", New: "1.1.0"},
		"- f.yaml .['it''s: x'].tag: (none) → 2\r":             {File: "f.yaml", Key: `.['it''s: x'].tag`, Old: "(none)", New: "2"},
		`- f.yaml .["q\": r"].tag: 1 → 2`:                      {File: "f.yaml", Key: `.["q\": r"].tag`, Old: "1", New: "2"},
	} {
		got, ok := parseChangeLine(line)
		if !ok || !cmp.Equal(got, want) {
			t.Errorf("%q: %+v %v, want %+v", line, got, ok, want)
		}
	}
	if c, ok := parseChangeLine(`- f.yaml .["unclosed: x → 2`); ok {
		t.Errorf("an unclosed quote reads as %+v", c)
	}
}
