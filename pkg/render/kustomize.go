package render

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Kustomize runs the kustomize binary (v5; `kustomize build`, offline).
type Kustomize struct {
	// Bin is the kustomize binary: a path, or a name looked up in PATH
	// ("kustomize" when empty).
	Bin string
	// MaxOutput bounds a build's output (64 MiB when 0).
	MaxOutput int64
}

func (k Kustomize) run(ctx context.Context, dir, op string, env []string, args ...string) ([]byte, error) {
	return runTool(ctx, "kustomize", cmp.Or(k.Bin, "kustomize"), k.MaxOutput, dir, op, env, args...)
}

// Version is kustomize's version ("v5.7.1").
func (k Kustomize) Version(ctx context.Context) (string, error) {
	out, err := k.run(ctx, "", "version", nil, "version")
	if err != nil {
		return "", err
	}
	v := strings.TrimSpace(string(out))
	// Older builds print {Version:kustomize/v5.0.0 GitCommit:…}.
	if i := strings.Index(v, "kustomize/"); i >= 0 {
		v = strings.Fields(v[i+len("kustomize/"):])[0]
	}
	return v, nil
}

// KustomizeInput is a kustomization and the files the edit changes.
type KustomizeInput struct {
	// Dir is the kustomization's directory in the repository; Files
	// hold it and everything it reaches (Materialize), by repository
	// path, as they are without the edit; After holds the files the
	// edit changes, with it.
	Dir   string
	Files map[string][]byte
	After map[string][]byte
	// EditsBefore and EditsAfter are an Argo CD Application's
	// kustomize: block, which Argo CD writes into the kustomization
	// before it builds, without and with the edit; nil for none.
	EditsBefore, EditsAfter *KustomizeEdits
	Images                  []Image
}

// KustomizeEdits are what an Argo CD Application's kustomize: block
// sets. Argo CD applies them to the kustomization in Dir before `kustomize
// build`, in this order, each with `kustomize edit` but the patches,
// which it appends to the kustomization's patches: itself.
type KustomizeEdits struct {
	NamePrefix, NameSuffix string
	// Images are name=newName:newTag entries (edit set image).
	Images []string
	// Replicas are name=count entries (edit set replicas).
	Replicas []string
	// CommonLabels and CommonAnnotations go to edit add label and edit
	// add annotation, with their flags.
	CommonLabels                                              map[string]string
	ForceCommonLabels, LabelWithoutSelector, IncludeTemplates bool
	CommonAnnotations                                         map[string]string
	ForceCommonAnnotations                                    bool
	Namespace                                                 string
	// Patches are appended to the kustomization's patches:, as Argo CD
	// writes them (path, patch, target, options).
	Patches []KustomizePatch
	// Components are added with edit add component (paths from Dir).
	Components []string
}

// KustomizePatch is one entry of kustomize.patches.
type KustomizePatch struct {
	Path    string             `yaml:"path,omitempty"`
	Patch   string             `yaml:"patch,omitempty"`
	Target  *KustomizeSelector `yaml:"target,omitempty"`
	Options map[string]bool    `yaml:"options,omitempty"`
}

// KustomizeSelector is a patch's target.
type KustomizeSelector struct {
	Group              string `yaml:"group,omitempty"`
	Version            string `yaml:"version,omitempty"`
	Kind               string `yaml:"kind,omitempty"`
	Name               string `yaml:"name,omitempty"`
	Namespace          string `yaml:"namespace,omitempty"`
	AnnotationSelector string `yaml:"annotationSelector,omitempty"`
	LabelSelector      string `yaml:"labelSelector,omitempty"`
}

// commands are the kustomize edit commands of e, in Argo CD's order,
// with the patches between namespace and components (nil: write them).
func (e *KustomizeEdits) commands() [][]string {
	var out [][]string
	if e.NamePrefix != "" {
		out = append(out, []string{"edit", "set", "nameprefix", "--", e.NamePrefix})
	}
	if e.NameSuffix != "" {
		out = append(out, []string{"edit", "set", "namesuffix", "--", e.NameSuffix})
	}
	if len(e.Images) > 0 {
		out = append(out, append([]string{"edit", "set", "image"}, e.Images...))
	}
	if len(e.Replicas) > 0 {
		out = append(out, append([]string{"edit", "set", "replicas"}, e.Replicas...))
	}
	pairs := func(m map[string]string) []string {
		var out []string
		for _, k := range slices.Sorted(maps.Keys(m)) {
			out = append(out, k+":"+m[k])
		}
		return out
	}
	if len(e.CommonLabels) > 0 {
		args := []string{"edit", "add", "label"}
		for _, f := range []struct {
			on   bool
			flag string
		}{{e.ForceCommonLabels, "--force"}, {e.LabelWithoutSelector, "--without-selector"}, {e.IncludeTemplates, "--include-templates"}} {
			if f.on {
				args = append(args, f.flag)
			}
		}
		out = append(out, append(args, pairs(e.CommonLabels)...))
	}
	if len(e.CommonAnnotations) > 0 {
		args := []string{"edit", "add", "annotation"}
		if e.ForceCommonAnnotations {
			args = append(args, "--force")
		}
		out = append(out, append(args, pairs(e.CommonAnnotations)...))
	}
	if e.Namespace != "" {
		out = append(out, []string{"edit", "set", "namespace", "--", e.Namespace})
	}
	if len(e.Patches) > 0 {
		out = append(out, nil)
	}
	if len(e.Components) > 0 {
		out = append(out, append([]string{"edit", "add", "component"}, e.Components...))
	}
	return out
}

// apply applies e to the kustomization in dir as Argo CD does.
func (e *KustomizeEdits) apply(ctx context.Context, k Kustomize, dir string, env []string) error {
	if e == nil {
		return nil
	}
	for _, args := range e.commands() {
		if args == nil {
			if err := e.writePatches(dir); err != nil {
				return err
			}
			continue
		}
		if _, err := k.run(ctx, dir, strings.Join(args[:3], " "), env, args...); err != nil {
			return err
		}
	}
	return nil
}

// writePatches appends e's patches to the patches: of the kustomization
// in dir, as Argo CD does (there is no kustomize edit command for them).
func (e *KustomizeEdits) writePatches(dir string) error {
	var file string
	for _, n := range kustomizationNames {
		if _, err := os.Stat(filepath.Join(dir, n)); err == nil {
			file = filepath.Join(dir, n)
			break
		}
	}
	if file == "" {
		return &ToolError{Tool: "kustomize", Op: "patches", Err: fmt.Errorf("no kustomization file in %s", dir)}
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	var doc map[string]any
	if err := yaml.Unmarshal(b, &doc); err != nil || doc == nil {
		return &ToolError{Tool: "kustomize", Op: "patches", Err: fmt.Errorf("%s is not a kustomization: %v", filepath.Base(file), err)}
	}
	var list []any
	switch have := doc["patches"].(type) {
	case nil:
	case []any:
		list = have
	default:
		return &ToolError{Tool: "kustomize", Op: "patches", Err: fmt.Errorf("patches: in %s is not a list", filepath.Base(file))}
	}
	for _, p := range e.Patches {
		list = append(list, p)
	}
	doc["patches"] = list
	out, err := yaml.Marshal(doc)
	if err != nil {
		return err
	}
	return os.WriteFile(file, out, 0o600)
}

// CheckKustomize builds in's kustomization with `kustomize build` before
// and after the edit and proves the edit, as Check does for a chart. The
// files are written to a private temporary directory, laid out as in the
// repository, removed after. Remote resources and Helm charts
// (--enable-helm) are refused by Materialize before.
func CheckKustomize(ctx context.Context, k Kustomize, in KustomizeInput) (*Proof, error) {
	version, err := k.Version(ctx)
	if err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp("", "tagbump-kustomize-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	env := []string{"HOME=" + tmp, "XDG_CONFIG_HOME=" + filepath.Join(tmp, "config"), "KUSTOMIZE_PLUGIN_HOME=" + filepath.Join(tmp, "plugins")}
	build := func(after bool) ([]byte, error) {
		set, edits := "before", in.EditsBefore
		if after {
			set, edits = "after", in.EditsAfter
		}
		root := filepath.Join(tmp, set)
		if err := os.RemoveAll(root); err != nil {
			return nil, err
		}
		for p, b := range in.Files {
			if after {
				if nb, ok := in.After[p]; ok {
					b = nb
				}
			}
			if err := writeUnder(root, p, b); err != nil {
				return nil, err
			}
		}
		dir := filepath.Join(root, filepath.FromSlash(in.Dir))
		if err := edits.apply(ctx, k, dir, env); err != nil {
			return nil, err
		}
		return k.run(ctx, dir, "build", env, "build", ".")
	}
	return prove(ctx, "kustomize", version, in.Dir, in.Images, build)
}

// writeUnder writes b at repository path p under root.
func writeUnder(root, p string, b []byte) error {
	dst := filepath.Join(root, filepath.FromSlash(p))
	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		return err
	}
	return os.WriteFile(dst, b, 0o600)
}

// ManifestsInput is a directory of plain manifests that Argo CD applies
// as they are, and the files the edit changes.
type ManifestsInput struct {
	Dir           string
	Before, After map[string][]byte
	Images        []Image
}

// CheckManifests proves an edit of plain manifests: Argo CD applies the
// files themselves, so the render is their YAML documents (in the order
// of the files' paths), before and after.
func CheckManifests(ctx context.Context, in ManifestsInput) (*Proof, error) {
	render := func(after bool) ([]byte, error) {
		files := in.Before
		if after {
			files = in.After
		}
		var out bytes.Buffer
		for _, p := range slices.Sorted(maps.Keys(files)) {
			out.WriteString("---\n")
			out.Write(files[p])
			out.WriteString("\n")
		}
		return out.Bytes(), nil
	}
	return prove(ctx, "manifests", "", in.Dir, in.Images, render)
}

// cleanRel joins rel to dir and refuses a path outside the repository.
func cleanRel(dir, rel string) (string, error) {
	if path.IsAbs(rel) || filepath.IsAbs(rel) {
		return "", fmt.Errorf("%s is an absolute path: kustomize would read it outside the repository", rel)
	}
	p := path.Join(dir, rel)
	if p == ".." || strings.HasPrefix(p, "../") {
		return "", fmt.Errorf("%s escapes the repository", rel)
	}
	return p, nil
}
