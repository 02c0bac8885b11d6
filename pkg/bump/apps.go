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

	"github.com/tagbump/tagbump/pkg/argocd"
	"github.com/tagbump/tagbump/pkg/chart"
	"github.com/tagbump/tagbump/pkg/gitrepo"
	"github.com/tagbump/tagbump/pkg/imageref"
	edit "github.com/tagbump/tagbump/pkg/target"
	"github.com/tagbump/tagbump/pkg/values"
	"go.yaml.in/yaml/v3"
)

// valuesSlot is one place a plan sets the image: the values file of an
// environment, or a Helm source of an Application (Request.Apps), whose
// value files chain lists in Helm's order; the last of them that sets the
// image is edited.
type valuesSlot struct {
	env, app string
	chartDir string // "" for a chart that is not in the repository
	chain    []string
	warnings []string
	// manifests reports a file of a directory Argo CD applies as plain
	// manifests: only Kubernetes objects there deploy anything.
	manifests bool
	// embed is what the Application's manifest sets for the source
	// (parameters, values, kustomize.images), which wins over chain.
	embed *embedSlot
	// from is the Application and src the index of its source the slot
	// deploys (for --render-check).
	from *argocd.App
	src  int
	// fileParams are the source's helm.fileParameters, which Helm applies
	// over everything else (--set-file).
	fileParams []argocd.FileParameter
}

// slots are the places the plan sets the image: one per environment, or
// the Helm sources of the Applications resolved for this attempt.
func (r *Request) slots() []valuesSlot {
	if len(r.Apps) > 0 {
		return r.appSlots
	}
	var out []valuesSlot
	for _, env := range r.Envs {
		file, _ := r.valuesPath(env)
		out = append(out, valuesSlot{env: env, chartDir: path.Dir(file), chain: []string{file}})
	}
	return out
}

// appsBranch is what resolving Applications needs to know of the branch
// being bumped: its name and whether it is the default branch (which
// targetRevision HEAD names). Set by run.
type appsBranch struct {
	name      string
	isDefault bool
	// apps is a snapshot of AppsRepo, fetched once per run from
	// appsRepo, which run closes.
	apps     *gitrepo.Snapshot
	appsRepo *gitrepo.Repo
}

// close closes the AppsRepo, when one was opened.
func (b *appsBranch) close() {
	if b.appsRepo != nil {
		_ = b.appsRepo.Close()
	}
}

// validateApps checks a request that names Applications instead of
// environments.
func (r *Request) validateApps() error {
	if r.Chart != "" || r.ValuesFile != "" || len(r.Envs) > 0 && !slices.Equal(r.Envs, r.Apps) {
		return &InputError{"--app", strings.Join(r.Apps, ","), "names the files itself: leave out --chart, --env and --values-file"}
	}
	for _, a := range r.Apps {
		ns, name, ok := strings.Cut(a, "/")
		if !ok {
			name, ns = ns, ""
		}
		if !appName.MatchString(name) || ns != "" && !appName.MatchString(ns) {
			return &InputError{"--app", a, "an Application's name: lower-case letters, digits, '-' and '.' (NAMESPACE/NAME for one namespace)"}
		}
	}
	return nil
}

// appName is what a Kubernetes object name may look like (RFC 1123 subdomain).
var appName = regexp.MustCompile(`^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$`)

// resolveApps reads the Applications of r.Apps at snap (or at the
// --apps-repo snapshot), fetching history commits of the branch with the
// first files it reads (see firstPrefetch), and sets r.appSlots: per source, the Helm value
// files, kustomization or manifests each deploys from the repository, and
// what its manifest sets over them (parameters, values, kustomize.images).
// A manifest that may set the image but cannot be edited (in another
// repository, an ApplicationSet's template) is refused: never write
// something that would not deploy.
func (r *Request) resolveApps(ctx context.Context, snap *gitrepo.Snapshot, history int) error {
	q := argocd.Query{Names: r.Apps, AppsPath: r.AppsPath,
		Repo: argocd.Repo{URL: r.Repo, Branch: r.branch.name, DefaultBranch: r.branch.isDefault, Files: r.appsFiles(snap, history)}}
	if r.branch.apps != nil {
		q.Apps = &argocd.Repo{URL: r.AppsRepo, Branch: r.branch.apps.Branch(), DefaultBranch: true, Files: snapSource{r.branch.apps}}
	}
	apps, err := argocd.Find(ctx, q)
	if err != nil {
		return err
	}
	r.appSlots = nil
	for _, a := range apps {
		n := 0
		bySource := map[int]int{} // a source's index → its slot in r.appSlots
		add := func(t argocd.Target, s valuesSlot) {
			s.from, s.src = a, max(t.Source, 0)
			bySource[t.Source] = len(r.appSlots)
			r.appSlots = append(r.appSlots, s)
			n++
		}
		for _, t := range a.Targets {
			switch t.Kind {
			case argocd.KindHelmValues:
				add(t, valuesSlot{env: a.Name, app: a.Name, chartDir: t.ChartDir, chain: t.ValueFiles, warnings: t.Warnings, fileParams: t.FileParameters})
			case argocd.KindKustomization:
				// pkg/target's editors, by the file's kind (editSlot)
				add(t, valuesSlot{env: a.Name, app: a.Name, chain: []string{t.File}})
			case argocd.KindManifests:
				for _, f := range t.Files {
					r.appSlots = append(r.appSlots, valuesSlot{env: a.Name, app: a.Name, chain: []string{f}, manifests: true, from: a, src: max(t.Source, 0)})
					n++
				}
			case argocd.KindParameters, argocd.KindValues, argocd.KindValuesObject, argocd.KindKustomizeImages:
				// What the manifest sets wins over the source's files:
				// edited there when it sets the image (editAppSlot).
				em, err := r.embedFor(a, t)
				if err != nil {
					return err
				}
				if em == nil {
					continue
				}
				if i, ok := bySource[t.Source]; ok {
					r.appSlots[i].embed = em
				} else {
					add(t, valuesSlot{env: a.Name, app: a.Name, embed: em})
				}
			default:
				return notYet(a, t, "")
			}
		}
		if n == 0 {
			return &argocd.AppError{App: a.Name, Problem: argocd.ProblemNotFound,
				Reason: fmt.Sprintf("%s: no Helm value file, kustomization or manifest in %s that it deploys, and its own manifest can set no image here", a.File, r.Repo)}
		}
	}
	return nil
}

// firstPrefetch is the repository being changed as argocd.Find reads
// it. Its first Prefetch (the candidate manifests, or with --apps-repo
// the files an Application's source names) also asks for the guard's
// history, which the plan reads next anyway, and for the files of the
// charts the Applications are probably named after (guessCharts): in the
// common layout the plan then needs no request of its own, so that --app
// costs one request more than --chart/--env, not two. A wrong guess costs
// a few small blobs; a failed combined fetch falls back to the plain one.
type firstPrefetch struct {
	snapSource
	depth int // commits of history to fetch too; 0: none
	guess []string
	done  bool
}

func (r *Request) appsFiles(snap *gitrepo.Snapshot, history int) *firstPrefetch {
	return &firstPrefetch{snapSource: snapSource{snap}, depth: history, guess: guessCharts(snap, r.Apps)}
}

func (f *firstPrefetch) Prefetch(ctx context.Context, paths ...string) error {
	if f.done {
		return f.snapSource.Prefetch(ctx, paths...)
	}
	f.done = true
	all := append(slices.Clone(paths), f.guess...)
	fetch := func() error { return f.snapSource.Prefetch(ctx, all...) }
	if f.depth > 0 {
		fetch = func() error { return f.snap.PrefetchWithLog(ctx, f.depth, all...) }
	}
	if fetch() == nil {
		return nil
	}
	// Without the guesses, which may fail where the files asked for
	// do not (a guessed chart's file above --max-file-size).
	return f.snapSource.Prefetch(ctx, paths...)
}

// guessCharts returns the files a plan reads of the charts that the
// Applications names are probably made of: a chart directory at the root
// or under charts/ or helm/ whose name is the Application's name or a run
// of its '-'-separated words (web-prod → web, charts/web), with its
// values*.yaml files. Trees only: no request. At most four charts.
func guessCharts(snap *gitrepo.Snapshot, apps []string) []string {
	const most = 4
	var files []string
	seen := map[string]bool{}
	for _, a := range apps {
		_, name, ok := strings.Cut(a, "/")
		if !ok {
			name = a
		}
		words := strings.Split(name, "-")
		for i := range words {
			for j := len(words); j > i; j-- {
				name := strings.Join(words[i:j], "-")
				for _, dir := range []string{name, "charts/" + name, "helm/" + name} {
					if seen[dir] || len(seen) >= most {
						continue
					}
					es, err := snap.ReadDir(dir)
					if err != nil || !slices.ContainsFunc(es, func(e gitrepo.DirEntry) bool { return !e.Dir && e.Name == "Chart.yaml" }) {
						continue
					}
					seen[dir] = true
					files = append(files, chart.Files(dir)...)
					for _, e := range es {
						if !e.Dir && strings.HasPrefix(e.Name, "values") && (strings.HasSuffix(e.Name, ".yaml") || strings.HasSuffix(e.Name, ".yml")) {
							files = append(files, path.Join(dir, e.Name))
						}
					}
				}
			}
		}
	}
	return files
}

// notYet refuses a target of a kind whose editor tagbump does not have yet.
func notYet(a *argocd.App, t argocd.Target, why string) error {
	if why != "" {
		why = " (" + why + ")"
	}
	return &argocd.AppError{App: a.Name, Problem: argocd.ProblemUnsupported,
		Reason: fmt.Sprintf("deploys a %s target in %s%s, which tagbump does not edit yet: nothing was changed; bump its files with --chart/--values-file where they are Helm value files", t.Kind, t.File, why)}
}

// embeddedSets says how the Helm values in an Application's manifest
// (helm.parameters, helm.values, helm.valuesObject) may set the image: a
// parameter or key named like a tag or an image, or the image's
// repository. Those win over the value files, so editing a file would
// deploy nothing. "" when they cannot.
func embeddedSets(a *argocd.App, t argocd.Target, r *Request) string {
	i := max(t.Source, 0)
	if i >= len(a.Sources) || a.Sources[i].Helm == nil && a.Sources[i].Kustomize == nil {
		return ""
	}
	h := a.Sources[i].Helm
	if h == nil {
		h = &argocd.HelmSpec{}
	}
	repos := []string{r.Image.Repository}
	for _, im := range r.Images {
		repos = append(repos, im.Repository)
	}
	mentions := func(s string) bool {
		for _, rp := range repos {
			if rp != "" && strings.Contains(s, path.Base(rp)) {
				return true
			}
		}
		return false
	}
	switch t.Kind {
	case argocd.KindParameters:
		for _, p := range h.Parameters {
			if imageKey.MatchString(p.Name) || mentions(p.Value) {
				return "parameter " + p.Name
			}
		}
	case argocd.KindKustomizeImages:
		for _, im := range a.Sources[i].Kustomize.Images {
			if mentions(im) {
				return "kustomize.images entry " + im
			}
		}
	case argocd.KindValues, argocd.KindValuesObject:
		text := h.Values
		if h.ValuesObject != nil {
			b, err := yaml.Marshal(h.ValuesObject)
			if err != nil {
				return "helm.valuesObject: " + err.Error()
			}
			text = string(b)
		}
		if imageText.MatchString(text) || mentions(text) {
			return "helm values with an image or a tag"
		}
	}
	return ""
}

var (
	// imageKey matches a parameter that may set an image: one whose last
	// key is tag or digest, or with "image" anywhere on its path.
	imageKey = regexp.MustCompile(`(?i)(^|[.\]])(tag|digest)$|image`)
	// imageText matches YAML with a tag, digest or image key.
	imageText = regexp.MustCompile(`(?im)^\s*(-\s*)?["']?(tag|digest|image\w*)["']?\s*:`)
)

// fileParamOverride refuses the edits of slot's value files at a key
// that one of its helm.fileParameters sets, or sets a part of: Argo CD
// passes them as --set-file, which Helm applies after every value file,
// so the edit would deploy nothing.
func fileParamOverride(slot valuesSlot, edits []*slotEdit) error {
	for _, e := range edits {
		if !slices.Contains(slot.chain, e.file) {
			continue
		}
		for _, c := range e.changes {
			if c.Skipped != "" {
				continue
			}
			for _, fp := range slot.fileParams {
				if overlaps(fp.Name, c.Key) {
					return &argocd.AppError{App: slot.app, Problem: argocd.ProblemUnsupported, Reason: fmt.Sprintf(
						"helm.fileParameters %s (--set-file from %s) sets %s over its value files, so an edit of %s there would deploy nothing "+
							"(and no render check could prove it): nothing was changed; write the tag into %s, or remove the fileParameter",
						fp.Name, fp.Path, strings.TrimPrefix(c.Key, "."), e.file, fp.Path)}
				}
			}
		}
	}
	return nil
}

// overlaps reports whether Helm values keys a and b are the same, or one
// is inside the other (image, image.tag); a key may start with a dot
// (.image.tag, as FileChange.Key writes it).
func overlaps(a, b string) bool {
	a, b = strings.TrimPrefix(a, "."), strings.TrimPrefix(b, ".")
	inside := func(k, parent string) bool {
		return strings.HasPrefix(k, parent) && (len(k) == len(parent) || k[len(parent)] == '.' || k[len(parent)] == '[')
	}
	return inside(a, b) || inside(b, a)
}

// appReadPaths are the files the plan of r.appSlots reads: the value files
// and the charts' own files.
func appReadPaths(slots []valuesSlot) []string {
	var files []string
	for _, s := range slots {
		files = append(files, s.chain...)
		if s.embed != nil {
			files = append(files, s.embed.manifest)
		}
		if s.chartDir != "" {
			files = append(files, chart.Files(s.chartDir)...)
		}
	}
	return files
}

// changedApps lists, in request order, the Applications whose files change.
func (p *planned) changedApps() []string {
	var apps []string
	for _, c := range p.changes {
		if _, changed := p.files[c.File]; changed && c.Skipped == "" && c.App != "" && !slices.Contains(apps, c.App) {
			apps = append(apps, c.App)
		}
	}
	return apps
}

// appsBranchOf tells whether branch is the repository's default branch
// (known already when the request names none) and fetches AppsRepo's
// default branch once for the run.
func appsBranchOf(ctx context.Context, repo *gitrepo.Repo, req *Request, branch string, o *options) (appsBranch, error) {
	b := appsBranch{name: branch, isDefault: req.Branch == ""}
	if !b.isDefault {
		// Over protocol v2 the answer comes with the tip the fetch then
		// uses when it is this branch: no request more.
		if def, err := repo.DefaultBranch(ctx); err == nil {
			b.isDefault = def == branch
		}
	}
	if req.AppsRepo == "" {
		return b, nil
	}
	ar, err := gitrepo.Open(ctx, req.AppsRepo, o.appsGit...)
	if err != nil {
		return b, fmt.Errorf("--apps-repo: %w", err)
	}
	b.appsRepo = ar
	def, err := ar.DefaultBranch(ctx)
	if err != nil {
		return b, fmt.Errorf("--apps-repo: %w", err)
	}
	if b.apps, err = ar.Fetch(ctx, def); err != nil {
		return b, fmt.Errorf("--apps-repo: %w", err)
	}
	return b, nil
}

// AppValuesFile returns the one Helm value file of the Application
// req.Apps names (with req.AppsPath and req.AppsRepo) that history and
// rollback read, the one bump --app writes for the images pick selects:
// of its value files in req.Repo, the last one that sets a picked image;
// without a pick, the one file that sets images (several: InputError, name
// the image), else the last one. It fetches the branch's tip for that (three
// requests or so), before the command's own fetch. An Application with
// several Helm sources in the repository is refused: name the file with
// --chart/--values-file.
func AppValuesFile(ctx context.Context, req Request, pick Pick, opts ...Option) (string, error) {
	file, _, err := AppValuesPlace(ctx, req, pick, opts...)
	return file, err
}

// AppValuesPlace is AppValuesFile, with, when the file is the
// Application's manifest (its parameters, valuesObject, helm.values text
// or kustomize.images decide the picked images), the keys of the places
// there that hold them (AppBlock.Key, as bump --app's changes name
// them): history and rollback pick those keys alone, so that other
// Applications of the file stay out. No keys for a value file.
func AppValuesPlace(ctx context.Context, req Request, pick Pick, opts ...Option) (string, []string, error) {
	file, p, err := AppPick(ctx, req, pick, opts...)
	if err != nil || len(p.Places) == 0 {
		return file, nil, err
	}
	return file, p.Keys, nil
}

// AppPick is AppValuesPlace with the pick that history and rollback use
// for the file: pick for a value file; for the Application's manifest,
// the places there (Pick.Places, and the keys that name them at the
// branch's tip), which each version of the manifest is read at by what
// they are: the Application by its name and namespace, a parameter by its
// name, never by document or index.
func AppPick(ctx context.Context, req Request, pick Pick, opts ...Option) (string, Pick, error) {
	file, keys, places, err := appPick(ctx, req, pick, opts...)
	if err != nil || len(places) == 0 {
		return file, pick, err
	}
	return file, Pick{Keys: keys, Places: places}, nil
}

func appPick(ctx context.Context, req Request, pick Pick, opts ...Option) (string, []string, []edit.AppPlace, error) {
	o := options{}
	for _, f := range opts {
		f(&o)
	}
	if len(req.Apps) != 1 {
		return "", nil, nil, &InputError{"--app", strings.Join(req.Apps, ","), "name one Application"}
	}
	if err := req.validateApps(); err != nil {
		return "", nil, nil, err
	}
	repo, err := gitrepo.Open(ctx, req.Repo, o.git...)
	if err != nil {
		return "", nil, nil, err
	}
	defer repo.Close()
	branch := req.Branch
	if branch == "" {
		if branch, err = repo.DefaultBranch(ctx); err != nil {
			return "", nil, nil, err
		}
	}
	req.branch, err = appsBranchOf(ctx, repo, &req, branch, &o)
	defer req.branch.close()
	if err != nil {
		return "", nil, nil, err
	}
	snap, err := repo.Fetch(ctx, branch)
	if err != nil {
		return "", nil, nil, err
	}
	if err := req.resolveApps(ctx, snap, 0); err != nil {
		return "", nil, nil, err
	}
	if len(req.appSlots) != 1 {
		return "", nil, nil, &argocd.AppError{App: req.Apps[0], Problem: argocd.ProblemUnsupported,
			Reason: fmt.Sprintf("has %d Helm sources in %s: name the values file with --chart and --values-file", len(req.appSlots), req.Repo)}
	}
	if em := req.appSlots[0].embed; em != nil {
		if file, keys, places, err := req.manifestDecides(ctx, snap, req.appSlots[0], pick); err != nil || file != "" {
			return file, keys, places, err
		}
	}
	chain := req.appSlots[0].chain
	if len(chain) == 0 {
		return "", nil, nil, &argocd.AppError{App: req.Apps[0], Problem: argocd.ProblemNotFound,
			Reason: fmt.Sprintf("sets no image in its manifest that tagbump reads, and has no value file in %s", req.Repo)}
	}
	if err := snap.Prefetch(ctx, chain...); err != nil {
		return "", nil, nil, err
	}
	// The file is the one bump --app writes for the picked images: the
	// last of the chain that sets one. Without a pick, the one file of
	// the chain that sets images; several are ambiguous.
	var with []string
	for i := len(chain) - 1; i >= 0; i-- {
		src, err := snap.ReadFile(ctx, chain[i])
		if err != nil {
			continue
		}
		images, err := values.FindImages(src)
		if err != nil || len(images) == 0 {
			continue
		}
		if pick.any() && slices.ContainsFunc(images, pick.sets) {
			return chain[i], nil, nil, nil
		}
		with = append(with, chain[i])
	}
	if !pick.any() && len(with) > 1 {
		slices.Reverse(with)
		return "", nil, nil, &InputError{"--image", "", fmt.Sprintf("the Application's values files %s each set images: name the image with --image", strings.Join(with, ", "))}
	}
	if !pick.any() && len(with) == 1 {
		return with[0], nil, nil, nil
	}
	return chain[len(chain)-1], nil, nil, nil
}

// manifestDecides returns the Application's manifest when what it sets
// (parameters, valuesObject, the text of helm.values, kustomize.images)
// decides the picked images, or any image without a pick: history and
// rollback then read the manifest, where bump --app writes; keys are the
// picked places (AppBlock.Key) at the tip and places what they are, or
// without a pick every image of the Application's source, so that
// another Application of the file is not read. "" when it does not. A
// picked image is decided as bump --app decides it (editAppSlot): the
// keys at which the value files set its tag, and whether they name an
// image at all. Without a pick, the images the value files name are
// decided so too: a tag the manifest sets over theirs (.api.tag in
// helm.values text) is read in the manifest, which deploys it; when the
// manifest overrides some of them and not others, the image must be
// named (--image).
func (req *Request) manifestDecides(ctx context.Context, snap *gitrepo.Snapshot, slot valuesSlot, pick Pick) (string, []string, []edit.AppPlace, error) {
	em := slot.embed
	src, err := snap.ReadFile(ctx, em.manifest)
	if err != nil {
		return "", nil, nil, err
	}
	blocks, err := edit.ApplicationImages(src, em.app, em.source)
	if err != nil {
		return "", nil, nil, fmt.Errorf("%s: Application %s: %w", em.manifest, em.app, err)
	}
	decides := slices.ContainsFunc(blocks, func(b edit.AppBlock) bool { return !b.ByKey })
	picked, byKey := blocks, pick.any()
	if pick.any() || !decides {
		files := slot
		files.embed = nil
		ch, err := slotChart(ctx, snap, files)
		if err != nil {
			return "", nil, nil, err
		}
		refs := pick.Images
		if !pick.any() {
			// No pick: the images the value files name.
			if refs, err = chainImages(ctx, snap, files, ch); err != nil {
				return "", nil, nil, err
			}
		}
		picked = nil
		var overridden, kept []string
		for _, r := range refs {
			// A tag no file holds, so that the value files' edit reports
			// each key it would write.
			probe := *req
			probe.more, probe.digest, probe.Keys = nil, "", nil
			probe.Image = r
			probe.Image.Tag, probe.Image.Digest = "tagbump-probe-0", ""
			keys, named := probe.filesKeys(ctx, snap, files, ch, imageEdit{ref: probe.Image})
			bs, err := edit.ApplicationKeys(src, em.app, em.source, keys)
			if err == nil {
				bs, err = edit.PickApplication(bs, r, keys, len(refs) == 1 && !named)
			}
			if err != nil {
				return "", nil, nil, targetError(em.manifest, r, err)
			}
			picked = append(picked, bs...)
			if len(bs) > 0 {
				overridden = append(overridden, r.Name())
			} else {
				kept = append(kept, r.Name())
			}
		}
		if !pick.any() && len(overridden) > 0 && len(kept) > 0 {
			return "", nil, nil, &argocd.AppError{App: em.app, Problem: argocd.ProblemUnsupported, Reason: fmt.Sprintf(
				"its manifest %s sets the tag of %s over its value files, which set %s: history and rollback read one file; name the image with --image",
				em.manifest, strings.Join(overridden, ", "), strings.Join(kept, ", "))}
		}
		decides, byKey = len(picked) > 0, true
	}
	if !decides {
		return "", nil, nil, nil
	}
	var keys []string
	var places []edit.AppPlace
	for _, b := range picked {
		if (byKey || !b.ByKey) && !slices.Contains(places, b.Place) {
			keys, places = append(keys, b.Key()), append(places, b.Place)
		}
	}
	return em.manifest, keys, places, nil
}

// chainImages lists the images the value files of slot name, read over
// the chart's values as Helm merges them, each once.
func chainImages(ctx context.Context, snap *gitrepo.Snapshot, slot valuesSlot, ch *chart.Chart) ([]imageref.Ref, error) {
	if len(slot.chain) == 0 || isKustomization(slot.chain[0]) {
		return nil, nil
	}
	defaults, err := ch.Defaults()
	if err != nil {
		defaults = nil
	}
	var out []imageref.Ref
	for _, f := range slot.chain {
		src, err := snap.ReadFile(ctx, f)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		images, err := values.FindImagesWithDefaults(src, defaults)
		if err != nil {
			images, _ = values.FindImages(src)
		}
		for _, im := range images {
			r := imageref.Ref{Registry: im.Registry, Repository: im.Repository}
			if im.Repository != "" && !slices.ContainsFunc(out, func(o imageref.Ref) bool { return o.Name() == r.Name() }) {
				out = append(out, r)
			}
		}
	}
	return out, nil
}

// any reports whether p picks some images rather than all.
func (p Pick) any() bool { return len(p.Images) > 0 || len(p.Keys) > 0 }

// sets reports whether p picks the image block im.
func (p Pick) sets(im values.Image) bool {
	for _, r := range p.Images {
		if im.Name() != "" && r.Matches(im.Name()) {
			return true
		}
	}
	return slices.Contains(p.Keys, im.TagPath) || slices.Contains(p.Keys, im.Path)
}
