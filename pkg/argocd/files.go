package argocd

import (
	"errors"
	"io/fs"
	"path"
	"slices"
	"strings"

	"github.com/tagbump/tagbump/pkg/chart"
)

// Files reads a repository's files at one commit, as a chart is read
// (pkg/bump's snapshot source): ReadFile, Prefetch of many files in one
// request, and List of a directory ("" for the root), which reads trees
// only and sends no request.
type Files = chart.Source

// DefaultAppsPaths are where Find looks for Application and ApplicationSet
// manifests when no apps path is given: each directory and everything
// below it, then the files at the repository's root (not below it).
var DefaultAppsPaths = []string{"apps", "applications", "argocd", "argo-cd", "argo"}

// maxCandidates bounds the manifests one search reads.
const maxCandidates = 20000

// manifestFile reports whether name is a YAML file by its extension.
func manifestFile(name string) bool {
	return strings.HasSuffix(name, ".yaml") || strings.HasSuffix(name, ".yml")
}

// join joins a directory (possibly "" or ".") and a name.
func join(dir, name string) string {
	if dir == "" || dir == "." {
		return name
	}
	return dir + "/" + name
}

// walkFiles appends the YAML files under dir, at any depth, to out.
func walkFiles(src Files, dir string, out *[]string) error {
	dirs, files, err := src.List(dir)
	if err != nil {
		return err
	}
	for _, f := range files {
		if manifestFile(f) && len(*out) < maxCandidates {
			*out = append(*out, join(dir, f))
		}
	}
	for _, d := range dirs {
		if strings.HasPrefix(d, ".") {
			continue
		}
		if err := walkFiles(src, join(dir, d), out); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return nil
}

// hasMeta reports whether p has glob characters.
func hasMeta(p string) bool { return strings.ContainsAny(p, "*?[") }

// candidates lists the manifest files to read for appsPath: a file, a
// directory (everything below it) or a glob (with ** for any depth) whose
// matches are files or directories; "" means DefaultAppsPaths and the root.
func candidates(src Files, appsPath string) ([]string, error) {
	var out []string
	if appsPath == "" {
		for _, d := range DefaultAppsPaths {
			if err := walkFiles(src, d, &out); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return nil, err
			}
		}
		_, files, err := src.List("")
		if err != nil {
			return nil, err
		}
		for _, f := range files {
			if manifestFile(f) {
				out = append(out, f)
			}
		}
		return out, nil
	}
	p := strings.Trim(path.Clean("/"+appsPath), "/")
	if !hasMeta(p) {
		err := walkFiles(src, p, &out)
		if errors.Is(err, fs.ErrNotExist) {
			return []string{p}, nil // a file, or nothing: reading it says which
		}
		return out, err
	}
	dirs, files := globAll(src, p)
	for _, f := range files {
		if manifestFile(f) {
			out = append(out, f)
		}
	}
	for _, d := range dirs {
		if err := walkFiles(src, d, &out); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// globAll returns the directories and files that match pattern, a
// slash-separated glob in which each segment is a path.Match pattern and
// "**" matches any number of directories.
func globAll(src Files, pattern string) (dirs, files []string) {
	var walk func(dir string, segs []string)
	walk = func(dir string, segs []string) {
		if len(segs) == 0 {
			return
		}
		ds, fs, err := src.List(dir)
		if err != nil {
			return
		}
		seg, rest := segs[0], segs[1:]
		if seg == "**" && len(rest) == 0 {
			dirs = append(dirs, dir) // everything below
			return
		}
		if seg == "**" {
			walk(dir, rest) // zero directories
			for _, d := range ds {
				if !strings.HasPrefix(d, ".") {
					walk(join(dir, d), segs)
				}
			}
			return
		}
		for _, d := range ds {
			if ok, _ := path.Match(seg, d); ok {
				if len(rest) == 0 {
					dirs = append(dirs, join(dir, d))
				} else {
					walk(join(dir, d), rest)
				}
			}
		}
		if len(rest) == 0 {
			for _, f := range fs {
				if ok, _ := path.Match(seg, f); ok {
					files = append(files, join(dir, f))
				}
			}
		}
	}
	walk("", strings.Split(pattern, "/"))
	slices.Sort(dirs)
	slices.Sort(files)
	return slices.Compact(dirs), slices.Compact(files)
}
