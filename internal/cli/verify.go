package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/tagbump/tagbump/pkg/attest"
	"github.com/tagbump/tagbump/pkg/imageref"
	"github.com/tagbump/tagbump/pkg/registry"
)

// VerifyOptions are the inputs of `tagbump verify`.
type VerifyOptions struct {
	Image        string
	ExpectDigest string
	Registry     registryFlags
	Signature    signatureFlags
	Output       outputFlag
}

// NewCmdVerify builds `tagbump verify`. runF replaces the command's work
// in tests.
func NewCmdVerify(streams IOStreams, runF func(*VerifyOptions) error) *cobra.Command {
	opts := &VerifyOptions{}
	opts.Registry.Redactor = streams.Redactor
	cmd := &cobra.Command{
		Use:   "verify IMAGE",
		Short: "Check that an immutable image tag exists in its registry",
		Long: `Check, in order, that IMAGE (registry/repository:tag or
registry/repository:tag@sha256:...) has a valid tag, that the policy allows
it ("latest" never; --tag-pattern when given), that the registry has it, and,
when a digest is given in IMAGE or with --expect-digest, that the tag points
to that digest, and with --require-signature (or --require-attestation) that
the digest carries a Sigstore signature (and attestations) satisfying the
policy: a keyless identity under --trusted-root, or --signature-key. Prints
registry/repository:tag@digest.

Credentials come from TAGBUMP_REGISTRY_USERNAME and TAGBUMP_REGISTRY_PASSWORD,
then from docker's config.json and credential helpers.`,
		Example: `  tagbump verify registry.example.com/team/app:app-service-123
  tagbump verify --output json registry.example.com/team/app:1.2.3@sha256:...
  tagbump verify --require-signature --trusted-root trusted_root.json \
    --certificate-identity https://github.com/org/app/.github/workflows/build.yml@refs/heads/main \
    --certificate-oidc-issuer https://token.actions.githubusercontent.com registry.example.com/team/app:1.2.3`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Image = args[0]
			if runF != nil {
				return runF(opts)
			}
			return runVerify(cmd, streams, opts)
		},
	}
	cmd.Flags().StringVar(&opts.ExpectDigest, "expect-digest", "", "fail unless the tag points to this digest (sha256:<64 hex> or sha512:<128 hex>)")
	opts.Registry.register(cmd.Flags())
	opts.Signature.register(cmd.Flags())
	opts.Output.register(cmd.Flags())
	return cmd
}

func runVerify(cmd *cobra.Command, streams IOStreams, opts *VerifyOptions) error {
	if opts.ExpectDigest != "" {
		if err := imageref.ValidateDigest(opts.ExpectDigest); err != nil {
			var e *imageref.Error
			errors.As(err, &e)
			return usageErr(fmt.Errorf("invalid --expect-digest %q: %s: %s", opts.ExpectDigest, e.Problem, e.Fix))
		}
	}
	ref, ropts, err := opts.Registry.setup(&opts.Output, opts.Image)
	if err != nil {
		return err
	}
	sc, err := opts.Signature.check(cmd.Context(), opts.Registry.Timeout)
	if err != nil {
		return err
	}
	if opts.ExpectDigest != "" {
		ropts = append(ropts, registry.WithExpectDigest(opts.ExpectDigest))
	}
	d, err := registry.Verify(cmd.Context(), ref, ropts...)
	if err != nil {
		return err
	}
	if sc == nil {
		return opts.Output.print(streams.Out, d.Image, d)
	}
	ref.Digest = d.Digest
	sig, err := attest.Verify(cmd.Context(), ref, sc.Policy, sc.RequireSignature, ropts...)
	if err != nil {
		return err
	}
	logger(cmd.Context()).Info("signature verified", "format", sig.Format, "identity", sig.Identity, "attestations", strings.Join(sig.PredicateTypes, ","))
	return opts.Output.print(streams.Out, d.Image, struct {
		*registry.Descriptor
		Signature *attest.Result `json:"signature"`
	}{d, sig})
}
