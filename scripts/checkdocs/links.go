package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

var (
	linkRe    = regexp.MustCompile(`\]\(([^)\s]+)\)`)
	headingRe = regexp.MustCompile(`^#{1,6} (.+)$`)
	slugDrop  = regexp.MustCompile(`[^\p{L}\p{N} _-]`)
)

// Slug is the anchor GitHub gives a heading: lower case, punctuation
// dropped, spaces turned into hyphens.
func Slug(heading string) string {
	return strings.ReplaceAll(slugDrop.ReplaceAllString(strings.ToLower(strings.TrimSpace(heading)), ""), " ", "-")
}

// prose returns the lines of a markdown file outside code blocks.
func prose(src string) []string {
	var out []string
	in := false
	for _, l := range strings.Split(src, "\n") {
		if fenceAny.MatchString(l) {
			in = !in
			continue
		}
		if !in {
			out = append(out, l)
		}
	}
	return out
}

func anchors(src string) map[string]bool {
	a := map[string]bool{}
	for _, l := range prose(src) {
		if m := headingRe.FindStringSubmatch(l); m != nil {
			a[Slug(m[1])] = true
		}
	}
	return a
}

// CheckLinks returns the broken relative links of files: a file that does
// not exist, or an anchor that no heading of the file it names has.
func CheckLinks(files []string) ([]string, error) {
	var broken []string
	cache := map[string]map[string]bool{}
	anchorsOf := func(path string) (map[string]bool, bool) {
		if a, ok := cache[path]; ok {
			return a, a != nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			cache[path] = nil
			return nil, false
		}
		cache[path] = anchors(string(b))
		return cache[path], true
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		for i, l := range prose(string(b)) {
			for _, m := range linkRe.FindAllStringSubmatch(l, -1) {
				target := m[1]
				if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
					continue
				}
				path, anchor, _ := strings.Cut(target, "#")
				if path == "" {
					path = f
				} else {
					path = filepath.Clean(filepath.Join(filepath.Dir(f), path))
				}
				if _, err := os.Stat(path); err != nil {
					broken = append(broken, fmt.Sprintf("%s: link %s: no file %s", f, target, path))
					continue
				}
				if anchor == "" || filepath.Ext(path) != ".md" {
					continue
				}
				if a, _ := anchorsOf(path); !a[anchor] {
					broken = append(broken, fmt.Sprintf("%s: link %s: no heading #%s in %s", f, target, anchor, path))
				}
			}
			_ = i
		}
	}
	return broken, nil
}
