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
