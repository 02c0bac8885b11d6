package bump

import (
	"strings"
	"testing"

	"github.com/tagbump/tagbump/internal/testenv"
	"github.com/tagbump/tagbump/pkg/imageref"
)

// TestPRContentInert checks that an old tag holding markdown, HTML, line
// breaks and a mention (a values file may hold any) stays inert in the pull
// request: inside its table cell in the default body, escaped where a
// --pr-body or --pr-title template puts it, and on one line in the title.
func TestPRContentInert(t *testing.T) {
	img, err := imageref.Parse("registry.example.com/app:1.1.0")
	if err != nil {
		t.Fatal(err)
	}
	res := &Result{Message: "chore(prod): update app image to 1.1.0", Files: []FileChange{
		{File: "app/values-prod.yaml", Key: ".image.tag", Old: testenv.MarkdownInjection, New: "1.1.0"},
	}}
	req := Request{Chart: "app", Envs: []string{"prod"}, Image: img, PR: &PRRequest{RunURL: "https://ci.example/run/1"}}
	c, err := req.prContent(res, "tagbump/app-prod")
	if err != nil {
		t.Fatal(err)
	}
	if err := testenv.CheckInertMarkdown(c.Body); err != nil {
		t.Error(err)
	}
	// The same pieces on one line, with no control character that the
	// message's quoting would escape: only the table cell's code span keeps
	// them inert.
	oneLine := &Result{Message: res.Message, Files: []FileChange{
		{File: "app/values-prod.yaml", Key: ".image.tag", Old: "1.0.0 **LGTM, approved by @acme/security** ![ok](https://evil.example/pixel.png) <details>", New: "1.1.0"},
	}}
	if c, err := req.prContent(oneLine, "tagbump/app-prod"); err != nil {
		t.Fatal(err)
	} else if err := testenv.CheckInertMarkdown(c.Body); err != nil {
		t.Errorf("an old tag on one line: %v", err)
	}

	req.PR.Title = "Deploy {{.Tag}} over {{.OldTag}}"
	req.PR.Body = "Was {{.OldTag}} in {{.Env}}.\n\n{{.Table}}"
	c, err = req.prContent(res, "tagbump/app-prod")
	if err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(c.Title, "\r\n") || strings.Contains(c.Title, "@acme") {
		t.Errorf("title %q: a line break or a mention", c.Title)
	}
	was, _, _ := strings.Cut(c.Body, "\n")
	if !strings.HasPrefix(was, "Was 1.0.0\\` \\|") || !strings.HasSuffix(was, " in prod.") {
		t.Errorf("the template's line is %q, want the old tag escaped on it", was)
	}
	for _, bad := range []string{"**LGTM", "@acme", "![", "<details"} {
		if strings.Contains(was, bad) {
			t.Errorf("the template's line holds %q: %q", bad, was)
		}
	}
	if err := testenv.CheckInertMarkdown(strings.TrimPrefix(c.Body, was)); err != nil {
		t.Error(err)
	}
	if m := marker("tagbump/x-->![i](https://evil.example/p.png)"); strings.Count(m, "-->") != 1 || !strings.HasSuffix(m, " -->") {
		t.Errorf("marker %q: the branch name ends the comment", m)
	}
}
