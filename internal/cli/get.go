package cli

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
	"github.com/tagbump/tagbump/pkg/values"
)

// GetOptions are the inputs of `tagbump get`.
type GetOptions struct {
	File string
	Path string
}

// NewCmdGet builds `tagbump get`. runF replaces the command's work in tests.
func NewCmdGet(streams IOStreams, runF func(*GetOptions) error) *cobra.Command {
	opts := &GetOptions{}
	return &cobra.Command{
		Use:   "get FILE PATH",
		Short: "Print the value at PATH in a YAML file",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.File, opts.Path = args[0], args[1]
			if runF != nil {
				return runF(opts)
			}
			src, err := os.ReadFile(opts.File)
			if err != nil {
				return err
			}
			v, err := values.Get(src, opts.Path)
			if err != nil {
				return fmt.Errorf("%s: %w", opts.File, err)
			}
			_, err = fmt.Fprintln(streams.Out, v)
			return err
		},
	}
}
