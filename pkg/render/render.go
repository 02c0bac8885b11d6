// Package render proves an image edit with the real renderer: it renders
// the target before and after the edit (`helm template` for a chart,
// `kustomize build` for a kustomization, the files themselves for plain
// manifests, as Argo CD applies them) and checks that every container
// that ran the image now runs the new reference and that nothing else in
// the render changed, apart from values derived from the tag (version
// labels, checksum annotations) and what changes between two renders of
// the same input (random or time-dependent output).
package render

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Image is one image the edit changes: its name (registry/repository, as
// the values name it) and the references before and after.
type Image struct {
	Name string
	// Old and New are tag, digest or tag@digest as written ("1.0.0",
	// "1.0.0@sha256:…"); Old is empty when unknown.
	Old, New string
}

// Input is a chart and the values files the edit changes.
type Input struct {
	// Chart is the chart's directory in the repository; Files hold its
	// files by repository path.
	Chart string
	Files map[string][]byte
	// ValueFiles are the values files Helm gets, in order (after the
	// chart's values.yaml), by repository path; Before and After hold
	// their content without and with the edit.
	ValueFiles    []string
	Before, After map[string][]byte
	Images        []Image
	// Release and Namespace name the release rendered.
	Release, Namespace string
	// OverBefore and OverAfter are what an Argo CD Application sets over
	// the value files (helm.values or valuesObject, then helm.parameters),
	// without and with the edit; nil for none.
	OverBefore, OverAfter *Overrides
}

// Overrides are the Helm values an Argo CD Application's manifest sets
// over its value files: Values (helm.valuesObject, or helm.values, as
// YAML) is passed as the last values file, Parameters as --set, or
// --set-string when ForceString, after all files.
type Overrides struct {
	Values     []byte
	Parameters []Parameter
	// FileParameters are helm.fileParameters, passed as --set-file, which
	// Helm applies after --set and --set-string.
	FileParameters []FileParameter
}

// FileParameter is one entry of helm.fileParameters: the value at Name is
// Content, the file's, read from the repository.
type FileParameter struct {
	Name    string
	Content []byte
}

// Parameter is one entry of an Application's helm.parameters.
type Parameter struct {
	Name, Value string
	ForceString bool
}

// Proof is what the check proved: Tool ("helm", "kustomize" or
// "manifests") rendered Chart (the chart's, kustomization's or manifests'
// directory).
type Proof struct {
	Tool    string `json:"tool"`
	Version string `json:"version"`
	Chart   string `json:"chart"`
	// App is the Argo CD Application whose source was rendered (--app).
	App        string      `json:"app,omitempty"`
	Containers []Container `json:"containers"`
}

// Container is one container of the render whose image the edit changed.
type Container struct {
	Kind      string `json:"kind"`
	Name      string `json:"name"`
	Container string `json:"container"`
	Old       string `json:"old"`
	New       string `json:"new"`
}

func (p *Proof) String() string {
	return fmt.Sprintf("%s: %d container(s) of %s", strings.TrimSpace(p.Tool+" "+p.Version), len(p.Containers), p.Chart)
}

// RefusedError is a render that does not prove the edit: Diff says what
// differs beyond the image.
type RefusedError struct {
	Chart  string
	Reason string
	Diff   []string
}

func (e *RefusedError) Error() string {
	msg := fmt.Sprintf("render check of %s: %s", e.Chart, e.Reason)
	const most = 20
	for i, d := range e.Diff {
		if i == most {
			msg += fmt.Sprintf("\n  … and %d more", len(e.Diff)-most)
			break
		}
		msg += "\n  " + d
	}
	return msg
}

// ToolError is a renderer that could not run or failed: missing, a
// chart it cannot render, dependencies it cannot fetch.
type ToolError struct {
	Tool, Op string
	Err      error
	Output   string
}

func (e *ToolError) Error() string {
	out := strings.TrimSpace(e.Output)
	if len(out) > 2000 {
		out = out[:2000] + " …"
	}
	if out != "" {
		return fmt.Sprintf("render check: %s %s: %v: %s", e.Tool, e.Op, e.Err, out)
	}
	return fmt.Sprintf("render check: %s %s: %v", e.Tool, e.Op, e.Err)
}

func (e *ToolError) Unwrap() error { return e.Err }

// Helm runs the helm binary.
type Helm struct {
	// Bin is the helm binary: a path, or a name looked up in PATH
	// ("helm" when empty).
	Bin string
	// MaxOutput bounds a render's output (64 MiB when 0).
	MaxOutput int64
}

// run runs helm with args in dir and returns its standard output, at most
// MaxOutput bytes of it.
func (h Helm) run(ctx context.Context, dir, op string, env []string, args ...string) ([]byte, error) {
	return runTool(ctx, "helm", cmp.Or(h.Bin, "helm"), h.MaxOutput, dir, op, env, args...)
}

// runTool runs bin (tool) with args in dir and returns its standard
// output, at most limit bytes of it (64 MiB when 0).
func runTool(ctx context.Context, tool, bin string, limit int64, dir, op string, env []string, args ...string) ([]byte, error) {
	if limit == 0 {
		limit = 64 << 20
	}
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	cmd.Env = append(passEnv(), env...)
	cmd.WaitDelay = 5 * time.Second
	var stdout, stderr capped
	stdout.limit, stderr.limit = limit, 64<<10
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		err = ctx.Err()
	}
	if err == nil && stdout.over {
		err = fmt.Errorf("the output is larger than %d bytes", limit)
	}
	if err != nil {
		return nil, &ToolError{Tool: tool, Op: op, Err: err, Output: stderr.String()}
	}
	return stdout.Bytes(), nil
}

// passEnv is the part of tagbump's environment helm gets: where programs
// are, and how to reach the network. Never tagbump's tokens, nor a user's
// helm settings, which the temporary directory replaces.
func passEnv() []string {
	var out []string
	for _, k := range []string{"PATH", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy", "SSL_CERT_FILE", "SSL_CERT_DIR"} {
		if v, ok := os.LookupEnv(k); ok {
			out = append(out, k+"="+v)
		}
	}
	return out
}

// capped is a buffer that keeps at most limit bytes and notes the rest.
type capped struct {
	bytes.Buffer
	limit int64
	over  bool
}

func (c *capped) Write(p []byte) (int, error) {
	if room := c.limit - int64(c.Len()); int64(len(p)) > room {
		c.over = true
		if room > 0 {
			c.Buffer.Write(p[:room])
		}
		return len(p), nil
	}
	return c.Buffer.Write(p)
}

// Version is helm's version ("v4.3.2").
func (h Helm) Version(ctx context.Context) (string, error) {
	out, err := h.run(ctx, "", "version", nil, "version", "--short")
	if err != nil {
		return "", err
	}
	v, _, _ := strings.Cut(strings.TrimSpace(string(out)), "+")
	return v, nil
}

// Check renders in's chart with the values before and after the edit and
// proves the edit: see the package comment. The chart is written to a
// private temporary directory, removed after; the repository is never
// touched. A render that does not prove it is a *RefusedError; a helm that
// cannot render is a *ToolError.
func Check(ctx context.Context, h Helm, in Input) (*Proof, error) {
	version, err := h.Version(ctx)
	if err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp("", "tagbump-render-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	// The files are written at their place in the repository, so that a
	// dependency at file://../common finds its sibling chart.
	repo := filepath.Join(tmp, "repo")
	chart := filepath.Join(repo, filepath.FromSlash(in.Chart))
	for p, b := range in.Files {
		if c := path.Clean(p); c != p || strings.HasPrefix(c, "../") || path.IsAbs(c) {
			return nil, &UnsupportedError{Target: in.Chart, Reason: fmt.Sprintf("%q is not a path in the repository", p)}
		}
		dst := filepath.Join(repo, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
			return nil, err
		}
		if err := os.WriteFile(dst, b, 0o600); err != nil {
			return nil, err
		}
	}
	if _, err := os.Stat(filepath.Join(chart, "Chart.yaml")); err != nil {
		return nil, &RefusedError{Chart: in.Chart, Reason: "there is no Chart.yaml in " + in.Chart + ": --render-check renders the chart the values file sits in"}
	}
	deps, err := LocalDependencies(in.Chart, in.Files)
	if err != nil {
		return nil, err
	}
	for _, d := range deps {
		if _, ok := in.Files[path.Join(d, "Chart.yaml")]; !ok {
			return nil, &UnsupportedError{Target: in.Chart, Reason: fmt.Sprintf("its Chart.yaml names a dependency at %s, which holds no chart in the repository", d)}
		}
	}
	// Helm's own files (repositories, cache) stay in the temporary
	// directory: a render reads nothing of the user's and writes nowhere.
	env := []string{
		"HOME=" + tmp, "HELM_CACHE_HOME=" + filepath.Join(tmp, "cache"), "HELM_CONFIG_HOME=" + filepath.Join(tmp, "config"),
		"HELM_DATA_HOME=" + filepath.Join(tmp, "data"), "HELM_PLUGINS=" + filepath.Join(tmp, "plugins"),
		"HELM_REPOSITORY_CONFIG=" + filepath.Join(tmp, "config", "repositories.yaml"),
		"HELM_REPOSITORY_CACHE=" + filepath.Join(tmp, "cache", "repository"),
		"HELM_REGISTRY_CONFIG=" + filepath.Join(tmp, "config", "registry.json"),
		"DOCKER_CONFIG=" + filepath.Join(tmp, "docker"),
	}
	if err := dependencies(ctx, h, chart, env); err != nil {
		return nil, err
	}
	files := func(set string, content map[string][]byte, over *Overrides) ([]string, error) {
		var args []string
		for i, f := range in.ValueFiles {
			dst := filepath.Join(tmp, fmt.Sprintf("%s-%d-%s", set, i, path.Base(f)))
			if err := os.WriteFile(dst, content[f], 0o600); err != nil {
				return nil, err
			}
			args = append(args, "--values", dst)
		}
		if over == nil {
			return args, nil
		}
		if over.Values != nil {
			dst := filepath.Join(tmp, set+"-application-values.yaml")
			if err := os.WriteFile(dst, over.Values, 0o600); err != nil {
				return nil, err
			}
			args = append(args, "--values", dst)
		}
		for _, p := range over.Parameters {
			flag := "--set"
			if p.ForceString {
				flag = "--set-string"
			}
			args = append(args, flag, p.Name+"="+setValue(p.Value))
		}
		for i, p := range over.FileParameters {
			dst := filepath.Join(tmp, fmt.Sprintf("%s-file-%d", set, i))
			if err := os.WriteFile(dst, p.Content, 0o600); err != nil {
				return nil, err
			}
			args = append(args, "--set-file", p.Name+"="+setValue(dst))
		}
		return args, nil
	}
	release := in.Release
	if release == "" {
		release = path.Base(in.Chart)
	}
	if release == "." {
		// A chart at the repository's root: named after the chart.
		release = cmp.Or(chartMeta(in.Files[path.Join(in.Chart, "Chart.yaml")]).Name, "release")
	}
	ns := in.Namespace
	if ns == "" {
		ns = "default"
	}
	return prove(ctx, "helm", version, in.Chart, in.Images, func(after bool) ([]byte, error) {
		set, content, over := "before", in.Before, in.OverBefore
		if after {
			set, content, over = "after", in.After, in.OverAfter
		}
		vals, err := files(set, content, over)
		if err != nil {
			return nil, err
		}
		return h.run(ctx, tmp, "template", env, append([]string{"template", release, chart, "--namespace", ns}, vals...)...)
	})
}

// setValue is a parameter's value as Argo CD passes it to --set: a comma
// escaped, where Helm would split the value, except in a {a,b} list.
func setValue(v string) string {
	if strings.HasPrefix(v, "{") && strings.HasSuffix(v, "}") {
		return v
	}
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		if v[i] == ',' && (i == 0 || v[i-1] != '\\') {
			b.WriteByte('\\')
		}
		b.WriteByte(v[i])
	}
	return b.String()
}

// prove renders the target with render twice without the edit (to tell
// random or time-dependent output from a change) and once with it, and
// proves the edit from the renders: see compare.
func prove(ctx context.Context, tool, version, target string, images []Image, render func(after bool) ([]byte, error)) (*Proof, error) {
	docs := func(after bool) ([]doc, error) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		out, err := render(after)
		if err != nil {
			return nil, err
		}
		return parse(tool, out)
	}
	before, err := docs(false)
	if err != nil {
		return nil, err
	}
	again, err := docs(false)
	if err != nil {
		return nil, err
	}
	after, err := docs(true)
	if err != nil {
		return nil, err
	}
	proof := &Proof{Tool: tool, Version: version, Chart: target}
	proof.Containers, err = compare(target, images, before, again, after)
	if err != nil {
		return nil, err
	}
	return proof, nil
}

// chartYAML is what the check reads of a Chart.yaml.
type chartYAML struct {
	Name         string `yaml:"name"`
	Dependencies []struct {
		Name, Version, Repository string
	} `yaml:"dependencies"`
}

// chartMeta reads a Chart.yaml; the zero value when it does not read.
func chartMeta(b []byte) chartYAML {
	var meta chartYAML
	if yaml.Unmarshal(b, &meta) != nil {
		return chartYAML{}
	}
	return meta
}

// needsBuild reports whether the chart (its files by repository path,
// under dir) names dependencies its charts/ lacks: `helm dependency
// build` then fetches every one of them.
func needsBuild(meta chartYAML, dir string, files map[string][]byte) bool {
	vendored := func(name string) bool {
		for p := range files {
			rest, ok := strings.CutPrefix(p, path.Join(dir, "charts")+"/")
			if !ok {
				continue
			}
			first, _, _ := strings.Cut(rest, "/")
			if first == name || strings.HasPrefix(first, name+"-") && strings.HasSuffix(first, ".tgz") {
				return true
			}
		}
		return false
	}
	for _, d := range meta.Dependencies {
		if !vendored(d.Name) {
			return true
		}
	}
	return false
}

// LocalDependencies are the directories, by repository path, of the
// dependencies that the chart in dir (its files by repository path)
// names at file:// and that `helm dependency build` reads: none when
// charts/ holds them all. Helm reads a relative file:// path from the
// chart's directory: one that leaves the repository, and an absolute
// one (a directory of the machine tagbump runs on), are an
// *UnsupportedError. The caller puts those directories' files into the
// check's Input.Files.
func LocalDependencies(dir string, files map[string][]byte) ([]string, error) {
	meta := chartMeta(files[path.Join(dir, "Chart.yaml")])
	if !needsBuild(meta, dir, files) {
		return nil, nil
	}
	var out []string
	for _, d := range meta.Dependencies {
		rel, ok := strings.CutPrefix(d.Repository, "file://")
		if !ok {
			continue
		}
		if path.IsAbs(rel) || filepath.IsAbs(rel) {
			return nil, &UnsupportedError{Target: dir, Reason: fmt.Sprintf("its Chart.yaml names dependency %s at %s, a directory of the machine tagbump runs on, not of the repository, which helm dependency build would read", d.Name, d.Repository)}
		}
		p := path.Join(dir, rel)
		if p == ".." || strings.HasPrefix(p, "../") {
			return nil, &UnsupportedError{Target: dir, Reason: fmt.Sprintf("its Chart.yaml names dependency %s at %s, outside the repository", d.Name, d.Repository)}
		}
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out, nil
}

// dependencies runs `helm dependency build` when Chart.yaml names
// dependencies that charts/ lacks: a remote one needs the network.
func dependencies(ctx context.Context, h Helm, chart string, env []string) error {
	b, err := os.ReadFile(filepath.Join(chart, "Chart.yaml"))
	if err != nil {
		return err
	}
	meta := chartMeta(b)
	if len(meta.Dependencies) == 0 {
		return nil
	}
	entries, _ := os.ReadDir(filepath.Join(chart, "charts"))
	have := map[string][]byte{}
	for _, e := range entries {
		have["charts/"+e.Name()] = nil
	}
	if !needsBuild(meta, ".", have) {
		return nil
	}
	_, err = h.run(ctx, chart, "dependency build", env, "dependency", "build", chart)
	return err
}

// doc is one rendered manifest, flattened: each scalar by its path.
type doc struct {
	key    string // kind/namespace/name
	kind   string
	name   string
	values map[string]string
}

// parse reads a renderer's multi-document output.
func parse(tool string, out []byte) ([]doc, error) {
	dec := yaml.NewDecoder(bytes.NewReader(out))
	var docs []doc
	for i := 0; ; i++ {
		var v any
		err := dec.Decode(&v)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, &ToolError{Tool: tool, Op: "render", Err: fmt.Errorf("its output is not YAML: %w", err)}
		}
		m, ok := v.(map[string]any)
		if !ok {
			continue // an empty document
		}
		d := doc{values: map[string]string{}}
		d.kind, _ = m["kind"].(string)
		meta, _ := m["metadata"].(map[string]any)
		d.name, _ = meta["name"].(string)
		nsName, _ := meta["namespace"].(string)
		d.key = fmt.Sprintf("%s/%s/%s", d.kind, nsName, d.name)
		if d.kind == "" && d.name == "" {
			d.key = fmt.Sprintf("document %d", i)
		}
		flatten("", v, d.values)
		docs = append(docs, d)
	}
	return docs, nil
}

// flatten records each scalar of v by its path (.a.b[0].c).
func flatten(at string, v any, out map[string]string) {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			flatten(at+"."+k, e, out)
		}
	case []any:
		for i, e := range t {
			flatten(fmt.Sprintf("%s[%d]", at, i), e, out)
		}
	default:
		out[at] = fmt.Sprint(t)
	}
}

// byKey indexes docs by key; a key given twice gets a suffix.
func byKey(docs []doc) map[string]doc {
	out := map[string]doc{}
	for _, d := range docs {
		k := d.key
		for n := 2; ; n++ {
			if _, dup := out[k]; !dup {
				break
			}
			k = fmt.Sprintf("%s #%d", d.key, n)
		}
		out[k] = d
	}
	return out
}

// isImagePath reports whether p is a container's image
// (….containers[N].image, initContainers, ephemeralContainers).
func isImagePath(p string) (container string, ok bool) {
	rest, found := strings.CutSuffix(p, ".image")
	if !found {
		return "", false
	}
	i := strings.LastIndex(rest, ".")
	if i < 0 {
		return "", false
	}
	list, _, _ := strings.Cut(rest[i+1:], "[")
	switch list {
	case "containers", "initContainers", "ephemeralContainers":
		return rest, true
	}
	return "", false
}

// compare proves the edit from the renders.
func compare(target string, want []Image, before, again, after []doc) ([]Container, error) {
	b, a2, a := byKey(before), byKey(again), byKey(after)
	var diffs []string
	var proven []Container
	// The images as the render ran them before and after: a value derived
	// from the tag follows the tag the containers ran, which may come from
	// the chart (a tag defaulting to appVersion) rather than the values.
	images := slices.Clone(want)
	for _, k := range union(b, a) {
		db, da := b[k], a[k]
		for _, p := range union(db.values, da.values) {
			if _, isImage := isImagePath(p); isImage {
				if c, _ := imageChange(want, db, p, db.values[p], da.values[p]); c != nil {
					_, oldTag, oldDigest := split(c.Old)
					_, newTag, newDigest := split(c.New)
					images = append(images, Image{Old: strings.TrimSuffix(oldTag+"@"+oldDigest, "@"), New: strings.TrimSuffix(newTag+"@"+newDigest, "@")})
				}
			}
		}
	}
	for _, k := range union(b, a) {
		db, inB := b[k]
		da, inA := a[k]
		switch {
		case !inB:
			diffs = append(diffs, "+ "+k+" (a manifest the edit adds)")
			continue
		case !inA:
			diffs = append(diffs, "- "+k+" (a manifest the edit removes)")
			continue
		}
		for _, p := range union(db.values, da.values) {
			old, hadOld := db.values[p]
			now, hasNow := da.values[p]
			if _, isImage := isImagePath(p); isImage {
				c, diff := imageChange(want, db, p, old, now)
				if c != nil {
					proven = append(proven, *c)
				}
				if diff != "" {
					diffs = append(diffs, k+" "+diff)
				}
				continue
			}
			if hadOld == hasNow && old == now {
				continue
			}
			if unstable(a2[k], p, old, hadOld) || derived(images, p, old, now) {
				continue
			}
			diffs = append(diffs, fmt.Sprintf("%s %s: %s → %s", k, p, show(old, hadOld), show(now, hasNow)))
		}
	}
	if len(diffs) > 0 {
		return nil, &RefusedError{Chart: target, Reason: "the render changes more than the image, or not the image everywhere", Diff: diffs}
	}
	for _, im := range want {
		if !ranNew(proven, im) {
			return nil, &RefusedError{Chart: target, Reason: fmt.Sprintf("no container of the render runs %s after the edit: the chart does not use the value edited (a switched-off feature, a hard-coded image, or another key)", im.Name+ref(im.New))}
		}
	}
	return proven, nil
}

// union is the keys of a and b, sorted.
func union[V any](a, b map[string]V) []string {
	keys := slices.Collect(maps.Keys(a))
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys
}

func show(v string, ok bool) string {
	if !ok {
		return "(none)"
	}
	return v
}

// unstable reports whether a second render of the same input differs at
// p: random or time-dependent output.
func unstable(again doc, p, old string, hadOld bool) bool {
	v, ok := again.values[p]
	return ok != hadOld || v != old
}

// derived reports whether now is old with an image's old tag or digest
// replaced by its new one: a version label or annotation from the tag.
// A checksum annotation follows from any values change.
func derived(images []Image, p, old, now string) bool {
	if strings.Contains(p, ".annotations.checksum/") {
		return true
	}
	for _, im := range images {
		if im.Old == "" {
			continue
		}
		oldTag, oldDigest, _ := strings.Cut(im.Old, "@")
		newTag, newDigest, _ := strings.Cut(im.New, "@")
		for _, pair := range [][2]string{{im.Old, im.New}, {oldTag, newTag}, {oldDigest, newDigest}} {
			if pair[0] != "" && pair[1] != "" && strings.ReplaceAll(old, pair[0], pair[1]) == now {
				return true
			}
		}
	}
	return false
}

// ref writes a tag or tag@digest after a name.
func ref(v string) string {
	if strings.HasPrefix(v, "@") || strings.HasPrefix(v, "sha256:") {
		return "@" + strings.TrimPrefix(v, "@")
	}
	return ":" + v
}

// split splits a rendered image into its name and its tag and digest
// (":tag", "@digest", ":tag@digest").
func split(image string) (name, tag, digest string) {
	name, digest, _ = strings.Cut(image, "@")
	if i := strings.LastIndex(name, ":"); i > strings.LastIndex(name, "/") {
		name, tag = name[:i], name[i+1:]
	}
	return name, tag, digest
}

// canonical spells an image name as a registry would: docker.io for a
// name without a registry host, library/ for a Docker Hub official image.
func canonical(name string) string {
	first, rest, nested := strings.Cut(name, "/")
	if !nested || !strings.ContainsAny(first, ".:") && first != "localhost" {
		first, rest = "docker.io", name
	}
	if first == "index.docker.io" {
		first = "docker.io"
	}
	if first == "docker.io" && !strings.Contains(rest, "/") {
		rest = "library/" + rest
	}
	return first + "/" + rest
}

// imageChange checks one container image path: a container that ran one
// of the images must run its new reference after; one that did not must
// keep its image.
func imageChange(images []Image, d doc, p, old, now string) (*Container, string) {
	container, _ := isImagePath(p)
	c := &Container{Kind: d.kind, Name: d.name, Container: d.values[container+".name"], Old: old, New: now}
	oldName, _, _ := split(old)
	newName, newTag, newDigest := split(now)
	for _, im := range images {
		target := canonical(im.Name)
		ranIt, runsIt := canonical(oldName) == target, canonical(newName) == target
		if !ranIt && !runsIt {
			continue
		}
		if !ranIt {
			return nil, fmt.Sprintf("%s: %s → %s: a container that ran another image now runs %s", p, old, now, im.Name)
		}
		wantTag, wantDigest, _ := strings.Cut(im.New, "@")
		if strings.HasPrefix(im.New, "sha256:") {
			wantTag, wantDigest = "", im.New
		}
		want := im.Name + ref(im.New)
		if old == now && (newTag != wantTag || newDigest != wantDigest) {
			return nil, fmt.Sprintf("%s: still %s, want %s (the template does not read the value edited)", p, old, want)
		}
		if canonical(newName) != target || newTag != wantTag && wantTag != "" || wantDigest != "" && newDigest != wantDigest {
			return nil, fmt.Sprintf("%s: %s → %s, want %s", p, old, now, want)
		}
		return c, ""
	}
	if old != now {
		return nil, fmt.Sprintf("%s: %s → %s (an image the edit does not set)", p, old, now)
	}
	return nil, ""
}

// ranNew reports whether a proven container runs im's new reference.
func ranNew(proven []Container, im Image) bool {
	for _, c := range proven {
		if name, _, _ := split(c.New); canonical(name) == canonical(im.Name) {
			return true
		}
	}
	return false
}
