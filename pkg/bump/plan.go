package bump

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"text/template"
	"unicode"

	"github.com/tagbump/tagbump/pkg/chart"
	"github.com/tagbump/tagbump/pkg/gitrepo"
	"github.com/tagbump/tagbump/pkg/imageref"
	edit "github.com/tagbump/tagbump/pkg/target"
	"github.com/tagbump/tagbump/pkg/values"
)

// InputError reports a request that cannot be carried out as given.
type InputError struct {
	Field, Value, Problem string
}

func (e *InputError) Error() string {
	return fmt.Sprintf("invalid %s %q: %s", e.Field, e.Value, e.Problem)
}

// NoTargetError reports a values file in which tagbump found no key it may
// set for the image: no block names the image's repository (and .image
// names another one), or the blocks that do cannot be written (Problems).
// Images lists the image blocks the file has, read over the chart's
// values.yaml.
type NoTargetError struct {
	File       string
	Repository string
	Images     []values.Image
	// Problems says why blocks that name the repository cannot be set,
	// or that the file is empty.
	Problems []string
}

func (e *NoTargetError) Error() string {
	var b strings.Builder
	if len(e.Problems) > 0 {
		fmt.Fprintf(&b, "%s: cannot set the tag of %s: %s", e.File, e.Repository, strings.Join(e.Problems, "; "))
		return b.String()
	}
	fmt.Fprintf(&b, "%s: no image block with repository %s", e.File, e.Repository)
	if len(e.Images) == 0 {
		b.WriteString(" and no .image.tag; the file has no image blocks: name the key with --key")
		return b.String()
	}
	b.WriteString("; tagbump never writes a tag into a block that names another repository (check --image); the file has:")
	for _, im := range e.Images {
		if im.TagPath == "" {
			fmt.Fprintf(&b, "\n  %s  %s (no tag)", im.Path, im.Name())
		} else {
			fmt.Fprintf(&b, "\n  %s  %s", im.TagPath, displayImage(im))
		}
		if im.TagFromDefaults() {
			b.WriteString(" (tag in values.yaml)")
		}
	}
	b.WriteString("\ncheck --image against these repositories")
	return b.String()
}

// displayImage shows an image as NAME:TAG, with "(no repository)" for a
// block that names none.
func displayImage(im values.Image) string {
	name := im.Name()
	if name == "" {
		name = "(no repository)"
	}
	return name + ":" + im.Tag
}

// safeName is what a chart or environment name may look like: it becomes
// part of a path inside the repository.
var safeName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$`)

func (r *Request) validate() error {
	if err := r.validateTarget(); err != nil {
		return err
	}
	if r.Image.Tag == "" {
		return &InputError{"--image", r.Image.String(), "a tag is required"}
	}
	return nil
}

// validateTarget checks what every command that writes values files needs:
// repository, chart, environments, values file and attempts.
func (r *Request) validateTarget() error {
	if r.Repo == "" {
		return &InputError{"--repo", "", "a charts repository URL or path is required"}
	}
	if len(r.Apps) > 0 {
		if err := r.validateApps(); err != nil {
			return err
		}
		return r.validateRun()
	}
	tmpl := r.valuesTemplate()
	switch {
	case r.Chart == "" && strings.Contains(tmpl, "{chart}"):
		return &InputError{"--chart", "", "the values file template " + tmpl + " has {chart}: name the chart"}
	case r.Chart != "" && !safeName.MatchString(r.Chart):
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
	if err := r.validateRun(); err != nil {
		return err
	}
	for _, env := range r.Envs {
		if _, err := r.valuesPath(env); err != nil {
			return err
		}
	}
	return nil
}

// validateRun checks the attempts and the branch.
func (r *Request) validateRun() error {
	if r.MaxAttempts < 0 {
		return &InputError{"--max-attempts", fmt.Sprint(r.MaxAttempts), "use 1 or more"}
	}
	var bad *gitrepo.NameError
	if r.Branch != "" && errors.As(gitrepo.CheckBranch(r.Branch), &bad) {
		return &InputError{"--branch", r.Branch, bad.Reason}
	}
	return nil
}

// valuesTemplate is the values file template: ValuesFile or the default.
func (r *Request) valuesTemplate() string { return cmp.Or(r.ValuesFile, DefaultValuesFile) }

// valuesPath expands the values file template for env and checks that the
// result stays inside the repository.
func (r *Request) valuesPath(env string) (string, error) {
	tmpl := r.valuesTemplate()
	p := strings.NewReplacer("{chart}", r.Chart, "{env}", env).Replace(tmpl)
	clean := path.Clean(p)
	if p == "" || path.IsAbs(p) || clean != p || clean == ".." || strings.HasPrefix(clean, "../") || strings.Contains(p, "\\") {
		return "", &InputError{"--values-file", p, "must be a clean relative path inside the repository"}
	}
	var bad *gitrepo.NameError
	if errors.As(gitrepo.CheckPath(p), &bad) {
		return "", &InputError{"--values-file", p, bad.Reason}
	}
	return p, nil
}

// A planned edit: the new content of each file and what changed.
type planned struct {
	files    map[string][]byte
	changes  []FileChange
	diffs    []string
	req      *Request // the request the plan was made for, when not the caller's
	images   []string // Result.Images
	warnings []string // added to Result.Warnings
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
	// One request for every blob the plan reads.
	if err := snap.Prefetch(ctx, req.readPaths()...); err != nil {
		return nil, err
	}
	slots := req.slots()
	missed := map[string]error{} // Application → why a source of it had no block
	// "APP IMAGE" → an Application's source set the image ("APP *": all
	// of them), or why one could not.
	setBy, unset := map[string]bool{}, map[string]error{}
	for _, slot := range slots {
		if len(slot.chain) == 1 && p.has(slot.chain[0]) {
			continue // two envs mapped to one file
		}
		ch, err := slotChart(ctx, snap, slot)
		if err != nil {
			return nil, err
		}
		for _, w := range append(ch.Warnings, slot.warnings...) {
			if !slices.Contains(p.warnings, w) {
				p.warnings = append(p.warnings, w)
			}
		}
		var edits []*slotEdit
		if slot.embed != nil {
			var ae *appEdit
			if ae, err = req.editAppSlot(ctx, snap, slot, ch, p.files[slot.embed.manifest]); err == nil {
				edits = ae.edits
				for _, im := range ae.set {
					setBy[slot.app+" "+im] = true
				}
				for im, e := range ae.missing {
					unset[slot.app+" "+im] = cmp.Or(unset[slot.app+" "+im], e)
				}
			}
		} else {
			var e *slotEdit
			e, err = req.editSlot(ctx, snap, slot, ch)
			if e != nil {
				edits = []*slotEdit{e}
			}
		}
		var noTarget *NoTargetError
		if errors.As(err, &noTarget) && slot.app != "" && len(slots) > 1 {
			// An Application with several Helm sources: the image may
			// be in another's files.
			missed[slot.app] = cmp.Or(missed[slot.app], err)
			continue
		}
		if err == nil {
			err = fileParamOverride(slot, edits)
		}
		if err != nil {
			return nil, err
		}
		if slot.embed == nil {
			setBy[slot.app+" *"] = true // every image is set in the slot's file
		}
		p.addAll(edits)
	}
	for k, err := range unset {
		app, _, _ := strings.Cut(k, " ")
		if !setBy[k] && !setBy[app+" *"] {
			return nil, err
		}
	}
	for _, slot := range slots {
		if err := missed[slot.app]; err != nil && !slices.ContainsFunc(p.changes, func(c FileChange) bool { return c.App == slot.app }) {
			return nil, err
		}
	}
	return p, nil
}

// add records the edit of one file.
func (p *planned) add(file string, src, out []byte, changes []FileChange) {
	p.changes = append(p.changes, changes...)
	if string(out) != string(src) {
		p.files[file] = out
		p.diffs = append(p.diffs, values.Diff("a/"+file, "b/"+file, src, out))
	}
}

// addAll records the edits of an Application's source: its manifest may
// be edited again for another source (or another Application in it),
// over the first edit, and is then shown in one diff.
func (p *planned) addAll(edits []*slotEdit) {
	for _, e := range edits {
		switch {
		case e.over:
			p.changes = append(p.changes, e.changes...)
			p.files[e.file] = e.out
			i := slices.IndexFunc(p.diffs, func(d string) bool { return strings.HasPrefix(d, "--- a/"+e.file+"\n") })
			p.diffs[i] = values.Diff("a/"+e.file, "b/"+e.file, e.src, e.out)
		case !p.has(e.file):
			p.add(e.file, e.src, e.out, e.changes)
		}
	}
}

// slotChart loads the chart of slot, or, for a chart from a Helm
// repository, a chart whose values are out of reach.
func slotChart(ctx context.Context, snap *gitrepo.Snapshot, slot valuesSlot) (*chart.Chart, error) {
	if slot.chartDir == "" {
		return chart.FromValues("", nil), nil
	}
	return chart.Load(ctx, snapSource{snap}, slot.chartDir)
}

// has reports whether the plan changes or reports file already (a
// change it skipped, as a downgrade, does not count).
func (p *planned) has(file string) bool {
	_, done := p.files[file]
	return done || slices.ContainsFunc(p.changes, func(c FileChange) bool { return c.File == file && c.Skipped == "" })
}

// slotEdit is the edit of one slot's values file.
type slotEdit struct {
	file     string
	src, out []byte
	changes  []FileChange
	// over reports an edit made over the plan's earlier edit of file
	// (an Application's manifest edited for another source).
	over bool
}

// editSlot sets the image in the values file of slot that Helm takes it
// from: of the slot's value files, the last one that sets the image's tag
// (Helm merges them in order, the last wins); when none sets it but the
// chart's values do, the last file gets the override. A file that does
// not exist is skipped when the slot has several.
func (req *Request) editSlot(ctx context.Context, snap *gitrepo.Snapshot, slot valuesSlot, ch *chart.Chart) (*slotEdit, error) {
	var fallback *slotEdit
	var firstErr error
	for i := len(slot.chain) - 1; i >= 0; i-- {
		file := slot.chain[i]
		src, err := req.readValues(ctx, snap, file)
		if errors.Is(err, fs.ErrNotExist) {
			if slot.app != "" {
				if len(slot.chain) > 1 {
					continue
				}
				return nil, fmt.Errorf("%w: Application %s names it in its value files", err, slot.app)
			}
			return nil, req.missingValuesFile(snap, slot.env, err)
		}
		if err != nil {
			return nil, err
		}
		kind, ok := editsTarget(file, src)
		if slot.manifests && kind != edit.Manifest {
			// Argo CD applies every file of the directory as Kubernetes
			// objects: a values file there sets nothing.
			return nil, &NoTargetError{File: file, Repository: req.Image.Name(), Problems: []string{fmt.Sprintf(
				"Application %s deploys its directory as plain manifests (no Chart.yaml, no kustomization), and this file holds no Kubernetes objects", slot.app)}}
		}
		if ok {
			// A kustomization or plain manifests: pkg/target's editors.
			out, changes, err := editKind(ctx, snap, file, slot.env, kind, src, req)
			if err != nil {
				return nil, err
			}
			for j := range changes {
				changes[j].App = slot.app
			}
			return &slotEdit{file: file, src: src, out: out, changes: changes}, nil
		}
		c := ch
		if defaultsPath(file) == file && slot.chartDir != "" {
			alone := *ch
			alone.Values = nil // the file is the chart's values.yaml: it is read alone
			c = &alone
		}
		out, changes, err := editImages(file, slot.env, src, c, req)
		var noTarget *NoTargetError
		if i > 0 && errors.As(err, &noTarget) {
			firstErr = cmp.Or(firstErr, err)
			continue // an earlier file may set it
		}
		if err != nil {
			return nil, cmp.Or(firstErr, err)
		}
		for j := range changes {
			changes[j].App = slot.app
		}
		e := &slotEdit{file: file, src: src, out: out, changes: changes}
		if i > 0 && slices.ContainsFunc(changes, func(c FileChange) bool { return c.Created }) {
			// The file does not set the tag: an earlier one may.
			fallback = cmp.Or(fallback, e)
			continue
		}
		return e, nil
	}
	if fallback != nil {
		return fallback, nil
	}
	return nil, firstErr
}

// readPaths are the files a plan reads: each values file, and the chart's
// values.yaml, Chart.yaml and requirements.yaml next to it.
func (r *Request) readPaths() []string {
	if len(r.Apps) > 0 {
		return appReadPaths(r.appSlots)
	}
	var files []string
	for _, env := range r.Envs {
		file, _ := r.valuesPath(env)
		files = append(files, file)
		files = append(files, chart.Files(path.Dir(file))...)
	}
	return files
}

// snapSource reads a chart from a snapshot.
type snapSource struct{ snap *gitrepo.Snapshot }

// ReadFile reads p; a symlink, submodule or directory there reads as
// missing: it holds no values tagbump can read.
func (s snapSource) ReadFile(ctx context.Context, p string) ([]byte, error) {
	b, err := s.snap.ReadFile(ctx, p)
	if errors.Is(err, gitrepo.ErrNotRegular) {
		return nil, fmt.Errorf("%w: %w", fs.ErrNotExist, err)
	}
	return b, tooLarge(err)
}

func (s snapSource) Prefetch(ctx context.Context, paths ...string) error {
	return tooLarge(s.snap.Prefetch(ctx, paths...))
}

// tooLarge makes a file too large to read match chart.ErrTooLarge too.
func tooLarge(err error) error {
	if errors.Is(err, gitrepo.ErrTooLarge) && !errors.Is(err, chart.ErrTooLarge) {
		return fmt.Errorf("%w (%w)", err, chart.ErrTooLarge)
	}
	return err
}

func (s snapSource) List(p string) (dirs, files []string, err error) {
	es, err := s.snap.ReadDir(p)
	for _, e := range es {
		if e.Dir {
			dirs = append(dirs, e.Name)
		} else {
			files = append(files, e.Name)
		}
	}
	return dirs, files, err
}

// defaultsPath is the chart's values.yaml for a values file: the
// values.yaml next to it, which Helm reads under it.
func defaultsPath(file string) string {
	return path.Join(path.Dir(file), "values.yaml")
}

// target is one scalar to set and how to compute its new value.
type target struct {
	key   string
	image *values.Image // nil for a plain --key or .image.tag
	off   *chart.Switch // what keeps the block from being rendered, when it is not
	// create adds the key, which only the chart's values define; def
	// is the value there.
	create bool
	def    string
}

// editFile sets the image in one file's source; defaults is the chart's
// values.yaml (nil when there is none), read only to identify blocks.
func editFile(file, env string, src, defaults []byte, req *Request) ([]byte, []FileChange, error) {
	return editIn(file, env, src, chart.FromValues(defaultsPath(file), defaults), req)
}

// editIn sets the image in one file's source, read over the chart ch's
// values (its values.yaml and its subcharts') to identify blocks and to
// tell those the chart does not render.
func editIn(file, env string, src []byte, ch *chart.Chart, req *Request) ([]byte, []FileChange, error) {
	if empty(src) {
		return nil, nil, &NoTargetError{File: file, Repository: req.Image.Name(), Problems: []string{
			"the file is empty (no YAML, only blank lines or comments): add the image's block to it, or check --env and --values-file"}}
	}
	if out, changes, ok, err := editAppKeys(file, env, src, req); ok {
		return out, changes, err
	}
	targets, err := targets(file, src, ch, req)
	if err != nil {
		return nil, nil, err
	}
	var changes []FileChange
	out := src
	for _, t := range targets {
		if t.off != nil {
			old, _ := values.Get(out, t.key)
			changes = append(changes, FileChange{File: file, Env: env, Key: t.key, Old: old, New: req.Image.Tag, Kept: old,
				Skipped: "not rendered: " + t.off.String() + " (--allow-disabled writes it anyway)"})
			continue
		}
		old, err := values.Get(out, t.key)
		if t.create && errors.Is(err, values.ErrNotFound) {
			old, err = t.def, nil
		} else {
			t.create = false
		}
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", file, err)
		}
		oldTag, newVal := old, req.Image.Tag
		if t.image != nil && t.image.Form == values.FormString {
			oldTag = t.image.Tag
			repo := t.image.Repository
			if req.setRepository {
				repo = req.Image.Name()
			}
			newVal = repo + ":" + req.Image.Tag
			if req.WriteDigest && req.digest != "" && (!req.soft || req.exactDigest || t.image.Digest != "") {
				newVal += "@" + req.digest
			}
		}
		c := FileChange{File: file, Env: env, Key: t.key, Old: old, New: newVal, Created: t.create}
		if guard := downgrade(oldTag, req.Image.Tag); guard != "" && !req.AllowDowngrade {
			c.Kept, c.Skipped = old, guard
			changes = append(changes, c)
			continue
		}
		if pinned := pinnedDigest(out, t, req); pinned != "" {
			return nil, nil, &PinnedDigestError{File: file, Repository: req.Image.Name(), Reason: pinned}
		}
		if t.create {
			out, err = values.Create(out, t.key, newVal)
		} else {
			out, c.AlsoChanges, err = values.SetShared(out, t.key, newVal)
		}
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", file, err)
		}
		changes = append(changes, c)
		if req.WriteDigest && (t.image == nil || t.image.Form != values.FormString) {
			dkey := blockDigest(out, t)
			if req.DigestKey != "" && (t.image == nil || t.image.DigestPath == "") {
				dkey = req.DigestKey
			}
			createDigest := false
			if dkey == "" && t.create && t.image != nil && slices.Contains(t.image.Defaults, "digest") {
				dkey, createDigest = siblingKey(t.key, "digest"), true
			}
			if dkey == "" && req.soft {
				continue // a rollback or promote writes digests only where there are some
			}
			if dkey == "" {
				return nil, nil, &InputError{"--digest", file, "the image block at " + t.key + " has no digest key: name one with --digest-key"}
			}
			oldDigest, err := values.Get(out, dkey)
			if createDigest && errors.Is(err, values.ErrNotFound) {
				oldDigest, err = t.image.Digest, nil
			} else {
				createDigest = false
			}
			if err != nil {
				return nil, nil, fmt.Errorf("%s: %w", file, err)
			}
			if req.digest == "" && (!req.soft || unset(oldDigest)) {
				continue // nothing pinned, nothing to clear
			}
			dc := FileChange{File: file, Env: env, Key: dkey, Old: oldDigest, New: req.digest, Created: createDigest}
			if createDigest {
				out, err = values.Create(out, dkey, req.digest)
			} else {
				out, dc.AlsoChanges, err = values.SetShared(out, dkey, req.digest)
			}
			if err != nil {
				return nil, nil, fmt.Errorf("%s: %w", file, err)
			}
			changes = append(changes, dc)
		}
	}
	return out, changes, nil
}

// unset reports whether a scalar as values.Get returns it holds no value.
func unset(v string) bool { return v == "" || v == "null" || v == "~" }

// empty reports whether src holds no YAML: nothing, blank lines, comments.
func empty(src []byte) bool {
	for _, line := range strings.Split(string(src), "\n") {
		line = strings.TrimSpace(strings.TrimPrefix(line, "\uFEFF"))
		if line != "" && !strings.HasPrefix(line, "#") && line != "---" && line != "..." {
			return false
		}
	}
	return true
}

// targets decides which keys of a file to set for image: keys (--key) when
// given, else the image blocks that name the image's repository (read over the chart's
// defaults), else .image.tag when .image names no repository at all. It
// never picks a block that names another repository.
func targets(file string, src []byte, ch *chart.Chart, req *Request) ([]target, error) {
	keys, image := req.Keys, req.Image
	defaults, err := ch.Defaults()
	if err != nil {
		return nil, err
	}
	images, err := values.FindImagesWithDefaults(src, defaults)
	if err != nil && len(keys) > 0 {
		// A values.yaml tagbump cannot read does not stop a key the
		// user named: the file alone says what is there.
		images, err = values.FindImages(src)
	}
	if err != nil {
		return nil, fmt.Errorf("%s (over %s): %w", file, defaultsPath(file), err)
	}
	if len(keys) > 0 {
		return keyTargets(file, src, defaults, images, req)
	}
	noTarget := &NoTargetError{File: file, Repository: image.Name(), Images: images}
	var ts []target
	for i := range images {
		im := &images[i]
		if !image.Matches(im.Name()) {
			continue
		}
		if im.TagPath != "" && im.TagFromDefaults() && !req.NoCreate {
			ts = append(ts, target{key: im.TagPath, image: im, create: true, def: im.Tag})
			continue
		}
		if p := unwritable(file, im); p != "" {
			noTarget.Problems = append(noTarget.Problems, p)
			continue
		}
		ts = append(ts, target{key: im.TagPath, image: im})
	}
	switch {
	case len(noTarget.Problems) > 0:
		return nil, noTarget
	case len(ts) > 0:
		return rendered(file, src, ch, ts, req)
	}
	// No block names the repository: .image.tag, when .image names none.
	for i := range images {
		im := &images[i]
		if im.Path != ".image" || im.Form != values.FormMap || im.Name() != "" {
			continue
		}
		t := target{key: im.TagPath, image: &values.Image{Path: im.Path}}
		if im.TagPath != "" && im.TagFromDefaults() && !req.NoCreate {
			t.create, t.def = true, im.Tag
		} else if p := unwritable(file, im); p != "" {
			noTarget.Problems = append(noTarget.Problems, p)
			return nil, noTarget
		}
		return rendered(file, src, ch, []target{t}, req)
	}
	return nil, noTarget
}

// rendered marks the targets whose block the chart does not render with
// src over its values (an enabled: false on the way, a subchart switched
// off), unless req.AllowDisabled; when none is rendered, it refuses with a
// DisabledError, unless req.skipDisabled.
func rendered(file string, src []byte, ch *chart.Chart, ts []target, req *Request) ([]target, error) {
	if req.AllowDisabled {
		return ts, nil
	}
	off := &DisabledError{File: file, Repository: req.Image.Name()}
	for i := range ts {
		p, err := values.ParsePath(ts[i].image.Path)
		if err != nil {
			continue
		}
		sw, err := ch.Disabled(file, src, p)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		if sw != nil {
			ts[i].off = sw
			off.Blocks = append(off.Blocks, ts[i].key+": "+sw.String())
		}
	}
	if len(off.Blocks) == len(ts) && !req.skipDisabled {
		return nil, off
	}
	return ts, nil
}

// DisabledError reports that every block that names the image's
// repository is one the chart does not render with the merged values: an
// edit there would deploy nothing.
type DisabledError struct {
	File, Repository string
	// Blocks names each block's tag and the switch that turns it off,
	// and the file that sets the switch.
	Blocks []string
}

func (e *DisabledError) Error() string {
	return fmt.Sprintf("%s: refused to set the tag of %s: the chart does not render it, so the edit would deploy nothing:\n  %s\n"+
		"turn the feature on, or pass --allow-disabled to write the tag anyway (pre-staging a version)",
		e.File, e.Repository, strings.Join(e.Blocks, "\n  "))
}

// PinnedDigestError reports an image block found by its repository that
// pins a digest, asked to take a new tag without --digest: the chart
// deploys the digest, so the tag alone would deploy nothing new. It is a
// refusal by policy, not a missing target.
type PinnedDigestError struct {
	File, Repository string
	Reason           string // what is pinned where, and the way out
}

func (e *PinnedDigestError) Error() string {
	return fmt.Sprintf("%s: refused to set the tag of %s: %s", e.File, e.Repository, e.Reason)
}

// KeyRepositoryError reports a --key whose value, or the image block it
// sits in, names another repository than the image being set.
type KeyRepositoryError struct {
	File, Key string
	// Repository is the one the file names there, Image the one asked
	// for.
	Repository, Image string
}

func (e *KeyRepositoryError) Error() string {
	return fmt.Sprintf("%s: refused: --key %s is in an image that names %s, not %s: tagbump never writes a tag into another repository's image; "+
		"check --key and --image, or pass --key-other-repository if that key deploys %s under another name (a mirror), which keeps %s and sets only the tag",
		e.File, e.Key, e.Repository, e.Image, e.Image, e.Repository)
}

// keyTargets returns the targets of the keys a request names (--key). A key
// that holds a whole reference ("repo:tag", "repo@digest", with a registry
// port or not) keeps its form, and only its tag (and digest) change; a key
// in, or holding, an image that names another repository than req.Image is
// refused unless req.KeyOtherRepository. images are the file's images read
// over the chart's defaults, as Helm merges them.
func keyTargets(file string, src, defaults []byte, images []values.Image, req *Request) ([]target, error) {
	ts := make([]target, len(req.Keys))
	for i, k := range req.Keys {
		// One spelling of a path (".a.b" for "a.b" or `.["a"].b`), as
		// detection, history and the rollback guard write it.
		if p, err := values.ParsePath(k); err == nil {
			k = p.String()
		}
		ts[i] = target{key: k}
		if _, err := values.Get(src, k); errors.Is(err, values.ErrNotFound) {
			// Only a key the chart's values define is added, as the
			// chart reads it; any other is a typo.
			def, derr := values.Get(defaults, k)
			if derr != nil || req.NoCreate {
				return nil, &NoTargetError{File: file, Repository: req.Image.Name(), Problems: []string{missingKey(k, src, defaults, req.NoCreate && derr == nil)}}
			}
			ts[i].create, ts[i].def = true, def
		}
		for j := range images {
			if im := &images[j]; im.TagPath == k || im.Path == k && im.Form == values.FormString {
				ts[i].image = im
				break
			}
		}
		if ts[i].image == nil {
			// A reference under a key detection does not know: a tag
			// never holds ':', '/' or '@', so such a value is one.
			if v, err := values.Get(src, k); err == nil && strings.ContainsAny(v, ":/@") {
				im := values.Image{Path: k, TagPath: k, Form: values.FormString}
				im.Repository, im.Tag, im.Digest = imageref.Split(v)
				ts[i].image = &im
			}
		}
		im := ts[i].image
		if im == nil {
			continue
		}
		if im.Form == values.FormString && im.Tag == "" && im.Digest == "" {
			return nil, &NoTargetError{File: file, Repository: req.Image.Name(), Problems: []string{
				fmt.Sprintf("--key %s holds %s, a repository without a tag, and tagbump does not add one: name the key that holds the tag", k, im.Repository)}}
		}
		if name := im.Name(); name != "" && req.Image.Repository != "" && !req.Image.Matches(name) && !req.KeyOtherRepository {
			return nil, &KeyRepositoryError{File: file, Key: k, Repository: name, Image: req.Image.Name()}
		}
	}
	return ts, nil
}

// missingKey says that --key k is in neither the file nor the chart's
// values (or, with noCreate, only in the chart's), naming the nearest paths
// that are.
func missingKey(k string, src, defaults []byte, noCreate bool) string {
	if noCreate {
		return fmt.Sprintf("--key %s is only in the chart's values, and --no-create keeps tagbump from adding it: add it, or leave out --no-create", k)
	}
	msg := fmt.Sprintf("--key %s not found: it is in neither the file nor the chart's values, and tagbump adds only keys the chart reads: check --key", k)
	if near := nearest(k, src, defaults); len(near) > 0 {
		msg += "; the nearest defined paths are " + strings.Join(near, ", ")
	}
	return msg
}

// nearest lists the paths under the deepest mapping on k's path that the
// file or the chart's values have (at most 8).
func nearest(k string, srcs ...[]byte) []string {
	p, err := values.ParsePath(k)
	if err != nil {
		return nil
	}
	for n := len(p) - 1; n >= 0; n-- {
		var out []string
		for _, src := range srcs {
			for _, key := range values.Keys(src, p[:n]) {
				if q := append(append(values.Path{}, p[:n]...), values.Segment{Key: key}).String(); !slices.Contains(out, q) && len(out) < 8 {
					out = append(out, q)
				}
			}
		}
		if len(out) > 0 {
			return out
		}
	}
	return nil
}

// siblingKey is the path of the key name next to the one at key.
func siblingKey(key, name string) string {
	p, err := values.ParsePath(key)
	if err != nil || len(p) == 0 {
		return ""
	}
	return append(p[:len(p)-1:len(p)-1], values.Segment{Key: name}).String()
}

// unwritable says why the tag of image block im cannot be set in file, or
// returns "".
func unwritable(file string, im *values.Image) string {
	switch {
	case im.TagPath == "":
		return fmt.Sprintf("%s names %s without a tag, and tagbump does not add one (the chart may add its own): "+
			"write the tag there (%s:TAG, or a tag key) or name the key with --key", im.Path, im.Name(), im.Name())
	case im.TagFromDefaults():
		return fmt.Sprintf("the tag %s is only in the chart's values (%s), and --no-create keeps tagbump from adding it to %s: add the key %s to %s, or leave out --no-create",
			im.TagPath, defaultsPath(file), file, im.TagPath, file)
	}
	return ""
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
	if p.req != nil {
		req = p.req
	}
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
		"Chart":  req.chartName(),
		"Env":    strings.Join(p.changedEnvs(), ","),
		"App":    strings.Join(p.changedApps(), ","),
		"Image":  req.Image.String(),
		"Tag":    req.Image.Tag,
		"OldTag": inert(oldTag),
		"Digest": req.digest,
		"Tags":   req.tagList(),
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
			fmt.Fprintf(&b, "- %s %s: kept %s (%s)\n", c.File, c.Key, display(c.Old), c.Skipped)
			continue
		}
		created := ""
		if c.Created {
			created = " (created)"
		}
		fmt.Fprintf(&b, "- %s %s: %s → %s%s\n", c.File, c.Key, display(c.Old), c.New, created)
		for _, a := range c.AlsoChanges {
			fmt.Fprintf(&b, "  also %s\n", a)
		}
	}
	trailers := append(req.digestTrailers(), req.Trailers...)
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
	return inert(v)
}

// inert returns v, quoted when it holds a control character: a value
// from a file may hold line breaks, which would add lines (a trailer,
// "Closes #12") to the commit message.
func inert(v string) string {
	if strings.ContainsFunc(v, unicode.IsControl) {
		return strconv.Quote(v)
	}
	return v
}

// pinnedDigest says why the tag of a block found by its repository cannot
// be set alone: the block pins a digest, which charts deploy instead of
// the tag (Bitnami's image.digest "overrides the tag"), so the new tag
// would deploy nothing new. "" when the block pins none, when --digest
// writes the new one, or when --key names the tag explicitly.
func pinnedDigest(src []byte, t target, req *Request) string {
	if req.WriteDigest || req.soft || len(req.Keys) > 0 || t.image == nil || t.image.Form == values.FormString {
		return ""
	}
	dkey := blockDigest(src, t)
	if dkey == "" && t.image.Digest != "" && slices.Contains(t.image.Defaults, "digest") {
		return fmt.Sprintf("the chart's values pin digest %s next to %s, which charts deploy instead of the tag, so a new tag alone would change nothing: pass --digest to write the new image's digest too, or --key %s to set only the tag", t.image.Digest, t.key, t.key)
	}
	if dkey == "" {
		return ""
	}
	d, err := values.Get(src, dkey)
	if err != nil || d == "" || d == "null" || d == "~" {
		return ""
	}
	return fmt.Sprintf("the block pins digest %s at %s, which charts deploy instead of the tag, so a new tag alone would change nothing: pass --digest to write the new image's digest too, or --key %s to set only the tag", d, dkey, t.key)
}

// blockDigest returns the path of the digest of t's block: the one its
// layout names, else a "digest" key next to the tag; "" when there is none.
func blockDigest(src []byte, t target) string {
	if t.image != nil && t.image.DigestPath != "" {
		return t.image.DigestPath
	}
	return siblingDigest(src, t.key)
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
