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
	// SetBefore and SetAfter are an Argo CD Application's
	// kustomize.images (name=newName:newTag), which Argo CD applies with
	// `kustomize edit set image` before it builds, without and with the
	// edit.
	SetBefore, SetAfter []string
	Images              []Image
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
		set, images := "before", in.SetBefore
		if after {
			set, images = "after", in.SetAfter
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
		if len(images) > 0 {
			if _, err := k.run(ctx, dir, "edit set image", env, append([]string{"edit", "set", "image"}, images...)...); err != nil {
				return nil, err
			}
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
