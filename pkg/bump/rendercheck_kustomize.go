package bump

import (
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/tagbump/tagbump/pkg/argocd"
	"github.com/tagbump/tagbump/pkg/gitrepo"
	"github.com/tagbump/tagbump/pkg/render"
	"go.yaml.in/yaml/v3"
)

// appKustomize is an Application's kustomize: block as Argo CD reads it
// (ApplicationSourceKustomize).
type appKustomize struct {
	NamePrefix                string                  `yaml:"namePrefix"`
	NameSuffix                string                  `yaml:"nameSuffix"`
	Images                    []string                `yaml:"images"`
	Replicas                  []appKustomizeReplica   `yaml:"replicas"`
	CommonLabels              map[string]string       `yaml:"commonLabels"`
	ForceCommonLabels         bool                    `yaml:"forceCommonLabels"`
	LabelWithoutSelector      bool                    `yaml:"labelWithoutSelector"`
	LabelIncludeTemplates     bool                    `yaml:"labelIncludeTemplates"`
	CommonAnnotations         map[string]string       `yaml:"commonAnnotations"`
	ForceCommonAnnotations    bool                    `yaml:"forceCommonAnnotations"`
	CommonAnnotationsEnvsubst bool                    `yaml:"commonAnnotationsEnvsubst"`
	Namespace                 string                  `yaml:"namespace"`
	Patches                   []render.KustomizePatch `yaml:"patches"`
	Components                []string                `yaml:"components"`
	IgnoreMissingComponents   bool                    `yaml:"ignoreMissingComponents"`
	Version                   string                  `yaml:"version"`
	// KubeVersion and APIVersions reach only Helm charts that kustomize
	// inflates (--enable-helm), which the render check refuses anyway.
	KubeVersion string   `yaml:"kubeVersion"`
	APIVersions []string `yaml:"apiVersions"`
}

type appKustomizeReplica struct {
	Name  string `yaml:"name"`
	Count string `yaml:"count"`
}

// appKustomizeKeys are the keys of appKustomize.
var appKustomizeKeys = []string{"namePrefix", "nameSuffix", "images", "replicas", "commonLabels", "forceCommonLabels",
	"labelWithoutSelector", "labelIncludeTemplates", "commonAnnotations", "forceCommonAnnotations", "commonAnnotationsEnvsubst",
	"namespace", "patches", "components", "ignoreMissingComponents", "version", "kubeVersion", "apiVersions"}

// kustomizeEdits reads Application app's kustomize: block k as Argo CD
// applies it to the kustomization in dir before it builds (nil for
// none). What the render check cannot apply as Argo CD does is an
// *render.UnsupportedError naming the field: a kustomize version of
// Argo CD's settings, a value Argo CD substitutes variables in ($), a
// field tagbump does not know.
func kustomizeEdits(snap *gitrepo.Snapshot, app, dir string, k *argocd.KustomizeSpec) (*render.KustomizeEdits, error) {
	if k == nil {
		return nil, nil
	}
	if k.Node == nil {
		return &render.KustomizeEdits{Images: k.Images}, nil
	}
	refuse := func(format string, args ...any) error {
		return &render.UnsupportedError{Target: dir, Reason: fmt.Sprintf("Application %s: kustomize.", app) + fmt.Sprintf(format, args...)}
	}
	if k.Node.Kind == yaml.MappingNode {
		for i := 0; i < len(k.Node.Content); i += 2 {
			if key := k.Node.Content[i].Value; !slices.Contains(appKustomizeKeys, key) {
				return nil, refuse("%s is a field the render check does not know how Argo CD applies", key)
			}
		}
	}
	var a appKustomize
	if err := k.Node.Decode(&a); err != nil {
		return nil, refuse("%v", err)
	}
	if a.Version != "" {
		return nil, refuse("version (%s) picks a kustomize binary from Argo CD's settings (kustomize.path.%s), which the render check cannot know", a.Version, a.Version)
	}
	// Argo CD substitutes its build variables ($ARGOCD_APP_REVISION, …)
	// in these values: the render check does not know them.
	dollar := func(field string, values ...string) error {
		for _, v := range values {
			if strings.Contains(v, "$") {
				return refuse("%s: %q names a build variable Argo CD substitutes, which the render check does not know", field, v)
			}
		}
		return nil
	}
	if err := dollar("images", a.Images...); err != nil {
		return nil, err
	}
	for _, v := range a.CommonLabels {
		if err := dollar("commonLabels", v); err != nil {
			return nil, err
		}
	}
	if a.CommonAnnotationsEnvsubst {
		for _, v := range a.CommonAnnotations {
			if err := dollar("commonAnnotations", v); err != nil {
				return nil, err
			}
		}
	}
	e := &render.KustomizeEdits{NamePrefix: a.NamePrefix, NameSuffix: a.NameSuffix, Images: a.Images,
		CommonLabels: a.CommonLabels, ForceCommonLabels: a.ForceCommonLabels, LabelWithoutSelector: a.LabelWithoutSelector,
		IncludeTemplates: a.LabelIncludeTemplates, CommonAnnotations: a.CommonAnnotations, ForceCommonAnnotations: a.ForceCommonAnnotations,
		Namespace: a.Namespace, Patches: a.Patches, Components: a.Components}
	for _, r := range a.Replicas {
		n, err := strconv.Atoi(r.Count)
		if err != nil {
			return nil, refuse("replicas: %s: the count %q is not an integer", r.Name, r.Count)
		}
		e.Replicas = append(e.Replicas, fmt.Sprintf("%s=%d", r.Name, n))
	}
	if a.IgnoreMissingComponents {
		// Argo CD adds only the components that exist in the repository.
		e.Components = slices.DeleteFunc(slices.Clone(a.Components), func(c string) bool {
			p := path.Join(dir, c)
			if p == ".." || strings.HasPrefix(p, "../") || path.IsAbs(c) {
				return true
			}
			return !inSnapshot(snap, p)
		})
	}
	return e, nil
}

// inSnapshot reports whether repository path p is a file or directory of
// snap.
func inSnapshot(snap *gitrepo.Snapshot, p string) bool {
	dirs, files, err := snapSource{snap}.List(dirOf(path.Dir(p)))
	return err == nil && (slices.Contains(dirs, path.Base(p)) || slices.Contains(files, path.Base(p)))
}
