package chart

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tagbump/tagbump/pkg/values"
)

func parsePath(t *testing.T, s string) values.Path {
	t.Helper()
	p, err := values.ParsePath(s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestDisabled: a block under enabled: false (the env file over values.yaml
// over a subchart's values), or in a subchart switched off by its condition
// or tags, is not rendered; the switch and the file that sets it are named.
func TestDisabled(t *testing.T) {
	bitnami := "image:\n  registry: docker.io\n  repository: bitnami/redis\n  tag: 7.2.4\nvolumePermissions:\n  enabled: false\n  image:\n    repository: bitnami/os-shell\n    tag: \"12\"\nmetrics:\n  enabled: true\n  image:\n    repository: bitnami/redis-exporter\n    tag: \"1.58\"\n"
	umbrella := &Chart{ValuesFile: "platform/values.yaml",
		Values: []byte("tags:\n  batch: false\nworker:\n  enabled: true\n"),
		Subcharts: []Subchart{
			{Key: "backend", Name: "backend", ValuesFile: "platform/charts/backend/values.yaml",
				Values: []byte("image:\n  repository: registry.example.com/team/backend\n  tag: 1.0.0\n"), Condition: "backend.enabled,global.backend.enabled"},
			{Key: "worker", Name: "worker", ValuesFile: "platform/charts/worker/values.yaml",
				Values: []byte("enabled: false\nimage:\n  repository: registry.example.com/team/worker\n"), Tags: []string{"batch"}},
			{Key: "cron", Name: "worker", ValuesFile: "platform/charts/worker/values.yaml",
				Values: []byte("image:\n  repository: registry.example.com/team/worker\n"), Tags: []string{"batch", "nightly"}},
		}}
	for _, tc := range []struct {
		name  string
		ch    *Chart
		src   string
		block string
		want  *Switch
	}{
		{name: "feature off in values.yaml", ch: FromValues("redis/values.yaml", []byte(bitnami)), src: "image:\n  tag: 7.2.5\n",
			block: ".volumePermissions.image", want: &Switch{Path: ".volumePermissions.enabled", File: "redis/values.yaml"}},
		{name: "feature on", ch: FromValues("redis/values.yaml", []byte(bitnami)), src: "image:\n  tag: 7.2.5\n", block: ".metrics.image"},
		{name: "main image", ch: FromValues("redis/values.yaml", []byte(bitnami)), src: "image:\n  tag: 7.2.5\n", block: ".image"},
		{name: "switched on by the env file", ch: FromValues("redis/values.yaml", []byte(bitnami)),
			src: "volumePermissions:\n  enabled: yes\n", block: ".volumePermissions.image"},
		{name: "switched off by the env file", ch: FromValues("redis/values.yaml", []byte(bitnami)),
			src: "metrics:\n  enabled: off # YAML 1.1, as Helm reads it\n", block: ".metrics.image",
			want: &Switch{Path: ".metrics.enabled", File: "redis/values-prod.yaml"}},
		{name: "a quoted false is a string, which templates read as true", ch: FromValues("redis/values.yaml", []byte(bitnami)),
			src: "volumePermissions:\n  enabled: \"false\"\n", block: ".volumePermissions.image"},
		{name: "the outermost switch", ch: FromValues("a/values.yaml", []byte("sidecars:\n  enabled: false\n  proxy:\n    enabled: false\n    image: {repository: envoy}\n")),
			src: "x: 1\n", block: ".sidecars.proxy.image", want: &Switch{Path: ".sidecars.enabled", File: "a/values.yaml"}},
		{name: "a null deletes the switch", ch: FromValues("a/values.yaml", []byte("proxy:\n  enabled: false\n")),
			src: "proxy:\n  enabled: null\n", block: ".proxy.image"},
		{name: "subchart condition in the env file", ch: umbrella, src: "backend:\n  enabled: false\n", block: ".backend.image",
			want: &Switch{Path: ".backend.enabled", File: "platform/values-prod.yaml", Subchart: "backend"}},
		{name: "subchart condition absent: enabled", ch: umbrella, src: "backend:\n  image:\n    tag: 1.1.0\n", block: ".backend.image"},
		{name: "the second condition path decides when the first is absent", ch: umbrella, src: "global:\n  backend:\n    enabled: false\n",
			block: ".backend.image", want: &Switch{Path: ".global.backend.enabled", File: "platform/values-prod.yaml", Subchart: "backend"}},
		{name: "a tag false", ch: umbrella, src: "x: 1\n", block: ".cron.image",
			want: &Switch{Path: ".tags.batch", File: "platform/values.yaml", Subchart: "cron"}},
		{name: "one true tag enables", ch: umbrella, src: "tags:\n  nightly: true\n", block: ".cron.image"},
		{name: "the subchart's own enabled: false under the parent's true", ch: umbrella, src: "tags:\n  batch: true\n", block: ".worker.image"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			file := "redis/values-prod.yaml"
			if tc.ch == umbrella {
				file = "platform/values-prod.yaml"
			}
			got, err := tc.ch.Disabled(file, []byte(tc.src), parsePath(t, tc.block))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("switch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestDefaultsAnchors: the parent's values share mappings through anchors
// (an anchor defined at a subchart's key, or elsewhere, and the global:
// copied down); each subchart's values land under its own key only, and
// the parent's shared mappings keep what they had.
func TestDefaultsAnchors(t *testing.T) {
	ch := &Chart{ValuesFile: "p/values.yaml",
		Values: []byte("global:\n  image: {pullPolicy: Always}\nbackend: &b\n  replicaCount: 2\nfrontend: *b\nworker: *b\n"),
		Subcharts: []Subchart{
			{Key: "backend", ValuesFile: "p/charts/backend/values.yaml",
				Values: []byte("global:\n  image: {registry: backend.example.com}\nimage:\n  repository: team/backend\n")},
			{Key: "frontend", ValuesFile: "p/charts/frontend/values.yaml", Values: []byte("image:\n  repository: team/frontend\n")},
		}}
	defaults, err := ch.Defaults()
	if err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]string{
		".backend.image.repository":         "team/backend",
		".backend.replicaCount":             "2",
		".frontend.image.repository":        "team/frontend",
		".frontend.replicaCount":            "2",
		".worker.replicaCount":              "2",
		".worker.image.repository":          "",
		".global.image.registry":            "",
		".frontend.global.image.registry":   "",
		".backend.global.image.registry":    "backend.example.com",
		".frontend.global.image.pullPolicy": "Always",
	} {
		if got, _ := values.Get(defaults, p); got != want {
			t.Errorf("%s = %q, want %q in:\n%s", p, got, want, defaults)
		}
	}
}
