package values

import (
	"errors"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Forms of Image.
const (
	// FormMap is a block of keys: repository (or repo, or name), tag, and
	// optionally registry and digest. The tag is the value at TagPath.
	FormMap = "map"
	// FormString is one string "repo:tag", "repo@digest" or
	// "repo:tag@digest"; TagPath is the string itself.
	FormString = "string"
	// FormSibling is a string "org/app" without a tag under an image key,
	// with the tag in a sibling key: the string names the repository, the
	// value at TagPath is the tag.
	FormSibling = "sibling"
)

// Image is one image reference found in a values file.
type Image struct {
	// Path is the path of the block (FormMap, FormSibling) or of the
	// string (FormString): ".image", ".controller.image", ".workers[1].image".
	Path string
	// Registry is the block's registry key, "" when it has none.
	Registry string
	// Repository is the repository as written (with its registry host for
	// a string that has one), or "" when the block names none.
	Repository string
	Tag        string
	// TagPath is the scalar that holds the tag: ".image.tag" for a block,
	// ".image" for a "repo:tag" string. It is "" when the image has no
	// tag at all (a string "org/app", a block without a tag key).
	TagPath    string
	Digest     string
	DigestPath string // "" when the file has no digest key for the image
	Form       string // FormMap, FormString or FormSibling
	// Defaults lists the parts of the image ("registry", "repository",
	// "tag", "digest") that FindImagesWithDefaults read from the
	// defaults rather than from the file; nil for FindImages.
	Defaults []string
}

// Name returns the repository with its registry, as a Docker reference
// names it without tag: "quay.io/org/app", or "org/app" when the file
// names no registry.
func (im Image) Name() string {
	if im.Registry != "" && im.Repository != "" {
		return strings.TrimSuffix(im.Registry, "/") + "/" + im.Repository
	}
	return im.Repository
}

// TagFromDefaults reports whether the image's tag is only in the defaults:
// the file itself has no key at TagPath, so setting it there fails.
func (im Image) TagFromDefaults() bool { return slices.Contains(im.Defaults, "tag") }

// FindImages lists the image references in src (all documents), in document
// order. It recognises blocks with repository and tag keys anywhere, and
// under a key named image or ending in Image (.image, .sidecarImage, a
// list item's image) also repo or name with tag, and a tag block that names
// no repository; each optionally with registry and digest keys (Bitnami's
// layout). It recognises strings "repo:tag", "repo@digest",
// "repo:tag@digest" under such keys, and a string "org/app" with a sibling
// tag key (FormSibling); a string "org/app" without tag or sibling is
// listed with an empty TagPath. Aliases and merge keys are not followed.
func FindImages(src []byte) ([]Image, error) { return FindImagesWithDefaults(src, nil) }

// FindImagesWithDefaults is FindImages over the view Helm has of src when
// it reads src over defaults (the chart's values.yaml): mappings are merged
// key by key, a value in src replaces the one in defaults (a sequence or a
// null too, as Helm does). A block of src whose repository or registry is
// only in defaults is listed with them, and blocks only in defaults are
// listed too; Image.Defaults names the parts read from defaults. Only the
// first document of defaults is read; src's other documents are read alone.
func FindImagesWithDefaults(src, defaults []byte) ([]Image, error) {
	docs, err := parse(src, "find images", "")
	if err != nil {
		return nil, err
	}
	var def *yaml.Node
	if len(defaults) > 0 {
		ddocs, err := parse(defaults, "find images", "")
		if e := (*Error)(nil); errors.As(err, &e) {
			e.Reason += " in the defaults"
		}
		if err != nil {
			return nil, err
		}
		if len(ddocs) > 0 && len(ddocs[0].Content) > 0 {
			def = ddocs[0].Content[0]
		}
	}
	var f finder
	for i, d := range docs {
		var n *yaml.Node
		if len(d.Content) > 0 {
			n = d.Content[0]
		}
		if i > 0 {
			def = nil
		}
		f.walk(n, def, Path{}, "")
	}
	if len(docs) == 0 && def != nil {
		f.walk(nil, def, Path{}, "")
	}
	return f.out, nil
}

// FindImagesIn is FindImages under the mapping at path in the document
// doc (0-based) of src, such as an Argo CD Application's
// .spec.source.helm.valuesObject: the images' paths are full paths from
// the document's root. A path that does not exist has no images.
func FindImagesIn(src []byte, doc int, path string) ([]Image, error) {
	if _, err := ParsePath(path); err != nil {
		return nil, err
	}
	docs, err := parse(src, "find images", path)
	if err != nil {
		return nil, err
	}
	return findImagesIn(docs, doc, path)
}

// findImagesIn is FindImagesIn of decoded documents.
func findImagesIn(docs []*yaml.Node, doc int, path string) ([]Image, error) {
	p, err := ParsePath(path)
	if err != nil {
		return nil, err
	}
	in, err := document(docs, doc, "find images", path)
	if err != nil {
		return nil, err
	}
	if len(in[0].Content) == 0 {
		return nil, nil
	}
	n := in[0].Content[0]
	for _, seg := range p {
		if n = child(n, seg); n == nil {
			return nil, nil
		}
	}
	var f finder
	f.walk(n, nil, append(Path{}, p...), "")
	return f.out, nil
}

// finder collects images while walking a file merged over its defaults.
type finder struct{ out []Image }

// entry is one key of a merged mapping and the value that wins.
type entry struct {
	key   string
	val   *yaml.Node
	def   bool       // the value comes from the defaults
	under *yaml.Node // the defaults' value under a value of the file, or nil
}

// walk visits the node at p of the file (n) over the defaults (d); either
// may be nil. key is the mapping key p ends with, "" for a list item.
// The finder builds paths on one stack (p.push): a Path it passes down is
// valid only during the call, and what outlives it is a string.
func (f *finder) walk(n, d *yaml.Node, p Path, key string) {
	if n == nil {
		if d != nil {
			f.walkDefaults(d, p, key)
		}
		return
	}
	switch n.Kind {
	case yaml.SequenceNode:
		for i, c := range n.Content {
			f.walk(c, nil, p.push(Segment{Index: i, IsIndex: true}), key)
		}
	case yaml.MappingNode:
		if d != nil && d.Kind != yaml.MappingNode {
			d = nil
		}
		f.mapping(merge(n, d), p, key)
	}
}

// walkDefaults visits a subtree that only the defaults have.
func (f *finder) walkDefaults(n *yaml.Node, p Path, key string) {
	switch n.Kind {
	case yaml.SequenceNode:
		for i, c := range n.Content {
			f.walkDefaults(c, p.push(Segment{Index: i, IsIndex: true}), key)
		}
	case yaml.MappingNode:
		es := merge(n, nil)
		for i := range es {
			es[i].def = true
		}
		f.mapping(es, p, key)
	}
}

// merge lists the keys of the mapping n over those of the mapping d (nil
// for none): n's keys in order, then the keys only d has. Merge keys (<<)
// and keys that are not scalars are left out.
func merge(n, d *yaml.Node) []entry {
	var es []entry
	seen := map[string]bool{}
	under := keys(d)
	for _, m := range []*yaml.Node{n, d} {
		if m == nil {
			continue
		}
		for k := 0; k+1 < len(m.Content); k += 2 {
			kn := m.Content[k]
			if kn.Kind != yaml.ScalarNode || isMerge(kn) || seen[kn.Value] {
				continue
			}
			seen[kn.Value] = true
			e := entry{key: kn.Value, val: m.Content[k+1], def: m == d}
			if m == n {
				e.under = under[kn.Value]
			}
			es = append(es, e)
		}
	}
	return es
}

// keys maps each key of the mapping d to its value (the first, for a
// duplicate key), as lookup finds it; nil when d is not a mapping.
func keys(d *yaml.Node) map[string]*yaml.Node {
	if d == nil || d.Kind != yaml.MappingNode {
		return nil
	}
	ks := make(map[string]*yaml.Node, len(d.Content)/2)
	for k := 0; k+1 < len(d.Content); k += 2 {
		if kn := d.Content[k]; kn.Kind == yaml.ScalarNode && !isMerge(kn) {
			if _, dup := ks[kn.Value]; !dup {
				ks[kn.Value] = d.Content[k+1]
			}
		}
	}
	return ks
}

// lookup returns the value at key in d's mapping, or nil.
func lookup(d *yaml.Node, key string) *yaml.Node {
	if d == nil || d.Kind != yaml.MappingNode {
		return nil
	}
	for k := 0; k+1 < len(d.Content); k += 2 {
		if kn := d.Content[k]; kn.Kind == yaml.ScalarNode && kn.Value == key && !isMerge(kn) {
			return d.Content[k+1]
		}
	}
	return nil
}

// imageKey reports whether a key names an image: image, or a name ending
// in image or Image (sidecarImage, initimage).
func imageKey(k string) bool { return strings.HasSuffix(strings.ToLower(k), "image") }

// mapping looks for images in the merged mapping es at p, whose key is key,
// then walks its values.
func (f *finder) mapping(es []entry, p Path, key string) {
	m := merged{es: es, p: p, at: make(map[string]int, len(es))}
	for i := range es {
		m.at[es[i].key] = i
	}
	used := map[string]bool{}
	// A block: repository (repo, name) and tag, registry, digest.
	var repo *entry
	switch {
	case m.get("repository") != nil:
		repo = m.get("repository")
	case imageKey(key) && m.get("repo") != nil:
		repo = m.get("repo")
	case imageKey(key) && m.get("name") != nil:
		repo = m.get("name")
	}
	// A full reference in the repository key of a block without a tag
	// key ("name: registry:5000/org/app:1.0", rendered as the whole
	// image) is a string image at that key.
	var refEntry *entry
	if repo != nil && imageKey(key) && m.get("tag") == nil && m.get("registry") == nil {
		if img, ok := imageString(repo.val, ""); ok && (img.Tag != "" || img.Digest != "") {
			refEntry, repo = repo, nil
		}
	}
	if repo != nil && (m.get("tag") != nil || imageKey(key)) {
		f.add(m.image(p.String(), FormMap, m.get("registry"), repo, "tag"))
		used["tag"] = true
	}
	// Strings under image keys, with their tag in a sibling key when
	// they have none of their own.
	strs := map[int]Image{}
	for i := range es {
		e := &es[i]
		if e.val.Kind != yaml.ScalarNode || !imageKey(e.key) && e != refEntry {
			continue
		}
		cp := p.child(Segment{Key: e.key}).String()
		img, ok := imageString(e.val, cp)
		if !ok {
			continue
		}
		if e.def {
			img.Defaults = img.parts()
			img.DigestPath = ""
		}
		if img.TagPath == "" && e != refEntry {
			for _, tk := range []string{e.key + "Tag", "tag"} {
				if !used[tk] && m.get(tk) != nil {
					var reg *entry
					if e.key == "image" {
						reg = m.get("registry")
					}
					img = m.image(cp, FormSibling, reg, e, tk)
					used[tk] = true
					break
				}
			}
		}
		strs[i] = img
	}
	// A tag under an image key that names no repository: Helm charts
	// put the repository in values.yaml and the tag per environment.
	if repo == nil && !used["tag"] && m.get("tag") != nil && imageKey(key) {
		f.add(m.image(p.String(), FormMap, m.get("registry"), nil, "tag"))
	}
	for i, e := range es {
		cp := p.push(Segment{Key: e.key})
		switch img, ok := strs[i]; {
		case ok:
			f.add(img)
		case e.val.Kind == yaml.ScalarNode:
		case e.def:
			f.walkDefaults(e.val, cp, e.key)
		default:
			// The file's value wins; the defaults count only where
			// both are mappings, as in Helm (walk drops them otherwise).
			f.walk(e.val, e.under, cp, e.key)
		}
	}
}

func (f *finder) add(img Image) { f.out = append(f.out, img) }

// merged is a mapping of the file merged over the defaults, at p.
type merged struct {
	es []entry
	p  Path
	at map[string]int // the index in es of each key
}

// get returns the scalar entry named k, or nil.
func (m merged) get(k string) *entry {
	if i, ok := m.at[k]; ok && m.es[i].val.Kind == yaml.ScalarNode {
		return &m.es[i]
	}
	return nil
}

// image builds the Image at path from the registry and repository entries
// (either may be nil) and the keys tagKey and digest of m.
func (m merged) image(path, form string, registry, repo *entry, tagKey string) Image {
	img := Image{Path: path, Form: form}
	read := func(e *entry, part string) string {
		if e == nil {
			return ""
		}
		if e.def {
			img.Defaults = append(img.Defaults, part)
		}
		if e.val.ShortTag() == "!!null" {
			return ""
		}
		return e.val.Value
	}
	img.Registry = read(registry, "registry")
	img.Repository = read(repo, "repository")
	if t := m.get(tagKey); t != nil {
		img.Tag = read(t, "tag")
		img.TagPath = m.p.child(Segment{Key: tagKey}).String()
	}
	if d := m.get("digest"); d != nil && form == FormMap {
		img.Digest = read(d, "digest")
		if !d.def {
			img.DigestPath = m.p.child(Segment{Key: "digest"}).String()
		}
	}
	return img
}

// parts lists the parts a string image has.
func (im Image) parts() []string {
	var ps []string
	for _, x := range []struct{ v, name string }{{im.Repository, "repository"}, {im.Tag, "tag"}, {im.Digest, "digest"}} {
		if x.v != "" {
			ps = append(ps, x.name)
		}
	}
	return ps
}

// imageString reads "repo", "repo:tag", "repo@digest" or
// "repo:tag@digest". A repository without tag or digest has an empty
// TagPath: tagbump does not add a tag where the file has none.
func imageString(n *yaml.Node, path string) (Image, bool) {
	s := n.Value
	img := Image{Path: path, TagPath: path, Form: FormString}
	if n.ShortTag() != "!!str" || s == "" || strings.ContainsAny(s, " \t{}") {
		return img, false
	}
	if i := strings.Index(s, "@"); i >= 0 {
		img.Digest, img.DigestPath, s = s[i+1:], path, s[:i]
	}
	slash := strings.LastIndex(s, "/")
	if i := strings.LastIndex(s, ":"); i > slash {
		img.Tag, s = s[i+1:], s[:i]
	}
	img.Repository = s
	if img.Tag == "" && img.Digest == "" {
		img.TagPath = ""
	}
	return img, s != "" && !strings.HasSuffix(s, "/") && !strings.Contains(s, "//")
}
