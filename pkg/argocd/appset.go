package argocd

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"path"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"text/template"

	"go.yaml.in/yaml/v3"
)

// Supported ApplicationSet generators: list, git (directories and files)
// and a matrix of two of these; the parameter names are Argo CD's
// (docs/operator-manual/applicationset/Generators-Git.md and
// applicationset/generators/git.go): for git directories path,
// path.basename, path.basenameNormalized and path[n] (Go templates:
// .path.path, .path.basename, .path.basenameNormalized, .path.segments),
// for git files the file's flattened keys and also path.filename and
// path.filenameNormalized, and values.KEY from a generator's values. Both
// template styles render: fasttemplate ({{path.basename}}) and, with
// goTemplate: true, Go templates ({{.path.basename}}) with the normalize,
// lower, upper, replace, trimPrefix, trimSuffix and default functions of
// Argo CD and Sprig. The cluster, clusterDecisionResource, scmProvider,
// pullRequest, plugin and merge generators need the cluster or an API:
// they are refused, as are templatePatch and generator-level templates.

// appSet is an ApplicationSet manifest.
type appSet struct {
	name, namespace string
	file            string
	doc             int
	node            *yaml.Node
}

// appSetSpec is the part of an ApplicationSet's spec tagbump reads.
type appSetSpec struct {
	GoTemplate        bool        `yaml:"goTemplate"`
	GoTemplateOptions []string    `yaml:"goTemplateOptions"`
	Generators        []yaml.Node `yaml:"generators"`
	Template          yaml.Node   `yaml:"template"`
	TemplatePatch     string      `yaml:"templatePatch"`
}

// generator is one generator of an ApplicationSet.
type generator struct {
	List *struct {
		Elements []map[string]any `yaml:"elements"`
	} `yaml:"list"`
	Git *struct {
		RepoURL         string            `yaml:"repoURL"`
		Revision        string            `yaml:"revision"`
		Directories     []pathItem        `yaml:"directories"`
		Files           []pathItem        `yaml:"files"`
		Values          map[string]string `yaml:"values"`
		PathParamPrefix string            `yaml:"pathParamPrefix"`
	} `yaml:"git"`
	Matrix *struct {
		Generators []yaml.Node `yaml:"generators"`
	} `yaml:"matrix"`
	Selector *struct {
		MatchLabels      map[string]string `yaml:"matchLabels"`
		MatchExpressions []any             `yaml:"matchExpressions"`
	} `yaml:"selector"`
	Template *yaml.Node `yaml:"template"`
	// Generators tagbump cannot run.
	Clusters                *yaml.Node `yaml:"clusters"`
	ClusterDecisionResource *yaml.Node `yaml:"clusterDecisionResource"`
	SCMProvider             *yaml.Node `yaml:"scmProvider"`
	PullRequest             *yaml.Node `yaml:"pullRequest"`
	Plugin                  *yaml.Node `yaml:"plugin"`
	Merge                   *yaml.Node `yaml:"merge"`
}

type pathItem struct {
	Path    string `yaml:"path"`
	Exclude bool   `yaml:"exclude"`
}

// maxParams bounds the parameter sets of one generator (a matrix of two
// large lists would otherwise grow without end).
const maxParams = 20000

// params are one set of a generator's parameters.
type params = map[string]any

// expand renders the Applications the ApplicationSet generates; repos are
// the repositories its git generators may read. An error says which
// generator tagbump cannot run.
func (s appSet) expand(ctx context.Context, repos []*Repo) ([]found, error) {
	var spec appSetSpec
	if n := field(s.node, "spec"); n != nil {
		if err := n.Decode(&spec); err != nil {
			return nil, fmt.Errorf("ApplicationSet %s (%s): %s", s.name, s.file, errString(err))
		}
	}
	fail := func(format string, a ...any) error {
		return fmt.Errorf("ApplicationSet %s (%s): %s", s.name, s.file, fmt.Sprintf(format, a...))
	}
	if spec.TemplatePatch != "" {
		return nil, fail("templatePatch is not supported")
	}
	var tmpl any
	if err := spec.Template.Decode(&tmpl); err != nil {
		return nil, fail("template: %s", errString(err))
	}
	r := renderer{goTemplate: spec.GoTemplate, options: spec.GoTemplateOptions}
	var out []found
	for i := range spec.Generators {
		ps, err := r.generate(ctx, &spec.Generators[i], repos)
		if err != nil {
			return out, fail("%v", err)
		}
		for _, p := range ps {
			v, err := r.render(tmpl, p)
			if err != nil {
				return out, fail("template: %v", err)
			}
			a, err := appFromTemplate(v)
			if err != nil {
				return out, fail("rendered template: %v", err)
			}
			a.file, a.doc, a.appSet = s.file, s.doc, s.name
			if a.namespace == "" {
				a.namespace = s.namespace
			}
			out = append(out, a)
		}
	}
	return out, nil
}

// appFromTemplate reads a rendered template as an Application.
func appFromTemplate(v any) (found, error) {
	b, err := yaml.Marshal(v)
	if err != nil {
		return found{}, err
	}
	var n yaml.Node
	if err := yaml.Unmarshal(b, &n); err != nil {
		return found{}, err
	}
	if len(n.Content) == 0 {
		return found{}, errors.New("empty")
	}
	var m meta
	if err := n.Content[0].Decode(&m); err != nil {
		return found{}, err
	}
	return found{name: m.Metadata.Name, namespace: m.Metadata.Namespace, spec: n.Content[0]}, nil
}

// renderer renders templates in one ApplicationSet's style.
type renderer struct {
	goTemplate bool
	options    []string
}

// generate returns the parameter sets of generator g.
func (r renderer) generate(ctx context.Context, n *yaml.Node, repos []*Repo) ([]params, error) {
	var g generator
	if err := n.Decode(&g); err != nil {
		return nil, errors.New(errString(err))
	}
	var unsupported []string
	for name, v := range map[string]*yaml.Node{"clusters": g.Clusters, "clusterDecisionResource": g.ClusterDecisionResource,
		"scmProvider": g.SCMProvider, "pullRequest": g.PullRequest, "plugin": g.Plugin, "merge": g.Merge} {
		if v != nil {
			unsupported = append(unsupported, name)
		}
	}
	if len(unsupported) > 0 {
		sort.Strings(unsupported)
		return nil, fmt.Errorf("the %s generator needs the cluster or an API, which tagbump does not read (supported: list, git directories and files, matrix of these): name the generated Application's files with --chart/--values-file", strings.Join(unsupported, ", "))
	}
	if g.Template != nil {
		return nil, errors.New("a generator's own template is not supported")
	}
	var ps []params
	var err error
	switch {
	case g.List != nil:
		for _, e := range g.List.Elements {
			ps = append(ps, r.listParams(e))
		}
	case g.Git != nil:
		ps, err = r.gitParams(ctx, g, repos)
	case g.Matrix != nil:
		ps, err = r.matrix(ctx, g.Matrix.Generators, repos)
	default:
		return nil, errors.New("a generator of a kind tagbump does not know")
	}
	if err != nil {
		return nil, err
	}
	if g.Selector != nil {
		if len(g.Selector.MatchExpressions) > 0 {
			return nil, errors.New("selector.matchExpressions is not supported")
		}
		ps = slices.DeleteFunc(ps, func(p params) bool {
			for k, v := range g.Selector.MatchLabels {
				if fmt.Sprint(lookup(p, k)) != v {
					return true
				}
			}
			return false
		})
	}
	return ps, nil
}

// lookup finds key in p: as is (fasttemplate's flat keys), else by its
// dotted path (Go templates' nested maps).
func lookup(p params, key string) any {
	if v, ok := p[key]; ok {
		return v
	}
	var cur any = p
	for _, k := range strings.Split(key, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[k]
	}
	return cur
}

// listParams are the parameters of one list element.
func (r renderer) listParams(e map[string]any) params {
	p := params{}
	for k, v := range e {
		if r.goTemplate {
			p[k] = v
			continue
		}
		if s, ok := v.(string); ok {
			p[k] = s
		} else {
			p[k] = fmt.Sprint(v)
		}
	}
	return p
}

// matrix returns the product of two generators' parameters; the second is
// rendered with each set of the first, as Argo CD does.
func (r renderer) matrix(ctx context.Context, gens []yaml.Node, repos []*Repo) ([]params, error) {
	if len(gens) != 2 {
		return nil, fmt.Errorf("a matrix needs two generators, it has %d", len(gens))
	}
	first, err := r.generate(ctx, &gens[0], repos)
	if err != nil {
		return nil, err
	}
	var second any
	if err := gens[1].Decode(&second); err != nil {
		return nil, errors.New(errString(err))
	}
	var out []params
	for _, p1 := range first {
		g2, err := r.render(second, p1)
		if err != nil {
			return nil, err
		}
		b, err := yaml.Marshal(g2)
		if err != nil {
			return nil, err
		}
		var n yaml.Node
		if err := yaml.Unmarshal(b, &n); err != nil {
			return nil, err
		}
		ps2, err := r.generate(ctx, n.Content[0], repos)
		if err != nil {
			return nil, err
		}
		for _, p2 := range ps2 {
			out = append(out, merge(maps.Clone(p1), p2))
		}
		if len(out) > maxParams {
			return nil, fmt.Errorf("the matrix makes more than %d parameter sets: tagbump stops there", maxParams)
		}
	}
	return out, nil
}

// merge merges b into a, nested maps key by key; b wins.
func merge(a, b params) params {
	for k, v := range b {
		am, aok := a[k].(map[string]any)
		bm, bok := v.(map[string]any)
		if aok && bok {
			a[k] = merge(maps.Clone(am), bm)
			continue
		}
		a[k] = v
	}
	return a
}

// gitParams are the parameters of a git generator, read from the
// repository it names when tagbump holds it at that revision.
func (r renderer) gitParams(ctx context.Context, g generator, repos []*Repo) ([]params, error) {
	git := g.Git
	var repo *Repo
	for _, rp := range repos {
		if SameRepo(git.RepoURL, rp.URL) && revisionOK(git.Revision, rp) {
			repo = rp
			break
		}
	}
	if repo == nil {
		return nil, fmt.Errorf("the git generator reads %s at revision %s, which is neither the repository being changed nor --apps-repo at its branch", git.RepoURL, revisionName(git.Revision))
	}
	prefix := "path"
	if git.PathParamPrefix != "" {
		prefix = git.PathParamPrefix + ".path"
	}
	var out []params
	switch {
	case len(git.Directories) > 0:
		var found []string
		for _, it := range git.Directories {
			if !it.Exclude {
				found = append(found, globDirs(repo.Files, strings.Trim(it.Path, "/"))...)
			}
		}
		slices.Sort(found)
		found = slices.Compact(found)
		for _, d := range found {
			if excluded(git.Directories, d) {
				continue
			}
			p := params{}
			r.pathParams(p, prefix, d, "")
			if err := r.addValues(p, git.Values); err != nil {
				return nil, err
			}
			out = append(out, p)
		}
	case len(git.Files) > 0:
		var files []string
		for _, it := range git.Files {
			if !it.Exclude {
				_, fs := globAll(repo.Files, strings.Trim(it.Path, "/"))
				files = append(files, fs...)
			}
		}
		slices.Sort(files)
		files = slices.Compact(files)
		files = slices.DeleteFunc(files, func(f string) bool { return excluded(git.Files, f) })
		if err := repo.Files.Prefetch(ctx, files...); err != nil {
			return nil, err
		}
		for _, f := range files {
			b, err := repo.Files.ReadFile(ctx, f)
			if err != nil {
				return nil, err
			}
			var objs []map[string]any
			var one map[string]any
			if err := yaml.Unmarshal(b, &one); err == nil {
				objs = []map[string]any{one}
			} else if err := yaml.Unmarshal(b, &objs); err != nil {
				return nil, fmt.Errorf("git generator file %s: %s", f, errString(err))
			}
			for _, o := range objs {
				p := params{}
				if r.goTemplate {
					maps.Copy(p, o)
				} else {
					flatten(p, "", o)
				}
				r.pathParams(p, prefix, path.Dir(f), f)
				if err := r.addValues(p, git.Values); err != nil {
					return nil, err
				}
				out = append(out, p)
			}
		}
	default:
		return nil, errors.New("a git generator without directories or files")
	}
	return out, nil
}

// pathParams adds a git generator's path parameters for the directory dir
// (and, for the files generator, the file) under prefix: Go templates'
// nested .path.path, .path.basename, ... and .path.segments, or
// fasttemplate's path, path.basename, ... and path[n].
func (r renderer) pathParams(p params, prefix, dir, file string) {
	v := map[string]any{"path": dir, "basename": path.Base(dir), "basenameNormalized": sanitizeName(path.Base(dir))}
	if file != "" {
		v["filename"], v["filenameNormalized"] = path.Base(file), sanitizeName(path.Base(file))
	}
	segs := strings.Split(dir, "/")
	if r.goTemplate {
		v["segments"] = toAny(segs)
		setNested(p, prefix, v)
		return
	}
	for k, x := range v {
		if k == "path" {
			p[prefix] = x
		} else {
			p[prefix+"."+k] = x
		}
	}
	for i, seg := range segs {
		if seg != "" {
			p[prefix+"["+strconv.Itoa(i)+"]"] = seg
		}
	}
}

// setNested sets the value at a dotted key (pathParamPrefix.path) in p.
func setNested(p params, key string, v any) {
	parts := strings.Split(key, ".")
	m := p
	for _, k := range parts[:len(parts)-1] {
		next, ok := m[k].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[k] = next
		}
		m = next
	}
	m[parts[len(parts)-1]] = v
}

func toAny(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

// flatten adds o's values to p under dotted keys, as Argo CD's
// fasttemplate parameters are (jeremywohl/flatten, DotStyle).
func flatten(p params, prefix string, o any) {
	switch v := o.(type) {
	case map[string]any:
		for k, x := range v {
			flatten(p, join2(prefix, k), x)
		}
	case []any:
		for i, x := range v {
			flatten(p, join2(prefix, strconv.Itoa(i)), x)
		}
	default:
		p[prefix] = fmt.Sprint(v)
	}
}

func join2(prefix, k string) string {
	if prefix == "" {
		return k
	}
	return prefix + "." + k
}

// addValues renders a generator's values with p and adds them as
// values.KEY (Go templates: .values.KEY).
func (r renderer) addValues(p params, values map[string]string) error {
	if len(values) == 0 {
		return nil
	}
	vs := map[string]any{}
	for k, v := range values {
		s, err := r.renderString(v, p)
		if err != nil {
			return err
		}
		if r.goTemplate {
			vs[k] = s
		} else {
			p["values."+k] = s
		}
	}
	if r.goTemplate {
		p["values"] = vs
	}
	return nil
}

// excluded reports whether p matches an exclude: true item.
func excluded(items []pathItem, p string) bool {
	for _, it := range items {
		if it.Exclude && globMatch(strings.Trim(it.Path, "/"), p) {
			return true
		}
	}
	return false
}

// globMatch matches p against a slash-separated glob with ** segments.
func globMatch(pattern, p string) bool {
	return matchSegs(strings.Split(pattern, "/"), strings.Split(p, "/"))
}

func matchSegs(pat, segs []string) bool {
	if len(pat) == 0 {
		return len(segs) == 0
	}
	if pat[0] == "**" {
		for i := 0; i <= len(segs); i++ {
			if matchSegs(pat[1:], segs[i:]) {
				return true
			}
		}
		return false
	}
	if len(segs) == 0 {
		return false
	}
	ok, _ := path.Match(pat[0], segs[0])
	return ok && matchSegs(pat[1:], segs[1:])
}

// globDirs returns the directories that match pattern, each segment a
// path.Match pattern (as Argo CD's directory generator matches), skipping
// those whose name starts with ".".
func globDirs(src Files, pattern string) []string {
	var out []string
	var walk func(dir string, segs []string)
	walk = func(dir string, segs []string) {
		ds, _, err := src.List(dir)
		if err != nil {
			return
		}
		for _, d := range ds {
			if strings.HasPrefix(d, ".") {
				continue
			}
			if ok, _ := path.Match(segs[0], d); ok {
				if len(segs) == 1 {
					out = append(out, join(dir, d))
				} else {
					walk(join(dir, d), segs[1:])
				}
			}
		}
	}
	if pattern != "" {
		walk("", strings.Split(pattern, "/"))
	}
	return out
}

var invalidDNSChars = regexp.MustCompile(`[^-a-z0-9.]`)

// sanitizeName is Argo CD's utils.SanitizeName: lower case, characters a
// DNS name cannot hold replaced by "-", at most 253 characters.
func sanitizeName(name string) string {
	name = invalidDNSChars.ReplaceAllString(strings.ToLower(name), "-")
	if len(name) > 253 {
		name = name[:253]
	}
	return strings.Trim(name, "-.")
}

// render renders every string in v (a decoded YAML value) with p.
func (r renderer) render(v any, p params) (any, error) {
	switch x := v.(type) {
	case string:
		return r.renderString(x, p)
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			rv, err := r.render(e, p)
			if err != nil {
				return nil, err
			}
			out[k] = rv
		}
		return out, nil
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			rv, err := r.render(e, p)
			if err != nil {
				return nil, err
			}
			out[i] = rv
		}
		return out, nil
	}
	return v, nil
}

// funcs are the template functions tagbump knows of those Argo CD offers
// (its own normalize, and some of Sprig's).
var funcs = template.FuncMap{
	"normalize":  sanitizeName,
	"lower":      strings.ToLower,
	"upper":      strings.ToUpper,
	"trim":       strings.TrimSpace,
	"trimPrefix": func(prefix, s string) string { return strings.TrimPrefix(s, prefix) },
	"trimSuffix": func(suffix, s string) string { return strings.TrimSuffix(s, suffix) },
	"replace":    func(old, new, s string) string { return strings.ReplaceAll(s, old, new) },
	"default": func(d any, v ...any) any {
		if len(v) == 0 || v[0] == nil || v[0] == "" {
			return d
		}
		return v[0]
	},
}

// renderString renders one string: a Go template, or fasttemplate's
// {{key}} substitution (an unknown key stays as it is).
func (r renderer) renderString(s string, p params) (string, error) {
	if !strings.Contains(s, "{{") {
		return s, nil
	}
	if r.goTemplate {
		t := template.New("").Funcs(funcs)
		for _, o := range r.options {
			// Option panics on what it does not know; missingkey= is
			// the only option there is.
			switch o {
			case "missingkey=default", "missingkey=invalid", "missingkey=zero", "missingkey=error":
				t = t.Option(o)
			default:
				return "", fmt.Errorf("goTemplateOptions: unknown option %q", o)
			}
		}
		t, err := t.Parse(s)
		if err != nil {
			return "", err
		}
		var b strings.Builder
		if err := t.Execute(&b, p); err != nil {
			return "", err
		}
		return strings.ReplaceAll(b.String(), "<no value>", ""), nil
	}
	var b strings.Builder
	for {
		i := strings.Index(s, "{{")
		if i < 0 {
			b.WriteString(s)
			return b.String(), nil
		}
		j := strings.Index(s[i:], "}}")
		if j < 0 {
			b.WriteString(s)
			return b.String(), nil
		}
		b.WriteString(s[:i])
		key := strings.TrimSpace(s[i+2 : i+j])
		if v, ok := p[key]; ok {
			b.WriteString(fmt.Sprint(v))
		} else {
			b.WriteString(s[i : i+j+2])
		}
		s = s[i+j+2:]
	}
}
