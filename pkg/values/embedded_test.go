package values

import (
	"errors"
	"strings"
	"testing"
)

func TestSetEmbedded(t *testing.T) {
	app := "kind: Application\nspec:\n  source:\n    helm:\n      values: %s\n        image:\n          repository: r/app\n          tag: v1 # ci\n\n        other: [a, b]\n      valueFiles: [x.yaml]\n"
	for _, header := range []string{"|", "|-", "|+", "| # text"} {
		src := strings.Replace(app, "%s", header, 1)
		out, err := SetEmbedded([]byte(src), 0, ".spec.source.helm.values", ".image.tag", "v2")
		if err != nil {
			t.Fatalf("%s: %v", header, err)
		}
		if want := strings.Replace(src, "tag: v1", "tag: v2", 1); string(out) != want {
			t.Errorf("%s: got\n%s", header, out)
		}
	}
	src := strings.Replace(app, "%s", "|", 1)
	// A value that must be quoted is quoted inside the text.
	out, err := SetEmbedded([]byte(src), 0, ".spec.source.helm.values", ".image.tag", "1.10")
	if err != nil {
		t.Fatal(err)
	}
	if want := strings.Replace(src, "tag: v1", `tag: "1.10"`, 1); string(out) != want {
		t.Errorf("got\n%s", out)
	}
	text, err := Embedded([]byte(src), 0, ".spec.source.helm.values")
	if err != nil || !strings.HasPrefix(text, "image:\n  repository: r/app\n") {
		t.Errorf("Embedded = %q, %v", text, err)
	}
	for name, src := range map[string]string{
		"folded":      strings.Replace(app, "%s", ">", 1),
		"indentation": strings.Replace(app, "%s", "|2", 1),
		"crlf":        strings.ReplaceAll(strings.Replace(app, "%s", "|", 1), "\n", "\r\n"),
		"plain":       "spec:\n  values: 'image: {tag: v1}'\n",
	} {
		if _, err := SetEmbedded([]byte(src), 0, ".spec.source.helm.values", ".image.tag", "v2"); !errors.Is(err, ErrRefused) && !errors.Is(err, ErrNotFound) {
			t.Errorf("%s: err = %v, want a refusal", name, err)
		}
	}
	// A path the text does not have.
	if _, err := SetEmbedded([]byte(src), 0, ".spec.source.helm.values", ".sidecar.tag", "v2"); !errors.Is(err, ErrNotFound) {
		t.Errorf("err = %v, want ErrNotFound", err)
	}
}

func TestFindImagesIn(t *testing.T) {
	src := "a: 1\n---\nspec:\n  helm:\n    valuesObject:\n      image: {repository: r/app, tag: v1}\n  image: {repository: r/outside, tag: v1}\n"
	imgs, err := FindImagesIn([]byte(src), 1, ".spec.helm.valuesObject")
	if err != nil {
		t.Fatal(err)
	}
	if len(imgs) != 1 || imgs[0].TagPath != ".spec.helm.valuesObject.image.tag" || imgs[0].Repository != "r/app" {
		t.Errorf("images = %+v", imgs)
	}
	if imgs, err := FindImagesIn([]byte(src), 0, ".spec.helm.valuesObject"); err != nil || len(imgs) != 0 {
		t.Errorf("document 1: %+v, %v", imgs, err)
	}
}

// FuzzSetEmbedded checks that SetEmbedded either refuses with a *Error or
// changes one line of the file, and that the block then holds the text
// Set makes of the block's text.
func FuzzSetEmbedded(f *testing.F) {
	f.Add("image:\n  repository: r/app\n  tag: v1 # ci\n\nother: [a, b]\n", "|", uint8(2), "v2")
	f.Add("image:\n  tag: '1.0'\n", "|-", uint8(4), "1.10")
	f.Add("image: {tag: x}\n\n\n", "|+", uint8(1), "it's")
	f.Fuzz(func(t *testing.T, text, header string, indent uint8, value string) {
		if indent == 0 || indent > 8 || strings.ContainsAny(header, "\r\n") {
			return
		}
		pad := strings.Repeat(" ", int(indent)+4)
		var b strings.Builder
		b.WriteString("kind: Application\nspec:\n  source:\n    helm:\n      values: " + header + "\n")
		for _, l := range strings.Split(text, "\n") {
			if l != "" {
				b.WriteString(pad + l)
			}
			b.WriteString("\n")
		}
		b.WriteString("    path: app\n")
		src := []byte(b.String())
		out, err := SetEmbedded(src, 0, ".spec.source.helm.values", ".image.tag", value)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error is not a *values.Error: %v", err)
			}
			return
		}
		before, _ := Embedded(src, 0, ".spec.source.helm.values")
		want, err := Set([]byte(before), ".image.tag", value)
		if err != nil {
			t.Fatalf("SetEmbedded succeeded where Set on its text fails: %v", err)
		}
		after, err := Embedded(out, 0, ".spec.source.helm.values")
		if err != nil || after != string(want) {
			t.Fatalf("the block holds %q (%v), want %q", after, err, want)
		}
		ol, nl := strings.Split(string(src), "\n"), strings.Split(string(out), "\n")
		if len(ol) != len(nl) {
			t.Fatalf("lines added or removed:\n%s", out)
		}
		changed := 0
		for i := range ol {
			if ol[i] != nl[i] {
				changed++
			}
		}
		if changed > 1 {
			t.Fatalf("%d lines changed:\n%s", changed, out)
		}
	})
}
