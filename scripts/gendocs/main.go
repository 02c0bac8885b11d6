// Command gendocs writes tagbump's CLI reference, one markdown page per
// command, from the cobra command tree:
//
//	go run ./scripts/gendocs            # rewrite docs/cli
//	go run ./scripts/gendocs -check     # exit 1 when docs/cli is stale
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
	"github.com/tagbump/tagbump/internal/cli"
)

func main() {
	dir := flag.String("dir", "docs/cli", "directory of the generated pages")
	check := flag.Bool("check", false, "write nothing; fail when the pages in -dir differ from the generated ones")
	flag.Parse()
	if err := run(*dir, *check); err != nil {
		fmt.Fprintln(os.Stderr, "gendocs:", err)
		os.Exit(1)
	}
}

func run(dir string, check bool) error {
	if !check {
		return write(dir)
	}
	stale, err := diff(dir)
	if err != nil {
		return err
	}
	if len(stale) > 0 {
		return fmt.Errorf("%s is stale (%s): run 'make docs' and commit the result", dir, strings.Join(stale, ", "))
	}
	return nil
}

// generate returns the pages by file name.
func generate() (map[string][]byte, error) {
	tmp, err := os.MkdirTemp("", "tagbump-docs-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	streams := cli.IOStreams{In: strings.NewReader(""), Out: io.Discard, Err: io.Discard}
	root := cli.NewRootCmd(streams)
	disableAutoGenTag(root)
	if err := doc.GenMarkdownTree(root, tmp); err != nil {
		return nil, fmt.Errorf("generate markdown: %w", err)
	}
	return readPages(tmp)
}

func disableAutoGenTag(c *cobra.Command) {
	c.DisableAutoGenTag = true
	for _, sub := range c.Commands() {
		disableAutoGenTag(sub)
	}
}

// readPages reads the .md files of dir; a missing dir has none.
func readPages(dir string) (map[string][]byte, error) {
	ents, err := os.ReadDir(dir)
	if err != nil && !os.IsNotExist(err) {
		return nil, err
	}
	pages := map[string][]byte{}
	for _, e := range ents {
		if e.IsDir() || filepath.Ext(e.Name()) != ".md" {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		pages[e.Name()] = b
	}
	return pages, nil
}

// write replaces the pages in dir with freshly generated ones, removing
// pages of commands that no longer exist.
func write(dir string) error {
	want, err := generate()
	if err != nil {
		return err
	}
	have, err := readPages(dir)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for name := range have {
		if _, ok := want[name]; !ok {
			if err := os.Remove(filepath.Join(dir, name)); err != nil {
				return err
			}
		}
	}
	for name, b := range want {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// diff returns the names of the pages in dir that are missing, extra or
// different from the generated ones, sorted.
func diff(dir string) ([]string, error) {
	want, err := generate()
	if err != nil {
		return nil, err
	}
	have, err := readPages(dir)
	if err != nil {
		return nil, err
	}
	var stale []string
	for name, b := range want {
		if !bytes.Equal(have[name], b) {
			stale = append(stale, name)
		}
	}
	for name := range have {
		if _, ok := want[name]; !ok {
			stale = append(stale, name)
		}
	}
	slices.Sort(stale)
	return stale, nil
}
