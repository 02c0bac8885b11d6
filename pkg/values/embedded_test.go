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
