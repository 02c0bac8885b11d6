package target_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tagbump/tagbump/pkg/imageref"
	"github.com/tagbump/tagbump/pkg/target"
	"github.com/tagbump/tagbump/pkg/values"
)

// FuzzSetKustomize checks that SetKustomize either fails with a typed
// error or returns a kustomization that re-parses, deploys the new tag in
// every entry of the image, keeps every other entry, and differs from the
// input only in one line's tag bytes, or by lines inserted whole.
func FuzzSetKustomize(f *testing.F) {
	files, _ := filepath.Glob("../../testdata/argocd/*/kustomization.yaml")
	for _, file := range files {
		src, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(src, "quay.io/argoproj/argocd", "v2.8.0")
		f.Add(src, "gcr.io/heptio-images/ks-guestbook-demo", "0.3")
	}
	for _, s := range []string{
		"images:\n  - name: app # c\n    newTag: \"1.0\"\n",
		"images:\n- {name: app, newTag: '1'}\nresources: [a.yaml]\n",
		"images:\n- name: x\n  newName: app\n",
		"images:\r\n- name: app\r\n  newTag: v1\r\n",
		"resources:\n- a.yaml",
	} {
		f.Add([]byte(s), "app", "1.10")
	}
	f.Fuzz(func(t *testing.T, src []byte, name, tag string) {
		if imageref.ValidateTag(tag) != nil || name == "" || strings.ContainsAny(name, ":@ \t\n\r=#,[]{}'\"&*!|>%`") {
			return
		}
		r := imageref.Ref{Repository: name, Tag: tag}
		out, changes, err := target.SetKustomize(src, r, nil)
		if err != nil {
			var te *target.Error
			var ve *values.Error
			if !errors.As(err, &te) && !errors.As(err, &ve) {
				t.Fatalf("error is not typed: %T %v", err, err)
			}
			return
		}
		before, _ := target.KustomizeImages(src)
		after, err := target.KustomizeImages(out)
		if err != nil {
			t.Fatalf("the result does not parse: %v\n%s", err, out)
		}
		for _, e := range after {
			if r.Matches(e.Name) && e.Tag != tag {
				t.Fatalf("%s deploys %s, not %s:\n%s", e.Where, e.Tag, tag, out)
			}
		}
		kept := 0
		for _, e := range before {
			if !r.Matches(e.Name) {
				kept++
				if !containsEntry(after, e) {
					t.Fatalf("%s changed:\n%s", e.Where, out)
				}
			}
		}
		created := false
		for _, c := range changes {
			created = created || c.Created
		}
		p := commonPrefix(src, out)
		s := commonSuffix(src[p:], out[p:])
		removed := src[p : len(src)-s]
		switch {
		case created && len(removed) > 0:
			t.Fatalf("an insertion removed %q:\n%s", removed, out)
		case !created && bytes.ContainsAny(removed, "\r\n"):
			t.Fatalf("a tag edit changed more than one line: %q", removed)
		}
	})
}

func containsEntry(es []target.KustomizeEntry, e target.KustomizeEntry) bool {
	for _, x := range es {
		if x.Entry == e.Entry && x.Name == e.Name && x.Tag == e.Tag && x.Digest == e.Digest {
			return true
		}
	}
	return false
}

func commonPrefix(a, b []byte) int {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	return i
}

func commonSuffix(a, b []byte) int {
	i := 0
	for i < len(a) && i < len(b) && a[len(a)-1-i] == b[len(b)-1-i] {
		i++
	}
	return i
}
