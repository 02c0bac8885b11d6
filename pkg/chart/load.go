package chart

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Source reads a repository's files. A missing file, or one that is not a
// regular file, gives an error matching fs.ErrNotExist.
type Source interface {
	ReadFile(ctx context.Context, p string) ([]byte, error)
	// Prefetch may read the files at paths ahead, in one request; it
	// skips the paths that do not exist.
	Prefetch(ctx context.Context, paths ...string) error
	// Dirs and Files list the subdirectories and files of the directory
	// p; an error matching fs.ErrNotExist when there is none.
	List(p string) (dirs, files []string, err error)
}

// ErrTooLarge is what a Source's error matches when a file is too large
// to read.
var ErrTooLarge = errors.New("file too large")

// MaxArchive is the largest packaged subchart (.tgz, uncompressed) Load
// reads values from.
const MaxArchive = 16 << 20

// Files are the files of the chart in dir that Load reads first: Load
// reads them all, so fetch them with the values files.
func Files(dir string) []string {
	return []string{path.Join(dir, "values.yaml"), path.Join(dir, "Chart.yaml"), path.Join(dir, "requirements.yaml")}
}

// Load reads the chart in the directory dir: its values.yaml, its
// dependencies and the values of its subcharts, each from charts/<dir>/,
// a packaged charts/<name>-<version>.tgz, or the file:// path the
// dependency names. As in Helm, a chart in charts/ is the chart its own
// Chart.yaml names (the directory's or the archive's name only when it
// has none), entries of charts/ whose name starts with "_" or "." are not
// charts, and charts in charts/ that no dependency names are subcharts
// under their own name. An archive Load cannot read (a Git LFS pointer, a
// damaged or too large archive) is skipped with a warning in
// Chart.Warnings. Subcharts of subcharts are not read.
func Load(ctx context.Context, src Source, dir string) (*Chart, error) {
	files := Files(dir)
	read := func(p string) ([]byte, error) {
		b, err := src.ReadFile(ctx, p)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return b, err
	}
	c := &Chart{ValuesFile: files[0]}
	var raw [3][]byte
	for i, f := range files {
		b, err := read(f)
		if err != nil {
			return nil, err
		}
		raw[i] = b
	}
	c.Values = raw[0]
	deps, err := Dependencies(raw[1], raw[2])
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path.Join(dir, "Chart.yaml"), err)
	}
	chartsDir := path.Join(dir, "charts")
	dirs, archives, err := src.List(chartsDir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	// Helm's loader skips these (loader.LoadFiles).
	hidden := func(n string) bool { return strings.IndexAny(n, "_.") == 0 }
	dirs = slices.DeleteFunc(dirs, hidden)
	archives = slices.DeleteFunc(archives, func(f string) bool { return hidden(f) || !strings.HasSuffix(f, ".tgz") })
	if len(deps) == 0 && len(dirs) == 0 && len(archives) == 0 {
		return c, nil
	}
	// The file:// directories of dependencies, read only when charts/
	// holds no chart of that name.
	var fileDirs []string
	for _, d := range deps {
		if p, ok := fileDir(dir, d); ok && !slices.Contains(fileDirs, p) {
			fileDirs = append(fileDirs, p)
		}
	}
	var want []string
	for _, d := range append(slices.Clone(fileDirs), dirs...) {
		if !strings.Contains(d, "/") {
			d = path.Join(chartsDir, d)
		}
		for _, f := range []string{path.Join(d, "values.yaml"), path.Join(d, "Chart.yaml")} {
			if !slices.Contains(want, f) {
				want = append(want, f)
			}
		}
	}
	n := len(want)
	for _, a := range archives {
		want = append(want, path.Join(chartsDir, a))
	}
	err = src.Prefetch(ctx, want...)
	if errors.Is(err, ErrTooLarge) {
		// An archive too large to fetch is skipped below, as it is read.
		err = src.Prefetch(ctx, want[:n]...)
	}
	if err != nil {
		return nil, err
	}
	// Where each subchart is: a directory or archive in charts/, or a
	// file:// path.
	type where struct {
		name, dir, vfile string
		vals             []byte
		deps             []Dependency
	}
	var found []*where
	byName, byDir := map[string]*where{}, map[string]*where{}
	readDir := func(d, fallback string) (*where, error) {
		if w := byDir[d]; w != nil {
			return w, nil
		}
		meta, err := read(path.Join(d, "Chart.yaml"))
		if err != nil {
			return nil, err
		}
		w := &where{name: chartName(meta, fallback), dir: d, vfile: path.Join(d, "values.yaml")}
		if w.vals, err = read(w.vfile); err != nil {
			return nil, err
		}
		byDir[d] = w
		return w, nil
	}
	for _, d := range dirs {
		w, err := readDir(path.Join(chartsDir, d), d)
		if err != nil {
			return nil, err
		}
		if byName[w.name] == nil {
			found, byName[w.name] = append(found, w), w
		}
	}
	for _, a := range archives {
		p := path.Join(chartsDir, a)
		b, err := read(p)
		if err != nil && !errors.Is(err, ErrTooLarge) {
			return nil, err
		}
		ar, err := readArchive(b, err)
		if err != nil {
			hint := ""
			if errors.Is(err, gzip.ErrHeader) {
				hint = " (a Git LFS pointer? keep charts/*.tgz out of LFS, or unpack the chart into charts/)"
			}
			c.Warnings = append(c.Warnings, fmt.Sprintf("skipped the subchart %s: %v: its images are not read%s", p, err, hint))
			continue
		}
		// <name>-<version>.tgz: without a Chart.yaml, the name is what
		// precedes the version.
		name := strings.TrimSuffix(a, ".tgz")
		if i := versionStart(name); i > 0 {
			name = name[:i-1]
		}
		name = chartName(ar.chart, name)
		if byName[name] != nil {
			continue // a directory wins, as it is unpacked
		}
		w := &where{name: name, vfile: p + ":" + ar.valuesName, vals: ar.values}
		found, byName[name] = append(found, w), w
	}
	for _, d := range deps {
		w := byName[d.Name]
		if p, ok := fileDir(dir, d); w == nil && ok {
			if w, err = readDir(p, d.Name); err != nil {
				return nil, err
			}
			if !slices.Contains(found, w) {
				found = append(found, w)
			}
		}
		if w != nil {
			w.deps = append(w.deps, d)
		}
	}
	for _, w := range found {
		if len(w.deps) == 0 {
			c.Subcharts = append(c.Subcharts, Subchart{Key: w.name, Name: w.name, ValuesFile: w.vfile, Values: w.vals})
			continue
		}
		for _, d := range w.deps {
			c.Subcharts = append(c.Subcharts, Subchart{Key: d.Key(), Name: d.Name, ValuesFile: w.vfile, Values: w.vals, Condition: d.Condition, Tags: d.Tags})
		}
	}
	return c, nil
}

// fileDir returns the directory a file:// dependency names, inside the
// repository.
func fileDir(dir string, d Dependency) (string, bool) {
	rest, ok := strings.CutPrefix(d.Repository, "file://")
	if !ok {
		return "", false
	}
	p := path.Clean(path.Join(dir, rest))
	if p == ".." || strings.HasPrefix(p, "../") || path.IsAbs(p) {
		return "", false
	}
	return p, true
}

// chartName returns the name in a Chart.yaml, or fallback when it has
// none or cannot be read.
func chartName(meta []byte, fallback string) string {
	var doc struct {
		Name string `yaml:"name"`
	}
	if len(meta) == 0 || yaml.Unmarshal(meta, &doc) != nil || strings.TrimSpace(doc.Name) == "" {
		return fallback
	}
	return strings.TrimSpace(doc.Name)
}

// versionStart returns where the version begins in "<name>-<version>": the
// index after the last '-' that is followed by a digit, or -1.
func versionStart(s string) int {
	for i := len(s) - 1; i > 0; i-- {
		if s[i-1] == '-' && s[i] >= '0' && s[i] <= '9' {
			return i
		}
	}
	return -1
}

// archive is what Load reads from a packaged chart.
type archive struct {
	chart      []byte // its Chart.yaml
	values     []byte // its values.yaml
	valuesName string // the path of values.yaml in the archive, "" when it has none
}

// readArchive reads the Chart.yaml and values.yaml at the top of a
// packaged chart (<name>/values.yaml). As in Helm, when the archive holds
// a file twice the last one counts.
func readArchive(b []byte, err error) (*archive, error) {
	if err != nil {
		return nil, err
	}
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	defer zr.Close()
	lr := &io.LimitedReader{R: zr, N: MaxArchive + 1}
	tr := tar.NewReader(lr)
	a := &archive{}
	for {
		h, err := tr.Next()
		if lr.N <= 0 {
			return nil, fmt.Errorf("larger than %d MiB uncompressed", MaxArchive>>20)
		}
		if errors.Is(err, io.EOF) {
			return a, nil
		}
		if err != nil {
			return nil, err
		}
		name := path.Clean(strings.TrimPrefix(h.Name, "./"))
		top, rest, ok := strings.Cut(name, "/")
		if !ok || top == "" || (rest != "values.yaml" && rest != "Chart.yaml") || h.Typeflag != tar.TypeReg {
			continue
		}
		v, err := io.ReadAll(tr)
		if lr.N <= 0 {
			return nil, fmt.Errorf("larger than %d MiB uncompressed", MaxArchive>>20)
		}
		if err != nil {
			return nil, err
		}
		if rest == "Chart.yaml" {
			a.chart = v
		} else {
			a.values, a.valuesName = v, name
		}
	}
}
