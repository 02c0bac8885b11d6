package cli

import (
	"fmt"

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
		Long: `Print the string value of the scalar at PATH in FILE (an empty line for
null). PATH is yq's simple path syntax, as for tagbump set.`,
		Example: `  tagbump get values-prod.yaml .image.tag`,
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.File, opts.Path = args[0], args[1]
			if runF != nil {
				return runF(opts)
			}
			src, err := readValues(opts.File)
			if err != nil {
				return fmt.Errorf("get %s: %w", opts.File, err)
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
