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

// MaxArchive is the largest packaged subchart (.tgz, uncompressed) Load
// reads values from.
const MaxArchive = 16 << 20

// Files are the files of the chart in dir that Load reads first: Load
// reads them all, so fetch them with the values files.
func Files(dir string) []string {
	return []string{path.Join(dir, "values.yaml"), path.Join(dir, "Chart.yaml"), path.Join(dir, "requirements.yaml")}
}

// Load reads the chart in the directory dir: its values.yaml, its
// dependencies and the values of its subcharts, each from charts/<name>/,
// a packaged charts/<name>-<version>.tgz, or the file:// path the
// dependency names. Charts in charts/ that no dependency names are
// subcharts under their own name, as Helm loads them. Subcharts of
// subcharts are not read.
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
	if len(deps) == 0 && len(dirs) == 0 && len(archives) == 0 {
		return c, nil
	}
	archives = slices.DeleteFunc(archives, func(f string) bool { return !strings.HasSuffix(f, ".tgz") })
	// Where each subchart is: a directory or archive in charts/, or a
	// file:// path.
	type where struct {
		name, dir, archive string
		deps               []Dependency
	}
	var found []*where
	byName := map[string]*where{}
	for _, d := range dirs {
		w := &where{name: d, dir: path.Join(chartsDir, d)}
		found, byName[d] = append(found, w), w
	}
	for _, a := range archives {
		// <name>-<version>.tgz: the name is what precedes the version.
		name := strings.TrimSuffix(a, ".tgz")
		if i := versionStart(name); i > 0 {
			name = name[:i-1]
		}
		if byName[name] != nil {
			continue // a directory wins, as it is unpacked
		}
		w := &where{name: name, archive: path.Join(chartsDir, a)}
		found, byName[name] = append(found, w), w
	}
	for _, d := range deps {
		w := byName[d.Name]
		if w == nil && strings.HasPrefix(d.Repository, "file://") {
			p := path.Clean(path.Join(dir, strings.TrimPrefix(d.Repository, "file://")))
			if p != ".." && !strings.HasPrefix(p, "../") && !path.IsAbs(p) {
				w = &where{name: d.Name, dir: p}
				found, byName[d.Name] = append(found, w), w
			}
		}
		if w != nil {
			w.deps = append(w.deps, d)
		}
	}
	var want []string
	for _, w := range found {
		if w.archive != "" {
			want = append(want, w.archive)
		} else {
			want = append(want, path.Join(w.dir, "values.yaml"))
		}
	}
	if err := src.Prefetch(ctx, want...); err != nil {
		return nil, err
	}
	for _, w := range found {
		var vals []byte
		vfile := ""
		if w.archive != "" {
			b, err := read(w.archive)
			if err != nil {
				return nil, err
			}
			var inner string
			vals, inner, err = archiveValues(b)
			if err != nil {
				return nil, fmt.Errorf("read %s: %w", w.archive, err)
			}
			vfile = w.archive + ":" + inner
		} else {
			vfile = path.Join(w.dir, "values.yaml")
			b, err := read(vfile)
			if err != nil {
				return nil, err
			}
			vals = b
		}
		if len(w.deps) == 0 {
			c.Subcharts = append(c.Subcharts, Subchart{Key: w.name, Name: w.name, ValuesFile: vfile, Values: vals})
			continue
		}
		for _, d := range w.deps {
			c.Subcharts = append(c.Subcharts, Subchart{Key: d.Key(), Name: d.Name, ValuesFile: vfile, Values: vals, Condition: d.Condition, Tags: d.Tags})
		}
	}
	return c, nil
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

// archiveValues returns the values.yaml at the top of a packaged chart
// (<name>/values.yaml) and its path in the archive; nil when it has none.
func archiveValues(b []byte) ([]byte, string, error) {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, "", err
	}
	defer zr.Close()
	tr := tar.NewReader(io.LimitReader(zr, MaxArchive))
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil, "", nil
		}
		if err != nil {
			return nil, "", err
		}
		name := path.Clean(strings.TrimPrefix(h.Name, "./"))
		top, rest, ok := strings.Cut(name, "/")
		if !ok || top == "" || rest != "values.yaml" || h.Typeflag != tar.TypeReg {
			continue
		}
		v, err := io.ReadAll(tr)
		if err != nil {
			return nil, "", err
		}
		return v, name, nil
	}
}
