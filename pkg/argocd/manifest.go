package argocd

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"go.yaml.in/yaml/v3"
)

// SourceSpec is one source of an Application manifest
// (spec.source, or an entry of spec.sources), as far as tagbump reads it.
type SourceSpec struct {
	RepoURL        string         `yaml:"repoURL"`
	TargetRevision string         `yaml:"targetRevision"`
	Path           string         `yaml:"path"`
	Chart          string         `yaml:"chart"`
	Ref            string         `yaml:"ref"`
	Helm           *HelmSpec      `yaml:"helm"`
	Kustomize      *KustomizeSpec `yaml:"kustomize"`
	Directory      *DirectorySpec `yaml:"directory"`
	Plugin         *yaml.Node     `yaml:"plugin"`
}

// HelmSpec is a source's helm: block.
type HelmSpec struct {
	ValueFiles              []string        `yaml:"valueFiles"`
	IgnoreMissingValueFiles bool            `yaml:"ignoreMissingValueFiles"`
	Parameters              []HelmParameter `yaml:"parameters"`
	// FileParameters are helm.fileParameters: Argo CD passes each as
	// --set-file NAME=PATH, which Helm applies after every value file
	// and --set.
	FileParameters []HelmFileParameter `yaml:"fileParameters"`
	// Values is helm.values, YAML in a string; ValuesObject is
	// helm.valuesObject, YAML in the manifest.
	Values       string     `yaml:"values"`
	ValuesObject *yaml.Node `yaml:"valuesObject"`
	// ReleaseName is the release Argo CD renders (the Application's
	// name when empty).
	ReleaseName string `yaml:"releaseName"`
}

// HelmParameter is one entry of helm.parameters.
type HelmParameter struct {
	Name        string `yaml:"name"`
	Value       string `yaml:"value"`
	ForceString bool   `yaml:"forceString"`
}

// HelmFileParameter is one entry of helm.fileParameters: the value at
// Name is the content of the file at Path (relative to the source's
// path, absolute from the repository's root, or $ref/… in another
// source).
type HelmFileParameter struct {
	Name string `yaml:"name"`
	Path string `yaml:"path"`
}

// KustomizeSpec is a source's kustomize: block: the images tagbump
// edits, and Node, the whole block (what --render-check applies).
type KustomizeSpec struct {
	Images []string   `yaml:"images"`
	Node   *yaml.Node `yaml:"-"`
}

// UnmarshalYAML reads the images and keeps the block's node.
func (k *KustomizeSpec) UnmarshalYAML(n *yaml.Node) error {
	var images struct {
		Images []string `yaml:"images"`
	}
	if err := n.Decode(&images); err != nil {
		return err
	}
	k.Images, k.Node = images.Images, n
	return nil
}

// DirectorySpec is a source's directory: block (plain manifests).
type DirectorySpec struct {
	Recurse bool   `yaml:"recurse"`
	Include string `yaml:"include"`
	Exclude string `yaml:"exclude"`
}

// appSpec is the part of an Application's spec tagbump reads.
type appSpec struct {
	Source      *SourceSpec  `yaml:"source"`
	Sources     []SourceSpec `yaml:"sources"`
	Destination struct {
		Namespace string `yaml:"namespace"`
	} `yaml:"destination"`
}

// SourceAt reads source (the index in spec.sources; spec.source when
// the Application has none) of the Application in document doc of the
// manifest src, and its destination namespace: what Argo CD renders,
// for a render check of an edit of the manifest.
func SourceAt(src []byte, doc, source int) (*SourceSpec, string, error) {
	docs, err := documents(src)
	if err != nil {
		return nil, "", err
	}
	if doc >= len(docs) || docs[doc].node == nil {
		return nil, "", fmt.Errorf("document %d is not an Application", doc+1)
	}
	spec, err := decodeSpec(docs[doc].node)
	if err != nil {
		return nil, "", err
	}
	switch {
	case len(spec.Sources) > 0 && source < len(spec.Sources):
		return &spec.Sources[source], spec.Destination.Namespace, nil
	case len(spec.Sources) == 0 && spec.Source != nil:
		return spec.Source, spec.Destination.Namespace, nil
	}
	return nil, "", fmt.Errorf("document %d has no source %d", doc+1, source)
}

// meta is an object's apiVersion, kind and metadata.
type meta struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	Metadata   struct {
		Name      string `yaml:"name"`
		Namespace string `yaml:"namespace"`
	} `yaml:"metadata"`
}

// apiGroup is the API group of Application and ApplicationSet.
const apiGroup = "argoproj.io/"

// document is one YAML document of a manifest file.
type document struct {
	index int // 0-based, in the order a yaml.v3 Decoder reads them
	meta
	node *yaml.Node // the document's mapping
}

// documents reads every document of a YAML file; an error says where the
// YAML is invalid.
func documents(src []byte) ([]document, error) {
	dec := yaml.NewDecoder(bytes.NewReader(src))
	var docs []document
	for i := 0; ; i++ {
		var n yaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			return docs, err
		}
		if len(n.Content) == 0 || n.Content[0].Kind != yaml.MappingNode {
			docs = append(docs, document{index: i})
			continue
		}
		d := document{index: i, node: n.Content[0]}
		// A document whose metadata has another shape is no object of
		// ours: it stays without a kind.
		_ = n.Content[0].Decode(&d.meta)
		docs = append(docs, d)
	}
}

// isArgo reports whether d is an object of kind in Argo CD's API group.
func (d *document) isArgo(kind string) bool {
	return d.Kind == kind && len(d.APIVersion) > len(apiGroup) && d.APIVersion[:len(apiGroup)] == apiGroup
}

// field returns the value of key in mapping node m, or nil.
func field(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// decodeSpec reads an Application's spec.
func decodeSpec(n *yaml.Node) (*appSpec, error) {
	var s appSpec
	if spec := field(n, "spec"); spec != nil {
		if err := spec.Decode(&s); err != nil {
			return nil, err
		}
	}
	return &s, nil
}

// errString says where a yaml.v3 error is, without its "yaml: " prefix.
func errString(err error) string {
	s := err.Error()
	if len(s) > 6 && s[:6] == "yaml: " {
		s = s[6:]
	}
	return s
}
