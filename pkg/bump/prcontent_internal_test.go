package bump

import (
	"strings"
	"testing"

	"github.com/tagbump/tagbump/pkg/imageref"
)

// TestPRBodyNamesTheImages checks the default PR body names what the commit
// sets: Request.Image for a bump, the Result's images for a rollback or
// promote (whose Request has no image) and for a bump of several images.
func TestPRBodyNamesTheImages(t *testing.T) {
	one, err := imageref.Parse("registry.example.com/app:app-7")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		req  Request
		res  Result
		want string
	}{
		{"bump", Request{Chart: "app", Envs: []string{"prod"}, Image: one, PR: &PRRequest{}},
			Result{Message: "chore(prod): update app image to app-7"},
			"Sets **app** to `registry.example.com/app:app-7` in prod."},
		{"rollback", Request{Chart: "app", Envs: []string{"prod"}, PR: &PRRequest{}},
			Result{Message: "revert(prod): roll back app to app-6", Images: []string{"registry.example.com/app:app-6"}},
			"Sets **app** to `registry.example.com/app:app-6` in prod."},
		{"promote two", Request{Chart: "shop", Envs: []string{"prod"}, PR: &PRRequest{}},
			Result{Message: "chore(prod): promote shop from staging", Images: []string{"r.example/api:a-3", "r.example/worker:w-9"}},
			"Sets **shop** to `r.example/api:a-3`, `r.example/worker:w-9` in prod."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := tc.req.prContent(&tc.res, "tagbump/x")
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(c.Body, tc.want+"\n") {
				t.Errorf("body starts %q, want %q", c.Body, tc.want)
			}
			if strings.Contains(c.Body, "``") {
				t.Errorf("body has an empty code span: %q", c.Body)
			}
		})
	}
}
