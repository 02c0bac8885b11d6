package render

import (
	"context"
	"fmt"
	"path"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Tree is the repository a kustomization is read from (a chart.Source).
type Tree interface {
	ReadFile(ctx context.Context, p string) ([]byte, error)
	// Prefetch may read the files at paths ahead, in one request; it
	// skips the paths that do not exist.
	Prefetch(ctx context.Context, paths ...string) error
	// List lists the subdirectories and files of the directory p ("" for
	// the root); an error when there is none.
	List(p string) (dirs, files []string, err error)
}

// UnsupportedError is a target the render check cannot render as Argo CD
// would without reaching outside the repository: a remote resource, a
// Helm chart inflated by kustomize, a path outside the repository, or
// more than the bound.
type UnsupportedError struct {
	Target, Reason string
}

func (e *UnsupportedError) Error() string {
	return fmt.Sprintf("render check of %s: %s: leave out --render-check for it", e.Target, e.Reason)
}

// kustomizationNames are the names kustomize reads, in its order.
var kustomizationNames = []string{"kustomization.yaml", "kustomization.yml", "Kustomization"}

// Materialize reads the kustomization in dir and everything it reaches in
// the repository: resources, bases and components (a directory recurses
// into its kustomization), and the files named by patches,
// patchesStrategicMerge, patchesJson6902, config and secret generators,
// crds, configurations, replacements, transformers, generators,
// validators and openapi. It reads one level of kustomizations at a time,
// each level's files in one Read. The files, by repository path, are at
// most limit bytes together (32 MiB when 0). A path outside the
// repository, a remote resource, a path that is not in the repository
// (kustomize would fetch it as a remote) and a Helm chart (helmCharts,
// which needs --enable-helm and a chart repository) are an
// *UnsupportedError. The components and patch files of edits (an
// Application's kustomize: block, nil for none) count as the root
// kustomization's.
func Materialize(ctx context.Context, t Tree, dir string, limit int64, edits ...*KustomizeEdits) (map[string][]byte, error) {
	if limit == 0 {
		limit = 32 << 20
	}
	w := &walker{tree: t, root: dir, limit: limit, files: map[string][]byte{}, seen: map[string]bool{}}
	for _, e := range edits {
		if e == nil {
			continue
		}
		w.rootComponents = append(w.rootComponents, e.Components...)
		for _, p := range e.Patches {
			if p.Path != "" {
				w.rootPatches = append(w.rootPatches, pathEntry{Path: p.Path})
			}
		}
	}
	level := []string{dir}
	w.seen[dir] = true
	var pending []string // files named by the level before, read with this level
	for len(level) > 0 || len(pending) > 0 {
		var kfiles []string
		for _, d := range level {
			f, err := w.kustomizationIn(d)
			if err != nil {
				return nil, err
			}
			kfiles = append(kfiles, f)
		}
		if err := w.read(ctx, append(slices.Clone(kfiles), pending...)); err != nil {
			return nil, err
		}
		pending = nil
		var next []string
		for i, d := range level {
			dirs, files, err := w.refs(d, kfiles[i])
			if err != nil {
				return nil, err
			}
			for _, sub := range dirs {
				if !w.seen[sub] {
					w.seen[sub] = true
					next = append(next, sub)
				}
			}
			for _, f := range files {
				if _, have := w.files[f]; !have && !slices.Contains(pending, f) {
					pending = append(pending, f)
				}
			}
		}
		level = next
	}
	return w.files, nil
}

type walker struct {
	tree  Tree
	root  string
	limit int64
	total int64
	files map[string][]byte
	seen  map[string]bool
	// rootComponents and rootPatches are added to the root's
	// kustomization (an Application's kustomize: block).
	rootComponents []string
	rootPatches    []pathEntry
}

func (w *walker) refuse(format string, args ...any) error {
	return &UnsupportedError{Target: w.root, Reason: fmt.Sprintf(format, args...)}
}

// kustomizationIn is the kustomization file of directory d.
func (w *walker) kustomizationIn(d string) (string, error) {
	_, files, err := w.tree.List(d)
	if err != nil {
		return "", w.refuse("%s is not a directory of the repository: %v", dirName(d), err)
	}
	for _, n := range kustomizationNames {
		if slices.Contains(files, n) {
			return path.Join(d, n), nil
		}
	}
	return "", w.refuse("%s has no kustomization.yaml", dirName(d))
}

// read reads paths into w.files, within the bound.
func (w *walker) read(ctx context.Context, paths []string) error {
	if len(paths) == 0 {
		return nil
	}
	if err := w.tree.Prefetch(ctx, paths...); err != nil {
		return err
	}
	for _, p := range paths {
		b, err := w.tree.ReadFile(ctx, p)
		if err != nil {
			return fmt.Errorf("render check of %s: %w", w.root, err)
		}
		w.total += int64(len(b))
		if w.total > w.limit {
			return w.refuse("the kustomization and what it reaches are larger than %d bytes", w.limit)
		}
		w.files[p] = b
	}
	return nil
}

// kustomization is the part of a kustomization file that names other
// files.
type kustomization struct {
	Resources             []string    `yaml:"resources"`
	Bases                 []string    `yaml:"bases"`
	Components            []string    `yaml:"components"`
	Transformers          []string    `yaml:"transformers"`
	Generators            []string    `yaml:"generators"`
	Validators            []string    `yaml:"validators"`
	PatchesStrategicMerge []string    `yaml:"patchesStrategicMerge"`
	Crds                  []string    `yaml:"crds"`
	Configurations        []string    `yaml:"configurations"`
	Patches               []pathEntry `yaml:"patches"`
	PatchesJSON6902       []pathEntry `yaml:"patchesJson6902"`
	Replacements          []pathEntry `yaml:"replacements"`
	ConfigMapGenerator    []generator `yaml:"configMapGenerator"`
	SecretGenerator       []generator `yaml:"secretGenerator"`
	OpenAPI               struct {
		Path string `yaml:"path"`
	} `yaml:"openapi"`
	HelmCharts                  []yaml.Node `yaml:"helmCharts"`
	HelmChartInflationGenerator []yaml.Node `yaml:"helmChartInflationGenerator"`
}

type pathEntry struct {
	Path string `yaml:"path"`
}

type generator struct {
	Files []string `yaml:"files"`
	Envs  []string `yaml:"envs"`
	Env   string   `yaml:"env"`
}

// refs are the directories (kustomizations) and files the kustomization
// file kf in directory d names, as repository paths.
func (w *walker) refs(d, kf string) (dirs, files []string, err error) {
	var k kustomization
	if err := yaml.Unmarshal(w.files[kf], &k); err != nil {
		return nil, nil, w.refuse("%s is not a kustomization: %v", kf, err)
	}
	if d == w.root {
		k.Components = append(k.Components, w.rootComponents...)
		k.Patches = append(k.Patches, w.rootPatches...)
	}
	if len(k.HelmCharts) > 0 || len(k.HelmChartInflationGenerator) > 0 {
		return nil, nil, w.refuse("%s inflates Helm charts (helmCharts), which needs kustomize build --enable-helm and the charts' repositories", kf)
	}
	// either a file or a kustomization directory
	var either, only []string
	either = slices.Concat(k.Resources, k.Bases, k.Components)
	for _, s := range slices.Concat(k.Transformers, k.Generators, k.Validators) {
		if !strings.Contains(s, "\n") { // else an inline configuration
			either = append(either, s)
		}
	}
	for _, s := range k.PatchesStrategicMerge {
		if !strings.Contains(s, "\n") { // else an inline patch
			only = append(only, s)
		}
	}
	only = append(only, k.Crds...)
	only = append(only, k.Configurations...)
	for _, e := range slices.Concat(k.Patches, k.PatchesJSON6902, k.Replacements) {
		if e.Path != "" {
			only = append(only, e.Path)
		}
	}
	for _, g := range slices.Concat(k.ConfigMapGenerator, k.SecretGenerator) {
		for _, f := range g.Files {
			if _, p, ok := strings.Cut(f, "="); ok {
				f = p
			}
			only = append(only, f)
		}
		only = append(only, g.Envs...)
		if g.Env != "" {
			only = append(only, g.Env)
		}
	}
	if k.OpenAPI.Path != "" {
		only = append(only, k.OpenAPI.Path)
	}
	for i, rel := range slices.Concat(either, only) {
		if remote(rel) {
			return nil, nil, w.refuse("%s names the remote resource %s: the render check reads the repository only and fetches nothing", kf, rel)
		}
		p, err := cleanRel(d, rel)
		if err != nil {
			return nil, nil, w.refuse("%s: %v", kf, err)
		}
		isDir, found := w.lookup(p)
		switch {
		case !found:
			return nil, nil, w.refuse("%s names %s, which is not in the repository (kustomize would try it as a remote URL)", kf, rel)
		case isDir && i < len(either):
			dirs = append(dirs, p)
		case isDir:
			return nil, nil, w.refuse("%s names the directory %s where kustomize reads a file", kf, rel)
		default:
			files = append(files, p)
		}
	}
	return dirs, files, nil
}

// lookup says whether repository path p exists and is a directory.
func (w *walker) lookup(p string) (isDir, found bool) {
	if p == "" || p == "." {
		return true, true
	}
	parent := path.Dir(p)
	if parent == "." {
		parent = ""
	}
	dirs, files, err := w.tree.List(parent)
	if err != nil {
		return false, false
	}
	name := path.Base(p)
	if slices.Contains(dirs, name) {
		return true, true
	}
	return false, slices.Contains(files, name)
}

// dirName names directory d of the repository in a message.
func dirName(d string) string {
	if d == "" || d == "." {
		return "the repository's root"
	}
	return d
}
