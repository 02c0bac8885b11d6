package cli

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
	"github.com/tagbump/tagbump/pkg/values"
)

// SetOptions are the inputs of `tagbump set`.
type SetOptions struct {
	File   string
	Path   string
	Value  string
	DryRun bool
}

// NewCmdSet builds `tagbump set`. runF replaces the command's work in tests.
func NewCmdSet(streams IOStreams, runF func(*SetOptions) error) *cobra.Command {
	opts := &SetOptions{}
	cmd := &cobra.Command{
		Use:   "set FILE PATH VALUE",
		Short: "Set the scalar at PATH in a YAML file, changing only its bytes",
		Args:  cobra.ExactArgs(3),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.File, opts.Path, opts.Value = args[0], args[1], args[2]
			if runF != nil {
				return runF(opts)
			}
			src, err := os.ReadFile(opts.File)
			if err != nil {
				return err
			}
			out, err := values.Set(src, opts.Path, opts.Value)
			if err != nil {
				return fmt.Errorf("%s: %w", opts.File, err)
			}
			_ = out // TODO(values issue): diff, unchanged, atomic write
			return nil
		},
	}
	cmd.Flags().BoolVar(&opts.DryRun, "dry-run", false, "write nothing; print a unified diff on stdout")
	return cmd
}
