package bump

import (
	"context"
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/tagbump/tagbump/pkg/gitrepo"
	"github.com/tagbump/tagbump/pkg/render"
)

// RenderCheck asks that each commit be proven with the real renderer
// before it is made (--render-check): see package render.
type RenderCheck struct {
	Helm render.Helm
	// Timeout bounds each chart's check (the renders and a dependency
	// build); 0: none but the run's.
	Timeout time.Duration
}

// RenderRefusedError is a render that does not prove the commit: nothing
// was committed.
type RenderRefusedError struct{ *render.RefusedError }

// renderCheck proves the edit of each changed values file (files, the
// commit's content) against the same file as the plan read it, with the
// chart of the directory the file sits in. The proofs go into res and the
// commit's trailers.
func (r *Request) renderCheck(ctx context.Context, snap *gitrepo.Snapshot, preq *Request, files map[string][]byte, res *Result) error {
	res.RenderChecks = nil
	for _, f := range slices.Sorted(maps.Keys(files)) {
		if kind, ok := editsTarget(f, files[f]); ok {
			return &InputError{"--render-check", f, "is a " + kind.String() + ": the render check runs helm template on charts only so far; leave out --render-check"}
		}
		chart := path.Dir(f)
		tree, err := snap.ReadTree(ctx, chart)
		if err != nil {
			return fmt.Errorf("render check: read the chart %s: %w", chart, err)
		}
		before, err := r.readValues(ctx, snap, f)
		if err != nil {
			return err
		}
		in := render.Input{
			Chart: chart, Files: tree, ValueFiles: []string{f},
			Before: map[string][]byte{f: before}, After: map[string][]byte{f: files[f]},
			Images: renderImages(preq, res.Files, f),
		}
		proof, err := r.Render.check(ctx, in)
		if refused, ok := err.(*render.RefusedError); ok {
			return &RenderRefusedError{refused}
		}
		if err != nil {
			return err
		}
		res.RenderChecks = append(res.RenderChecks, *proof)
	}
	return nil
}

func (rc *RenderCheck) check(ctx context.Context, in render.Input) (*render.Proof, error) {
	if rc.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, rc.Timeout)
		defer cancel()
	}
	return render.Check(ctx, rc.Helm, in)
}

// renderImages are the images the plan changes in file, with the old and
// new tag (and the digest where the edit writes one).
func renderImages(req *Request, changes []FileChange, file string) []render.Image {
	var edits []imageEdit
	if req.Image.Repository != "" {
		edits = append(edits, imageEdit{ref: req.Image, digest: req.digest})
	}
	edits = append(edits, req.more...)
	var out []render.Image
	for _, e := range edits {
		im := render.Image{Name: e.ref.Name(), New: e.ref.Tag}
		for _, c := range changes {
			if c.File != file || c.Skipped != "" {
				continue
			}
			switch {
			case e.digest != "" && strings.Contains(c.New, e.digest):
				im.New = strings.TrimSuffix(e.ref.Tag+"@"+e.digest, "@")
			case c.New == e.ref.Tag || strings.HasSuffix(c.New, ":"+e.ref.Tag):
				_, old, found := strings.Cut(c.Old, e.ref.Repository+":")
				if !found {
					old = c.Old
				}
				im.Old = old
			}
		}
		if im.New == "" {
			im.New = "@" + e.digest
		}
		if !slices.Contains(out, im) {
			out = append(out, im)
		}
	}
	return out
}

// renderTrailer is the commit's trailer for the proofs.
func renderTrailer(proofs []render.Proof) []Trailer {
	var out []Trailer
	for _, p := range proofs {
		out = append(out, Trailer{"Render-Checked", fmt.Sprintf("%s %s %s (%d containers)", p.Tool, p.Version, p.Chart, len(p.Containers))})
	}
	return out
}
