package cli

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
	"github.com/tagbump/tagbump/pkg/atomicfile"
	"github.com/tagbump/tagbump/pkg/gitrepo"
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
		Long: `Set the scalar at PATH in FILE to VALUE. Only the bytes of that value change:
comments, blank lines, indentation, quotes, line endings stay as they are.
VALUE is quoted when YAML 1.1 (Helm) or 1.2 would read it as anything but
the same string (on, 1.10, 012, null, ...). The file is replaced atomically.
If PATH already has VALUE, nothing is written and "unchanged" is logged.

PATH is yq's simple path syntax: .image.tag, .workers[1].image.tag,
.["app.kubernetes.io/name"]; the leading dot is optional.`,
		Example: `  tagbump set values-prod.yaml .image.tag v1.4.2
  tagbump set --dry-run values-prod.yaml .workers[0].image.tag v1.4.2`,
		Args: cobra.ExactArgs(3),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.File, opts.Path, opts.Value = args[0], args[1], args[2]
			if runF != nil {
				return runF(opts)
			}
			return runSet(cmd, streams, opts)
		},
	}
	cmd.Flags().BoolVar(&opts.DryRun, "dry-run", false, "write nothing; print a unified diff on stdout")
	return cmd
}

// readValues reads a local values file of at most
// gitrepo.DefaultMaxFileSize bytes, the limit bump applies to the files it
// reads from Git: a larger file is refused before it is read whole.
func readValues(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	const limit = gitrepo.DefaultMaxFileSize
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if len(b) > limit {
		return nil, fmt.Errorf("%w: more than %d bytes, the limit for a values file (real ones are under 250 KB): split it into several values files", gitrepo.ErrTooLarge, limit)
	}
	return b, nil
}

func runSet(cmd *cobra.Command, streams IOStreams, opts *SetOptions) error {
	lg := logger(cmd.Context())
	// Edit the file a symlink points to, not the link.
	name, err := filepath.EvalSymlinks(opts.File)
	if err != nil {
		return fmt.Errorf("set %s: %w", opts.File, err)
	}
	src, err := readValues(name)
	if err != nil {
		return fmt.Errorf("set %s: %w", opts.File, err)
	}
	// As bump does: an anchored definition is edited, and the paths that
	// read it through an alias are named; a path through an alias is
	// refused.
	out, also, err := values.SetShared(src, opts.Path, opts.Value)
	if err != nil {
		return fmt.Errorf("%s: %w", opts.File, err)
	}
	for _, a := range also {
		lg.Warn("also changes", "file", opts.File, "path", a)
	}
	if bytes.Equal(out, src) {
		lg.Info("unchanged", "file", opts.File, "path", opts.Path, "value", opts.Value)
		return nil
	}
	if opts.DryRun {
		_, err := fmt.Fprint(streams.Out, values.Diff(opts.File, opts.File, src, out))
		return err
	}
	if err := atomicfile.Replace(name, bytes.NewReader(out), 0o644); err != nil {
		return err
	}
	lg.Info("set", "file", opts.File, "path", opts.Path, "value", opts.Value)
	return nil
}
