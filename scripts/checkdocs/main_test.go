package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	src := "# guide\n\n```sh\ntagbump version\n```\n\n" +
		"<!-- check-docs: skip (needs a real GitHub) -->\n```bash\ntagbump bump --repo https://github.com/a/b\n```\n\n" +
		"```yaml\nkey: value\n```\n\n" +
		"<!-- check-docs: exit 4 -->\n\n```sh\ntagbump tag x latest\n```\n" +
		"- a list item:\n\n  ```sh\n  tagbump get values.yaml .image.tag\n  ```\n"
	blocks, err := Parse("g.md", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	want := []Block{
		{File: "g.md", Line: 3, Text: "tagbump version\n"},
		{File: "g.md", Line: 8, Text: "tagbump bump --repo https://github.com/a/b\n", Skip: "needs a real GitHub"},
		{File: "g.md", Line: 18, Text: "tagbump tag x latest\n", Exit: 4},
		{File: "g.md", Line: 23, Text: "tagbump get values.yaml .image.tag\n"},
	}
	if len(blocks) != len(want) {
		t.Fatalf("got %d blocks, want %d: %+v", len(blocks), len(want), blocks)
	}
	for i := range want {
		if blocks[i] != want[i] {
			t.Errorf("block %d = %+v, want %+v", i, blocks[i], want[i])
		}
	}
}

func TestParseRefusesBadMarkers(t *testing.T) {
	for name, src := range map[string]string{
		"skip without a reason": "<!-- check-docs: skip -->\n```sh\ntrue\n```\n",
		"unknown word":          "<!-- check-docs: skipp (x) -->\n```sh\ntrue\n```\n",
		"marker on yaml":        "<!-- check-docs: skip (x) -->\n```yaml\na: 1\n```\n",
		"unclosed block":        "```sh\ntrue\n",
	} {
		if _, err := Parse("g.md", []byte(src)); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// TestRunFailsOnABrokenExample runs a guide against the loopback world: a
// bump, the history that shows it, an expected refusal, and an example
// whose key does not exist, which must fail the run.
func TestRunFailsOnABrokenExample(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("needs git")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "tagbump")
	if out, err := exec.Command("go", "build", "-o", bin, "../../cmd/tagbump").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	guide := filepath.Join(dir, "guide.md")
	good := "```sh\ntagbump bump --repo \"$REPO\" --chart app-service --env staging --image \"$REGISTRY/app-service:app-service-124\"\n" +
		"tagbump history --repo \"$REPO\" --chart app-service --env staging | grep 'app-service-123 → app-service-124'\n```\n\n" +
		"<!-- check-docs: exit 4 -->\n```sh\ntagbump bump --repo \"$REPO\" --chart app-service --env staging --image \"$REGISTRY/app-service:latest\"\n```\n"
	if err := os.WriteFile(guide, []byte(good), 0o644); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := run(&out, bin, time.Minute, []string{guide}); err != nil {
		t.Fatalf("good guide: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "2 passed, 0 failed, 0 skipped") {
		t.Errorf("good guide: %s", out.String())
	}
	bad := good + "\n```sh\ntagbump get values-prod.yaml .image.nope\n```\n"
	if err := os.WriteFile(guide, []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if err := run(&out, bin, time.Minute, []string{guide}); err == nil {
		t.Fatalf("broken guide passed:\n%s", out.String())
	}
	if !strings.Contains(out.String(), "FAIL "+guide+":11: exit 3, want 0") || !strings.Contains(out.String(), "2 passed, 1 failed") {
		t.Errorf("broken guide's report:\n%s", out.String())
	}
}

func TestSlug(t *testing.T) {
	for heading, want := range map[string]string{
		"Signing with a key: `--sign-key`":                     "signing-with-a-key---sign-key",
		"Before the first pipeline: `tagbump doctor`":          "before-the-first-pipeline-tagbump-doctor",
		"Editing a values file: `tagbump set` / `tagbump get`": "editing-a-values-file-tagbump-set--tagbump-get",
	} {
		if got := Slug(heading); got != want {
			t.Errorf("Slug(%q) = %q, want %q", heading, got, want)
		}
	}
}

func TestCheckLinks(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write("b.md", "# B\n\n## Signing with a key: `--sign-key`\n\n```sh\n# not a heading\n```\n")
	a := write("a.md", "[ok](b.md#signing-with-a-key---sign-key) [web](https://example.com/x.md)\n"+
		"[gone](c.md) [bad anchor](b.md#not-a-heading) [code](b.md#not-a-heading-either)\n"+
		"```sh\necho [in code](nowhere.md)\n```\n[self](#a)\n\n# A\n")
	broken, err := CheckLinks([]string{a})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"link c.md: no file", "link b.md#not-a-heading: no heading", "link b.md#not-a-heading-either: no heading"}
	if len(broken) != len(want) {
		t.Fatalf("broken = %q, want %d entries", broken, len(want))
	}
	for i, w := range want {
		if !strings.Contains(broken[i], w) {
			t.Errorf("broken[%d] = %q, want it to contain %q", i, broken[i], w)
		}
	}
}

// TestRepositoryDocs holds the repository's own README to its budget and
// checks the links of the README, the guides, the reference and the design.
func TestRepositoryDocs(t *testing.T) {
	if err := checkReadme("../../README.md"); err != nil {
		t.Error(err)
	}
	files := []string{"../../README.md", "../../docs/design.md"}
	for _, g := range []string{"../../docs/guides/*.md", "../../docs/reference/*.md"} {
		m, _ := filepath.Glob(g)
		files = append(files, m...)
	}
	// Links are checked from the repository's root.
	wd, _ := os.Getwd()
	if err := os.Chdir("../.."); err != nil {
		t.Fatal(err)
	}
	defer os.Chdir(wd)
	for i := range files {
		files[i] = strings.TrimPrefix(files[i], "../../")
	}
	broken, err := CheckLinks(files)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range broken {
		t.Error(b)
	}
}
