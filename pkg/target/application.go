package target

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/tagbump/tagbump/pkg/imageref"
	"github.com/tagbump/tagbump/pkg/values"
)

// Where in an Application source a Block is, for AppBlock.Field.
const (
	FieldParameters   = "helm.parameters"
	FieldValuesObject = "helm.valuesObject"
	FieldValues       = "helm.values"
	FieldKustomize    = "kustomize.images"
)

// AppBlock is an image in an Application's source.
type AppBlock struct {
	Block
	// Field is FieldParameters, FieldValuesObject, FieldValues or
	// FieldKustomize.
	Field string
	// Inner is, for FieldValues, the path of the tag (or reference)
	// inside the YAML text at Path; Block.Path is the text's own path.
	Inner string
	// InnerDigest is, for FieldValues, the path of the digest inside the
	// text, or "".
	InnerDigest string
	// ValuesKey is the Helm values key the block sets (".image.tag"; for a
	// FieldValues block, Inner), "" for FieldKustomize: a block there
	// overrides the value files' block of the same key.
	ValuesKey string
	// ByKey reports a NAME.tag parameter that names no repository and
	// is not named like an image's tag (app.tag): it is known to set an
	// image only from the key the value files give that image's tag.
	ByKey bool
	// entry is, for FieldKustomize, the image as the resources spell it
	// when the string renames it ("name=newName:tag"), else "".
	entry string
	// Place is what the block is, whatever its position in the file.
	Place AppPlace
}

// AppPlace names a place of an Argo CD Application manifest by what it
// is rather than where it is: the Application by its metadata.namespace
// and metadata.name, its source, the field, and in the field the Helm
// values key it sets (a parameter's name with a leading dot, ".image.tag";
// the path in valuesObject or in the text of helm.values) or, in
// kustomize.images, the image's name as the resources spell it. A place
// names the same thing in every version of the file, whatever documents,
// parameters or keys were added or removed before it, and never another
// Application's.
type AppPlace struct {
	Namespace, App string
	Source         int
	Field, Key     string
}

// setPlace names b's place in the source s.
func (b *AppBlock) setPlace(s appSource) {
	k := b.ValuesKey
	if b.Field == FieldKustomize {
		k = b.Name
		if b.entry != "" {
			k = b.entry
		}
	}
	b.Place = AppPlace{Namespace: s.ns, App: s.name, Source: s.index, Field: b.Field, Key: k}
}

// Key names the block in a file, with the path inside helm.values text.
func (b AppBlock) Key() string {
	if b.Inner != "" {
		return key(b.Doc, b.Path+" "+b.Inner)
	}
	return b.Block.Key()
}

// ApplicationImages lists the images of one source of the Argo CD
// Application named app (any name when app is "" and the file has one
// Application) in the multi-document file src: source is the index in
// spec.sources, or 0 for an Application with spec.source. It reads
// helm.parameters (a NAME.repository parameter with its NAME.tag, and
// NAME.digest; a NAME.tag alone; a parameter whose name ends in "image"
// holding a reference), helm.valuesObject and helm.values (the blocks
// values.FindImages finds in a values file), and kustomize.images
// ("name=newName:tag", "name:tag", "name@digest").
func ApplicationImages(src []byte, app string, source int) ([]AppBlock, error) {
	_, _, blocks, err := readSource(src, app, source)
	return blocks, err
}

// readSource decodes src and lists the images of the Application app's
// source.
func readSource(src []byte, app string, source int) (*appFile, appSource, []AppBlock, error) {
	a, err := readApps(src)
	if err != nil {
		return nil, appSource{}, nil, err
	}
	s, err := a.find(app, source)
	if err != nil {
		return nil, appSource{}, nil, err
	}
	blocks, err := a.images(s)
	return a, s, blocks, err
}

// images is ApplicationImages of the source s.
func (a *appFile) images(s appSource) ([]AppBlock, error) {
	doc, p, sn := s.doc, s.p, s.sn
	var out []AppBlock
	helm := get(sn, "helm")
	// helm.parameters
	params := items(helm, "parameters")
	byName := map[string]int{}
	for i, it := range params {
		byName[scalar(it, "name")] = i
	}
	pp := at(at(p, "helm"), "parameters")
	paramValue := func(i int) string { return at(index(pp, i), "value").String() }
	for i, it := range params {
		name := scalar(it, "name")
		switch {
		case strings.HasSuffix(name, ".tag"):
			base := strings.TrimSuffix(name, ".tag")
			b := AppBlock{Field: FieldParameters, ValuesKey: "." + name, Block: Block{Doc: doc, Path: paramValue(i), Form: values.FormMap,
				Tag: scalar(it, "value"), Where: "parameter " + name}}
			if j, ok := byName[base+".repository"]; ok {
				b.Name = scalar(params[j], "value")
			} else if base != "image" && !strings.HasSuffix(base, ".image") {
				b.ByKey = true // a tag that is not known to be an image's
			}
			if j, ok := byName[base+".digest"]; ok {
				b.Digest, b.DigestPath = scalar(params[j], "value"), paramValue(j)
			}
			out = append(out, b)
		case strings.HasSuffix(strings.ToLower(name), "image") && strings.ContainsAny(scalar(it, "value"), ":@"):
			repo, tag, digest := imageref.Split(scalar(it, "value"))
			out = append(out, AppBlock{Field: FieldParameters, ValuesKey: "." + name, Block: Block{Doc: doc, Path: paramValue(i), Form: values.FormString,
				Name: repo, Tag: tag, Digest: digest, Where: "parameter " + name}})
		}
	}
	// helm.valuesObject
	vo := at(at(p, "helm"), "valuesObject").String()
	imgs, err := a.f.FindImagesIn(doc, vo)
	if err != nil {
		return nil, err
	}
	for _, im := range imgs {
		if im.TagPath == "" {
			continue
		}
		out = append(out, AppBlock{Field: FieldValuesObject, ValuesKey: strings.TrimPrefix(im.TagPath, vo), Block: Block{Doc: doc, Path: im.TagPath, Form: im.Form,
			Name: im.Name(), Tag: im.Tag, Digest: im.Digest, DigestPath: im.DigestPath, Where: FieldValuesObject + " " + strings.TrimPrefix(im.Path, vo)}})
	}
	// helm.values, which Argo CD ignores when valuesObject is set
	if v := get(helm, "values"); v != nil && v.Kind == yaml.ScalarNode && v.Value != "" && get(helm, "valuesObject") == nil {
		vp := at(at(p, "helm"), "values").String()
		text, err := a.f.Embedded(doc, vp)
		if err != nil {
			return nil, &Error{Kind: ErrRefused, Line: v.Line, Reason: FieldValues + " cannot be read exactly", Err: err}
		}
		imgs, err := values.FindImages([]byte(text))
		if err != nil {
			return nil, &Error{Kind: ErrRefused, Line: v.Line, Reason: FieldValues + " is not valid YAML", Err: err}
		}
		for _, im := range imgs {
			if im.TagPath == "" {
				continue
			}
			out = append(out, AppBlock{Field: FieldValues, ValuesKey: im.TagPath, Inner: im.TagPath, InnerDigest: im.DigestPath, Block: Block{Doc: doc, Path: vp, Form: im.Form,
				Name: im.Name(), Tag: im.Tag, Digest: im.Digest, Where: FieldValues + " " + im.TagPath}})
		}
	}
	// kustomize.images
	kp := at(at(p, "kustomize"), "images")
	for i, it := range items(get(sn, "kustomize"), "images") {
		if it.Kind != yaml.ScalarNode {
			continue
		}
		entry, ref := "", it.Value
		if e, r, ok := strings.Cut(it.Value, "="); ok {
			entry, ref = e, r
		}
		repo, tag, digest := imageref.Split(ref)
		out = append(out, AppBlock{Field: FieldKustomize, entry: entry, Block: Block{Doc: doc, Path: index(kp, i).String(), Form: values.FormString,
			Name: repo, Tag: tag, Digest: digest, Where: FieldKustomize + " " + it.Value}})
	}
	for i := range out {
		out[i].setPlace(s)
	}
	return out, nil
}

// SetApplication sets ref's tag (and digest, when it has one) in every
// place of the Application's source (see ApplicationImages) that deploys
// ref's repository: a parameter's value in its quoting, a tag or
// reference in valuesObject or in the text of helm.values (with the
// block's indentation and chomping kept), a kustomize.images string in
// its form. A NAME.tag parameter (image.tag) without a repository is set
// only when nothing in the source names the image, as .image.tag in a
// values file. It refuses a kustomize.images string that renames the
// image to another repository (ErrOtherImage), a block that pins a digest
// when ref has none (ErrPinned), a digest with no place to go
// (ErrRefused), and finds nothing to set with ErrNoImage; kustomize.images
// strings are not added.
func SetApplication(src []byte, app string, source int, ref imageref.Ref) ([]byte, []Change, error) {
	blocks, err := ApplicationImages(src, app, source)
	if err != nil {
		return nil, nil, err
	}
	match, err := PickApplication(blocks, ref, nil, true)
	if err != nil {
		return nil, nil, err
	}
	if len(match) == 0 {
		var bs []Block
		for _, b := range blocks {
			bs = append(bs, b.Block)
		}
		return nil, nil, noImage(ref, "block of the Application's source", bs)
	}
	return SetApplicationBlocks(src, match, ref)
}

// fieldRank orders the fields of a Helm source as Argo CD applies them:
// parameters over valuesObject (or values) over the value files.
func fieldRank(f string) int {
	switch f {
	case FieldParameters:
		return 2
	case FieldValuesObject, FieldValues:
		return 1
	}
	return 0
}

// PickApplication returns the blocks of one Application source (from
// ApplicationImages) that decide what ref's image deploys: those that
// name its repository, and those whose ValuesKey is one of keys, the Helm
// values keys that set its tag in the source's value files. A block
// whose key a field Argo CD applies later also sets (a parameter over
// valuesObject) gives way to that one: an edit there would deploy
// nothing. With lone, no keys and no block naming the repository, the one
// NAME.tag parameter without a repository (image.tag) is picked, as
// .image.tag in a values file; several are ErrAmbiguous. Pass lone only
// when nothing else tells whose that parameter is (no value file names
// an image, one image is set). A kustomize.images string that renames
// the image to another repository is ErrOtherImage.
func PickApplication(blocks []AppBlock, ref imageref.Ref, keys []string, lone bool) ([]AppBlock, error) {
	var match []AppBlock
	for _, b := range blocks {
		switch {
		case b.Name != "" && !sameImage(b, ref) && b.ValuesKey != "" && slices.Contains(keys, b.ValuesKey):
			// The value files set ref's tag at this key, but the source
			// pairs it with another repository: writing ref's tag there
			// deploys the other image.
			return nil, &Error{Kind: ErrOtherImage, Reason: fmt.Sprintf(
				"%s sets the tag of %s, not %s: the Application overrides the image's repository, so tagbump writes no tag there; check --image, or fix the manifest",
				b.Where, b.Name, ref.Name())}
		case b.Name != "" && sameImage(b, ref), b.ValuesKey != "" && slices.Contains(keys, b.ValuesKey):
			match = append(match, b)
		case b.entry != "" && ref.Deploys(stripRef(b.entry)):
			return nil, &Error{Kind: ErrOtherImage, Reason: fmt.Sprintf(
				"%s renames %s to %s, another repository: tagbump never writes a tag into another repository's image; check --image",
				b.Where, b.entry, b.Name)}
		}
	}
	if len(match) == 0 && len(keys) == 0 && lone {
		for _, b := range blocks {
			if b.Field == FieldParameters && b.Name == "" && !b.ByKey {
				match = append(match, b)
			}
		}
		if len(match) > 1 {
			return nil, &Error{Kind: ErrAmbiguous, Reason: "several tag parameters name no repository and none names " + ref.Name() + ": add NAME.repository parameters"}
		}
	}
	// A block whose key a later field sets too deploys nothing: the one
	// Argo CD applies last is picked instead.
	var live []AppBlock
	for _, b := range match {
		for _, o := range blocks {
			if b.ValuesKey != "" && o.ValuesKey == b.ValuesKey && fieldRank(o.Field) > fieldRank(b.Field) {
				b = o
			}
		}
		if !slices.ContainsFunc(live, func(l AppBlock) bool { return l.Path == b.Path && l.Inner == b.Inner }) {
			live = append(live, b)
		}
	}
	return live, nil
}

// ApplicationKeys is ApplicationImages with, for each of keys (Helm values
// keys such as ".api.tag") that the source sets in a place
// ApplicationImages does not list, a block for it (ByKey): a parameter
// of that name, the scalar at the key in valuesObject or in the text of
// helm.values. PickApplication picks those by key only.
func ApplicationKeys(src []byte, app string, source int, keys []string) ([]AppBlock, error) {
	a, s, blocks, err := readSource(src, app, source)
	if err != nil {
		return nil, err
	}
	return a.byKeys(s, blocks, keys), nil
}

// byKeys is ApplicationKeys of the source s, whose images are blocks.
func (a *appFile) byKeys(s appSource, blocks []AppBlock, keys []string) []AppBlock {
	n := len(blocks)
	doc, p, sn := s.doc, s.p, s.sn
	helm := get(sn, "helm")
	hp := at(p, "helm")
	has := func(field, key string) bool {
		return slices.ContainsFunc(blocks, func(b AppBlock) bool { return b.Field == field && b.ValuesKey == key })
	}
	for _, k := range keys {
		for i, it := range items(helm, "parameters") {
			if "."+scalar(it, "name") == k && !has(FieldParameters, k) {
				blocks = append(blocks, AppBlock{Field: FieldParameters, ValuesKey: k, ByKey: true, Block: Block{Doc: doc,
					Path: at(index(at(hp, "parameters"), i), "value").String(), Form: values.FormMap, Tag: scalar(it, "value"), Where: "parameter " + k[1:]}})
			}
		}
		if vo := get(helm, "valuesObject"); vo != nil {
			path := at(hp, "valuesObject").String() + k
			if v, err := a.f.GetIn(doc, path); err == nil && !has(FieldValuesObject, k) {
				blocks = append(blocks, AppBlock{Field: FieldValuesObject, ValuesKey: k, ByKey: true, Block: Block{Doc: doc,
					Path: path, Form: values.FormMap, Tag: v, Where: FieldValuesObject + " " + k}})
			}
			continue // helm.values is ignored
		}
		if v := get(helm, "values"); v != nil && v.Kind == yaml.ScalarNode && !has(FieldValues, k) {
			vp := at(hp, "values").String()
			if text, err := a.f.Embedded(doc, vp); err == nil {
				if tag, err := values.Get([]byte(text), k); err == nil {
					blocks = append(blocks, AppBlock{Field: FieldValues, ValuesKey: k, Inner: k, ByKey: true, Block: Block{Doc: doc,
						Path: vp, Form: values.FormMap, Tag: tag, Where: FieldValues + " " + k}})
				}
			}
		}
	}
	for i := n; i < len(blocks); i++ {
		blocks[i].setPlace(s)
	}
	return blocks
}

// SetApplicationBlocks sets ref's tag (and digest, when it has one) in
// the blocks of an Application's source, as SetApplication does.
func SetApplicationBlocks(src []byte, match []AppBlock, ref imageref.Ref) ([]byte, []Change, error) {
	out := src
	var changes []Change
	var err error
	for _, b := range match {
		if ref.Digest == "" && b.Digest != "" {
			return nil, nil, &Error{Kind: ErrPinned, Reason: fmt.Sprintf(
				"%s pins digest %s, which is deployed instead of the tag, so a new tag alone would deploy nothing new: pass --digest to write the new image's digest too", b.Where, b.Digest)}
		}
		if b.Field == FieldKustomize && ref.Digest != "" {
			// Argo CD passes the string to "kustomize edit set image",
			// which, in the kustomize releases Argo CD bundles, takes
			// everything before "@" as the name: "app:1.0@sha256:…"
			// would match no image (or rename it to "app:1.0").
			return nil, nil, &Error{Kind: ErrRefused, Reason: fmt.Sprintf(
				"%s: kustomize edit set image, which Argo CD runs with kustomize.images, does not read a tag and a digest together: "+
					"tagbump writes no digest there; bump without --digest, or pin the digest in the kustomization's images: entry", b.Where)}
		}
		value := ref.Tag
		if b.Form == values.FormString {
			value = reference(b.Name, ref.Tag, ref.Digest)
			if b.entry != "" {
				value = b.entry + "=" + value
			}
		}
		if b.Field == FieldValues {
			old, _ := values.Get([]byte(mustEmbedded(out, b)), b.Inner)
			if out, err = values.SetEmbedded(out, b.Doc, b.Path, b.Inner, value); err != nil {
				return nil, nil, err
			}
			changes = append(changes, Change{Doc: b.Doc, Path: b.Path + " " + b.Inner, Old: old, New: value, OldTag: b.Tag})
			if ref.Digest != "" && b.Form == values.FormMap {
				if b.InnerDigest == "" {
					return nil, nil, digestless(b)
				}
				if out, err = values.SetEmbedded(out, b.Doc, b.Path, b.InnerDigest, ref.Digest); err != nil {
					return nil, nil, err
				}
				changes = append(changes, Change{Doc: b.Doc, Path: b.Path + " " + b.InnerDigest, Old: b.Digest, New: ref.Digest, OldTag: b.Digest})
			}
			continue
		}
		if out, err = setScalar(out, b.Doc, b.Path, value, &changes, b.Tag); err != nil {
			return nil, nil, err
		}
		if ref.Digest != "" && b.Form == values.FormMap {
			if b.DigestPath == "" {
				return nil, nil, digestless(b)
			}
			if out, err = setScalar(out, b.Doc, b.DigestPath, ref.Digest, &changes, b.Digest); err != nil {
				return nil, nil, err
			}
		}
	}
	return out, changes, nil
}

// ApplicationKeyBlock returns the place of an Application manifest src
// that key names, as AppBlock.Key names it: the block
// FileApplicationImages lists there or, for a key it does not list, a
// ByKey block holding the scalar at the key, when the key is a
// helm.parameters value, a scalar in helm.valuesObject or one inside
// helm.values text of an Application (a tag whose repository the value
// files name, as bump --app writes it through ApplicationKeys). ok is
// false otherwise.
func ApplicationKeyBlock(src []byte, k string) (b AppBlock, ok bool) {
	for _, b := range FileApplicationImages(src) {
		if b.Key() == k {
			return b, true
		}
	}
	doc := 0
	if m := documentKey.FindStringSubmatch(k); m != nil {
		n, _ := strconv.Atoi(m[2])
		doc, k = n-1, m[1]
	}
	docs, err := documents(src)
	if err != nil || doc < 0 || doc >= len(docs) || docs[doc] == nil || !isApplication(docs[doc]) {
		return AppBlock{}, false
	}
	b = AppBlock{ByKey: true, Block: Block{Doc: doc, Form: values.FormMap}}
	if outer, inner, cut := strings.Cut(k, " "); cut {
		text, err := values.Embedded(src, doc, outer)
		if !strings.HasSuffix(outer, ".helm.values") || err != nil {
			return AppBlock{}, false
		}
		if b.Tag, err = values.Get([]byte(text), inner); err != nil {
			return AppBlock{}, false
		}
		b.Field, b.Path, b.Inner, b.ValuesKey, b.Where = FieldValues, outer, inner, inner, FieldValues+" "+inner
		return b, true
	}
	switch {
	case strings.Contains(k, ".helm.parameters["):
		b.Field = FieldParameters
	case strings.Contains(k, ".helm.valuesObject."):
		b.Field = FieldValuesObject
	default:
		return AppBlock{}, false
	}
	if b.Tag, err = values.GetIn(src, doc, k); err != nil {
		return AppBlock{}, false
	}
	b.Path, b.Where = k, k
	return b, true
}

// documentKey matches a key past a file's first document.
var documentKey = regexp.MustCompile(`^(.*) \(document ([0-9]+)\)$`)

// RestoreApplicationBlock sets b, a block of ApplicationImages, back to
// ref's tag and digest, as a rollback restores what a deployment
// replaced: with SetApplicationBlocks, but a digest b has and ref has
// not is cleared (dropped from a reference, "" at its digest key)
// rather than refused as pinned.
func RestoreApplicationBlock(src []byte, b AppBlock, ref imageref.Ref) ([]byte, []Change, error) {
	had := b.Digest
	b.Digest = ""
	out, changes, err := SetApplicationBlocks(src, []AppBlock{b}, ref)
	if err != nil || ref.Digest != "" || had == "" || b.Form == values.FormString {
		return out, changes, err
	}
	switch {
	case b.Field == FieldValues && b.InnerDigest != "":
		if out, err = values.SetEmbedded(out, b.Doc, b.Path, b.InnerDigest, ""); err != nil {
			return nil, nil, err
		}
		changes = append(changes, Change{Doc: b.Doc, Path: b.Path + " " + b.InnerDigest, Old: had, OldTag: had})
	case b.Field != FieldValues && b.DigestPath != "":
		if out, err = setScalar(out, b.Doc, b.DigestPath, "", &changes, had); err != nil {
			return nil, nil, err
		}
	}
	return out, changes, nil
}

// FileApplicationImages lists the images of every source of every
// Application in the multi-document file src, each named by
// AppBlock.Key: the path of the scalar that holds its tag in the file,
// followed, inside helm.values text, by the path inside the text. A
// source whose helm.values text cannot be read exactly has none, nor has
// a file that does not parse.
func FileApplicationImages(src []byte) []AppBlock {
	a, err := readApps(src)
	if err != nil {
		return nil
	}
	var out []AppBlock
	for doc, d := range a.docs {
		if d == nil || !isApplication(d) {
			continue
		}
		n := max(len(items(get(d, "spec"), "sources")), 1)
		for i := 0; i < n; i++ {
			s, err := a.source(doc, i)
			if err != nil {
				continue
			}
			blocks, err := a.images(s)
			if err != nil {
				continue
			}
			for _, b := range blocks {
				if !b.ByKey {
					out = append(out, b)
				}
			}
		}
	}
	return out
}

// sameImage reports whether block b names ref's image: a kustomize.images
// name as Kustomize compares it (a name without registry is Docker Hub's,
// as the kustomization editor reads it), a Helm repository as values
// files write it.
func sameImage(b AppBlock, ref imageref.Ref) bool {
	if b.Field == FieldKustomize {
		return ref.Deploys(b.Name)
	}
	return ref.Matches(b.Name)
}

func digestless(b AppBlock) *Error {
	return &Error{Kind: ErrRefused, Reason: fmt.Sprintf("%s has no digest next to its tag to write the digest to: add one (a NAME.digest parameter, a digest key)", b.Where)}
}

func mustEmbedded(src []byte, b AppBlock) string {
	s, _ := values.Embedded(src, b.Doc, b.Path)
	return s
}

// appFile is an Application manifest decoded once, read for many of its
// Applications and sources.
type appFile struct {
	src  []byte
	f    *values.File
	docs []*yaml.Node // the documents' roots
}

func readApps(src []byte) (*appFile, error) {
	f, err := values.Parse(src, "find images")
	if err != nil {
		return nil, err
	}
	return &appFile{src: src, f: f, docs: f.Roots()}, nil
}

// appSource is one source of one Application of an appFile: its
// document, the source's path and node, the Application's namespace and
// name, and the source's index.
type appSource struct {
	doc      int
	p        values.Path
	sn       *yaml.Node
	ns, name string
	index    int
}

// applicationSource finds the Application and its source: the document,
// the source's path and node.
func applicationSource(src []byte, app string, source int) (int, values.Path, *yaml.Node, error) {
	a, err := readApps(src)
	if err != nil {
		return 0, nil, nil, err
	}
	s, err := a.find(app, source)
	return s.doc, s.p, s.sn, err
}

// find finds the Application named app (any when app is "" and the file
// has one) and its source.
func (a *appFile) find(app string, source int) (appSource, error) {
	doc := -1
	var names []string
	for i, d := range a.docs {
		if d == nil || !isApplication(d) {
			continue
		}
		name := scalar(get(d, "metadata"), "name")
		names = append(names, name)
		if app != "" && name != app {
			continue
		}
		if doc >= 0 {
			return appSource{}, &Error{Kind: ErrAmbiguous, Line: d.Line, Reason: fmt.Sprintf(
				"the file has several Applications%s: name one", map[bool]string{true: " named " + app}[app != ""])}
		}
		doc = i
	}
	if doc < 0 {
		return appSource{}, &Error{Kind: ErrNoImage, Reason: fmt.Sprintf("no Application %q in the file (it has: %s)", app, strings.Join(names, ", "))}
	}
	return a.source(doc, source)
}

// source returns the source of the Application of document doc.
func (a *appFile) source(doc, source int) (appSource, error) {
	d := a.docs[doc]
	meta := get(d, "metadata")
	s := appSource{doc: doc, ns: scalar(meta, "namespace"), name: scalar(meta, "name"), index: source}
	spec := get(d, "spec")
	p := values.Path{{Key: "spec"}}
	if srcs := items(spec, "sources"); len(srcs) > 0 { // Argo CD uses sources when it has any
		if source < 0 || source >= len(srcs) {
			return appSource{}, &Error{Kind: ErrRefused, Reason: fmt.Sprintf("the Application has %d sources, not a source %d", len(srcs), source)}
		}
		s.p, s.sn = index(at(p, "sources"), source), srcs[source]
		return s, nil
	}
	if sn := get(spec, "source"); sn != nil && source == 0 {
		s.p, s.sn = at(p, "source"), sn
		return s, nil
	}
	return appSource{}, &Error{Kind: ErrRefused, Reason: fmt.Sprintf("the Application has no source %d", source)}
}

// ApplicationPlaces returns the block of src at each of places (see
// AppPlace), found by what it is: the one Application of that namespace
// and name, the parameter of that name, the key in valuesObject or in the
// text of helm.values, the kustomize.images string of that image. The
// block of a place src does not have (the Application, or the key, is not
// there) has no Field. The file is decoded once.
func ApplicationPlaces(src []byte, places []AppPlace) []AppBlock {
	out := make([]AppBlock, len(places))
	a, err := readApps(src)
	if err != nil {
		return out
	}
	type id struct {
		ns, name string
		source   int
	}
	seen := map[id][]AppBlock{}
	for i, pl := range places {
		doc := -1
		for j, d := range a.docs {
			if d == nil || !isApplication(d) || scalar(get(d, "metadata"), "name") != pl.App || scalar(get(d, "metadata"), "namespace") != pl.Namespace {
				continue
			}
			if doc >= 0 {
				doc = -2 // two Applications of that name: neither is it
				break
			}
			doc = j
		}
		if doc < 0 {
			continue
		}
		s, err := a.source(doc, pl.Source)
		if err != nil {
			continue
		}
		k := id{pl.Namespace, pl.App, pl.Source}
		blocks, ok := seen[k]
		if !ok {
			blocks, _ = a.images(s)
			seen[k] = blocks
		}
		at := slices.IndexFunc(blocks, func(b AppBlock) bool { return b.Place == pl })
		if at < 0 && pl.Field != FieldKustomize {
			more := a.byKeys(s, slices.Clone(blocks), []string{pl.Key})[len(blocks):]
			if j := slices.IndexFunc(more, func(b AppBlock) bool { return b.Place == pl }); j >= 0 {
				out[i] = more[j]
			}
			continue
		}
		if at >= 0 {
			out[i] = blocks[at]
		}
	}
	return out
}

// CheckRepositoryOverride refuses (ErrOtherImage) a bump of ref whose tag
// the value files set at one of keys (".image.tag") when the
// Application's source sets the repository or registry of that image
// block (image.repository, image.repo, image.name, image.registry) in a
// parameter, in valuesObject, or in helm.values when no valuesObject is
// set, to something that does not name ref: Argo CD would deploy that
// image with ref's tag. A repository override that names ref is fine; a
// registry override is accepted only with a repository override that
// names ref with it.
func CheckRepositoryOverride(src []byte, app string, source int, keys []string, ref imageref.Ref) error {
	doc, p, sn, err := applicationSource(src, app, source)
	if err != nil {
		return err
	}
	helm := get(sn, "helm")
	hp := at(p, "helm")
	params := map[string]string{}
	for _, it := range items(helm, "parameters") {
		params["."+scalar(it, "name")] = scalar(it, "value")
	}
	var text string
	if get(helm, "valuesObject") == nil {
		if v := get(helm, "values"); v != nil && v.Kind == yaml.ScalarNode && v.Value != "" {
			text, _ = values.Embedded(src, doc, at(hp, "values").String())
		}
	}
	// lookup returns what the source sets at key, with where, the last
	// field Argo CD applies winning.
	lookup := func(key string) (string, string, bool) {
		if v, ok := params[key]; ok {
			return v, "parameter " + key[1:], true
		}
		if get(helm, "valuesObject") != nil {
			if v, err := values.GetIn(src, doc, at(hp, "valuesObject").String()+key); err == nil {
				return v, FieldValuesObject + " " + key, true
			}
		}
		if text != "" {
			if v, err := values.Get([]byte(text), key); err == nil {
				return v, FieldValues + " " + key, true
			}
		}
		return "", "", false
	}
	for _, k := range keys {
		base, ok := strings.CutSuffix(k, ".tag")
		if !ok {
			continue
		}
		var repo, repoWhere string
		for _, rk := range []string{".repository", ".repo", ".name"} {
			if v, where, ok := lookup(base + rk); ok {
				repo, repoWhere = v, where
				break
			}
		}
		reg, regWhere, hasReg := lookup(base + ".registry")
		name, where := repo, repoWhere
		if hasReg {
			name, where = strings.TrimSuffix(reg, "/")+"/"+repo, regWhere
			if repo != "" {
				where = regWhere + " and " + repoWhere
			}
		}
		if (repo == "" && !hasReg) || (name != "" && repo != "" && ref.Matches(name)) {
			continue
		}
		return &Error{Kind: ErrOtherImage, Reason: fmt.Sprintf(
			"the value files set %s's tag at %s, but the Application's %s sets that image to %s: Argo CD would deploy it with the new tag, "+
				"so tagbump writes nothing; check --image, or fix the manifest", ref.Name(), k, where, name)}
	}
	return nil
}

// CheckKustomizeOverride refuses (ErrRefused) an edit of the
// kustomization kz for ref when a kustomize.images string of the
// Application's source (blocks) names, as the image the resources spell,
// the entry of kz that deploys ref: Argo CD runs "kustomize edit set
// image" with that string before the build, which sets the entry's tag
// over what kz says, so an edit of kz would deploy nothing.
func CheckKustomizeOverride(blocks []AppBlock, kz []byte, ref imageref.Ref) error {
	entries, err := KustomizeImages(kz)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if !ref.Deploys(e.Name) {
			continue
		}
		for _, b := range blocks {
			orig := b.Name
			if b.entry != "" {
				orig = stripRef(b.entry)
			}
			if b.Field == FieldKustomize && (orig == e.Entry || imageref.SameImage(orig, e.Entry)) {
				return &Error{Kind: ErrRefused, Line: e.line, Reason: fmt.Sprintf(
					"the Application's %s sets the image of %s over the kustomization's entry, so editing the kustomization would deploy nothing; "+
						"tagbump does not edit it: write the image's tag in the Application's kustomize.images (name=%s:TAG) by hand, or remove it there",
					b.Where, e.Where, ref.Name())}
			}
		}
	}
	return nil
}
