package target

import (
	"errors"
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/tagbump/tagbump/pkg/imageref"
	"github.com/tagbump/tagbump/pkg/values"
)

// KustomizeEntry is one item of a kustomization's images.
type KustomizeEntry struct {
	Block
	// Entry is the item's name: the image as the resources spell it.
	Entry string
	// Renamed reports a newName: the entry deploys Name, not Entry.
	Renamed bool
	line    int
}

// KustomizeImages lists the images: entries of a kustomization, in order.
// Each is a Block whose Path is its newTag (present or not) and whose
// Name is the image it deploys: newName when it has one, else name.
func KustomizeImages(src []byte) ([]KustomizeEntry, error) {
	docs, err := documents(src)
	if err != nil {
		return nil, err
	}
	if nonEmpty(docs) != 1 || docs[0] == nil || docs[0].Kind != yaml.MappingNode {
		return nil, &Error{Kind: ErrRefused, Reason: "a kustomization is one YAML document whose top level is a mapping"}
	}
	root := docs[0]
	imgs := get(root, "images")
	if imgs == nil || imgs.ShortTag() == "!!null" {
		return nil, nil
	}
	if imgs.Kind != yaml.SequenceNode {
		return nil, &Error{Kind: ErrRefused, Line: imgs.Line, Reason: "images: is not a list"}
	}
	var out []KustomizeEntry
	for i, it := range imgs.Content {
		if it.Kind != yaml.MappingNode {
			return nil, &Error{Kind: ErrRefused, Line: it.Line, Reason: fmt.Sprintf("images[%d] is not a mapping of name, newName, newTag, digest", i)}
		}
		p := index(values.Path{{Key: "images"}}, i)
		e := KustomizeEntry{Entry: scalar(it, "name"), line: it.Line}
		e.Block = Block{Path: at(p, "newTag").String(), Form: values.FormMap, Name: e.Entry,
			Tag: scalar(it, "newTag"), Digest: scalar(it, "digest"), Where: fmt.Sprintf("images[%d] (name %s)", i, e.Entry)}
		if get(it, "digest") != nil {
			e.DigestPath = at(p, "digest").String()
		}
		if n := scalar(it, "newName"); n != "" {
			e.Name, e.Renamed = n, true
			e.Where = fmt.Sprintf("images[%d] (name %s, newName %s)", i, e.Entry, n)
		}
		out = append(out, e)
	}
	return out, nil
}

// SetKustomize sets ref's tag (and digest, when it has one) in the
// kustomization src: in the images: entries that deploy ref's repository
// (by newName where an entry renames the image, else by name), each
// entry's newTag (and digest) set or added. When no entry names the
// image, an entry {name, newTag[, digest]} is appended in the file's
// style (images: added when missing), where name is how the resources
// spell the image (ref.Name() when name is ""): Kustomize matches the
// name exactly as the resources write it. Every other byte is kept.
//
// It refuses an entry that names the image but renames it to another
// repository (ErrOtherImage), two entries with the same name
// (ErrAmbiguous), a name or newName with a tag or digest in it that
// would match the image (ErrRefused: Kustomize's matching of those is not
// a repository comparison), and an entry that pins a digest when ref has
// none (ErrPinned).
func SetKustomize(src []byte, ref imageref.Ref, names []string) ([]byte, []Change, error) {
	entries, err := KustomizeImages(src)
	if err != nil {
		return nil, nil, err
	}
	seen := map[string]int{}
	var match []KustomizeEntry
	for _, e := range entries {
		if l, ok := seen[e.Entry]; ok && e.Entry != "" {
			if ref.Deploys(stripRef(e.Entry)) || ref.Deploys(stripRef(e.Name)) {
				return nil, nil, &Error{Kind: ErrAmbiguous, Line: e.line, Reason: fmt.Sprintf(
					"images: has two entries named %s (lines %d and %d): remove one", e.Entry, l, e.line)}
			}
		}
		seen[e.Entry] = e.line
		for _, n := range []string{e.Entry, e.Name} {
			if r, tag, digest := imageref.Split(n); (tag != "" || digest != "") && ref.Deploys(r) {
				return nil, nil, &Error{Kind: ErrRefused, Line: e.line, Reason: fmt.Sprintf(
					"%s has a tag or digest in %s, which Kustomize does not compare as a repository: "+
						"write the repository alone there and the tag in newTag", e.Where, n)}
			}
		}
		switch {
		case ref.Deploys(e.Name):
			match = append(match, e)
		case e.Renamed && ref.Deploys(e.Entry):
			return nil, nil, &Error{Kind: ErrOtherImage, Line: e.line, Reason: fmt.Sprintf(
				"%s renames %s to %s, another repository: tagbump never writes a tag into another repository's image; "+
					"check --image, or change newName by hand if %s is to deploy %s", e.Where, e.Entry, e.Name, e.Entry, ref.Name())}
		}
	}
	if len(match) == 0 {
		if len(names) == 0 {
			names = []string{ref.Name()}
		}
		out, changes := src, []Change(nil)
		for _, name := range names {
			o, ch, err := appendKustomize(out, ref, name)
			if err != nil {
				return nil, nil, err
			}
			out, changes = o, append(changes, ch...)
		}
		return out, changes, nil
	}
	out := src
	var changes []Change
	for _, e := range match {
		if ref.Digest == "" && e.Digest != "" {
			return nil, nil, &Error{Kind: ErrPinned, Line: e.line, Reason: fmt.Sprintf(
				"%s pins digest %s, which Kustomize deploys with the tag, so a new tag alone would deploy nothing new: pass --digest to write the new image's digest too",
				e.Where, e.Digest)}
		}
		if out, err = setOrAdd(out, e.Path, e.Tag, ref.Tag, &changes); err != nil {
			return nil, nil, err
		}
		if ref.Digest != "" {
			if out, err = setOrAdd(out, siblingPath(e.Path, "digest"), e.Digest, ref.Digest, &changes); err != nil {
				return nil, nil, err
			}
		}
	}
	return out, changes, nil
}

// setOrAdd sets the scalar at p of a one-document file, or adds it.
func setOrAdd(src []byte, p, old, value string, changes *[]Change) ([]byte, error) {
	out, err := values.Set(src, p, value)
	created := errors.Is(err, values.ErrNotFound)
	if created {
		out, err = values.Create(src, p, value)
	}
	if err != nil {
		return nil, err
	}
	*changes = append(*changes, Change{Path: p, Old: old, New: value, OldTag: old, Created: created})
	return out, nil
}

// appendKustomize appends an images: entry for ref.
func appendKustomize(src []byte, ref imageref.Ref, name string) ([]byte, []Change, error) {
	if !ref.Deploys(name) {
		return nil, nil, &Error{Kind: ErrOtherImage, Reason: fmt.Sprintf("the entry would be named %s, which is not %s", name, ref.Name())}
	}
	fields := []values.Field{{Key: "name", Value: name}, {Key: "newTag", Value: ref.Tag}}
	if ref.Digest != "" {
		fields = append(fields, values.Field{Key: "digest", Value: ref.Digest})
	}
	n := 0
	if entries, err := KustomizeImages(src); err == nil {
		n = len(entries)
	}
	out, err := values.AppendItem(src, ".images", fields)
	if err != nil {
		return nil, nil, err
	}
	p := index(values.Path{{Key: "images"}}, n)
	changes := []Change{{Path: at(p, "newTag").String(), New: ref.Tag, Created: true}}
	if ref.Digest != "" {
		changes = append(changes, Change{Path: at(p, "digest").String(), New: ref.Digest, Created: true})
	}
	return out, changes, nil
}

// stripRef returns the repository of a reference.
func stripRef(s string) string {
	r, _, _ := imageref.Split(s)
	return r
}

// siblingPath is the path of the key name next to the one at p.
func siblingPath(p, name string) string {
	i := strings.LastIndex(p, ".")
	return p[:i+1] + name
}

// KustomizeResources lists the entries of a kustomization's resources,
// bases and components: files, directories and URLs as written.
func KustomizeResources(src []byte) []string {
	docs, err := documents(src)
	if err != nil || len(docs) == 0 {
		return nil
	}
	var out []string
	for _, k := range []string{"resources", "bases", "components"} {
		for _, it := range items(docs[0], k) {
			if it.Kind == yaml.ScalarNode && it.Value != "" {
				out = append(out, it.Value)
			}
		}
	}
	return out
}
