package bump

// Subcharts as Helm loads and merges them (issue 28 review): each test
// states what Helm does and checks that tagbump edits the key Helm reads.

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/tagbump/tagbump/pkg/chart"
)

type mapSource map[string]string

func (m mapSource) ReadFile(_ context.Context, p string) ([]byte, error) {
	if s, ok := m[p]; ok {
		return []byte(s), nil
	}
	return nil, &fs.PathError{Op: "read", Path: p, Err: fs.ErrNotExist}
}

func (m mapSource) Prefetch(context.Context, ...string) error { return nil }

// List lists the directory p of the files as fs.ReadDir does.
func (m mapSource) List(p string) (dirs, files []string, err error) {
	tree := fstest.MapFS{}
	for f, s := range m {
		tree[f] = &fstest.MapFile{Data: []byte(s)}
	}
	es, err := fs.ReadDir(tree, p)
	for _, e := range es {
		if e.IsDir() {
			dirs = append(dirs, e.Name())
		} else {
			files = append(files, e.Name())
		}
	}
	return dirs, files, err
}

// packTgz packs entries in the order given (name, content, name, content…).
func packTgz(t *testing.T, entries ...string) string {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	tw := tar.NewWriter(zw)
	for i := 0; i+1 < len(entries); i += 2 {
		if err := tw.WriteHeader(&tar.Header{Name: entries[i], Mode: 0o644, Size: int64(len(entries[i+1])), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(entries[i+1])); err != nil {
			t.Fatal(err)
		}
	}
	tw.Close()
	zw.Close()
	return b.String()
}

func editChart(t *testing.T, src mapSource, file, image string) (string, []FileChange, error) {
	t.Helper()
	ch, err := chart.Load(context.Background(), src, "platform")
	if err != nil {
		t.Fatal(err)
	}
	r := request()
	r.Image = ref(image)
	out, changes, err := editIn(file, "prod", []byte(src[file]), ch, &r)
	return string(out), changes, err
}

// Helm matches a directory in charts/ to a dependency by the name in its
// Chart.yaml, not by the directory's name (pkg/chart/v2/util
// processDependencyEnabled: existing.Name() == req.Name). charts/backend-chart
// (name: backend) is the dependency "backend", switched off by its
// condition: Helm renders no backend, so the bump is refused. Loading the
// directory a second time as an unlisted subchart "backend-chart" would
// create .backend-chart.image.tag, a key nothing reads.
func TestSubchartKeyedByChartName(t *testing.T) {
	src := mapSource{
		"platform/Chart.yaml": "apiVersion: v2\nname: platform\nversion: 0.1.0\ndependencies:\n" +
			"- {name: backend, version: 0.1.0, repository: file://charts/backend-chart, condition: backend.enabled}\n",
		"platform/values.yaml":                      "backend:\n  enabled: false\n",
		"platform/values-prod.yaml":                 "replicaCount: 2\n",
		"platform/charts/backend-chart/Chart.yaml":  "apiVersion: v2\nname: backend\nversion: 0.1.0\n",
		"platform/charts/backend-chart/values.yaml": "image:\n  repository: registry.example.com/team/backend\n  tag: 1.0.0\n",
	}
	out, changes, err := editChart(t, src, "platform/values-prod.yaml", "registry.example.com/team/backend:1.1.0")
	var de *DisabledError
	if !errors.As(err, &de) {
		t.Errorf("want a DisabledError (the only backend is switched off); got err=%v, changes=%+v, out:\n%s", err, changes, out)
	}
}

// Same chart, condition on: Helm reads .backend.image.tag only, and no
// second override goes under .backend-chart:.
func TestSubchartKeyedByChartNameOnly(t *testing.T) {
	src := mapSource{
		"platform/Chart.yaml": "apiVersion: v2\nname: platform\nversion: 0.1.0\ndependencies:\n" +
			"- {name: backend, version: 0.1.0, repository: file://charts/backend-chart}\n",
		"platform/values-prod.yaml":                 "backend:\n  image:\n    tag: 1.0.0\n",
		"platform/charts/backend-chart/Chart.yaml":  "apiVersion: v2\nname: backend\nversion: 0.1.0\n",
		"platform/charts/backend-chart/values.yaml": "image:\n  repository: registry.example.com/team/backend\n  tag: 1.0.0\n",
	}
	out, _, err := editChart(t, src, "platform/values-prod.yaml", "registry.example.com/team/backend:1.1.0")
	if err != nil {
		t.Fatal(err)
	}
	if want := "backend:\n  image:\n    tag: 1.1.0\n"; out != want {
		t.Errorf("got:\n%s\nwant:\n%s", out, want)
	}
}

// helm package names an archive <name>-<version>.tgz; a SemVer
// pre-release may hold "-<digit>" (1.0.0-rc-1, 0.1.0-20240101). Helm reads
// the name from the archive's Chart.yaml: the override goes under
// .backend:, not under .backend-1.0.0-rc: as cutting the file name at its
// last "-<digit>" would have it.
func TestSubchartTgzPrereleaseVersion(t *testing.T) {
	src := mapSource{
		"platform/Chart.yaml": "apiVersion: v2\nname: platform\nversion: 0.1.0\ndependencies:\n" +
			"- {name: backend, version: 1.0.0-rc-1, repository: oci://registry.example.com/charts}\n",
		"platform/values-prod.yaml": "replicaCount: 2\n",
	}
	src["platform/charts/backend-1.0.0-rc-1.tgz"] = packTgz(t,
		"backend/Chart.yaml", "apiVersion: v2\nname: backend\nversion: 1.0.0-rc-1\n",
		"backend/values.yaml", "image:\n  repository: registry.example.com/team/backend\n  tag: 1.0.0\n")
	out, _, err := editChart(t, src, "platform/values-prod.yaml", "registry.example.com/team/backend:1.1.0")
	if err != nil {
		t.Fatal(err)
	}
	if want := "replicaCount: 2\nbackend:\n  image:\n    tag: 1.1.0\n"; out != want {
		t.Errorf("got:\n%s\nwant:\n%s", out, want)
	}
}

// Helm skips entries of charts/ whose name starts with "_" or "."
// (loader.LoadFiles: strings.IndexAny(n, "_.") == 0): the only block of the
// image is in one Helm never loads, so there is no target.
func TestSubchartHiddenChartsDir(t *testing.T) {
	src := mapSource{
		"platform/Chart.yaml":                      "apiVersion: v2\nname: platform\nversion: 0.1.0\n",
		"platform/values-prod.yaml":                "replicaCount: 2\n",
		"platform/charts/_old-backend/Chart.yaml":  "apiVersion: v2\nname: backend\nversion: 0.0.1\n",
		"platform/charts/_old-backend/values.yaml": "image:\n  repository: registry.example.com/team/backend\n  tag: 0.9.0\n",
	}
	out, changes, err := editChart(t, src, "platform/values-prod.yaml", "registry.example.com/team/backend:1.1.0")
	var nt *NoTargetError
	if !errors.As(err, &nt) {
		t.Errorf("want a NoTargetError (Helm loads no chart from charts/_old-backend); got err=%v changes=%+v out:\n%s", err, changes, out)
	}
}

// Helm keeps the last values.yaml of an archive (LoadFiles assigns
// c.Values for each). A packaged subchart with two entries
// backend/values.yaml (tar allows it; a hostile or sloppy archive) reads
// .backend.app.image, as the chart Helm renders does, not the first
// entry's .backend.image.
func TestSubchartTgzLastValues(t *testing.T) {
	src := mapSource{
		"platform/Chart.yaml": "apiVersion: v2\nname: platform\nversion: 0.1.0\ndependencies:\n" +
			"- {name: backend, version: 1.0.0, repository: oci://registry.example.com/charts}\n",
		"platform/values-prod.yaml": "replicaCount: 2\n",
	}
	src["platform/charts/backend-1.0.0.tgz"] = packTgz(t,
		"backend/Chart.yaml", "apiVersion: v2\nname: backend\nversion: 1.0.0\n",
		"backend/values.yaml", "image:\n  repository: registry.example.com/team/backend\n  tag: 1.0.0\n",
		"backend/values.yaml", "app:\n  image:\n    repository: registry.example.com/team/backend\n    tag: 1.0.0\n")
	out, _, err := editChart(t, src, "platform/values-prod.yaml", "registry.example.com/team/backend:1.1.0")
	if err != nil {
		t.Fatal(err)
	}
	if want := "replicaCount: 2\nbackend:\n  app:\n    image:\n      tag: 1.1.0\n"; out != want {
		t.Errorf("got:\n%s\nwant:\n%s", out, want)
	}
}

// charts/*.tgz kept in Git LFS (a common .gitattributes rule) are pointer
// files in the tree. Such an archive is skipped with a warning: a bump of
// the parent chart's own image, which needs no subchart, still works.
func TestSubchartLFSPointerTgzSkipped(t *testing.T) {
	src := mapSource{
		"platform/Chart.yaml": "apiVersion: v2\nname: platform\nversion: 0.1.0\ndependencies:\n" +
			"- {name: redis, version: 17.0.0, repository: oci://registry-1.docker.io/bitnamicharts}\n",
		"platform/values.yaml":             "image:\n  repository: registry.example.com/team/app\n  tag: 1.0.0\n",
		"platform/values-prod.yaml":        "image:\n  tag: 1.0.0\n",
		"platform/charts/redis-17.0.0.tgz": "version https://git-lfs.github.com/spec/v1\noid sha256:" + strings.Repeat("a", 64) + "\nsize 91234\n",
	}
	ch, err := chart.Load(context.Background(), src, "platform")
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if len(ch.Warnings) != 1 || !strings.Contains(ch.Warnings[0], "platform/charts/redis-17.0.0.tgz") {
		t.Errorf("want a warning naming the skipped archive; got %q", ch.Warnings)
	}
	r := request()
	r.Image = ref("registry.example.com/team/app:1.1.0")
	if _, _, err := editIn("platform/values-prod.yaml", "prod", []byte(src["platform/values-prod.yaml"]), ch, &r); err != nil {
		t.Fatal(err)
	}
}

// The parent's values.yaml shares one anchored mapping between two
// subcharts (backend: *common, frontend: *common). Helm merges each
// subchart's values under its own key; merging into the anchor itself
// would put backend's block at .common.image and create .common.image.tag
// in the env file, which Helm never reads for backend.
func TestSubchartAnchoredKey(t *testing.T) {
	src := mapSource{
		"platform/Chart.yaml": "apiVersion: v2\nname: platform\nversion: 0.1.0\ndependencies:\n" +
			"- {name: backend, version: 0.1.0, repository: file://charts/backend}\n- {name: frontend, version: 0.1.0, repository: file://charts/frontend}\n",
		"platform/values.yaml":                 "common: &common\n  replicaCount: 2\nbackend: *common\nfrontend: *common\n",
		"platform/values-prod.yaml":            "replicaCount: 2\n",
		"platform/charts/backend/values.yaml":  "image:\n  repository: registry.example.com/team/backend\n  tag: 1.0.0\n",
		"platform/charts/frontend/values.yaml": "image:\n  repository: registry.example.com/team/frontend\n  tag: 1.0.0\n",
	}
	out, changes, err := editChart(t, src, "platform/values-prod.yaml", "registry.example.com/team/backend:1.1.0")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "backend:\n  image:\n    tag: 1.1.0") {
		t.Errorf("override written where Helm does not read it: changes %+v\n%s", changes, out)
	}
}

// promoteInto promotes app:1.1.0 and exporter:<exporterTag> into the
// prod file given, over a chart whose values.yaml switches metrics (the
// exporter's block) off.
func promoteInto(t *testing.T, prod, exporterTag string) (string, []FileChange) {
	t.Helper()
	src := mapSource{
		"platform/Chart.yaml": "apiVersion: v2\nname: platform\nversion: 0.1.0\n",
		"platform/values.yaml": "image:\n  repository: registry.example.com/team/app\n  tag: 1.0.0\n" +
			"metrics:\n  enabled: false\n  image:\n    repository: registry.example.com/team/exporter\n    tag: 0.15.0\n",
		"platform/values-prod.yaml": prod,
	}
	ch, err := chart.Load(context.Background(), src, "platform")
	if err != nil {
		t.Fatal(err)
	}
	r := request()
	r.soft, r.skipDisabled = true, true // as promote plans
	r.more = []imageEdit{{ref: ref("registry.example.com/team/app:1.1.0")}, {ref: ref("registry.example.com/team/exporter:" + exporterTag)}}
	r.Image = r.more[0].ref
	out, changes, err := editImages("platform/values-prod.yaml", "prod", []byte(prod), ch, &r)
	if err != nil {
		t.Fatalf("promote refused: %v", err)
	}
	if len(changes) != 2 || changes[1].Key != ".metrics.image.tag" || !strings.HasPrefix(changes[1].Skipped, "not rendered: ") {
		t.Errorf("want the exporter listed as skipped; got %+v", changes)
	}
	return string(out), changes
}

// promote copies every image the source file sets. The target's metrics
// block is switched off and already holds the tag being promoted: it is
// skipped, and the app image, which is rendered, is promoted (no refusal,
// exit 4, of the whole promote).
func TestPromoteSkipsUnchangedDisabledBlock(t *testing.T) {
	out, _ := promoteInto(t, "image:\n  tag: 1.0.0\nmetrics:\n  image:\n    tag: 0.15.0\n", "0.15.0")
	if want := "image:\n  tag: 1.1.0\nmetrics:\n  image:\n    tag: 0.15.0\n"; out != want {
		t.Errorf("got:\n%s\nwant:\n%s", out, want)
	}
}

// The common shape: staging switches metrics on and sets its tag; prod's
// file sets only the app tag, values.yaml keeps metrics off. Promote
// staging → prod promotes the app and lists the exporter as skipped.
func TestPromoteSkipsStagingOnlyFeature(t *testing.T) {
	out, _ := promoteInto(t, "image:\n  tag: 1.0.0\n", "0.16.0")
	if want := "image:\n  tag: 1.1.0\n"; out != want {
		t.Errorf("got:\n%s\nwant:\n%s", out, want)
	}
}
