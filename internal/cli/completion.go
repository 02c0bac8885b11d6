package cli

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"
)

// addCompletion adds cobra's completion command (bash, zsh, fish and
// powershell) to root now instead of at execution, so that it appears in the
// generated docs and a missing or unknown shell is a usage error rather than
// help with exit code 0.
func addCompletion(root *cobra.Command) {
	root.InitDefaultCompletionCmd()
	for _, c := range root.Commands() {
		if c.Name() != "completion" {
			continue
		}
		c.Args = cobra.ArbitraryArgs
		c.RunE = func(_ *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageErr(errors.New("completion: no shell given: use bash, zsh, fish or powershell"))
			}
			return usageErr(fmt.Errorf("completion: unknown shell %q: use bash, zsh, fish or powershell", args[0]))
		}
	}
}
