package bump

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/tagbump/tagbump/pkg/gitrepo"
	"github.com/tagbump/tagbump/pkg/imageref"
	edit "github.com/tagbump/tagbump/pkg/target"
	"github.com/tagbump/tagbump/pkg/values"
)

// editsTarget reports whether file, read as src, is one of the kinds that
// pkg/target edits instead of Helm values: a kustomization or a file of
// Kubernetes manifests. Application manifests are read as values files
// here: they are edited through --app.
func editsTarget(file string, src []byte) (edit.Kind, bool) {
	k := edit.Detect(file, src)
	return k, k == edit.Kustomization || k == edit.Manifest
}

// editKind sets each image of req in a kustomization or a file of
// manifests: the kustomization's images: entry (appended when the
// image has none, named as the resources spell it), or the image of
// every container that runs it. The downgrade guard applies to each
// place as to a values file. --key, --digest-key, rollback and promote
// are refused: they name or read Helm values keys.
func editKind(ctx context.Context, snap *gitrepo.Snapshot, file, env string, kind edit.Kind, src []byte, req *Request) ([]byte, []FileChange, error) {
	what := kind.String()
	switch {
	case req.soft:
		return nil, nil, valuesOnly(file, kind)
	case len(req.Keys) > 0:
		return nil, nil, &InputError{"--key", strings.Join(req.Keys, ","), file + " is a " + what + ": tagbump finds the image there by its repository; leave out --key"}
	case req.DigestKey != "":
		return nil, nil, &InputError{"--digest-key", req.DigestKey, file + " is a " + what + ": the digest goes next to the tag; leave out --digest-key"}
	}
	edits := req.more
	if len(edits) == 0 {
		edits = []imageEdit{{ref: req.Image, digest: req.digest}}
	}
	out := src
	var all []FileChange
	for _, e := range edits {
		ref := e.ref
		ref.Digest = ""
		if req.WriteDigest {
			ref.Digest = e.digest
		}
		// The downgrade guard: an image whose file has a newer tag
		// anywhere is left alone in that file.
		if skipped := guarded(file, env, kind, out, ref, req); len(skipped) > 0 {
			all = append(all, skipped...)
			continue
		}
		var changes []edit.Change
		var err error
		if kind == edit.Kustomization {
			out, changes, err = setKustomization(ctx, snap, file, out, ref)
		} else {
			out, changes, err = edit.SetManifest(out, ref)
		}
		if err != nil {
			return nil, nil, targetError(file, ref, err)
		}
		for _, c := range changes {
			all = append(all, FileChange{File: file, Env: env, Key: c.Key(), Old: c.Old, New: c.New, Created: c.Created})
		}
	}
	return out, all, nil
}

// guarded returns, as skipped changes, the places of ref's image in src
// whose tag is newer than ref's, unless req.AllowDowngrade.
func guarded(file, env string, kind edit.Kind, src []byte, ref imageref.Ref, req *Request) []FileChange {
	if req.AllowDowngrade {
		return nil
	}
	var out []FileChange
	for _, b := range blocks(kind, src) {
		if !ref.Deploys(b.Name) {
			continue
		}
		if guard := downgrade(b.Tag, ref.Tag); guard != "" {
			old, new := b.Tag, ref.Tag
			if b.Form == values.FormString {
				old = reference(b.Name, b.Tag, b.Digest)
				new = reference(b.Name, ref.Tag, ref.Digest)
			}
			out = append(out, FileChange{File: file, Env: env, Key: b.Key(), Old: old, New: new, Kept: old, Skipped: guard})
		}
	}
	return out
}

// reference joins a repository, tag and digest.
func reference(repo, tag, digest string) string {
	if tag != "" {
		repo += ":" + tag
	}
	if digest != "" {
		repo += "@" + digest
	}
	return repo
}

// setKustomization sets ref in the kustomization at file. An entry it
// appends names the image as the kustomization's resources spell it; an
// entry of the image whose name the resources spell otherwise is refused:
// Kustomize matches names exactly, so it applies to nothing.
func setKustomization(ctx context.Context, snap *gitrepo.Snapshot, file string, src []byte, ref imageref.Ref) ([]byte, []edit.Change, error) {
	entries, err := edit.KustomizeImages(src)
	if err != nil {
		return nil, nil, err
	}
	dir, found := path.Dir(file), false
	for _, e := range entries {
		if !ref.Deploys(e.Name) && !ref.Deploys(e.Entry) {
			continue
		}
		found = true
		names := spellings(ctx, snap, dir, src, e.Entry, 3, map[string]bool{}, new(bool))
		if len(names) > 0 && !slices.Contains(names, e.Entry) {
			return nil, nil, &edit.Error{Kind: edit.ErrRefused, Reason: fmt.Sprintf(
				"%s names the image %s, but the kustomization's resources write it %s, and Kustomize matches the name exactly: "+
					"the entry applies to nothing, and a new tag there would deploy nothing; write name: %s",
				e.Where, e.Entry, strings.Join(names, " and "), names[0])}
		}
	}
	var names []string
	if !found {
		unread := false
		names = spellings(ctx, snap, dir, src, ref.Name(), 3, map[string]bool{}, &unread)
		if len(names) == 0 {
			why := "none of its resources runs it"
			if unread {
				why = "none of the resources tagbump can read runs it (a remote base, one outside the repository, or a Helm chart)"
			}
			return nil, nil, &edit.Error{Kind: edit.ErrNoImage, Reason: fmt.Sprintf(
				"no images: entry names %s, and %s: an entry tagbump added would name the image as --image does, and Kustomize, "+
					"which matches names exactly, might apply it to nothing; add the entry as the resources write the image, then bump",
				ref.Name(), why)}
		}
	}
	return edit.SetKustomize(src, ref, names)
}

// spellings lists how the resources of the kustomization src in dir
// (files, and directories with a kustomization, depth levels down, in
// the repository) write the repository of image in their containers.
// unread is set when a resource could not be read: a URL, a path outside
// the repository, a missing file, one beyond depth, or Helm charts.
func spellings(ctx context.Context, snap *gitrepo.Snapshot, dir string, src []byte, image string, depth int, seen map[string]bool, unread *bool) []string {
	var out []string
	if depth == 0 || snap == nil {
		*unread = true
		return nil
	}
	if bytes.Contains(src, []byte("helmCharts:")) {
		*unread = true
	}
	repo, _, _ := imageref.Split(image)
	for _, r := range edit.KustomizeResources(src) {
		p := path.Join(dir, r)
		if strings.Contains(r, "://") || strings.HasPrefix(p, "../") || p == ".." {
			*unread = true
			continue
		}
		if seen[p] {
			continue
		}
		seen[p] = true
		if b, err := snap.ReadFile(ctx, p); err == nil {
			blocks, _ := edit.ManifestImages(b)
			for _, bl := range blocks {
				if imageref.SameImage(bl.Name, repo) && !slices.Contains(out, bl.Name) {
					out = append(out, bl.Name)
				}
			}
			continue
		}
		read := false
		for _, k := range []string{"kustomization.yaml", "kustomization.yml", "Kustomization"} {
			if b, err := snap.ReadFile(ctx, path.Join(p, k)); err == nil {
				for _, n := range spellings(ctx, snap, p, b, image, depth-1, seen, unread) {
					if !slices.Contains(out, n) {
						out = append(out, n)
					}
				}
				read = true
				break
			}
		}
		if !read {
			*unread = true
		}
	}
	return out
}

// targetError names the file in an edit target's refusal; a file where
// nothing names the image is a NoTargetError, as for a values file.
func targetError(file string, ref imageref.Ref, err error) error {
	var te *edit.Error
	if errors.As(err, &te) && errors.Is(err, edit.ErrNoImage) {
		return &NoTargetError{File: file, Repository: ref.Name(), Problems: []string{te.Reason}}
	}
	return fmt.Errorf("%s: %w", file, err)
}

// targetImages lists the places pkg/target edits in a kustomization or a
// file of manifests as values.Images, each named by its key (TagPath) as
// the bump's FileChange names it, for history and the rollback guard.
func targetImages(kind edit.Kind, src []byte) []values.Image {
	return blockImages(blocks(kind, src))
}

// blockImages are bs as values.Images named by their keys.
func blockImages(bs []edit.Block) []values.Image {
	var out []values.Image
	for _, b := range bs {
		out = append(out, blockImage(b.Key(), b))
	}
	return out
}

// blockImage is b as a values.Image named by key.
func blockImage(key string, b edit.Block) values.Image {
	return values.Image{Path: key, TagPath: key, Repository: b.Name, Tag: b.Tag, Digest: b.Digest, Form: b.Form}
}

// applicationImages lists the images an Argo CD Application manifest sets
// (helm.parameters, helm.valuesObject, the text of helm.values,
// kustomize.images of each Application in it), each named by its key
// (AppBlock.Key), as bump --app's FileChange names it.
func applicationImages(src []byte) []values.Image {
	var out []values.Image
	for _, b := range edit.FileApplicationImages(src) {
		out = append(out, blockImage(b.Key(), b.Block))
	}
	return out
}

// blocks lists the image places of a kustomization or file of manifests;
// none when it does not parse.
func blocks(kind edit.Kind, src []byte) []edit.Block {
	if kind == edit.Kustomization {
		entries, _ := edit.KustomizeImages(src)
		bs := make([]edit.Block, len(entries))
		for i, e := range entries {
			bs[i] = e.Block
		}
		return bs
	}
	bs, _ := edit.ManifestImages(src)
	return bs
}

// valuesOnly refuses a rollback or promote of a kustomization or
// manifests: they read and restore Helm values keys.
func valuesOnly(file string, kind edit.Kind) error {
	return &InputError{"--values-file", file, "is a " + kind.String() + ": rollback and promote edit Helm values files only so far; " +
		"deploy the tag again with tagbump bump --allow-downgrade --image REPO:TAG"}
}
