package bump

import (
	"errors"
	"strings"
	"testing"

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
	got := parseDeploys(single)
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
	if n := len(parseDeploys(msg)); n != 2 {
		t.Errorf("combined message reads as %d deployments, want 2", n)
	}
	if tr := trailers(msg); len(tr) != 2 {
		t.Errorf("trailers %v", tr)
	}
}
