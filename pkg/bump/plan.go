package bump

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strings"
	"text/template"

	"github.com/tagbump/tagbump/internal/diff"
	"github.com/tagbump/tagbump/pkg/gitrepo"
	"github.com/tagbump/tagbump/pkg/imageref"
	"github.com/tagbump/tagbump/pkg/values"
)

// InputError reports a request that cannot be carried out as given.
type InputError struct {
	Field, Value, Problem string
}

func (e *InputError) Error() string {
	return fmt.Sprintf("invalid %s %q: %s", e.Field, e.Value, e.Problem)
}

// NoTargetError reports a values file in which no key for the image was
// found; Images lists the image blocks the file does have.
type NoTargetError struct {
	File       string
	Repository string
	Images     []values.Image
}

func (e *NoTargetError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: no image block with repository %s and no .image.tag", e.File, e.Repository)
	if len(e.Images) == 0 {
		b.WriteString("; the file has no image blocks: name the key with --key")
		return b.String()
	}
	b.WriteString("; the file has:")
	for _, im := range e.Images {
		fmt.Fprintf(&b, "\n  %s  %s:%s", im.TagPath, imageName(im), im.Tag)
	}
	b.WriteString("\nname the key with --key PATH")
	return b.String()
}

// safeName is what a chart or environment name may look like: it becomes
// part of a path inside the repository.
var safeName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$`)

func (r *Request) validate() error {
	if r.Repo == "" {
		return &InputError{"--repo", "", "a charts repository URL or path is required"}
	}
	if !safeName.MatchString(r.Chart) {
		return &InputError{"--chart", r.Chart, "use letters, digits, '.', '_' and '-' (at most 63, no path separators)"}
	}
	if len(r.Envs) == 0 {
		return &InputError{"--env", "", "at least one environment is required"}
	}
	for _, e := range r.Envs {
		if !safeName.MatchString(e) {
			return &InputError{"--env", e, "use letters, digits, '.', '_' and '-' (at most 63, no path separators or spaces)"}
		}
	}
	if r.Image.Tag == "" {
		return &InputError{"--image", r.Image.String(), "a tag is required"}
	}
	if r.MaxAttempts < 0 {
		return &InputError{"--max-attempts", fmt.Sprint(r.MaxAttempts), "use 1 or more"}
	}
	for _, env := range r.Envs {
		if _, err := r.valuesPath(env); err != nil {
			return err
		}
	}
	return nil
}

// valuesPath expands the values file template for env and checks that the
// result stays inside the repository.
func (r *Request) valuesPath(env string) (string, error) {
	tmpl := r.ValuesFile
	if tmpl == "" {
		tmpl = DefaultValuesFile
	}
	p := strings.NewReplacer("{chart}", r.Chart, "{env}", env).Replace(tmpl)
	clean := path.Clean(p)
	if p == "" || path.IsAbs(p) || clean != p || clean == ".." || strings.HasPrefix(clean, "../") || strings.Contains(p, "\\") {
		return "", &InputError{"--values-file", p, "must be a clean relative path inside the repository"}
	}
	return p, nil
}

// A planned edit: the new content of each file and what changed.
type planned struct {
	files   map[string][]byte
	changes []FileChange
	diffs   []string
}

func (p *planned) outcome() string {
	if len(p.files) > 0 {
		return Changed
	}
	for _, c := range p.changes {
		if c.Skipped != "" {
			return Skipped
		}
	}
	return Unchanged
}

// changedEnvs lists, in request order, the environments whose file changes.
func (p *planned) changedEnvs() []string {
	var envs []string
	for _, c := range p.changes {
		if _, changed := p.files[c.File]; changed && c.Skipped == "" && !slices.Contains(envs, c.Env) {
			envs = append(envs, c.Env)
		}
	}
	return envs
}

func (p *planned) diff() string { return strings.Join(p.diffs, "") }

// plan reads each values file at the snapshot and sets the image there.
// It is redone from scratch on every attempt: the bump is an intent, not a
// patch.
func plan(ctx context.Context, snap *gitrepo.Snapshot, req *Request) (*planned, error) {
	p := &planned{files: map[string][]byte{}}
	for _, env := range req.Envs {
		file, _ := req.valuesPath(env)
		if _, done := p.files[file]; done || slices.ContainsFunc(p.changes, func(c FileChange) bool { return c.File == file }) {
			continue // two envs mapped to one file
		}
		src, err := snap.ReadFile(ctx, file)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%w: check --chart, --env and --values-file", err)
		}
		if err != nil {
			return nil, err
		}
		out, changes, err := editFile(file, env, src, req)
		if err != nil {
			return nil, err
		}
		p.changes = append(p.changes, changes...)
		if string(out) != string(src) {
			p.files[file] = out
			p.diffs = append(p.diffs, diff.Unified("a/"+file, "b/"+file, src, out))
		}
	}
	return p, nil
}

// target is one scalar to set and how to compute its new value.
type target struct {
	key   string
	image *values.Image // nil for a plain --key or .image.tag
}

// editFile sets the image in one file's source.
func editFile(file, env string, src []byte, req *Request) ([]byte, []FileChange, error) {
	targets, err := targets(file, src, req)
	if err != nil {
		return nil, nil, err
	}
	var changes []FileChange
	out := src
	for _, t := range targets {
		old, err := values.Get(out, t.key)
		if errors.Is(err, values.ErrNotFound) && len(req.Keys) > 0 {
			return nil, nil, fmt.Errorf("%s: %w: check --key", file, err)
		}
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", file, err)
		}
		oldTag, newVal := old, req.Image.Tag
		if t.image != nil && t.image.Form == "string" {
			oldTag = t.image.Tag
			newVal = t.image.Repository + ":" + req.Image.Tag
			if req.WriteDigest {
				newVal += "@" + req.digest
			}
		}
		c := FileChange{File: file, Env: env, Key: t.key, Old: old, New: newVal}
		if guard := downgrade(oldTag, req.Image.Tag); guard != "" && !req.AllowDowngrade {
			c.New, c.Skipped = old, guard
			changes = append(changes, c)
			continue
		}
		if out, err = values.Set(out, t.key, newVal); err != nil {
			return nil, nil, fmt.Errorf("%s: %w", file, err)
		}
		changes = append(changes, c)
		if req.WriteDigest && (t.image == nil || t.image.Form != "string") {
			dkey := req.DigestKey
			if t.image != nil && t.image.DigestPath != "" {
				dkey = t.image.DigestPath
			}
			if dkey == "" {
				dkey = siblingDigest(out, t.key)
			}
			if dkey == "" {
				return nil, nil, &InputError{"--digest", file, "the image block at " + t.key + " has no digest key: name one with --digest-key"}
			}
			oldDigest, err := values.Get(out, dkey)
			if err != nil {
				return nil, nil, fmt.Errorf("%s: %w", file, err)
			}
			if out, err = values.Set(out, dkey, req.digest); err != nil {
				return nil, nil, fmt.Errorf("%s: %w", file, err)
			}
			changes = append(changes, FileChange{File: file, Env: env, Key: dkey, Old: oldDigest, New: req.digest})
		}
	}
	return out, changes, nil
}

// targets decides which keys of a file to set: --key when given, else the
// image blocks for the image's repository, else .image.tag.
func targets(file string, src []byte, req *Request) ([]target, error) {
	if len(req.Keys) > 0 {
		ts := make([]target, len(req.Keys))
		for i, k := range req.Keys {
			ts[i] = target{key: k}
		}
		return ts, nil
	}
	images, err := values.FindImages(src)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	var ts []target
	for i := range images {
		if sameRepository(images[i], req.Image) {
			ts = append(ts, target{key: images[i].TagPath, image: &images[i]})
		}
	}
	if len(ts) > 0 {
		return ts, nil
	}
	if _, err := values.Get(src, ".image.tag"); err == nil {
		return []target{{key: ".image.tag"}}, nil
	}
	return nil, &NoTargetError{File: file, Repository: req.Image.Registry + "/" + req.Image.Repository, Images: images}
}

// imageName is the repository an image block names, with its registry.
func imageName(im values.Image) string {
	if im.Registry != "" {
		return im.Registry + "/" + im.Repository
	}
	return im.Repository
}

// sameRepository reports whether an image block names ref's repository:
// with the registry written out, or as the path alone.
func sameRepository(im values.Image, ref imageref.Ref) bool {
	name := imageName(im)
	return name == ref.Registry+"/"+ref.Repository || (im.Registry == "" && name == ref.Repository)
}

// downgrade returns why newTag must not replace oldTag, or "".
func downgrade(oldTag, newTag string) string {
	if c, ok := imageref.Compare(oldTag, newTag); ok && c > 0 {
		return fmt.Sprintf("current tag %s is newer than %s", oldTag, newTag)
	}
	return ""
}

// message renders the commit message: subject, body and trailers.
func (p *planned) message(req *Request) (string, error) {
	tmpl := req.Message
	if tmpl == "" {
		tmpl = DefaultMessage
	}
	t, err := template.New("message").Option("missingkey=error").Parse(tmpl)
	if err != nil {
		return "", &InputError{"--message", tmpl, err.Error()}
	}
	var oldTag string
	for _, c := range p.changes {
		if c.Skipped == "" && oldTag == "" {
			oldTag = c.Old
		}
	}
	data := map[string]string{
		"Chart":  req.Chart,
		"Env":    strings.Join(p.changedEnvs(), ","),
		"Image":  req.Image.String(),
		"Tag":    req.Image.Tag,
		"OldTag": oldTag,
		"Digest": req.digest,
	}
	var b strings.Builder
	if err := t.Execute(&b, data); err != nil {
		return "", &InputError{"--message", tmpl, err.Error()}
	}
	subject := strings.TrimSpace(b.String())
	if subject == "" {
		return "", &InputError{"--message", tmpl, "renders an empty subject"}
	}
	if req.SkipCI {
		subject += " [skip ci]"
	}
	b.Reset()
	b.WriteString(subject)
	b.WriteString("\n\n")
	for _, c := range p.changes {
		if c.Skipped != "" {
			fmt.Fprintf(&b, "- %s %s: kept %s (%s)\n", c.File, c.Key, c.Old, c.Skipped)
			continue
		}
		fmt.Fprintf(&b, "- %s %s: %s → %s\n", c.File, c.Key, display(c.Old), c.New)
	}
	trailers := req.Trailers
	if req.digest != "" {
		trailers = append([]Trailer{{"Image-Digest", req.digest}}, trailers...)
	}
	if len(trailers) > 0 {
		b.WriteString("\n")
		for _, tr := range trailers {
			fmt.Fprintf(&b, "%s: %s\n", tr.Key, tr.Value)
		}
	}
	return b.String(), nil
}

func display(v string) string {
	if v == "" {
		return `""`
	}
	return v
}

// siblingDigest returns the path of a "digest" key next to the tag at key,
// or "" when there is none.
func siblingDigest(src []byte, key string) string {
	p, err := values.ParsePath(key)
	if err != nil || len(p) == 0 {
		return ""
	}
	d := append(p[:len(p)-1:len(p)-1], values.Segment{Key: "digest"}).String()
	if _, err := values.Get(src, d); err != nil {
		return ""
	}
	return d
}
