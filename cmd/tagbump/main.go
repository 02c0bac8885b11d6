// Command tagbump bumps an immutable image tag in a Helm values file in Git.
package main

import (
	"os"

	"github.com/tagbump/tagbump/internal/cli"
)

func main() {
	os.Exit(cli.Main())
}
