package values

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestFindImages(t *testing.T) {
	src := []byte(`image:
  repository: registry.example.com/app
  tag: v1 # c
controller:
  image:
    registry: quay.io
    repository: org/ctl
    tag: ""
    digest: sha256:abc
workers:
- name: a
  image: busybox:1.36
- name: b
  image: ghcr.io/o/r@sha256:def
sidecarImage: localhost:5000/side:2
imageNote: foo:bar
command: "a b:c"
---
image: {repository: x, tag: ~}
`)
	got, err := FindImages(src)
	if err != nil {
		t.Fatal(err)
	}
	want := []Image{
		{Path: ".image", Repository: "registry.example.com/app", Tag: "v1", TagPath: ".image.tag", Form: "map"},
		{Path: ".controller.image", Registry: "quay.io", Repository: "org/ctl", TagPath: ".controller.image.tag",
			Digest: "sha256:abc", DigestPath: ".controller.image.digest", Form: "map"},
		{Path: ".workers[0].image", Repository: "busybox", Tag: "1.36", TagPath: ".workers[0].image", Form: "string"},
		{Path: ".workers[1].image", Repository: "ghcr.io/o/r", TagPath: ".workers[1].image",
			Digest: "sha256:def", DigestPath: ".workers[1].image", Form: "string"},
		{Path: ".sidecarImage", Repository: "localhost:5000/side", Tag: "2", TagPath: ".sidecarImage", Form: "string"},
		{Path: ".image", Repository: "x", TagPath: ".image.tag", Form: "map"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("FindImages (-want +got):\n%s", diff)
	}
	// Every TagPath found in the corpus can be set.
	for _, img := range got[:5] {
		if _, err := Set(src[:len(src)-len("---\nimage: {repository: x, tag: ~}\n")], img.TagPath, "x"); err != nil {
			t.Errorf("Set(%s): %v", img.TagPath, err)
		}
	}
	if _, err := FindImages([]byte("a: [")); err == nil {
		t.Error("FindImages accepted invalid YAML")
	}
}
