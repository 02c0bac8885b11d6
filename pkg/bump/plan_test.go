package bump

import (
	"errors"
	"strings"
	"testing"

	"github.com/tagbump/tagbump/pkg/imageref"
)

func request() Request {
	return Request{
		Repo: "https://git.example.com/charts", Chart: "app", Envs: []string{"staging"},
		Image: imageref.Ref{Registry: "registry.example.com", Repository: "team/app", Tag: "app-124"},
	}
}

func TestValidateRefuses(t *testing.T) {
	for _, tc := range []struct {
		name  string
		edit  func(*Request)
		field string
	}{
		{"no repo", func(r *Request) { r.Repo = "" }, "--repo"},
		{"chart escapes", func(r *Request) { r.Chart = "../x" }, "--chart"},
		{"chart with slash", func(r *Request) { r.Chart = "a/b" }, "--chart"},
		{"no env", func(r *Request) { r.Envs = nil }, "--env"},
		{"env with space", func(r *Request) { r.Envs = []string{"stag ing"} }, "--env"},
		{"env dot dot", func(r *Request) { r.Envs = []string{".."} }, "--env"},
		{"absolute template", func(r *Request) { r.ValuesFile = "/etc/{env}.yaml" }, "--values-file"},
		{"template escapes", func(r *Request) { r.ValuesFile = "../{chart}/{env}.yaml" }, "--values-file"},
		{"unclean template", func(r *Request) { r.ValuesFile = "a//{env}.yaml" }, "--values-file"},
		{"negative attempts", func(r *Request) { r.MaxAttempts = -1 }, "--max-attempts"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := request()
			tc.edit(&r)
			err := r.validate()
			var ie *InputError
			if !errors.As(err, &ie) || ie.Field != tc.field {
				t.Fatalf("validate() = %v, want an InputError for %s", err, tc.field)
			}
		})
	}
	r := request()
	r.ValuesFile = "envs/{env}/{chart}.yaml"
	if err := r.validate(); err != nil {
		t.Fatalf("valid request refused: %v", err)
	}
	if p, _ := r.valuesPath("prod"); p != "envs/prod/app.yaml" {
		t.Errorf("valuesPath = %q", p)
	}
}

func TestEditFileAndMessage(t *testing.T) {
	src := []byte("api:\n  image:\n    repository: registry.example.com/team/app\n    tag: app-123 # CI\nother:\n  image:\n    repository: registry.example.com/team/db\n    tag: db-1\n")
	r := request()
	r.SkipCI = true
	r.Trailers = []Trailer{{"CI-Run", "https://ci.example.com/1"}}
	r.digest = "sha256:" + strings.Repeat("a", 64)
	out, changes, err := editFile("app/values-staging.yaml", "staging", src, nil, &r)
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Replace(string(src), "tag: app-123 # CI", "tag: app-124 # CI", 1)
	if string(out) != want {
		t.Errorf("edited file:\n%s\nwant:\n%s", out, want)
	}
	if len(changes) != 1 || changes[0].Key != ".api.image.tag" || changes[0].Old != "app-123" {
		t.Fatalf("changes = %+v", changes)
	}
	p := &planned{files: map[string][]byte{"app/values-staging.yaml": out}, changes: changes}
	msg, err := p.message(&r)
	if err != nil {
		t.Fatal(err)
	}
	wantMsg := "chore(staging): update app image to app-124 [skip ci]\n\n" +
		"- app/values-staging.yaml .api.image.tag: app-123 → app-124\n\n" +
		"Image-Digest: " + r.digest + "\nCI-Run: https://ci.example.com/1\n"
	if msg != wantMsg {
		t.Errorf("message:\n%s\nwant:\n%s", msg, wantMsg)
	}

	// A downgrade is skipped with the reason, the file untouched.
	r.Image.Tag = "app-99"
	out, changes, err = editFile("f", "staging", src, nil, &r)
	if err != nil || string(out) != string(src) || changes[0].Skipped == "" {
		t.Errorf("downgrade: out changed=%v changes=%+v err=%v", string(out) != string(src), changes, err)
	}

	// A bad message template names the flag.
	r.Message = "{{.Nope}}"
	if _, err := p.message(&r); err == nil || !strings.Contains(err.Error(), "--message") {
		t.Errorf("bad template: %v", err)
	}
}

// TestDowngradeGuardStringForm: an image written as one "repo:tag" string
// is guarded like a block: the tag inside the string is compared, and an
// older tag leaves it alone with the reason, unless downgrades are allowed.
func TestDowngradeGuardStringForm(t *testing.T) {
	src := []byte("worker:\n  image: registry.example.com/team/app:app-130\n")
	r := request()
	out, changes, err := editFile("f", "staging", src, nil, &r)
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != string(src) || len(changes) != 1 || changes[0].Skipped == "" ||
		changes[0].Key != ".worker.image" || changes[0].Kept != changes[0].Old {
		t.Fatalf("downgrade of a string image: out %q, changes %+v", out, changes)
	}
	if !strings.Contains(changes[0].Skipped, "app-130 is newer than app-124") {
		t.Errorf("reason %q does not compare the tags", changes[0].Skipped)
	}
	r.AllowDowngrade = true
	out, changes, err = editFile("f", "staging", src, nil, &r)
	if err != nil || string(out) != "worker:\n  image: registry.example.com/team/app:app-124\n" || changes[0].Skipped != "" {
		t.Errorf("allowed downgrade: %q %+v %v", out, changes, err)
	}
	// An upgrade goes through, with the digest when asked.
	r.AllowDowngrade = false
	r.Image.Tag = "app-131"
	r.WriteDigest, r.digest = true, "sha256:"+strings.Repeat("b", 64)
	out, changes, err = editFile("f", "staging", src, nil, &r)
	want := "worker:\n  image: registry.example.com/team/app:app-131@" + r.digest + "\n"
	if err != nil || string(out) != want || changes[0].Old != "registry.example.com/team/app:app-130" {
		t.Errorf("upgrade: %q %+v %v", out, changes, err)
	}
}

// TestOutcome: a file change makes the outcome changed; with none, a
// skipped value makes it skipped, else it is unchanged.
func TestOutcome(t *testing.T) {
	skip := FileChange{File: "a", Skipped: "current tag 2 is newer than 1"}
	same := FileChange{File: "b"}
	for _, tc := range []struct {
		files   map[string][]byte
		changes []FileChange
		want    string
	}{
		{map[string][]byte{"b": nil}, []FileChange{skip, same}, Changed},
		{nil, []FileChange{same, skip}, Skipped},
		{nil, []FileChange{skip}, Skipped},
		{nil, []FileChange{same}, Unchanged},
		{nil, nil, Unchanged},
	} {
		p := &planned{files: tc.files, changes: tc.changes}
		if got := p.outcome(); got != tc.want {
			t.Errorf("outcome of %d files, changes %+v = %s, want %s", len(tc.files), tc.changes, got, tc.want)
		}
	}
}

// TestTargets: which keys a file's edit sets, and how: --key paths, image
// blocks named with or without their registry, .image.tag as the last
// resort, and the digest next to the tag when asked.
func TestTargets(t *testing.T) {
	dg := "sha256:" + strings.Repeat("c", 64)
	for _, tc := range []struct {
		name, src string
		edit      func(*Request)
		out       string // "" when an error is wanted
		err       string
	}{
		{"block without registry", "image:\n  repository: team/app\n  tag: app-1\n", nil,
			"image:\n  repository: team/app\n  tag: app-124\n", ""},
		{"block of another registry", "worker:\n  image:\n    registry: other.example.com\n    repository: team/app\n    tag: app-1\n", nil,
			"", "the file has:\n  .worker.image.tag  other.example.com/team/app:app-1\ncheck --image against these repositories"},
		{"plain .image.tag", "image:\n  tag: app-1\n", nil, "image:\n  tag: app-124\n", ""},
		{"no target", "replicas: 1\n", nil, "", "the file has no image blocks"},
		{"--key missing", "image:\n  tag: app-1\n", func(r *Request) { r.Keys = []string{".nope.tag"} }, "", "check --key"},
		{"--key with sibling digest", "x:\n  tag: app-1\n  digest: sha256:old\n",
			func(r *Request) { r.Keys, r.WriteDigest, r.digest = []string{".x.tag"}, true, dg },
			"x:\n  tag: app-124\n  digest: " + dg + "\n", ""},
		{"--key without digest key", "x:\n  tag: app-1\n",
			func(r *Request) { r.Keys, r.WriteDigest, r.digest = []string{".x.tag"}, true, dg }, "", "--digest-key"},
		{"--digest-key", "x:\n  tag: app-1\nd: \"\"\n",
			func(r *Request) { r.Keys, r.WriteDigest, r.digest, r.DigestKey = []string{".x.tag"}, true, dg, ".d" },
			"x:\n  tag: app-124\nd: \"" + dg + "\"\n", ""},
		{"block's digest key", "image:\n  repository: registry.example.com/team/app\n  tag: app-1\n  digest: \"\"\n",
			func(r *Request) { r.WriteDigest, r.digest = true, dg },
			"image:\n  repository: registry.example.com/team/app\n  tag: app-124\n  digest: \"" + dg + "\"\n", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := request()
			if tc.edit != nil {
				tc.edit(&r)
			}
			out, _, err := editFile("f.yaml", "staging", []byte(tc.src), nil, &r)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("editFile = %q, %v; want an error with %q", out, err, tc.err)
				}
				return
			}
			if err != nil || string(out) != tc.out {
				t.Fatalf("editFile = %q, %v; want %q", out, err, tc.out)
			}
		})
	}
}

// TestSameTagNotSkipped: the tag already in place is not "newer": the
// value is unchanged, not skipped.
func TestSameTagNotSkipped(t *testing.T) {
	src := []byte("image:\n  repository: registry.example.com/team/app\n  tag: app-124\n")
	r := request()
	out, changes, err := editFile("f", "staging", src, nil, &r)
	if err != nil || string(out) != string(src) || len(changes) != 1 || changes[0].Skipped != "" {
		t.Fatalf("same tag: %q %+v %v", out, changes, err)
	}
}

// TestMessageOldTag: OldTag is the old value of the first change that was
// made, not of one the downgrade guard kept.
func TestMessageOldTag(t *testing.T) {
	r := request()
	r.Message = "{{.OldTag}} -> {{.Tag}} in {{.Env}}"
	p := &planned{
		files: map[string][]byte{"b": nil},
		changes: []FileChange{
			{File: "a", Env: "prod", Key: ".image.tag", Old: "app-200", New: "app-200", Skipped: "current tag app-200 is newer than app-124"},
			{File: "b", Env: "staging", Key: ".image.tag", Old: "app-100", New: "app-124"},
			{File: "b", Env: "staging", Key: ".other.tag", Old: "app-101", New: "app-124"},
		},
	}
	msg, err := p.message(&r)
	if err != nil {
		t.Fatal(err)
	}
	want := "app-100 -> app-124 in staging\n\n" +
		"- a .image.tag: kept app-200 (current tag app-200 is newer than app-124)\n" +
		"- b .image.tag: app-100 → app-124\n" +
		"- b .other.tag: app-101 → app-124\n"
	if msg != want {
		t.Errorf("message:\n%s\nwant:\n%s", msg, want)
	}
}

// TestMessageInert: an old value from the file that holds line breaks
// cannot add lines to the commit message (a trailer, "Closes #12").
func TestMessageInert(t *testing.T) {
	r := request()
	r.Message = "chore({{.Env}}): {{.OldTag}} to {{.Tag}}"
	p := &planned{files: map[string][]byte{"app/values-prod.yaml": nil}, changes: []FileChange{
		{File: "app/values-prod.yaml", Env: "prod", Key: ".image.tag", Old: "v1\nCloses #12\nRolls-Back: abc", New: "v2"},
	}}
	msg, err := p.message(&r)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(msg, "\n") {
		if strings.HasPrefix(line, "Closes") || strings.HasPrefix(line, "Rolls-Back") {
			t.Errorf("the old value added a line %q to the message:\n%s", line, msg)
		}
	}
}
