package bump

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/tagbump/tagbump/pkg/argocd"
	"github.com/tagbump/tagbump/pkg/gitrepo"
	"github.com/tagbump/tagbump/pkg/render"
	edit "github.com/tagbump/tagbump/pkg/target"
)

// RenderCheck asks that each commit be proven with the real renderer
// before it is made (--render-check): see package render.
type RenderCheck struct {
	Helm      render.Helm
	Kustomize render.Kustomize
	// Timeout bounds each target's check (the renders and a dependency
	// build); 0: none but the run's.
	Timeout time.Duration
	// MaxBytes bounds the files of a kustomization and what it reaches
	// (32 MiB when 0).
	MaxBytes int64
}

// RenderRefusedError is a render that does not prove the commit: nothing
// was committed.
type RenderRefusedError struct{ *render.RefusedError }

// renderJob is one render that proves part of a commit.
type renderJob func(ctx context.Context) (*render.Proof, error)

// renderCheck proves the commit's edit (files, the commit's content)
// against the files as the plan read them, rendering what Argo CD or the
// environment deploys from them: the chart of a values file (with an
// Application's value files, values and parameters under --app), a
// kustomization with what it reaches, or plain manifests. The proofs go
// into res and the commit's trailers.
func (r *Request) renderCheck(ctx context.Context, snap *gitrepo.Snapshot, preq *Request, files map[string][]byte, res *Result) error {
	res.RenderChecks = nil
	var jobs []renderJob
	var err error
	if len(r.Apps) > 0 {
		jobs, err = r.appRenderJobs(ctx, snap, preq, files, res)
	} else {
		jobs, err = r.fileRenderJobs(ctx, snap, preq, files, res)
	}
	if err != nil {
		return err
	}
	for _, job := range jobs {
		proof, err := r.Render.check(ctx, job)
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

// fileRenderJobs renders each changed file by its kind: a values file
// with the chart of its directory, a kustomization with what it reaches,
// a manifest as Argo CD would deploy its directory: with kustomize when
// the directory holds a kustomization, else with every manifest there.
func (r *Request) fileRenderJobs(ctx context.Context, snap *gitrepo.Snapshot, preq *Request, files map[string][]byte, res *Result) ([]renderJob, error) {
	var jobs []renderJob
	kustomizations := map[string]bool{}
	manifests := map[string]bool{}
	for _, f := range slices.Sorted(maps.Keys(files)) {
		kind, ok := editsTarget(f, files[f])
		switch {
		case kind == edit.Application:
			return nil, &render.UnsupportedError{Target: f, Reason: "it is an Argo CD Application's manifest, which renders nothing itself, and rollback and promote do not render its source yet: " +
				"leave out --render-check, or roll back with bump --app NAME --tag OLD_TAG --allow-downgrade --render-check"}
		case ok && kind == edit.Kustomization:
			kustomizations[path.Dir(f)] = true
		case ok:
			dir := path.Dir(f)
			dk, err := argocd.DirectoryKind(snapSource{snap}, dirOf(dir))
			if err != nil {
				return nil, fmt.Errorf("render check: list %s: %w", dir, err)
			}
			switch dk {
			case argocd.KindKustomization:
				// Argo CD builds the directory with kustomize: the
				// manifest deploys as the kustomization makes it.
				kustomizations[dir] = true
			case argocd.KindHelmValues:
				return nil, &render.UnsupportedError{Target: f, Reason: dir + " is a Helm chart, which Argo CD renders from its templates: a manifest beside Chart.yaml deploys nothing"}
			default:
				manifests[dir] = true
			}
		default:
			job, err := r.helmJob(ctx, snap, preq, files, res, path.Dir(f), []string{f}, helmSide{}, helmSide{})
			if err != nil {
				return nil, err
			}
			jobs = append(jobs, job)
		}
	}
	for _, dir := range slices.Sorted(maps.Keys(kustomizations)) {
		jobs = append(jobs, r.kustomizeJob(snap, preq, files, res, dir, "", nil, nil))
	}
	for _, dir := range slices.Sorted(maps.Keys(manifests)) {
		// Argo CD applies every manifest of the directory (a directory
		// source without recurse, include or exclude).
		all, jsonnet := argocd.DirectoryFiles(snapSource{snap}, dirOf(dir), nil)
		if err := refuseJsonnet(dir, jsonnet); err != nil {
			return nil, err
		}
		jobs = append(jobs, r.manifestsJob(snap, preq, files, res, dir, "", all))
	}
	return jobs, nil
}

// dirOf is directory d as snapshots list it ("" for the root).
func dirOf(d string) string {
	if d == "." {
		return ""
	}
	return d
}

// refuseJsonnet refuses the render of the manifests in dir when Argo CD
// would also evaluate Jsonnet files there: tagbump renders no Jsonnet.
func refuseJsonnet(dir string, jsonnet []string) error {
	if len(jsonnet) == 0 {
		return nil
	}
	return &render.UnsupportedError{Target: dir, Reason: fmt.Sprintf("Argo CD also evaluates the Jsonnet file(s) %s of the directory, which the render check cannot render", strings.Join(jsonnet, ", "))}
}

// helmSide is what an Application sets over its value files, on one side
// of the edit, and the release it renders.
type helmSide struct {
	over               *render.Overrides
	release, namespace string
}

// helmJob renders the chart in chartDir with the value files chain
// (changed ones from files), and what an Application sets over them.
func (r *Request) helmJob(ctx context.Context, snap *gitrepo.Snapshot, preq *Request, files map[string][]byte, res *Result, chartDir string, chain []string, before, after helmSide, extra ...string) (renderJob, error) {
	tree, err := r.readChart(ctx, snap, chartDir)
	if err != nil {
		return nil, err
	}
	in := render.Input{
		Chart: chartDir, Files: tree, ValueFiles: chain,
		Before: map[string][]byte{}, After: map[string][]byte{},
		Release: before.release, Namespace: before.namespace,
		OverBefore: before.over, OverAfter: after.over,
	}
	if err := snap.Prefetch(ctx, chain...); err != nil {
		return nil, err
	}
	for _, f := range chain {
		if in.Before[f], err = r.readValues(ctx, snap, f); err != nil {
			return nil, err
		}
		in.After[f] = in.Before[f]
		if b, ok := files[f]; ok {
			in.After[f] = b
		}
	}
	touched := append(slices.Clone(chain), extra...)
	in.Images = renderImages(preq, res.Files, touched...)
	return func(ctx context.Context) (*render.Proof, error) { return render.Check(ctx, r.Render.Helm, in) }, nil
}

// readChart reads the files of the chart in chartDir, and those of the
// charts its Chart.yaml names at a relative file:// path that `helm
// dependency build` reads (render.LocalDependencies), each at its place
// in the repository; together at most MaxBytes (32 MiB when 0). A
// dependency outside the repository is a *render.UnsupportedError.
func (r *Request) readChart(ctx context.Context, snap *gitrepo.Snapshot, chartDir string) (map[string][]byte, error) {
	tree, err := snap.ReadTree(ctx, chartDir)
	if err != nil {
		return nil, fmt.Errorf("render check: read the chart %s: %w", chartDir, err)
	}
	deps, err := render.LocalDependencies(chartDir, tree)
	if err != nil {
		return nil, err
	}
	limit := cmp.Or(r.Render.MaxBytes, 32<<20)
	var size int64
	for _, b := range tree {
		size += int64(len(b))
	}
	for _, d := range deps {
		sub, err := snap.ReadTree(ctx, d)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, &render.UnsupportedError{Target: chartDir, Reason: fmt.Sprintf("its Chart.yaml names a dependency at %s, which is not in the repository", d)}
		}
		if err != nil {
			return nil, fmt.Errorf("render check: read the chart %s: %w", d, err)
		}
		for p, b := range sub {
			if _, ok := tree[p]; ok {
				continue
			}
			if size += int64(len(b)); size > limit {
				return nil, &render.UnsupportedError{Target: chartDir, Reason: fmt.Sprintf("the chart and its dependency %s are more than %d bytes", d, limit)}
			}
			tree[p] = b
		}
	}
	return tree, nil
}

// kustomizeJob renders the kustomization in dir with what it reaches in
// the repository, and what an Application's kustomize: block sets on
// each side.
func (r *Request) kustomizeJob(snap *gitrepo.Snapshot, preq *Request, files map[string][]byte, res *Result, dir, app string, editsBefore, editsAfter *render.KustomizeEdits, extra ...string) renderJob {
	return func(ctx context.Context) (*render.Proof, error) {
		tree, err := render.Materialize(ctx, snapSource{snap}, dir, r.Render.MaxBytes, editsBefore, editsAfter)
		if err != nil {
			return nil, err
		}
		var touched []string
		for p := range files {
			if _, ok := tree[p]; ok {
				if tree[p], err = r.readValues(ctx, snap, p); err != nil {
					return nil, err
				}
				touched = append(touched, p)
			}
		}
		if app != "" {
			touched = append(touched, extra...)
		}
		return withApp(app)(render.CheckKustomize(ctx, r.Render.Kustomize, render.KustomizeInput{Dir: dir, Files: tree, After: files,
			EditsBefore: editsBefore, EditsAfter: editsAfter, Images: renderImages(preq, res.Files, touched...)}))
	}
}

// manifestsJob renders the plain manifests of dir: those named (all of
// the directory's that Argo CD applies), with the changes of files.
func (r *Request) manifestsJob(snap *gitrepo.Snapshot, preq *Request, files map[string][]byte, res *Result, dir, app string, all []string) renderJob {
	return func(ctx context.Context) (*render.Proof, error) {
		in := render.ManifestsInput{Dir: dir, Before: map[string][]byte{}, After: map[string][]byte{}, Images: renderImages(preq, res.Files, all...)}
		if err := snap.Prefetch(ctx, all...); err != nil {
			return nil, err
		}
		for _, f := range all {
			b, err := r.readValues(ctx, snap, f)
			if err != nil {
				return nil, err
			}
			in.Before[f], in.After[f] = b, b
			if nb, ok := files[f]; ok {
				in.After[f] = nb
			}
		}
		return withApp(app)(render.CheckManifests(ctx, in))
	}
}

// withApp names app in a proof.
func withApp(app string) func(*render.Proof, error) (*render.Proof, error) {
	return func(p *render.Proof, err error) (*render.Proof, error) {
		if p != nil {
			p.App = app
		}
		return p, err
	}
}

func (rc *RenderCheck) check(ctx context.Context, job renderJob) (*render.Proof, error) {
	if rc.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, rc.Timeout)
		defer cancel()
	}
	return job(ctx)
}

// renderImages are the images the plan changes in files, with the old and
// new tag (and the digest where the edit writes one).
func renderImages(req *Request, changes []FileChange, files ...string) []render.Image {
	var edits []imageEdit
	if req.Image.Repository != "" {
		edits = append(edits, imageEdit{ref: req.Image, digest: req.digest})
	}
	edits = append(edits, req.more...)
	var out []render.Image
	for _, e := range edits {
		im := render.Image{Name: e.ref.Name(), New: e.ref.Tag}
		for _, c := range changes {
			if !slices.Contains(files, c.File) || c.Skipped != "" {
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
		what := strings.Join(slices.DeleteFunc([]string{p.Tool, p.Version, p.Chart}, func(s string) bool { return s == "" }), " ")
		if p.App != "" {
			what += " for " + p.App
		}
		out = append(out, Trailer{"Render-Checked", fmt.Sprintf("%s (%d containers)", what, len(p.Containers))})
	}
	return out
}
