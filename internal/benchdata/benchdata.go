// Package benchdata generates large values files for benchmarks.
package benchdata

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
)

// TagPath is the path of the image tag at the end of a generated file.
const TagPath = ".app.image.tag"

// Values returns a values file of at least size bytes: the real values files
// in corpusDir, each nested under its own key, repeated until size is
// reached, followed by an app image block whose tag is at TagPath.
func Values(corpusDir string, size int) ([]byte, error) {
	files, err := filepath.Glob(filepath.Join(corpusDir, "*.yaml"))
	if err != nil || len(files) == 0 {
		return nil, fmt.Errorf("generate values: no *.yaml in %s", corpusDir)
	}
	sort.Strings(files)
	var out bytes.Buffer
	for i := 0; out.Len() < size; i++ {
		src, err := os.ReadFile(files[i%len(files)])
		if err != nil {
			return nil, fmt.Errorf("generate values: %w", err)
		}
		fmt.Fprintf(&out, "chart%d:\n", i)
		for _, l := range bytes.SplitAfter(src, []byte("\n")) {
			if bytes.HasPrefix(l, []byte("---")) {
				continue // one document: drop document markers
			}
			if len(bytes.TrimSpace(l)) > 0 {
				out.WriteString("  ")
			}
			out.Write(l)
		}
		if !bytes.HasSuffix(out.Bytes(), []byte("\n")) {
			out.WriteByte('\n')
		}
	}
	out.WriteString("app:\n  image:\n    repository: registry.example.com/app\n    tag: v1.0.0 # set by CI\n")
	return out.Bytes(), nil
}
