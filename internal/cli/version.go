package cli

import (
	"fmt"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// Set by the linker: -X github.com/tagbump/tagbump/internal/cli.version=...
var (
	version = ""
	commit  = ""
	date    = ""
)

// NewCmdVersion builds `tagbump version`.
func NewCmdVersion(streams IOStreams) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print tagbump's version, commit and build date",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			v, c, d := buildInfo()
			_, err := fmt.Fprintf(streams.Out, "tagbump %s (commit %s, built %s)\n", v, c, d)
			return err
		},
	}
}

// buildInfo returns the version, commit and date from the linker flags,
// falling back to the module build info of `go install`.
func buildInfo() (v, c, d string) {
	v, c, d = version, commit, date
	if bi, ok := debug.ReadBuildInfo(); ok {
		if v == "" && bi.Main.Version != "" {
			v = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch {
			case s.Key == "vcs.revision" && c == "":
				c = s.Value
			case s.Key == "vcs.time" && d == "":
				d = s.Value
			}
		}
	}
	if v == "" {
		v = "(devel)"
	}
	if c == "" {
		c = "unknown"
	}
	if d == "" {
		d = "unknown"
	}
	return v, c, d
}
