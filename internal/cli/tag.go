package cli

import (
	"github.com/spf13/cobra"
	"github.com/tagbump/tagbump/pkg/imageref"
	"github.com/tagbump/tagbump/pkg/registry"
)

// TagOptions are the inputs of `tagbump tag`.
type TagOptions struct {
	Source   string
	NewTag   string
	Registry registryFlags
	Output   outputFlag
}

// NewCmdTag builds `tagbump tag`. runF replaces the command's work in
// tests.
func NewCmdTag(streams IOStreams, runF func(*TagOptions) error) *cobra.Command {
	opts := &TagOptions{}
	opts.Registry.Redactor = streams.Redactor
	cmd := &cobra.Command{
		Use:   "tag SOURCE NEW_TAG",
		Short: "Add an immutable tag to an image already in the registry",
		Long: `Add NEW_TAG to the manifest that SOURCE names with one manifest PUT; no
layer is copied. SOURCE is registry/repository:tag, registry/repository@sha256:...
(by digest alone), or registry/repository:tag@sha256:..., where the tag must
point to that digest or tagbump refuses (exit code 4). When NEW_TAG exists with
the same digest nothing is written; with another digest tagbump refuses
(exit code 4): tags never move.`,
		Example: `  tagbump tag registry.example.com/team/app:build-123 1.2.3
  tagbump tag registry.example.com/team/app@sha256:... 1.2.3`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Source, opts.NewTag = args[0], args[1]
			if runF != nil {
				return runF(opts)
			}
			return runTag(cmd, streams, opts)
		},
	}
	opts.Registry.register(cmd.Flags())
	opts.Output.register(cmd.Flags())
	return cmd
}

func runTag(cmd *cobra.Command, streams IOStreams, opts *TagOptions) error {
	src, ropts, err := opts.Registry.setupWith(&opts.Output, opts.Source, imageref.ParseSource)
	if err != nil {
		return err
	}
	d, err := registry.Tag(cmd.Context(), src, opts.NewTag, ropts...)
	if err != nil {
		return err
	}
	logger(cmd.Context()).Info("tagged", "image", d.Image)
	return opts.Output.print(streams.Out, d.Image, d)
}
