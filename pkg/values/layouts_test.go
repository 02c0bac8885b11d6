package values

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestFindImagesLayouts reads the image layouts of public charts, each in
// the shape those charts write it.
func TestFindImagesLayouts(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		want      []Image
	}{
		{"repository and tag", `# Default values for app.
replicaCount: 1
image:
  repository: ghcr.io/org/app
  pullPolicy: IfNotPresent
  # Overrides the image tag whose default is the chart appVersion.
  tag: "1.4.2"
imagePullSecrets: []
`, []Image{{Path: ".image", Repository: "ghcr.io/org/app", Tag: "1.4.2", TagPath: ".image.tag", Form: FormMap}}},

		{"registry split out", `image:
  registry: quay.io
  repository: prometheus/alertmanager
  tag: v0.27.0
  sha: ""
`, []Image{{Path: ".image", Registry: "quay.io", Repository: "prometheus/alertmanager", Tag: "v0.27.0", TagPath: ".image.tag", Form: FormMap}}},

		{"bitnami", `global:
  imageRegistry: ""
image:
  registry: docker.io
  repository: bitnami/redis
  tag: 7.2.4-debian-12-r9
  digest: ""
  pullPolicy: IfNotPresent
  pullSecrets: []
  debug: false
volumePermissions:
  enabled: false
  image:
    registry: docker.io
    repository: bitnami/os-shell
    tag: 12-debian-12-r16
    digest: ""
`, []Image{
			{Path: ".image", Registry: "docker.io", Repository: "bitnami/redis", Tag: "7.2.4-debian-12-r9", TagPath: ".image.tag", DigestPath: ".image.digest", Form: FormMap},
			{Path: ".volumePermissions.image", Registry: "docker.io", Repository: "bitnami/os-shell", Tag: "12-debian-12-r16", TagPath: ".volumePermissions.image.tag", DigestPath: ".volumePermissions.image.digest", Form: FormMap},
		}},

		{"repo and tag", `image:
  repo: quay.io/jetstack/cert-manager-controller
  tag: v1.14.4
  pullPolicy: IfNotPresent
`, []Image{{Path: ".image", Repository: "quay.io/jetstack/cert-manager-controller", Tag: "v1.14.4", TagPath: ".image.tag", Form: FormMap}}},

		{"name and tag with registry", `image:
  registry: registry.example.com
  name: team/api
  tag: "2024.05.1"
initImage:
  name: busybox
  tag: "1.36"
`, []Image{
			{Path: ".image", Registry: "registry.example.com", Repository: "team/api", Tag: "2024.05.1", TagPath: ".image.tag", Form: FormMap},
			{Path: ".initImage", Repository: "busybox", Tag: "1.36", TagPath: ".initImage.tag", Form: FormMap},
		}},

		{"string with sibling tag", `redis-ha:
  exporter:
    enabled: false
    # -- Repository to use for the redis-exporter
    image: ghcr.io/oliver006/redis_exporter
    # -- Tag to use for the redis-exporter
    tag: v1.75.0
elasticsearch:
  image: "docker.elastic.co/elasticsearch/elasticsearch"
  imageTag: "8.5.1"
  imagePullPolicy: "IfNotPresent"
`, []Image{
			{Path: ".redis-ha.exporter.image", Repository: "ghcr.io/oliver006/redis_exporter", Tag: "v1.75.0", TagPath: ".redis-ha.exporter.tag", Form: FormSibling},
			{Path: ".elasticsearch.image", Repository: "docker.elastic.co/elasticsearch/elasticsearch", Tag: "8.5.1", TagPath: ".elasticsearch.imageTag", Form: FormSibling},
		}},

		{"strings", `image: registry.example.com/team/app:app-123
sidecar:
  image: "reg.example.com:5000/org/side:1.0@sha256:0123abcd"
`, []Image{
			{Path: ".image", Repository: "registry.example.com/team/app", Tag: "app-123", TagPath: ".image", Form: FormString},
			{Path: ".sidecar.image", Repository: "reg.example.com:5000/org/side", Tag: "1.0", TagPath: ".sidecar.image", Digest: "sha256:0123abcd", DigestPath: ".sidecar.image", Form: FormString},
		}},

		{"subcharts and lists", `carts:
  image:
    repository: weaveworksdemos/carts
    tag: 0.4.8
workers:
- name: mailer
  image:
    repository: registry.example.com/team/mailer
    tag: "7"
- name: resizer
  image:
    repository: registry.example.com/team/resizer
    tag: "12"
`, []Image{
			{Path: ".carts.image", Repository: "weaveworksdemos/carts", Tag: "0.4.8", TagPath: ".carts.image.tag", Form: FormMap},
			{Path: ".workers[0].image", Repository: "registry.example.com/team/mailer", Tag: "7", TagPath: ".workers[0].image.tag", Form: FormMap},
			{Path: ".workers[1].image", Repository: "registry.example.com/team/resizer", Tag: "12", TagPath: ".workers[1].image.tag", Form: FormMap},
		}},

		{"no tag anywhere", `image: org/app
haproxy:
  image:
    repository: haproxy
  enabled: true
`, []Image{
			{Path: ".image", Repository: "org/app", Form: FormString},
			{Path: ".haproxy.image", Repository: "haproxy", Form: FormMap},
		}},

		{"tag without repository", `image:
  tag: app-123
`, []Image{{Path: ".image", Tag: "app-123", TagPath: ".image.tag", Form: FormMap}}},

		{"full reference under name, registry with a port", `backend:
  image:
    name: image-registry.openshift-image-registry.svc:5000/project/backend:2024-10-24-1
    pullPolicy: Always
`, []Image{{Path: ".backend.image.name", Repository: "image-registry.openshift-image-registry.svc:5000/project/backend", Tag: "2024-10-24-1", TagPath: ".backend.image.name", Form: FormString}}},

		{"full reference under repository, with a digest", `image:
  repository: "ghcr.io/acme/web:1.0.0@sha256:1111111111111111111111111111111111111111111111111111111111111111"
`, []Image{{Path: ".image.repository", Repository: "ghcr.io/acme/web", Tag: "1.0.0", TagPath: ".image.repository",
			Digest: "sha256:1111111111111111111111111111111111111111111111111111111111111111", DigestPath: ".image.repository", Form: FormString}}},

		{"image.image and *Image strings", `worker:
  image:
    image: localhost:5000/team/worker:7
  sidecarImage: registry.local:443/team/proxy@sha256:2222222222222222222222222222222222222222222222222222222222222222
`, []Image{
			{Path: ".worker.image.image", Repository: "localhost:5000/team/worker", Tag: "7", TagPath: ".worker.image.image", Form: FormString},
			{Path: ".worker.sidecarImage", Repository: "registry.local:443/team/proxy", TagPath: ".worker.sidecarImage",
				Digest: "sha256:2222222222222222222222222222222222222222222222222222222222222222", DigestPath: ".worker.sidecarImage", Form: FormString},
		}},

		{"name without a tag is still a repository", `image:
  name: localhost:5000/team/app
  tag: "3"
`, []Image{{Path: ".image", Repository: "localhost:5000/team/app", Tag: "3", TagPath: ".image.tag", Form: FormMap}}},

		{"not images", `imagePullPolicy: IfNotPresent
image:
  distroless: true
git:
  repo: https://github.com/org/config
  tag: v1
command: "run image:1"
pullImage: true
`, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := FindImages([]byte(tc.src))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Fatalf("FindImages (-want +got):\n%s", diff)
			}
			for _, im := range got {
				if im.TagPath == "" {
					continue
				}
				if v, err := Get([]byte(tc.src), im.TagPath); err != nil || im.Form != FormString && v != im.Tag {
					t.Errorf("Get(%s) = %q, %v; want the tag %q", im.TagPath, v, err, im.Tag)
				}
			}
		})
	}
}

// TestFindImagesWithDefaults reads an environment's file over the chart's
// values.yaml as Helm merges them.
func TestFindImagesWithDefaults(t *testing.T) {
	defaults := `image:
  registry: quay.io
  repository: org/api
  tag: "1.0"
  digest: ""
worker:
  image:
    repository: org/worker
    tag: "3"
exporter:
  image: ghcr.io/org/exporter
  tag: v1
jobs:
- image:
    repository: org/job
    tag: "1"
`
	env := `image:
  tag: "1.2" # per env
exporter:
  tag: v2
jobs:
- image:
    tag: "9"
`
	got, err := FindImagesWithDefaults([]byte(env), []byte(defaults))
	if err != nil {
		t.Fatal(err)
	}
	want := []Image{
		{Path: ".image", Registry: "quay.io", Repository: "org/api", Tag: "1.2", TagPath: ".image.tag",
			Form: FormMap, Defaults: []string{"registry", "repository", "digest"}},
		{Path: ".exporter.image", Repository: "ghcr.io/org/exporter", Tag: "v2", TagPath: ".exporter.tag",
			Form: FormSibling, Defaults: []string{"repository"}},
		// A list replaces the chart's list: the job's repository is not merged.
		{Path: ".jobs[0].image", Tag: "9", TagPath: ".jobs[0].image.tag", Form: FormMap},
		// Only in values.yaml: the tag too.
		{Path: ".worker.image", Repository: "org/worker", Tag: "3", TagPath: ".worker.image.tag",
			Form: FormMap, Defaults: []string{"repository", "tag"}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("FindImagesWithDefaults (-want +got):\n%s", diff)
	}
	if got[0].TagFromDefaults() || !got[3].TagFromDefaults() {
		t.Errorf("TagFromDefaults: %v %v", got[0].TagFromDefaults(), got[3].TagFromDefaults())
	}
	if got[0].Name() != "quay.io/org/api" {
		t.Errorf("Name() = %q", got[0].Name())
	}
	// A null in the file deletes the chart's block, as in Helm.
	got, err = FindImagesWithDefaults([]byte("worker: ~\n"), []byte(defaults))
	if err != nil {
		t.Fatal(err)
	}
	for _, im := range got {
		if strings.HasPrefix(im.Path, ".worker") {
			t.Errorf("null did not delete %s", im.Path)
		}
	}
	if _, err := FindImagesWithDefaults([]byte("a: 1\n"), []byte("a: [")); err == nil || !strings.Contains(err.Error(), "defaults") {
		t.Errorf("bad defaults: %v", err)
	}
}

// TestSetShared edits an anchored image block that aliases reuse, as
// Grafana's enterprise-logs chart does, and lists what changes with it.
func TestSetShared(t *testing.T) {
	src := []byte(`image: &image
  repository: grafana/enterprise-logs
  tag: v1.4.0
loki:
  image: *image
gateway:
  image:
    <<: *image
    pullPolicy: Always
tokengen:
  image:
    <<: *image
    tag: pinned
`)
	out, also, err := SetShared(src, ".image.tag", "v1.5.0")
	if err != nil {
		t.Fatal(err)
	}
	if want := strings.Replace(string(src), "tag: v1.4.0", "tag: v1.5.0", 1); string(out) != want {
		t.Errorf("out:\n%s", out)
	}
	wantAlso := []string{".loki.image.tag via *image", ".gateway.image.tag via <<: *image"}
	if diff := cmp.Diff(wantAlso, also); diff != "" {
		t.Errorf("also (-want +got):\n%s", diff)
	}
	// Set still refuses; a path through the alias is refused naming the anchor's path.
	if _, err := Set(src, ".image.tag", "v1.5.0"); !errors.Is(err, ErrRefused) {
		t.Errorf("Set on the anchor: %v", err)
	}
	_, _, err = SetShared(src, ".loki.image.tag", "v1.5.0")
	if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "at .image.tag instead") {
		t.Errorf("through the alias: %v", err)
	}
	// An anchor no alias uses, and a plain value: no paths.
	out, also, err = SetShared([]byte("image: &i\n  tag: a\n"), ".image.tag", "b")
	if err != nil || len(also) != 0 || string(out) != "image: &i\n  tag: b\n" {
		t.Errorf("unused anchor: %q %v %v", out, also, err)
	}
}

// FuzzFindImages checks that FindImagesWithDefaults never panics and that
// every tag it places in the file (not only in the defaults) is there.
func FuzzFindImages(f *testing.F) {
	f.Add([]byte("image:\n  tag: v1\n"), []byte("image:\n  repository: org/app\n  tag: v0\n"))
	f.Add([]byte("image: &i\n  repository: a\n  tag: b\nx:\n  image: *i\n"), []byte(nil))
	f.Add([]byte("e:\n  image: org/x\n  tag: v\nw:\n- image: {name: n, tag: t}\n"), []byte("e: {imageTag: 1}\nw: []\n"))
	f.Add([]byte("image: r.example.com/o/a:1@sha256:ab\n---\nimage: {repo: x, tag: y}\n"), []byte("image: ~\n"))
	f.Fuzz(func(t *testing.T, src, defaults []byte) {
		images, err := FindImagesWithDefaults(src, defaults)
		if err != nil {
			return
		}
		for _, im := range images {
			if im.TagPath == "" || im.TagFromDefaults() {
				continue
			}
			if _, err := Get(src, im.TagPath); errors.Is(err, ErrNotFound) {
				t.Fatalf("FindImages placed a tag at %s, which the file lacks: %v", im.TagPath, err)
			}
		}
	})
}
