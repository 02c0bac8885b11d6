// Package target finds where an image's tag lives in the files of an Argo
// CD repository, per kind of file, and plans the byte-exact edit that sets
// it: a Kustomize kustomization's images, the containers of plain
// Kubernetes manifests, and an Application's helm.parameters,
// helm.valuesObject, helm.values and kustomize.images. Helm values files
// are pkg/values' own. Every edit goes through pkg/values, which changes
// the bytes of one scalar (or adds lines) and reads the result back. It
// does no I/O.
//
// Like a values file, a target never takes a tag for an image of another
// repository: an entry that names the image but deploys another one, an
// entry tagbump cannot read without guessing, or two entries that could
// both be meant are refused with an *Error.
package target

import (
	"bytes"
	"errors"
	"fmt"
	"path"
	"strings"

	"github.com/tagbump/tagbump/pkg/imageref"
	"github.com/tagbump/tagbump/pkg/values"
)

// Kind is the kind of a file as far as image tags go.
type Kind int

// Kinds of file.
const (
	// HelmValues is a Helm values file, or any YAML that is none of the
	// others: pkg/values edits it.
	HelmValues Kind = iota
	// Kustomization is a kustomization.yaml, kustomization.yml or
	// Kustomization file.
	Kustomization
	// Manifest is a file of Kubernetes objects (apiVersion, kind and
	// metadata at the top of each document) other than Argo CD
	// Applications.
	Manifest
	// Application is a file with at least one Argo CD Application.
	Application
)

func (k Kind) String() string {
	switch k {
	case Kustomization:
		return "kustomization"
	case Manifest:
		return "manifest"
	case Application:
		return "application"
	}
	return "helm values"
}

// Detect tells the kind of the file at path (slash-separated) from its
// name and, for other names, its content: a document with apiVersion
// argoproj.io/v1alpha1 and kind Application makes an Application file,
// documents that all have apiVersion, kind and metadata a Manifest;
// anything else (a values file, even one with top-level kind and
// apiVersion keys, YAML that does not parse) is HelmValues.
func Detect(path string, src []byte) Kind {
	switch pathBase(path) {
	case "kustomization.yaml", "kustomization.yml", "Kustomization":
		return Kustomization
	}
	// Most values files have neither key: they are not parsed here.
	if !bytes.Contains(src, []byte("apiVersion")) || !bytes.Contains(src, []byte("kind")) {
		return HelmValues
	}
	docs, err := documents(src)
	if err != nil || len(docs) == 0 {
		return HelmValues
	}
	objects := 0
	for _, d := range docs {
		switch {
		case d == nil:
		case isApplication(d):
			return Application
		case scalar(d, "apiVersion") != "" && scalar(d, "kind") != "" && get(d, "metadata") != nil:
			objects++
		}
	}
	if objects > 0 && objects == nonEmpty(docs) {
		return Manifest
	}
	return HelmValues
}

func pathBase(p string) string { return path.Base(strings.ReplaceAll(p, "\\", "/")) }

// Block is one place an image's tag is written.
type Block struct {
	// Doc is the document (0-based) of a file of several.
	Doc int
	// Path is the scalar that holds the tag (Form values.FormMap: a
	// kustomization's newTag, a parameter's value) or the whole reference
	// (values.FormString: a container's image, "repo:tag@digest").
	Path string
	// Form is values.FormMap or values.FormString.
	Form string
	// Name is the repository the block deploys, as written (a
	// kustomization entry's newName when it has one).
	Name string
	// Tag and Digest are the block's, "" where it has none.
	Tag, Digest string
	// DigestPath is the scalar of the digest for a FormMap block that has
	// one, else "".
	DigestPath string
	// Where says what the block is, for messages: "Deployment web,
	// container api" or "images[0] (name api)".
	Where string
}

// Key is the block's Path, followed by " (document N)" for a document
// other than the first: one name per block of a file.
func (b Block) Key() string { return key(b.Doc, b.Path) }

func key(doc int, p string) string {
	if doc == 0 {
		return p
	}
	return fmt.Sprintf("%s (document %d)", p, doc+1)
}

// Change is one scalar an edit sets.
type Change struct {
	Doc  int
	Path string
	// Old is the scalar's value before (the default it had, for one
	// added), New the one written.
	Old, New string
	// OldTag is the tag before, when Old holds more than the tag (a
	// whole reference), else Old.
	OldTag string
	// Created reports a scalar (or entry) the file did not have.
	Created bool
}

// Key is the change's Path named as Block.Key names it.
func (c Change) Key() string { return key(c.Doc, c.Path) }

// Kinds of Error, for errors.Is.
var (
	// ErrNoImage means no block of the file names the image.
	ErrNoImage = errors.New("no block names the image")
	// ErrOtherImage means the place the tag would go deploys another
	// repository (a kustomization entry renamed to another image).
	ErrOtherImage = errors.New("another image")
	// ErrPinned means the block pins a digest and no new one was given:
	// the tag alone would deploy nothing new.
	ErrPinned = errors.New("digest pinned")
	// ErrAmbiguous means several places could be meant and tagbump would
	// have to guess.
	ErrAmbiguous = errors.New("ambiguous")
	// ErrRefused means the edit cannot be made exactly (a form tagbump
	// does not read, a value it cannot verify).
	ErrRefused = errors.New("refused")
)

// Error is a refusal of Find or Set. It wraps a *values.Error where one is
// the cause.
type Error struct {
	Kind   error // ErrNoImage, ErrOtherImage, ErrPinned, ErrAmbiguous or ErrRefused
	Line   int   // 1-based line of the offending entry, or 0
	Reason string
	// Blocks are the file's image blocks, for ErrNoImage.
	Blocks []Block
	Err    error
}

// Error returns "line L: reason: cause".
func (e *Error) Error() string {
	s := e.Reason
	if e.Line > 0 {
		s = fmt.Sprintf("line %d: %s", e.Line, s)
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Is reports whether target is the Kind of e.
func (e *Error) Is(target error) bool { return target == e.Kind }

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// noImage lists the blocks a file has for an ErrNoImage.
func noImage(ref imageref.Ref, what string, blocks []Block) *Error {
	var b strings.Builder
	fmt.Fprintf(&b, "no %s names %s", what, ref.Name())
	if len(blocks) > 0 {
		b.WriteString("; the file has:")
		for _, bl := range blocks {
			fmt.Fprintf(&b, "\n  %s  %s", bl.Key(), display(bl))
		}
	}
	return &Error{Kind: ErrNoImage, Reason: b.String(), Blocks: blocks}
}

func display(b Block) string {
	s := b.Name
	if b.Tag != "" {
		s += ":" + b.Tag
	}
	if b.Digest != "" {
		s += "@" + b.Digest
	}
	if b.Where != "" {
		s += " (" + b.Where + ")"
	}
	return s
}

// reference joins a repository, tag and digest as a reference.
func reference(repo, tag, digest string) string {
	s := repo
	if tag != "" {
		s += ":" + tag
	}
	if digest != "" {
		s += "@" + digest
	}
	return s
}

// setScalar sets the scalar at p in document doc and records the change.
func setScalar(src []byte, doc int, p, value string, changes *[]Change, oldTag string) ([]byte, error) {
	old, err := values.GetIn(src, doc, p)
	if err != nil {
		return nil, err
	}
	out, err := values.SetIn(src, doc, p, value)
	if err != nil {
		return nil, err
	}
	*changes = append(*changes, Change{Doc: doc, Path: p, Old: old, New: value, OldTag: oldTag})
	return out, nil
}
