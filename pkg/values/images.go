package values

import (
	"strings"

	"go.yaml.in/yaml/v3"
)

// Image is one image reference found in a document.
type Image struct {
	Path       string // path of the block or string, e.g. ".image", ".controller.image", ".workers[1].image"
	Registry   string // "" when the block has no registry key
	Repository string // repository as written (may include the registry for string form)
	Tag        string
	TagPath    string // path of the scalar to edit for the tag: ".image.tag" for maps, ".image" for "repo:tag" strings
	Digest     string // when the block has a digest key
	DigestPath string // "" when absent
	Form       string // "map" or "string"
}

// FindImages lists the image references in src (all documents), in document
// order: mappings with repository and tag keys (and optionally registry and
// digest), and strings of the form "repo:tag" or "repo@digest" under a key
// named image or ending in Image. Aliases are not followed.
func FindImages(src []byte) ([]Image, error) {
	docs, err := parse(src, "find images", "")
	if err != nil {
		return nil, err
	}
	var out []Image
	for _, d := range docs {
		if len(d.Content) > 0 {
			findImages(d.Content[0], Path{}, &out)
		}
	}
	return out, nil
}

func findImages(n *yaml.Node, p Path, out *[]Image) {
	switch n.Kind {
	case yaml.SequenceNode:
		for i, c := range n.Content {
			findImages(c, p.child(Segment{Index: i, IsIndex: true}), out)
		}
	case yaml.MappingNode:
		if img, ok := imageMap(n, p); ok {
			*out = append(*out, img)
		}
		for k := 0; k+1 < len(n.Content); k += 2 {
			key, v := n.Content[k], n.Content[k+1]
			if key.Kind != yaml.ScalarNode || isMerge(key) {
				continue
			}
			cp := p.child(Segment{Key: key.Value})
			if v.Kind == yaml.ScalarNode && (key.Value == "image" || strings.HasSuffix(key.Value, "Image")) {
				if img, ok := imageString(v.Value, cp); ok {
					*out = append(*out, img)
				}
				continue
			}
			findImages(v, cp, out)
		}
	}
}

// imageMap reads a repository/tag block.
func imageMap(n *yaml.Node, p Path) (Image, bool) {
	img := Image{Path: p.String(), Form: "map"}
	var hasRepo, hasTag bool
	for k := 0; k+1 < len(n.Content); k += 2 {
		key, v := n.Content[k], n.Content[k+1]
		if key.Kind != yaml.ScalarNode || v.Kind != yaml.ScalarNode {
			continue
		}
		val := v.Value
		if v.ShortTag() == "!!null" {
			val = ""
		}
		vp := p.child(Segment{Key: key.Value}).String()
		switch key.Value {
		case "registry":
			img.Registry = val
		case "repository":
			img.Repository, hasRepo = val, true
		case "tag":
			img.Tag, img.TagPath, hasTag = val, vp, true
		case "digest":
			img.Digest, img.DigestPath = val, vp
		}
	}
	return img, hasRepo && hasTag
}

// imageString reads "repo:tag", "repo@digest" or "repo:tag@digest".
func imageString(s string, p Path) (Image, bool) {
	img := Image{Path: p.String(), TagPath: p.String(), Form: "string"}
	if s == "" || strings.ContainsAny(s, " \t{}") {
		return img, false
	}
	if i := strings.Index(s, "@"); i >= 0 {
		img.Digest, img.DigestPath, s = s[i+1:], p.String(), s[:i]
	}
	slash := strings.LastIndex(s, "/")
	if i := strings.LastIndex(s, ":"); i > slash {
		img.Tag, s = s[i+1:], s[:i]
	}
	img.Repository = s
	return img, s != "" && (img.Tag != "" || img.Digest != "")
}
