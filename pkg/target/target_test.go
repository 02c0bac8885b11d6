package target_test

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tagbump/tagbump/pkg/imageref"
	"github.com/tagbump/tagbump/pkg/target"
)

func read(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("../../testdata/argocd/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func ref(name, tag, digest string) imageref.Ref {
	r := imageref.Ref{Repository: name, Tag: tag, Digest: digest}
	if first, rest, ok := strings.Cut(name, "/"); ok && strings.ContainsAny(first, ".:") {
		r.Registry, r.Repository = first, rest
	}
	return r
}

// replaced returns src with the n-th occurrence (1-based) of old replaced
// by new, failing when there is none: the expected output of an edit that
// changes those bytes only.
func replaced(t *testing.T, src []byte, old, new string, n int) string {
	t.Helper()
	s := string(src)
	at := -1
	for i := 0; i < n; i++ {
		j := strings.Index(s[at+1:], old)
		if j < 0 {
			t.Fatalf("%q has no occurrence %d of %q", s, n, old)
		}
		at += 1 + j
	}
	return s[:at] + new + s[at+len(old):]
}

const d1 = "sha256:1111111111111111111111111111111111111111111111111111111111111111"
const d2 = "sha256:2222222222222222222222222222222222222222222222222222222222222222"

func TestDetect(t *testing.T) {
	for _, tc := range []struct {
		path string
		want target.Kind
	}{
		{"argo-cd-base/kustomization.yaml", target.Kustomization},
		{"podinfo/deployment.yaml", target.Manifest},
		{"manifests/workloads.yaml", target.Manifest},
		{"apps/guestbook.yaml", target.Application},
		{"apps/app-service.yaml", target.Application},
	} {
		if got := target.Detect(tc.path, read(t, tc.path)); got != tc.want {
			t.Errorf("Detect(%s) = %v, want %v", tc.path, got, tc.want)
		}
	}
	for _, src := range []string{"image:\n  repository: x\n  tag: 1\n", "", "not: [valid\n", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\nimage: x\n", "apiVersion: v2\nkind: DaemonSet\nimage:\n  tag: 1\n"} {
		if got := target.Detect("app/values-prod.yaml", []byte(src)); got != target.HelmValues {
			t.Errorf("Detect(%q) = %v, want helm values", src, got)
		}
	}
	if got := target.Detect("overlays/prod/Kustomization", []byte("resources: [a]\n")); got != target.Kustomization {
		t.Errorf("Kustomization = %v", got)
	}
}

func TestSetKustomizeEntry(t *testing.T) {
	src := read(t, "argo-cd-base/kustomization.yaml")
	out, changes, err := target.SetKustomize(src, ref("quay.io/argoproj/argocd", "v2.8.0", ""), nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := replaced(t, src, "v2.7.6", "v2.8.0", 1); string(out) != want {
		t.Errorf("got\n%s", out)
	}
	want := []target.Change{{Path: ".images[0].newTag", Old: "v2.7.6", New: "v2.8.0", OldTag: "v2.7.6"}}
	if diff := cmp.Diff(want, changes); diff != "" {
		t.Errorf("changes (-want +got):\n%s", diff)
	}
	// With a digest: the entry gets one, after its last key.
	out, _, err = target.SetKustomize(src, ref("quay.io/argoproj/argocd", "v2.8.0", d1), nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := replaced(t, src, "  newTag: v2.7.6\n", "  newTag: v2.8.0\n  digest: "+d1+"\n", 1); string(out) != want {
		t.Errorf("got\n%s", out)
	}
}

func TestSetKustomizeAppends(t *testing.T) {
	src := read(t, "kustomize-guestbook/kustomization.yaml")
	out, changes, err := target.SetKustomize(src, ref("gcr.io/heptio-images/ks-guestbook-demo", "0.3", ""), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := string(src) + "images:\n- name: gcr.io/heptio-images/ks-guestbook-demo\n  newTag: \"0.3\"\n"
	if string(out) != want {
		t.Errorf("got\n%s\nwant\n%s", out, want)
	}
	if len(changes) != 1 || !changes[0].Created || changes[0].Path != ".images[0].newTag" {
		t.Errorf("changes = %+v", changes)
	}
	// As the resources spell it: Kustomize matches the name exactly.
	src = []byte("resources:\n  - deployment.yaml\nimages:\n  - name: quay.io/other/app # kept\n    newTag: v1\n")
	out, _, err = target.SetKustomize(src, ref("docker.io/library/nginx", "1.27.0", ""), []string{"nginx"})
	if err != nil {
		t.Fatal(err)
	}
	if want := string(src) + "  - name: nginx\n    newTag: 1.27.0\n"; string(out) != want {
		t.Errorf("got\n%s\nwant\n%s", out, want)
	}
}

func TestSetKustomizeRenamed(t *testing.T) {
	src := []byte("images:\n- name: nginx\n  newName: registry.example.com/mirror/nginx\n  newTag: \"1.25\"\n")
	out, _, err := target.SetKustomize(src, ref("registry.example.com/mirror/nginx", "1.26", ""), nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := replaced(t, src, `"1.25"`, `"1.26"`, 1); string(out) != want {
		t.Errorf("got\n%s", out)
	}
	// The entry names nginx but deploys the mirror: not docker.io's nginx.
	_, _, err = target.SetKustomize(src, ref("docker.io/library/nginx", "1.26", ""), nil)
	if !errors.Is(err, target.ErrOtherImage) {
		t.Errorf("err = %v, want ErrOtherImage", err)
	}
}

func TestSetKustomizeRefused(t *testing.T) {
	r := ref("registry.example.com/team/app", "1.2.0", "")
	for _, tc := range []struct {
		name, src string
		kind      error
	}{
		{"two entries", "images:\n- name: registry.example.com/team/app\n  newTag: 1.0.0\n- name: registry.example.com/team/app\n  newTag: 1.1.0\n", target.ErrAmbiguous},
		{"tag in name", "images:\n- name: registry.example.com/team/app:1.0.0\n  newTag: 1.1.0\n", target.ErrRefused},
		{"tag in newName", "images:\n- name: app\n  newName: registry.example.com/team/app:1.0.0\n", target.ErrRefused},
		{"pinned digest", "images:\n- name: registry.example.com/team/app\n  newTag: 1.0.0\n  digest: " + d1 + "\n", target.ErrPinned},
		{"two documents", "images: []\n---\nimages: []\n", target.ErrRefused},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := target.SetKustomize([]byte(tc.src), r, nil)
			if !errors.Is(err, tc.kind) {
				t.Errorf("err = %v, want %v", err, tc.kind)
			}
		})
	}
}

func TestSetManifest(t *testing.T) {
	src := read(t, "manifests/workloads.yaml")
	out, changes, err := target.SetManifest(src, ref("registry.example.com/team/api", "1.5.0", ""))
	if err != nil {
		t.Fatal(err)
	}
	want := replaced(t, src, "api:1.4.0", "api:1.5.0", 1)
	want = replaced(t, []byte(want), "api:1.4.0", "api:1.5.0", 1)
	want = replaced(t, []byte(want), "api:1.3.9", "api:1.5.0", 1)
	if string(out) != want {
		t.Errorf("got\n%s", out)
	}
	var keys []string
	for _, c := range changes {
		keys = append(keys, c.Key()+"="+c.OldTag)
	}
	wantKeys := []string{
		".spec.template.spec.initContainers[0].image=1.4.0",
		".spec.template.spec.containers[0].image=1.4.0",
		".spec.ephemeralContainers[0].image (document 4)=1.3.9",
	}
	if diff := cmp.Diff(wantKeys, keys); diff != "" {
		t.Errorf("changes (-want +got):\n%s", diff)
	}
	// The CronJob's container, single-quoted.
	out, _, err = target.SetManifest(src, ref("registry.example.com/team/report", "2.1.0", ""))
	if err != nil {
		t.Fatal(err)
	}
	if want := replaced(t, src, "report:2.0.1", "report:2.1.0", 1); string(out) != want {
		t.Errorf("got\n%s", out)
	}
	// A registry with a port and a digest keeps its form.
	out, _, err = target.SetManifest(src, ref("localhost:5000/tools/shell", "3", d2))
	if err != nil {
		t.Fatal(err)
	}
	if want := replaced(t, src, "shell@"+d1, "shell:3@"+d2, 1); string(out) != want {
		t.Errorf("got\n%s", out)
	}
	// Without a digest it is pinned.
	if _, _, err := target.SetManifest(src, ref("localhost:5000/tools/shell", "3", "")); !errors.Is(err, target.ErrPinned) {
		t.Errorf("err = %v, want ErrPinned", err)
	}
	// An image no container runs.
	_, _, err = target.SetManifest(src, ref("registry.example.com/team/web", "1", ""))
	if !errors.Is(err, target.ErrNoImage) || !strings.Contains(err.Error(), "busybox:1.36") {
		t.Errorf("err = %v, want ErrNoImage listing the images", err)
	}
}

func TestSetManifestPodinfo(t *testing.T) {
	src := read(t, "podinfo/deployment.yaml")
	out, _, err := target.SetManifest(src, ref("ghcr.io/stefanprodan/podinfo", "6.7.0", ""))
	if err != nil {
		t.Fatal(err)
	}
	if want := replaced(t, src, "podinfo:6.1.1", "podinfo:6.7.0", 1); string(out) != want {
		t.Errorf("got\n%s", out)
	}
}

func TestSetApplicationParameters(t *testing.T) {
	src := read(t, "apps/guestbook.yaml")
	out, changes, err := target.SetApplication(src, "helm-guestbook", 0, ref("gcr.io/heptio-images/ks-guestbook-demo", "0.2", ""))
	if err != nil {
		t.Fatal(err)
	}
	if want := replaced(t, src, `"0.1"`, `"0.2"`, 1); string(out) != want {
		t.Errorf("got\n%s", out)
	}
	if len(changes) != 1 || changes[0].Path != ".spec.source.helm.parameters[1].value" {
		t.Errorf("changes = %+v", changes)
	}
}

func TestSetApplicationKustomizeImages(t *testing.T) {
	src := read(t, "apps/guestbook.yaml")
	out, changes, err := target.SetApplication(src, "kustomize-guestbook", 0, ref("gcr.io/heptio-images/ks-guestbook-demo", "0.3", ""))
	if err != nil {
		t.Fatal(err)
	}
	if want := replaced(t, src, "ks-guestbook-demo:0.2", "ks-guestbook-demo:0.3", 1); string(out) != want {
		t.Errorf("got\n%s", out)
	}
	if len(changes) != 1 || changes[0].Key() != ".spec.source.kustomize.images[0] (document 2)" {
		t.Errorf("changes = %+v", changes)
	}
	// name=newName:tag keeps its name.
	out, _, err = target.SetApplication(src, "kustomize-guestbook", 0, ref("registry.example.com/mirror/nginx", "1.27.0", ""))
	if err != nil {
		t.Fatal(err)
	}
	if want := replaced(t, src, "nginx=registry.example.com/mirror/nginx:1.25.3", "nginx=registry.example.com/mirror/nginx:1.27.0", 1); string(out) != want {
		t.Errorf("got\n%s", out)
	}
	// With a digest (--digest): kustomize edit set image reads
	// "name:tag@digest" as the name "name:tag", so it is refused.
	const d = "sha256:2b1f6b2f5e1a9d1e2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192"
	if out, _, err := target.SetApplication(src, "kustomize-guestbook", 0, ref("registry.example.com/mirror/nginx", "1.27.0", d)); !errors.Is(err, target.ErrRefused) {
		t.Errorf("--digest into kustomize.images: err = %v, want ErrRefused\n%s", err, out)
	}
	// nginx itself is renamed to the mirror: refused.
	if _, _, err := target.SetApplication(src, "kustomize-guestbook", 0, ref("docker.io/library/nginx", "1.27.0", "")); !errors.Is(err, target.ErrOtherImage) {
		t.Errorf("err = %v, want ErrOtherImage", err)
	}
}

func TestSetApplicationValuesObject(t *testing.T) {
	src := read(t, "apps/app-service.yaml")
	out, changes, err := target.SetApplication(src, "app-service-staging", 1, ref("registry.example.com/team/app-service", "1.3.0", ""))
	if err != nil {
		t.Fatal(err)
	}
	if want := replaced(t, src, "'1.2.0'", "'1.3.0'", 1); string(out) != want {
		t.Errorf("got\n%s", out)
	}
	if len(changes) != 1 || changes[0].Path != ".spec.sources[1].helm.valuesObject.image.tag" {
		t.Errorf("changes = %+v", changes)
	}
	// The string form in the same valuesObject.
	out, _, err = target.SetApplication(src, "app-service-staging", 1, ref("registry.example.com/team/envoy", "1.31.0", ""))
	if err != nil {
		t.Fatal(err)
	}
	if want := replaced(t, src, "envoy:1.30.1", "envoy:1.31.0", 1); string(out) != want {
		t.Errorf("got\n%s", out)
	}
	// The ref source has nothing.
	if _, _, err := target.SetApplication(src, "app-service-staging", 0, ref("registry.example.com/team/app-service", "1.3.0", "")); !errors.Is(err, target.ErrNoImage) {
		t.Errorf("err = %v, want ErrNoImage", err)
	}
}

func TestSetApplicationValuesText(t *testing.T) {
	src := read(t, "apps/app-service.yaml")
	out, changes, err := target.SetApplication(src, "app-service-prod", 0, ref("registry.example.com/team/app-service", "1.3.0", ""))
	if err != nil {
		t.Fatal(err)
	}
	if want := replaced(t, src, `"1.1.0"`, `"1.3.0"`, 1); string(out) != want {
		t.Errorf("got\n%s", out)
	}
	if len(changes) != 1 || changes[0].Key() != ".spec.source.helm.values .image.tag (document 2)" || changes[0].Old != "1.1.0" {
		t.Errorf("changes = %+v", changes)
	}
	// The second envoy: in helm.values of the prod app, not staging's.
	out, _, err = target.SetApplication(src, "app-service-prod", 0, ref("registry.example.com/team/envoy", "1.31.0", ""))
	if err != nil {
		t.Fatal(err)
	}
	if want := replaced(t, src, "envoy:1.30.1", "envoy:1.31.0", 2); string(out) != want {
		t.Errorf("got\n%s", out)
	}
	// Chomping and indentation kept: |- and |+ with a deeper indent.
	for _, header := range []string{"|-", "|+", "|"} {
		src := []byte("apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: a}\nspec:\n  source:\n    helm:\n      values: " +
			header + "\n          image:\n            repository: r.example.com/a\n            tag: v1\n\nother: 1\n")
		out, _, err := target.SetApplication(src, "a", 0, ref("r.example.com/a", "v2", ""))
		if err != nil {
			t.Fatalf("%s: %v", header, err)
		}
		if want := replaced(t, src, "tag: v1", "tag: v2", 1); string(out) != want {
			t.Errorf("%s: got\n%s", header, out)
		}
	}
	// Folded text cannot be edited exactly.
	folded := []byte("apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: a}\nspec:\n  source:\n    helm:\n      values: >\n        image: r.example.com/a:v1\n")
	if _, _, err := target.SetApplication(folded, "a", 0, ref("r.example.com/a", "v2", "")); !errors.Is(err, target.ErrRefused) {
		t.Errorf("folded: err = %v, want ErrRefused", err)
	}
}

func TestApplicationNotFound(t *testing.T) {
	src := read(t, "apps/guestbook.yaml")
	_, _, err := target.SetApplication(src, "guestbook", 0, ref("gcr.io/heptio-images/ks-guestbook-demo", "0.2", ""))
	if !errors.Is(err, target.ErrNoImage) || !strings.Contains(err.Error(), "helm-guestbook, kustomize-guestbook") {
		t.Errorf("err = %v", err)
	}
	if _, _, err := target.SetApplication(src, "", 0, ref("gcr.io/heptio-images/ks-guestbook-demo", "0.2", "")); !errors.Is(err, target.ErrAmbiguous) {
		t.Errorf("no name: err = %v, want ErrAmbiguous", err)
	}
}

func TestSetApplicationParametersOtherImage(t *testing.T) {
	src := []byte("apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: a\nspec:\n  source:\n    helm:\n      parameters:\n        - name: image.repository\n          value: registry.example.com/team/other\n        - name: image.tag\n          value: v1\n")
	// image.tag belongs to image.repository's image, which is another one.
	if _, _, err := target.SetApplication(src, "a", 0, ref("registry.example.com/team/app", "v2", "")); !errors.Is(err, target.ErrNoImage) {
		t.Errorf("err = %v, want ErrNoImage", err)
	}
	// Without image.repository, image.tag is the image's, as .image.tag in a values file.
	src = []byte(strings.Replace(string(src), "        - name: image.repository\n          value: registry.example.com/team/other\n", "", 1))
	out, _, err := target.SetApplication(src, "a", 0, ref("registry.example.com/team/app", "v2", ""))
	if err != nil {
		t.Fatal(err)
	}
	if want := replaced(t, src, "value: v1", "value: v2", 1); string(out) != want {
		t.Errorf("got\n%s", out)
	}
}

// TestPickApplicationPrecedence: Argo CD applies parameters over
// valuesObject over the value files, and ignores helm.values when
// valuesObject is set: only the block that decides is picked, by its
// repository or by the key the value files give the image's tag.
func TestPickApplicationPrecedence(t *testing.T) {
	src := []byte(`apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: a
spec:
  source:
    helm:
      values: |
        image:
          repository: registry.example.com/app
          tag: v0
      valuesObject:
        image:
          repository: registry.example.com/app
          tag: v1
        api:
          tag: v1
      parameters:
        - name: image.tag
          value: v1
        - name: app.tag
          value: v1
`)
	blocks, err := target.ApplicationImages(src, "a", 0)
	if err != nil {
		t.Fatal(err)
	}
	where := func(bs []target.AppBlock) []string {
		var out []string
		for _, b := range bs {
			out = append(out, b.Where)
		}
		return out
	}
	app := ref("registry.example.com/app", "v2", "")
	got, err := target.PickApplication(blocks, app, nil, true)
	if err != nil {
		t.Fatal(err)
	}
	// valuesObject names the image at .image.tag, which the parameter
	// overrides; helm.values is ignored.
	if diff := cmp.Diff([]string{"parameter image.tag"}, where(got)); diff != "" {
		t.Errorf("by repository (-want +got):\n%s", diff)
	}
	// app.tag is known to be the image's only from the value files' key.
	got, _ = target.PickApplication(blocks, ref("registry.example.com/other", "v2", ""), []string{".app.tag"}, true)
	if diff := cmp.Diff([]string{"parameter app.tag"}, where(got)); diff != "" {
		t.Errorf("by key (-want +got):\n%s", diff)
	}
	// valuesObject's api.tag is no image block: found by its key.
	if blocks, err = target.ApplicationKeys(src, "a", 0, []string{".api.tag"}); err != nil {
		t.Fatal(err)
	}
	got, _ = target.PickApplication(blocks, ref("registry.example.com/other", "v2", ""), []string{".api.tag"}, true)
	if diff := cmp.Diff([]string{"helm.valuesObject .api.tag"}, where(got)); diff != "" {
		t.Errorf("valuesObject by key (-want +got):\n%s", diff)
	}
	out, changes, err := target.SetApplicationBlocks(src, got, ref("registry.example.com/other", "v2", ""))
	if err != nil || len(changes) != 1 || string(out) != replaced(t, src, "tag: v1", "tag: v2", 2) {
		t.Errorf("set: %v, %+v\n%s", err, changes, out)
	}
}

// TestApplicationKustomizeImagesOtherRegistry: a kustomize.images name without a
// registry is a Docker Hub image to Kustomize (docker.io/acme/app), as the
// kustomization editor reads it (Deploys). A bump of ghcr.io/acme/app must
// not write its tag there: that would deploy docker.io/acme/app:2.0.
func TestApplicationKustomizeImagesOtherRegistry(t *testing.T) {
	src := []byte(`apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: k
spec:
  source:
    repoURL: https://git.example.com/acme/deploy
    path: overlays/prod
    kustomize:
      images:
        - acme/app:1.0
`)
	out, _, err := target.SetApplication(src, "k", 0, ref("ghcr.io/acme/app", "2.0", ""))
	if err == nil {
		t.Fatalf("ghcr.io/acme/app written into docker.io's acme/app entry:\n%s", out)
	}
	// The kustomization editor leaves the same entry alone (appends one).
	kz := []byte("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nimages:\n  - name: acme/app\n    newTag: \"1.0\"\n")
	if out, _, err := target.SetKustomize(kz, ref("ghcr.io/acme/app", "2.0", ""), nil); err == nil && !strings.HasPrefix(string(out), string(kz)) {
		t.Errorf("kustomization editor edits it too:\n%s", out)
	}
}

// TestApplicationIgnoredValuesEdited: with valuesObject set, Argo CD ignores
// helm.values; a bump by the value files' key must not also rewrite the
// ignored helm.values text (a second changed line that deploys nothing).
func TestApplicationIgnoredValuesEdited(t *testing.T) {
	src := helmApp(`      values: |
        image:
          tag: v0
      valuesObject:
        image:
          repository: registry.example.com/app
          tag: v1
`)
	blocks, err := target.ApplicationKeys(src, "a", 0, []string{".image.tag"})
	if err != nil {
		t.Fatal(err)
	}
	got, err := target.PickApplication(blocks, ref("registry.example.com/app", "v2", ""), []string{".image.tag"}, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range got {
		if b.Field == target.FieldValues {
			t.Errorf("picked the ignored %s", b.Where)
		}
	}
}

// TestPickApplicationTagOfOtherRepository: image.tag and image.repository
// parameters name another image; the value files set ours at .image.tag.
// Picking the parameter by its key would write our tag under the other
// repository: refused.
func TestPickApplicationTagOfOtherRepository(t *testing.T) {
	src := helmApp(`      parameters:
        - name: image.repository
          value: registry.example.com/other
        - name: image.tag
          value: o-1
`)
	blocks, err := target.ApplicationKeys(src, "a", 0, []string{".image.tag"})
	if err != nil {
		t.Fatal(err)
	}
	got, err := target.PickApplication(blocks, ref("registry.example.com/app", "v2", ""), []string{".image.tag"}, false)
	if !errors.Is(err, target.ErrOtherImage) {
		t.Errorf("picked %+v, err %v: want ErrOtherImage", got, err)
	}
	// Naming our image, the pair is picked.
	got, err = target.PickApplication(blocks, ref("registry.example.com/other", "v2", ""), []string{".image.tag"}, false)
	if err != nil || len(got) != 1 || got[0].Where != "parameter image.tag" {
		t.Errorf("picked %+v, err %v", got, err)
	}
}

// helmApp is an Application "a" whose source's helm: field is body
// (indented for it).
func helmApp(body string) []byte {
	return []byte("apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: a\nspec:\n  source:\n    helm:\n" + body)
}

// TestRestoreApplicationBlock: a rollback writes back the tag a deployment
// replaced, and clears a digest the deployment added (inside helm.values
// text and at a NAME.digest parameter) instead of refusing it as pinned;
// a digest to restore is written next to the tag. FileApplicationImages
// names the helm.values block by its key inside the text.
func TestRestoreApplicationBlock(t *testing.T) {
	head := "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: a}\nspec:\n  source:\n    helm:\n"
	for name, c := range map[string]struct{ src, key, want string }{
		"values": {head + "      values: |\n        image:\n          repository: r.example.com/a\n          tag: v2  # CI\n          digest: sha256:bbb\n",
			".spec.source.helm.values .image.tag",
			head + "      values: |\n        image:\n          repository: r.example.com/a\n          tag: v1  # CI\n          digest: \"\"\n"},
		"parameters": {head + "      parameters:\n        - {name: image.repository, value: r.example.com/a}\n        - {name: image.tag, value: v2}\n        - {name: image.digest, value: \"sha256:bbb\"}\n",
			".spec.source.helm.parameters[1].value",
			head + "      parameters:\n        - {name: image.repository, value: r.example.com/a}\n        - {name: image.tag, value: v1}\n        - {name: image.digest, value: \"\"}\n"},
	} {
		t.Run(name, func(t *testing.T) {
			blocks := target.FileApplicationImages([]byte(c.src))
			if len(blocks) != 1 || blocks[0].Key() != c.key || blocks[0].Digest != "sha256:bbb" {
				t.Fatalf("blocks = %+v", blocks)
			}
			out, changes, err := target.RestoreApplicationBlock([]byte(c.src), blocks[0], ref("r.example.com/a", "v1", ""))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(c.want, string(out)); diff != "" {
				t.Errorf("out (-want +got):\n%s", diff)
			}
			if len(changes) != 2 || changes[0].Key() != c.key || changes[1].Old != "sha256:bbb" || changes[1].New != "" {
				t.Errorf("changes = %+v", changes)
			}
			// A digest to restore goes next to the tag.
			out, _, err = target.RestoreApplicationBlock([]byte(c.src), blocks[0], ref("r.example.com/a", "v1", "sha256:aaa"))
			if err != nil || !strings.Contains(string(out), "v1") || !strings.Contains(string(out), "sha256:aaa") {
				t.Errorf("with a digest: %v\n%s", err, out)
			}
		})
	}
}
