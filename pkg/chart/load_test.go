package chart

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"io/fs"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tagbump/tagbump/pkg/values"
)

// memSource is a repository in memory; it records what is prefetched.
type memSource struct {
	files      map[string]string
	prefetched []string
}

func (m *memSource) ReadFile(_ context.Context, p string) ([]byte, error) {
	if s, ok := m.files[p]; ok {
		return []byte(s), nil
	}
	return nil, &fs.PathError{Op: "read", Path: p, Err: fs.ErrNotExist}
}

func (m *memSource) Prefetch(_ context.Context, paths ...string) error {
	m.prefetched = append(m.prefetched, paths...)
	return nil
}

func (m *memSource) List(p string) (dirs, files []string, err error) {
	for f := range m.files {
		rest, ok := strings.CutPrefix(f, p+"/")
		if !ok {
			continue
		}
		if d, _, nested := strings.Cut(rest, "/"); nested {
			if !slices.Contains(dirs, d) {
				dirs = append(dirs, d)
			}
		} else {
			files = append(files, rest)
		}
	}
	if dirs == nil && files == nil {
		return nil, nil, &fs.PathError{Op: "read", Path: p, Err: fs.ErrNotExist}
	}
	slices.Sort(dirs)
	slices.Sort(files)
	return dirs, files, nil
}

// tgz packs files (name → content) as helm package does: <chart>/... in a
// gzipped tar.
func tgz(t *testing.T, files map[string]string) string {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	tw := tar.NewWriter(zw)
	for _, name := range slices.Sorted(func(yield func(string) bool) {
		for k := range files {
			if !yield(k) {
				return
			}
		}
	}) {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(files[name])), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(files[name])); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestLoad reads an umbrella chart as Helm loads it: dependencies by name
// and alias from charts/<name>/, a packaged .tgz and a file:// path, plus a
// chart in charts/ no dependency names; the defaults merge each under its
// key with the parent's values winning and global: copied down. Only the
// values files and Chart.yaml files needed are prefetched.
func TestLoad(t *testing.T) {
	src := &memSource{files: map[string]string{
		"platform/Chart.yaml": "apiVersion: v2\nname: platform\ndependencies:\n" +
			"- {name: backend, version: 0.1.0, repository: file://charts/backend}\n" +
			"- {name: memcached, alias: memcachedchunks, version: 6.x.x, repository: oci://registry-1.docker.io/bitnamicharts, condition: memcachedchunks.enabled}\n" +
			"- {name: memcached, alias: memcachedresults, version: 6.x.x, repository: oci://registry-1.docker.io/bitnamicharts, tags: [cache]}\n" +
			"- {name: worker, version: 1.x, repository: 'file://../shared/worker'}\n" +
			"- {name: escape, version: 1.x, repository: 'file://../../outside'}\n",
		"platform/values.yaml":                  "global:\n  imageRegistry: mirror.example.com\nmemcachedchunks:\n  image:\n    tag: 1.6.21\nmemcachedresults: null\n",
		"platform/charts/backend/Chart.yaml":    "name: backend\n",
		"platform/charts/backend/values.yaml":   "image:\n  repository: registry.example.com/team/backend\n  tag: 1.0.0\n",
		"platform/charts/sidecar/values.yaml":   "image:\n  repository: registry.example.com/team/sidecar\n",
		"platform/charts/memcached-6.14.0.tgz":  "",
		"platform/charts/README.md":             "not a chart\n",
		"shared/worker/values.yaml":             "image:\n  repository: registry.example.com/team/worker\n",
		"shared/unrelated/values.yaml":          "x: 1\n",
		"platform/templates/deployment.yaml":    "kind: Deployment\n",
		"platform/values-prod.yaml":             "backend:\n  image:\n    tag: 1.1.0\n",
		"platform/charts/backend/templates/a.y": "",
	}}
	src.files["platform/charts/memcached-6.14.0.tgz"] = tgz(t, map[string]string{
		"memcached/Chart.yaml":                "name: memcached\nversion: 6.14.0\n",
		"memcached/values.yaml":               "global:\n  imageRegistry: \"\"\nimage:\n  registry: docker.io\n  repository: bitnami/memcached\n  tag: 1.6.22\n",
		"memcached/charts/common/values.yaml": "exampleValue: common-chart\n",
	})
	ch, err := Load(context.Background(), src, "platform")
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, s := range ch.Subcharts {
		keys = append(keys, s.Key+"="+s.ValuesFile)
	}
	sameList(t, "subcharts", keys, "backend=platform/charts/backend/values.yaml", "sidecar=platform/charts/sidecar/values.yaml",
		"memcachedchunks=platform/charts/memcached-6.14.0.tgz:memcached/values.yaml",
		"memcachedresults=platform/charts/memcached-6.14.0.tgz:memcached/values.yaml", "worker=shared/worker/values.yaml")
	slices.Sort(src.prefetched)
	sameList(t, "prefetched", src.prefetched, "platform/charts/backend/Chart.yaml", "platform/charts/backend/values.yaml",
		"platform/charts/memcached-6.14.0.tgz", "platform/charts/sidecar/Chart.yaml", "platform/charts/sidecar/values.yaml",
		"shared/worker/Chart.yaml", "shared/worker/values.yaml")

	defaults, err := ch.Defaults()
	if err != nil {
		t.Fatal(err)
	}
	images, err := values.FindImagesWithDefaults([]byte(src.files["platform/values-prod.yaml"]), defaults)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, im := range images {
		got = append(got, im.Path+" "+im.Name()+":"+im.Tag)
	}
	// memcachedresults: null in the parent deletes the subchart's values.
	sameList(t, "images", got, ".backend.image registry.example.com/team/backend:1.1.0", ".memcachedchunks.image docker.io/bitnami/memcached:1.6.21",
		".sidecar.image registry.example.com/team/sidecar:", ".worker.image registry.example.com/team/worker:")
	if v, err := values.Get(defaults, ".memcachedchunks.global.imageRegistry"); err != nil || v != "mirror.example.com" {
		t.Errorf("global not copied down: %q, %v", v, err)
	}
}

// TestLoadPlain: a chart without dependencies or charts/ reads its three
// files and prefetches nothing more (the fast path).
func TestLoadPlain(t *testing.T) {
	src := &memSource{files: map[string]string{"app/values.yaml": "image:\n  repository: x\n", "app/values-prod.yaml": "image:\n  tag: 1\n"}}
	ch, err := Load(context.Background(), src, "app")
	if err != nil {
		t.Fatal(err)
	}
	if len(ch.Subcharts) != 0 || len(src.prefetched) != 0 || string(ch.Values) != src.files["app/values.yaml"] {
		t.Errorf("chart %+v, prefetched %v", ch, src.prefetched)
	}
	if d, _ := ch.Defaults(); string(d) != src.files["app/values.yaml"] {
		t.Errorf("defaults re-encoded: %q", d)
	}
}

// sameList reports the difference between got and want as what.
func sameList(t *testing.T, what string, got []string, want ...string) {
	t.Helper()
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("%s (-want +got):\n%s", what, diff)
	}
}

// TestLoadUnreadableArchive: an archive larger than MaxArchive unpacked,
// or one the source cannot read for its size, is skipped with a warning
// that names it; the chart's own values and other subcharts still load.
func TestLoadUnreadableArchive(t *testing.T) {
	src := &memSource{files: map[string]string{
		"app/values.yaml":             "image:\n  repository: x\n",
		"app/charts/big-1.0.0.tgz":    "",
		"app/charts/db/values.yaml":   "image:\n  repository: db\n",
		"app/charts/huge-1.0.0.tgz":   "",
		"app/charts/db/templates/a.y": "",
	}}
	src.files["app/charts/big-1.0.0.tgz"] = tgz(t, map[string]string{
		"big/values.yaml":         "image:\n  repository: big\n",
		"big/templates/blob.yaml": strings.Repeat("x", MaxArchive),
	})
	ch, err := Load(context.Background(), tooLargeSource{src, "app/charts/huge-1.0.0.tgz"}, "app")
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, s := range ch.Subcharts {
		keys = append(keys, s.Key)
	}
	sameList(t, "subcharts", keys, "db")
	if len(ch.Warnings) != 2 || !strings.Contains(ch.Warnings[0], "app/charts/big-1.0.0.tgz: larger than 16 MiB") ||
		!strings.Contains(ch.Warnings[1], "app/charts/huge-1.0.0.tgz: ") {
		t.Errorf("warnings %q", ch.Warnings)
	}
}

// tooLargeSource reads the file big as too large to read.
type tooLargeSource struct {
	*memSource
	big string
}

func (s tooLargeSource) ReadFile(ctx context.Context, p string) ([]byte, error) {
	if p == s.big {
		return nil, &fs.PathError{Op: "read", Path: p, Err: ErrTooLarge}
	}
	return s.memSource.ReadFile(ctx, p)
}
