package bump

import (
	"context"
	"fmt"
	"path"
	"slices"

	"github.com/tagbump/tagbump/pkg/argocd"
	"github.com/tagbump/tagbump/pkg/gitrepo"
	"github.com/tagbump/tagbump/pkg/render"
	"go.yaml.in/yaml/v3"
)

// appRenderJobs renders, for each Application source whose files or
// manifest the commit changes, what Argo CD renders from it: the chart
// with the source's value files in order, then helm.valuesObject (or
// helm.values) as a values file, then helm.parameters as --set
// (--set-string for forceString), as release helm.releaseName (the
// Application's name) in the destination namespace; the kustomization
// with what it reaches, after what kustomize: sets (kustomizeEdits);
// or the plain manifests. A chart from a Helm
// repository cannot be rendered from the repository: refused.
func (r *Request) appRenderJobs(ctx context.Context, snap *gitrepo.Snapshot, preq *Request, files map[string][]byte, res *Result) ([]renderJob, error) {
	var jobs []renderJob
	type dirKey struct {
		app, dir string
		src      *argocd.SourceSpec
	}
	manifests := map[dirKey][]string{}
	var order []dirKey
	touchedDirs := map[dirKey]bool{}
	covered := map[string]bool{}
	for _, s := range r.appSlots {
		for _, f := range s.chain {
			covered[f] = true
		}
		if s.embed != nil {
			covered[s.embed.manifest] = true
		}
		if s.manifests {
			// Argo CD applies every file of the source's directory (and
			// below it, with recurse): all are rendered when one changes.
			k := dirKey{app: s.app, dir: path.Dir(s.chain[0])}
			if s.from != nil && s.src < len(s.from.Sources) {
				k.dir, k.src = path.Clean(s.from.Sources[s.src].Path), &s.from.Sources[s.src]
			}
			if _, ok := manifests[k]; !ok {
				order = append(order, k)
			}
			manifests[k] = append(manifests[k], s.chain[0])
			if _, ok := files[s.chain[0]]; ok {
				touchedDirs[k] = true
			}
			continue
		}
		touched := slices.Clone(s.chain)
		if s.embed != nil {
			touched = append(touched, s.embed.manifest)
		}
		if !slices.ContainsFunc(touched, func(f string) bool { _, ok := files[f]; return ok }) {
			continue
		}
		if s.from == nil {
			return nil, fmt.Errorf("render check: Application %s: its source is not known", s.app)
		}
		before, after, err := r.appSources(ctx, snap, s, files)
		if err != nil {
			return nil, err
		}
		switch {
		case len(s.chain) > 0 && isKustomization(s.chain[0]):
			dir := path.Dir(s.chain[0])
			editsBefore, err := kustomizeEdits(snap, s.app, dir, before.src.Kustomize)
			if err != nil {
				return nil, err
			}
			editsAfter, err := kustomizeEdits(snap, s.app, dir, after.src.Kustomize)
			if err != nil {
				return nil, err
			}
			var extra []string
			if s.embed != nil {
				extra = []string{s.embed.manifest}
			}
			jobs = append(jobs, r.kustomizeJob(snap, preq, files, res, dir, s.app, editsBefore, editsAfter, extra...))
		case s.chartDir != "":
			fps, err := r.fileParameters(ctx, snap, s)
			if err != nil {
				return nil, err
			}
			hb, err := helmSideOf(s, before, fps)
			if err != nil {
				return nil, err
			}
			ha, err := helmSideOf(s, after, fps)
			if err != nil {
				return nil, err
			}
			var extra []string
			if s.embed != nil {
				extra = []string{s.embed.manifest}
			}
			job, err := r.helmJob(ctx, snap, preq, files, res, s.chartDir, s.chain, hb, ha, extra...)
			if err != nil {
				return nil, err
			}
			jobs = append(jobs, func(ctx context.Context) (*render.Proof, error) { return withApp(s.app)(job(ctx)) })
		default:
			return nil, &argocd.AppError{App: s.app, Problem: argocd.ProblemUnsupported, Reason: fmt.Sprintf(
				"deploys a chart from a Helm repository (%s), which is not in %s: --render-check renders charts, kustomizations and manifests "+
					"of the repository only; nothing was changed; leave out --render-check for it", before.src.RepoURL, r.Repo)}
		}
	}
	for _, c := range res.Files {
		if _, changed := files[c.File]; changed && c.Skipped == "" && !covered[c.File] {
			// Never a commit without the proof asked for.
			return nil, &render.UnsupportedError{Target: c.File, Reason: "no Application source of --app deploys it"}
		}
	}
	for _, k := range order {
		if !touchedDirs[k] {
			continue
		}
		if k.src != nil {
			_, jsonnet := argocd.DirectoryFiles(snapSource{snap}, dirOf(k.dir), k.src.Directory)
			if err := refuseJsonnet(k.dir, jsonnet); err != nil {
				return nil, err
			}
		}
		jobs = append(jobs, r.manifestsJob(snap, preq, files, res, k.dir, k.app, manifests[k]))
	}
	return jobs, nil
}

// appSource is an Application's source as Argo CD renders it, on one
// side of the edit.
type appSource struct {
	src       *argocd.SourceSpec
	namespace string
}

// appSources are slot's source before and after the edit: read from its
// manifest where the commit may change it (embed), else as resolved.
func (r *Request) appSources(ctx context.Context, snap *gitrepo.Snapshot, s valuesSlot, files map[string][]byte) (before, after appSource, err error) {
	resolved := appSource{src: &s.from.Sources[min(s.src, len(s.from.Sources)-1)], namespace: s.from.DestNamespace}
	if s.embed == nil {
		return resolved, resolved, nil
	}
	em := s.embed
	src, err := r.readValues(ctx, snap, em.manifest)
	if err != nil {
		return before, after, err
	}
	read := func(b []byte) (appSource, error) {
		spec, ns, err := argocd.SourceAt(b, em.doc, em.source)
		if err != nil {
			return appSource{}, fmt.Errorf("render check: %s: Application %s: %w", em.manifest, em.app, err)
		}
		return appSource{src: spec, namespace: ns}, nil
	}
	if before, err = read(src); err != nil {
		return before, after, err
	}
	after = before
	if b, ok := files[em.manifest]; ok {
		after, err = read(b)
	}
	return before, after, err
}

// fileParameters reads the files of the slot's helm.fileParameters from
// the repository, as Argo CD passes them (--set-file). One that is not in
// the repository (a URL, another source's repository) cannot be rendered
// from it: refused.
func (r *Request) fileParameters(ctx context.Context, snap *gitrepo.Snapshot, s valuesSlot) ([]render.FileParameter, error) {
	var out []render.FileParameter
	for _, fp := range s.fileParams {
		if fp.File == "" {
			return nil, &render.UnsupportedError{Target: s.chartDir, Reason: fmt.Sprintf(
				"Application %s's helm.fileParameters %s reads %s, which is not in the repository (%s)", s.app, fp.Name, fp.Path, fp.Why)}
		}
		b, err := r.readValues(ctx, snap, fp.File)
		if err != nil {
			return nil, fmt.Errorf("render check: Application %s: helm.fileParameters %s: %w", s.app, fp.Name, err)
		}
		out = append(out, render.FileParameter{Name: fp.Name, Content: b})
	}
	return out, nil
}

// helmSideOf is what source a sets over its value files (with the
// contents of its fileParameters, fps), and the release Argo CD renders.
func helmSideOf(s valuesSlot, a appSource, fps []render.FileParameter) (helmSide, error) {
	side := helmSide{release: s.app, namespace: a.namespace}
	h := a.src.Helm
	if h == nil {
		return side, nil
	}
	if h.ReleaseName != "" {
		side.release = h.ReleaseName
	}
	o := &render.Overrides{}
	switch {
	case h.ValuesObject != nil:
		b, err := yaml.Marshal(h.ValuesObject)
		if err != nil {
			return side, fmt.Errorf("render check: Application %s: helm.valuesObject: %w", s.app, err)
		}
		o.Values = b
	case h.Values != "":
		o.Values = []byte(h.Values)
	}
	for _, p := range h.Parameters {
		o.Parameters = append(o.Parameters, render.Parameter{Name: p.Name, Value: p.Value, ForceString: p.ForceString})
	}
	o.FileParameters = fps
	side.over = o
	return side, nil
}
