package argocd

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Repo is a Git repository at the tip of a branch, as Find reads it.
type Repo struct {
	// URL is the repository's address as a repoURL would name it (any
	// of the forms SameRepo takes as equal).
	URL string
	// Branch is the branch read; DefaultBranch reports that it is the
	// repository's default branch, which targetRevision HEAD (or none)
	// names.
	Branch        string
	DefaultBranch bool
	Files         Files
}

// Query asks Find for Applications.
type Query struct {
	// Names are the Applications, each "NAME" or "NAMESPACE/NAME".
	Names []string
	// AppsPath is a file, directory or glob (** for any depth) in the
	// repository that holds the manifests; "" searches DefaultAppsPaths
	// and the files at the root.
	AppsPath string
	// Repo is the repository being changed. Apps holds the manifests
	// when they are in another repository (read only); nil means Repo.
	Repo Repo
	Apps *Repo
}

// Kind is the kind of a place where an Application's image tag lives.
type Kind string

// Kinds of Target.
const (
	KindHelmValues        Kind = "helm-values"          // Helm value files of a chart (ValueFiles, over ChartDir's values.yaml)
	KindParameters        Kind = "app-parameters"       // spec.source(s).helm.parameters in the Application manifest
	KindValuesObject      Kind = "app-valuesObject"     // spec.source(s).helm.valuesObject in the Application manifest
	KindValues            Kind = "app-values"           // spec.source(s).helm.values (YAML in a string) in the Application manifest
	KindKustomizeImages   Kind = "app-kustomize-images" // spec.source(s).kustomize.images in the Application manifest
	KindKustomization     Kind = "kustomization"        // a kustomization.yaml (.yml, Kustomization)
	KindManifests         Kind = "manifests"            // plain Kubernetes manifests in a directory
	rootKustomizationFile      = "kustomization.yaml"
)

// FileParameter is an entry of helm.fileParameters: Argo CD sets the
// value at Name to the content of File, a path in the repository being
// changed; "" when it is elsewhere, and Why says where.
type FileParameter struct {
	Name, Path string
	File, Why  string
}

// Target is one place where an Application's image tag may live.
type Target struct {
	Kind Kind
	// File is the file to edit: for KindHelmValues the last of
	// ValueFiles, for KindKustomization the kustomization file, for
	// KindManifests the directory, for the Application-embedded kinds
	// the Application's manifest (Manifest).
	File string
	// Manifest, Doc and Source locate the Application-embedded kinds:
	// the manifest file, the 0-based index of its YAML document (as a
	// yaml.v3 Decoder counts them) and the index in spec.sources (-1 for
	// spec.source); Source is set for every kind. For a generated Application they locate the
	// ApplicationSet's template, which every Application it generates
	// shares (Generated).
	Manifest  string
	Doc       int
	Source    int
	Generated bool
	// ChartDir is the chart's directory in the repository (KindHelmValues;
	// "" for a chart from a Helm repository or another Git repository).
	ChartDir string
	// ValueFiles are the source's value files in this repository in
	// Helm's order: the last file that sets a value wins. When the
	// source names none, it is the chart's values.yaml.
	ValueFiles []string
	// Files are the manifest files of a KindManifests directory.
	Files []string
	// FileParameters are the source's helm.fileParameters (KindHelmValues),
	// in the manifest's order, each with the file it reads.
	FileParameters []FileParameter
	// Warnings tell of what tagbump cannot see: value files in other
	// repositories or in a Helm repository's chart that Helm reads after
	// ValueFiles.
	Warnings []string
}

// App is an Application found by Find and what it deploys from the
// repository being changed.
type App struct {
	Name, Namespace string
	// File and Doc locate the manifest (for a generated Application,
	// the ApplicationSet's), AppSet names the ApplicationSet that
	// generates it ("" for a plain Application).
	File   string
	Doc    int
	AppSet string
	// Multi reports spec.sources rather than spec.source.
	Multi bool
	// DestNamespace is spec.destination.namespace.
	DestNamespace string
	Sources       []SourceSpec
	// Targets are in Helm's order within a source: value files, then
	// values / valuesObject, then parameters; the last that sets a value
	// wins.
	Targets []Target
}

// found is an Application as read from a manifest, before it is resolved.
type found struct {
	name, namespace string
	file            string
	doc             int
	appSet          string
	spec            *yaml.Node // the Application's mapping (metadata, spec)
}

// Find finds the Applications q names among the manifests of q.Apps (or
// q.Repo) and resolves each to the files it deploys from q.Repo. It reads
// directory listings (no request), then every candidate manifest in one
// Prefetch, then what the Applications' sources need. Applications
// generated by an ApplicationSet with list, git directories, git files or
// matrix generators are found too; see ExpandAppSet.
func Find(ctx context.Context, q Query) ([]*App, error) {
	apps := q.Apps
	if apps == nil {
		apps = &q.Repo
	}
	if len(q.Names) == 0 {
		return nil, errors.New("find applications: no application named")
	}
	files, err := candidates(apps.Files, q.AppsPath)
	if err != nil {
		return nil, fmt.Errorf("list applications under %q: %w", q.AppsPath, err)
	}
	if err := apps.Files.Prefetch(ctx, files...); err != nil {
		return nil, err
	}
	var all []found
	var appSets []appSet
	invalid := map[string]error{} // file → its YAML error
	texts := map[string][]byte{}
	var later []string // the manifests that cannot define the names
	parse := func(f string, b []byte) {
		texts[f] = b
		docs, err := documents(b)
		if err != nil {
			invalid[f] = err
		}
		for _, d := range docs {
			switch {
			case d.isArgo("Application"):
				all = append(all, found{name: d.Metadata.Name, namespace: d.Metadata.Namespace, file: f, doc: d.index, spec: d.node})
			case d.isArgo("ApplicationSet"):
				appSets = append(appSets, appSet{name: d.Metadata.Name, namespace: d.Metadata.Namespace, file: f, doc: d.index, node: d.node})
			}
		}
	}
	for _, f := range files {
		b, err := apps.Files.ReadFile(ctx, f)
		if errors.Is(err, fs.ErrNotExist) && q.AppsPath != "" && len(files) == 1 {
			return nil, &AppError{App: strings.Join(q.Names, ","), Problem: ProblemNotFound,
				Reason: fmt.Sprintf("--apps-path %s: no such file or directory in %s", q.AppsPath, apps.URL)}
		}
		if err != nil {
			return nil, err
		}
		// A name may be spelled without its own bytes: with escapes, a
		// tag (!!binary) or in UTF-16.
		escapes := bytes.ContainsAny(b, "\\!") || bytes.HasPrefix(b, []byte{0xfe, 0xff}) || bytes.HasPrefix(b, []byte{0xff, 0xfe})
		if !bytes.Contains(b, []byte("argoproj.io")) && !escapes {
			continue
		}
		if !bytes.Contains(b, []byte("ApplicationSet")) && !escapes &&
			!slices.ContainsFunc(q.Names, func(n string) bool { return bytes.Contains(b, []byte(baseName(n))) }) {
			// An Application of another name: parsed only to list
			// close names, should none be found (thousands of
			// manifests are common).
			later = append(later, f)
			texts[f] = b
			continue
		}
		parse(f, b)
	}
	// An ApplicationSet's generators may read the repository being
	// changed or the one of the manifests.
	var notes []string
	for _, s := range appSets {
		gen, err := s.expand(ctx, []*Repo{&q.Repo, apps})
		if err != nil {
			notes = append(notes, err.Error())
		}
		all = append(all, gen...)
	}
	var out []*App
	for _, want := range q.Names {
		ns, name, hasNS := strings.Cut(want, "/")
		if !hasNS {
			name, ns = ns, ""
		}
		var hits []found
		for _, a := range all {
			if a.name == name && (!hasNS || sameNamespace(a.namespace, ns)) {
				hits = append(hits, a)
			}
		}
		if len(hits) == 0 {
			for f, err := range invalid {
				if bytes.Contains(texts[f], []byte(name)) {
					return nil, &AppError{App: want, Problem: ProblemInvalid,
						Reason: fmt.Sprintf("%s, which may define it, is not valid YAML (%s): fix the manifest", f, errString(err))}
				}
			}
			for _, f := range later {
				parse(f, texts[f])
			}
			later = nil
			var names []string
			for _, a := range all {
				names = append(names, a.name)
			}
			where := q.AppsPath
			if where == "" {
				where = strings.Join(DefaultAppsPaths, "/, ") + "/ and the root's files"
			}
			reason := fmt.Sprintf("no Application of that name in %d manifest files under %s of %s", len(files), where, apps.URL)
			if len(notes) > 0 {
				reason += " (not expanded: " + strings.Join(notes, "; ") + ")"
			}
			return nil, &AppError{App: want, Problem: ProblemNotFound, Reason: reason + ": check the name, or name the manifests with --apps-path", Near: near(name, names)}
		}
		for i := 1; i < len(hits); i++ {
			if sameNamespace(hits[0].namespace, hits[i].namespace) || !hasNS {
				return nil, &AppError{App: want, Problem: ProblemDuplicate,
					Reason: fmt.Sprintf("defined twice: %s and %s (document %d and %d); Argo CD keeps one of them: remove the other, or name the namespace (NAMESPACE/NAME)",
						hits[0].where(), hits[i].where(), hits[0].doc+1, hits[i].doc+1)}
			}
		}
		app, err := resolve(ctx, hits[0], &q.Repo, apps)
		if err != nil {
			return nil, err
		}
		out = append(out, app)
	}
	return out, nil
}

// baseName is NAME of "NAME" or "NAMESPACE/NAME".
func baseName(n string) string {
	_, name, ok := strings.Cut(n, "/")
	if !ok {
		return n
	}
	return name
}

// where names the file (and ApplicationSet) a found Application comes from.
func (f found) where() string {
	if f.appSet != "" {
		return f.file + " (ApplicationSet " + f.appSet + ")"
	}
	return f.file
}

// sameNamespace compares namespaces; an Application without one lives in
// Argo CD's own, argocd by default.
func sameNamespace(a, b string) bool {
	if a == "" {
		a = "argocd"
	}
	if b == "" {
		b = "argocd"
	}
	return a == b
}

// revisionOK reports whether targetRevision rev names repo's branch:
// the branch itself, refs/heads/<branch>, or HEAD (or nothing) for the
// default branch.
func revisionOK(rev string, repo *Repo) bool {
	switch rev = strings.TrimSpace(rev); rev {
	case "", "HEAD":
		return repo.DefaultBranch
	case repo.Branch, "refs/heads/" + repo.Branch:
		return true
	}
	return false
}

// revisionName is how a targetRevision reads in a message.
func revisionName(rev string) string {
	if rev == "" {
		return "HEAD (none set)"
	}
	return rev
}

// resolve turns a found Application into targets in repo; apps holds its
// manifest.
func resolve(ctx context.Context, f found, repo, apps *Repo) (*App, error) {
	spec, err := decodeSpec(f.spec)
	if err != nil {
		return nil, &AppError{App: f.name, Problem: ProblemInvalid, Reason: fmt.Sprintf("%s: spec does not read as an Application's (%s): fix the manifest", f.where(), errString(err))}
	}
	// Argo CD deploys spec.sources when it has any, ignoring spec.source.
	multi := len(spec.Sources) > 0 || spec.Source == nil
	app := &App{Name: f.name, Namespace: f.namespace, File: f.file, Doc: f.doc, AppSet: f.appSet, Multi: multi, DestNamespace: spec.Destination.Namespace}
	srcIndex := func(i int) int { return i }
	if !multi {
		app.Sources = []SourceSpec{*spec.Source}
		srcIndex = func(int) int { return -1 }
	} else {
		app.Sources = spec.Sources
	}
	if len(app.Sources) == 0 {
		return nil, &AppError{App: f.name, Problem: ProblemInvalid, Reason: f.where() + ": the Application has no spec.source or spec.sources"}
	}
	refs := map[string]*SourceSpec{}
	for i := range app.Sources {
		if r := app.Sources[i].Ref; r != "" {
			refs[r] = &app.Sources[i]
		}
	}
	var ours, others, wrongRev []string
	for i := range app.Sources {
		s := &app.Sources[i]
		if !SameRepo(s.RepoURL, repo.URL) {
			others = append(others, s.RepoURL)
			continue
		}
		if !revisionOK(s.TargetRevision, repo) {
			wrongRev = append(wrongRev, revisionName(s.TargetRevision))
			continue
		}
		ours = append(ours, s.RepoURL)
	}
	// valueFile resolves a value file of source s to a path in repo, or
	// "" with why not.
	valueFile := func(s *SourceSpec, vf string) (string, string) {
		if strings.HasPrefix(vf, "$") {
			name, rest, _ := strings.Cut(vf[1:], "/")
			ref, ok := refs[name]
			switch {
			case !ok:
				return "", fmt.Sprintf("%s names no ref: source", vf)
			case !SameRepo(ref.RepoURL, repo.URL):
				return "", fmt.Sprintf("%s is in %s", vf, ref.RepoURL)
			case !revisionOK(ref.TargetRevision, repo):
				return "", fmt.Sprintf("%s is at revision %s, not %s", vf, revisionName(ref.TargetRevision), repo.Branch)
			}
			return cleanInRepo(rest)
		}
		if strings.Contains(vf, "://") {
			return "", vf + " is a URL"
		}
		if s.Chart != "" || s.Path == "" || !SameRepo(s.RepoURL, repo.URL) {
			return "", fmt.Sprintf("%s is in the chart's own repository (%s)", vf, s.RepoURL)
		}
		if !revisionOK(s.TargetRevision, repo) {
			return "", fmt.Sprintf("%s is at revision %s, not %s", vf, revisionName(s.TargetRevision), repo.Branch)
		}
		if strings.HasPrefix(vf, "/") {
			// Argo CD reads an absolute path from the repository's root.
			return cleanInRepo(vf)
		}
		return cleanInRepo(path.Join(s.Path, vf))
	}
	for i := range app.Sources {
		s := &app.Sources[i]
		here := SameRepo(s.RepoURL, repo.URL) && revisionOK(s.TargetRevision, repo)
		embedded := func(k Kind) Target {
			return Target{Kind: k, File: app.File, Manifest: app.File, Doc: app.Doc, Source: srcIndex(i), Generated: app.AppSet != ""}
		}
		var helmFiles, warnings []string
		var fileParams []FileParameter
		if s.Helm != nil {
			for _, vf := range s.Helm.ValueFiles {
				if p, _ := valueFile(s, vf); p != "" {
					helmFiles = append(helmFiles, p)
				}
			}
			warnings = trailingWarnings(s, helmFiles, valueFile)
			for _, fp := range s.Helm.FileParameters {
				p, why := valueFile(s, fp.Path)
				fileParams = append(fileParams, FileParameter{Name: fp.Name, Path: fp.Path, File: p, Why: why})
			}
		}
		switch {
		case here && s.Plugin != nil:
			return nil, &AppError{App: app.Name, Problem: ProblemUnsupported,
				Reason: fmt.Sprintf("source %s renders with a config management plugin, which tagbump cannot follow: use --chart/--values-file", s.Path)}
		case here && s.Path != "" && s.Chart == "":
			kind, err := dirKind(repo.Files, s)
			if err != nil {
				return nil, &AppError{App: app.Name, Problem: ProblemMissingFiles, Reason: fmt.Sprintf("source path %s: %v", s.Path, err)}
			}
			switch kind {
			case KindHelmValues:
				if len(helmFiles) == 0 && (s.Helm == nil || len(s.Helm.ValueFiles) == 0) {
					helmFiles = []string{path.Join(s.Path, "values.yaml")}
				}
				if len(helmFiles) > 0 {
					app.Targets = append(app.Targets, Target{Kind: KindHelmValues, File: helmFiles[len(helmFiles)-1], Source: srcIndex(i), ChartDir: s.Path,
						ValueFiles: helmFiles, Warnings: warnings, FileParameters: fileParams})
				}
			case KindKustomization:
				k, err := kustomizationFile(repo.Files, s.Path)
				if err != nil {
					return nil, &AppError{App: app.Name, Problem: ProblemMissingFiles,
						Reason: fmt.Sprintf("source path %s: its kustomize: block has Argo CD build it with kustomize, but it holds no kustomization.yaml, kustomization.yml or Kustomization: fix the Application", s.Path)}
				}
				app.Targets = append(app.Targets, Target{Kind: KindKustomization, File: k, Source: srcIndex(i)})
			case KindManifests:
				app.Targets = append(app.Targets, Target{Kind: KindManifests, File: s.Path, Source: srcIndex(i), Files: manifestFiles(repo.Files, s.Path, s.Directory)})
			}
		case len(helmFiles) > 0:
			// A chart from a Helm repository or another Git repository,
			// with value files here ($ref).
			app.Targets = append(app.Targets, Target{Kind: KindHelmValues, File: helmFiles[len(helmFiles)-1], Source: srcIndex(i), ValueFiles: helmFiles, Warnings: warnings, FileParameters: fileParams})
		}
		// What the manifest itself sets (parameters, values) overrides the
		// value files: listed wherever the manifest lives, so a bump that
		// it would override is refused.
		if here || s.Chart != "" || len(helmFiles) > 0 {
			if s.Helm != nil && (s.Helm.Values != "" || s.Helm.ValuesObject != nil) {
				k := KindValues
				if s.Helm.ValuesObject != nil {
					k = KindValuesObject
				}
				app.Targets = append(app.Targets, embedded(k))
			}
			if s.Helm != nil && len(s.Helm.Parameters) > 0 {
				app.Targets = append(app.Targets, embedded(KindParameters))
			}
			if s.Kustomize != nil && len(s.Kustomize.Images) > 0 {
				app.Targets = append(app.Targets, embedded(KindKustomizeImages))
			}
		}
	}
	if len(app.Targets) > 0 {
		return app, nil
	}
	switch {
	case len(wrongRev) > 0:
		return nil, &AppError{App: app.Name, Problem: ProblemRevision,
			Reason: fmt.Sprintf("%s deploys targetRevision %s of %s, not the branch being changed (%s): pass --branch, or change the Application", f.where(), strings.Join(wrongRev, ", "), repo.URL, branchName(repo))}
	case slices.ContainsFunc(app.Sources, func(s SourceSpec) bool { return s.Chart != "" }):
		var charts []string
		for _, s := range app.Sources {
			if s.Chart != "" {
				charts = append(charts, s.Chart+" from "+s.RepoURL)
			}
		}
		return nil, &AppError{App: app.Name, Problem: ProblemHelmRepo,
			Reason: fmt.Sprintf("%s deploys chart %s, a chart from a Helm repository, with no value file or parameter in %s to edit: add a values file from this repository ($values/...) or bump the chart's own repository", f.where(), strings.Join(charts, ", "), repo.URL)}
	case len(ours) == 0:
		return nil, &AppError{App: app.Name, Problem: ProblemOtherRepo,
			Reason: fmt.Sprintf("%s deploys from %s, not from %s: check --repo (repoURL is compared without scheme, user and .git)", f.where(), strings.Join(others, ", "), repo.URL)}
	}
	return nil, &AppError{App: app.Name, Problem: ProblemNotFound, Reason: f.where() + ": no file in " + repo.URL + " that it deploys"}
}

// trailingWarnings tells of the value files outside the repository that
// Helm reads after the last of ours: a tag set there overrides ours. Those
// read before are overridden by ours, and not reported.
func trailingWarnings(s *SourceSpec, ours []string, resolve func(*SourceSpec, string) (string, string)) []string {
	if len(ours) == 0 {
		return nil
	}
	var out []string
	last := -1
	for i, vf := range s.Helm.ValueFiles {
		if p, _ := resolve(s, vf); p == ours[len(ours)-1] {
			last = i
		}
	}
	for _, vf := range s.Helm.ValueFiles[last+1:] {
		if p, why := resolve(s, vf); p == "" {
			out = append(out, "after "+ours[len(ours)-1]+" Helm reads a value file tagbump cannot see ("+why+"): a tag set there wins over the one set here")
		}
	}
	return out
}

func branchName(r *Repo) string {
	if r.DefaultBranch {
		return r.Branch + ", the default branch"
	}
	return r.Branch
}

// cleanInRepo cleans a path in the repository, or says why it leaves it.
func cleanInRepo(p string) (string, string) {
	c := path.Clean(strings.TrimPrefix(p, "/"))
	if c == "." || c == ".." || strings.HasPrefix(c, "../") {
		return "", p + " is outside the repository"
	}
	return c, ""
}

// dirKind tells how Argo CD renders the directory of source s, as its
// repo server decides (GetAppSourceType): a helm:, kustomize: or
// directory: block names the tool (two of them are an error there);
// without one, the files directly in the directory decide, walked in
// name order, the last that counts winning: a name ending in Chart.yaml
// is a Helm chart, a kustomization.yaml, .yml or Kustomization a
// Kustomize directory; else plain manifests. So a directory with both
// Chart.yaml and kustomization.yaml is built with kustomize.
func dirKind(src Files, s *SourceSpec) (Kind, error) {
	var explicit []Kind
	if s.Kustomize != nil {
		explicit = append(explicit, KindKustomization)
	}
	if s.Helm != nil {
		explicit = append(explicit, KindHelmValues)
	}
	if s.Directory != nil {
		explicit = append(explicit, KindManifests)
	}
	if len(explicit) > 1 {
		return "", fmt.Errorf("it sets more than one of helm:, kustomize: and directory:, which Argo CD refuses (multiple application sources defined)")
	}
	_, files, err := src.List(s.Path)
	if err != nil {
		return "", err
	}
	if len(explicit) == 1 {
		return explicit[0], nil
	}
	kind := KindManifests
	for _, f := range slices.Sorted(slices.Values(files)) {
		switch {
		case strings.HasSuffix(f, "Chart.yaml"):
			kind = KindHelmValues
		case isKustomization(f):
			kind = KindKustomization
		}
	}
	return kind, nil
}

// DirectoryKind tells how Argo CD renders directory dir of the
// repository for a source with no helm:, kustomize: or directory: block
// (dirKind).
func DirectoryKind(src Files, dir string) (Kind, error) {
	return dirKind(src, &SourceSpec{Path: dir})
}

func isKustomization(name string) bool {
	return name == rootKustomizationFile || name == "kustomization.yml" || name == "Kustomization"
}

// kustomizationFile is the path of dir's kustomization file.
func kustomizationFile(src Files, dir string) (string, error) {
	_, files, err := src.List(dir)
	if err != nil {
		return "", err
	}
	for _, n := range []string{rootKustomizationFile, "kustomization.yml", "Kustomization"} {
		if slices.Contains(files, n) {
			return join(dir, n), nil
		}
	}
	return "", fs.ErrNotExist
}

// manifestFiles lists the YAML and JSON files of dir (and below it, with
// recurse), as Argo CD's directory source reads them.
func manifestFiles(src Files, dir string, spec *DirectorySpec) []string {
	out, _ := DirectoryFiles(src, dir, spec)
	return out
}

// DirectoryFiles lists the files of dir (and below it, with recurse)
// that Argo CD's directory source spec reads, within its include and
// exclude: the YAML and JSON manifests it applies, and the Jsonnet files
// (.jsonnet) it evaluates. A nil spec is the default: dir alone.
func DirectoryFiles(src Files, dir string, spec *DirectorySpec) (manifests, jsonnet []string) {
	var d DirectorySpec
	if spec != nil {
		d = *spec
	}
	include, exclude := dirGlob(d.Include), dirGlob(d.Exclude)
	var walk func(at string)
	walk = func(at string) {
		dirs, files, err := src.List(at)
		if err != nil {
			return
		}
		for _, f := range files {
			p := join(at, f)
			rel := strings.TrimPrefix(strings.TrimPrefix(p, dir), "/")
			isJsonnet := strings.HasSuffix(f, ".jsonnet")
			if !manifestFile(f) && !strings.HasSuffix(f, ".json") && !isJsonnet ||
				include != nil && !include.MatchString(rel) || exclude != nil && exclude.MatchString(rel) {
				continue
			}
			if isJsonnet {
				jsonnet = append(jsonnet, p)
			} else {
				manifests = append(manifests, p)
			}
		}
		if d.Recurse {
			for _, sub := range dirs {
				if !strings.HasPrefix(sub, ".") {
					walk(join(at, sub))
				}
			}
		}
	}
	walk(dir)
	return manifests, jsonnet
}

// dirGlob compiles a directory source's include or exclude pattern as Argo
// CD matches it against a file's path relative to the source's path: '*'
// matches any run of characters, '/' included; '?' one character; '[...]'
// a class; '{a,b}' either. nil for an empty pattern.
func dirGlob(pattern string) *regexp.Regexp {
	if pattern == "" {
		return nil
	}
	var b strings.Builder
	b.WriteString("^")
	depth := 0
	for i := 0; i < len(pattern); i++ {
		switch c := pattern[i]; c {
		case '*':
			b.WriteString(".*")
		case '?':
			b.WriteString(".")
		case '{':
			depth++
			b.WriteString("(?:")
		case '}':
			if depth > 0 {
				depth--
				b.WriteString(")")
			} else {
				b.WriteString(`\}`)
			}
		case ',':
			if depth > 0 {
				b.WriteString("|")
			} else {
				b.WriteString(",")
			}
		case '[':
			if j := strings.IndexByte(pattern[i:], ']'); j > 1 {
				class := pattern[i : i+j+1]
				if strings.HasPrefix(class, "[!") {
					class = "[^" + class[2:]
				}
				b.WriteString(class)
				i += j
			} else {
				b.WriteString(`\[`)
			}
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	b.WriteString(strings.Repeat(")", depth))
	b.WriteString("$")
	re, err := regexp.Compile(b.String())
	if err != nil {
		return regexp.MustCompile(`^` + regexp.QuoteMeta(pattern) + `$`)
	}
	return re
}
