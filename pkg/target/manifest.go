package target

import (
	"fmt"

	"go.yaml.in/yaml/v3"

	"github.com/tagbump/tagbump/pkg/imageref"
	"github.com/tagbump/tagbump/pkg/values"
)

// podSpecs is where each kind of workload keeps its pod spec.
var podSpecs = map[string][]string{
	"Pod":         {"spec"},
	"Deployment":  {"spec", "template", "spec"},
	"StatefulSet": {"spec", "template", "spec"},
	"DaemonSet":   {"spec", "template", "spec"},
	"ReplicaSet":  {"spec", "template", "spec"},
	"Job":         {"spec", "template", "spec"},
	"CronJob":     {"spec", "jobTemplate", "spec", "template", "spec"},
	// An Argo Rollout (argoproj.io/v1alpha1) holds a Deployment's.
	"Rollout": {"spec", "template", "spec"},
}

// containerLists are the lists of containers of a pod spec.
var containerLists = []string{"initContainers", "containers", "ephemeralContainers"}

// ManifestImages lists the image: fields of the containers, init
// containers and ephemeral containers of the workloads (Pod, Deployment,
// StatefulSet, DaemonSet, ReplicaSet, Job, CronJob) in every document of
// src, as Blocks of Form values.FormString. Documents of other kinds are
// not read.
func ManifestImages(src []byte) ([]Block, error) {
	docs, err := documents(src)
	if err != nil {
		return nil, err
	}
	var out []Block
	for d, root := range docs {
		kind := scalar(root, "kind")
		spec, ok := podSpecs[kind]
		if !ok {
			continue
		}
		n, p := root, values.Path{}
		for _, k := range spec {
			n, p = get(n, k), at(p, k)
		}
		if n == nil {
			continue
		}
		name := scalar(get(root, "metadata"), "name")
		for _, list := range containerLists {
			for i, c := range items(n, list) {
				img := get(c, "image")
				if img == nil || img.Kind != yaml.ScalarNode || img.ShortTag() != "!!str" {
					continue
				}
				repo, tag, digest := imageref.Split(img.Value)
				out = append(out, Block{Doc: d, Path: at(index(at(p, list), i), "image").String(), Form: values.FormString,
					Name: repo, Tag: tag, Digest: digest,
					Where: fmt.Sprintf("%s %s, %s %s", kind, name, list[:len(list)-1], scalar(c, "name"))})
			}
		}
	}
	return out, nil
}

// SetManifest sets ref's tag (and digest, when it has one) in every
// container image of src's workloads whose repository is ref's, keeping
// the reference's registry and repository as written: "app:1.0" becomes
// "app:1.1", "registry:5000/app@sha256:..." "registry:5000/app:1.1@sha256:...".
// Containers of other images are left alone. It refuses a reference that
// pins a digest when ref has none (ErrPinned), and finds nothing to set
// with ErrNoImage.
func SetManifest(src []byte, ref imageref.Ref) ([]byte, []Change, error) {
	blocks, err := ManifestImages(src)
	if err != nil {
		return nil, nil, err
	}
	out := src
	var changes []Change
	for _, b := range blocks {
		if !ref.Deploys(b.Name) {
			continue
		}
		if ref.Digest == "" && b.Digest != "" {
			return nil, nil, &Error{Kind: ErrPinned, Reason: fmt.Sprintf(
				"%s (%s) pins digest %s, which Kubernetes pulls instead of the tag, so a new tag alone would deploy nothing new: pass --digest to write the new image's digest too",
				b.Key(), b.Where, b.Digest)}
		}
		if out, err = setScalar(out, b.Doc, b.Path, reference(b.Name, ref.Tag, ref.Digest), &changes, b.Tag); err != nil {
			return nil, nil, err
		}
	}
	if len(changes) == 0 {
		return nil, nil, noImage(ref, "container image", blocks)
	}
	return out, changes, nil
}
