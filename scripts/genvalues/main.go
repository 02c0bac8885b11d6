// Command genvalues writes a large values file for benchmarks:
// genvalues CORPUS_DIR SIZE_BYTES OUT_FILE.
package main

import (
	"fmt"
	"os"
	"strconv"

	"github.com/tagbump/tagbump/internal/benchdata"
)

func main() {
	if len(os.Args) != 4 {
		fmt.Fprintln(os.Stderr, "usage: genvalues CORPUS_DIR SIZE_BYTES OUT_FILE")
		os.Exit(2)
	}
	size, err := strconv.Atoi(os.Args[2])
	if err == nil {
		var b []byte
		if b, err = benchdata.Values(os.Args[1], size); err == nil {
			err = os.WriteFile(os.Args[3], b, 0o644)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "genvalues:", err)
		os.Exit(1)
	}
}
