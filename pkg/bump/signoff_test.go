package bump

import (
	"testing"

	"github.com/go-git/go-git/v5/plumbing/object"
)

func TestWithSignoff(t *testing.T) {
	who := object.Signature{Name: "Deploy Bot", Email: "deploy@example.invalid"}
	const so = "Signed-off-by: Deploy Bot <deploy@example.invalid>\n"
	for _, tc := range []struct{ in, want string }{
		{"chore: x\n\n- a.yaml .image.tag: 1 → 2\n", "chore: x\n\n- a.yaml .image.tag: 1 → 2\n\n" + so},
		{"chore: x\n\n- a.yaml .image.tag: 1 → 2\n\nImage-Digest: sha256:ab\nCI-Run: https://ci/1\n", "chore: x\n\n- a.yaml .image.tag: 1 → 2\n\nImage-Digest: sha256:ab\nCI-Run: https://ci/1\n" + so},
		{"chore: x\n", "chore: x\n\n" + so},
		{"chore: x\n\nBody: not a trailer block because\nthis line is prose\n", "chore: x\n\nBody: not a trailer block because\nthis line is prose\n\n" + so},
		{"chore: x\n\n" + so, "chore: x\n\n" + so},
	} {
		if got := withSignoff(tc.in, who); got != tc.want {
			t.Errorf("withSignoff(%q) =\n%q\nwant\n%q", tc.in, got, tc.want)
		}
	}
}
