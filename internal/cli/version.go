package cli

import (
	"fmt"
	"runtime/debug"

	"github.com/spf13/cobra"
	"github.com/tagbump/tagbump/pkg/attest"
	"github.com/tagbump/tagbump/pkg/attest/publicgood"
)

// Set by the linker: -X github.com/tagbump/tagbump/internal/cli.version=...
var (
	version = ""
	commit  = ""
	date    = ""
)

// versionReport is what `tagbump version` prints.
type versionReport struct {
	Version     string            `json:"version"`
	Commit      string            `json:"commit"`
	Date        string            `json:"date"`
	TrustedRoot trustedRootReport `json:"trusted_root"`
}

// trustedRootReport names the Sigstore root embedded at build time.
type trustedRootReport struct {
	Name   string `json:"name"`
	Date   string `json:"date"`
	Source string `json:"source"`
}

// NewCmdVersion builds `tagbump version`.
func NewCmdVersion(streams IOStreams) *cobra.Command {
	var out outputFlag
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print tagbump's version, commit, build date and embedded Sigstore root",
		Long: `version prints tagbump's version, commit and build date, and the origin and
date of the Sigstore public-good trusted root embedded in the binary, which
keyless --require-signature uses when neither --trusted-root nor --tuf-url
is given. A root that predates Sigstore's Rekor v2 log refuses signatures
logged only there: version says so, and --tuf-url or --trusted-root avoid it.`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			if err := out.check(); err != nil {
				return err
			}
			r := versionReport{}
			r.Version, r.Commit, r.Date = buildInfo()
			r.TrustedRoot.Date, r.TrustedRoot.Source = publicgood.Info()
			r.TrustedRoot.Name = "sigstore public-good"
			text := fmt.Sprintf("tagbump %s (commit %s, built %s)\ntrusted root: %s, dated %s; refresh with go generate ./pkg/attest/publicgood",
				r.Version, r.Commit, r.Date, r.TrustedRoot.Source, r.TrustedRoot.Date)
			if publicgood.RekorV1Only() {
				text += "\nnote: this root predates Sigstore's Rekor v2 log: signatures logged only there are refused until it is refreshed;" +
					" for such signers pass --tuf-url " + attest.PublicGoodTUF + " or --trusted-root (gh attestation trusted-root)"
			}
			return out.print(streams.Out, text, r)
		},
	}
	out.register(cmd.Flags())
	return cmd
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
