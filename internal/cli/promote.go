package cli

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
	"github.com/tagbump/tagbump/internal/ci"
	"github.com/tagbump/tagbump/pkg/bump"
)

// PromoteOptions are the inputs of `tagbump promote`.
type PromoteOptions struct {
	repoFlags
	commitFlags
	appTarget
	FromApp        string
	From, To       string
	NoVerify       bool
	AllowDowngrade bool
	AllowRolled    bool
	RegistryHosts  []string
	Registry       registryFlags
	Signature      signatureFlags
}

// NewCmdPromote builds `tagbump promote`. runF replaces the command's work
// in tests.
func NewCmdPromote(streams IOStreams, runF func(*PromoteOptions) error) *cobra.Command {
	opts := &PromoteOptions{}
	opts.Registry.Redactor = streams.Redactor
	cmd := &cobra.Command{
		Use:   "promote --repo URL (--chart NAME --from ENV --to ENV | --from-app NAME --app NAME)",
		Short: "Copy the images one environment runs into another",
		Long: `promote copies what the --from environment runs into the --to environment:
for each image block of the source values file whose repository the target
file also has, the tag, and the digest where the source has one. Each image
is verified in its registry first (--no-verify skips that); when the source
has a digest and the tag now points elsewhere, the promote is refused
(exit 4). With --require-signature (and --require-attestation) each image
copied must carry a signature satisfying the policy, as in bump, whatever
the source environment was bumped with. The downgrade guard, the rollback guard (--allow-rolled-back),
--dry-run, --output json, the CI outputs and the commit trailers work as in
bump, plus Promoted-From: <env>@<commit>.

Registry credentials from TAGBUMP_REGISTRY_USERNAME/PASSWORD go only to the
hosts named with --registry-host; docker's and podman's config files apply
as usual.`,
		Example: `  tagbump promote --repo https://git.example.com/helm-charts --chart app-service --from staging --to prod`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := opts.PR.check(cmd.Flags()); err != nil {
				return err
			}
			apps, err := appFlags(cmd.Flags(), opts.Apps, &opts.Wait, "chart", "from", "to", "values-file")
			if err != nil {
				return err
			}
			opts.Apps = apps
			if (len(apps) > 0) != (opts.FromApp != "") {
				return commandLineErr(fmt.Errorf("--from-app and --app go together: the source and the target Application"))
			}
			if err := opts.Wait.checkWait(cmd.Flags(), opts.DryRun, opts.NoPush); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return runPromote(cmd, streams, opts)
		},
	}
	f := cmd.Flags()
	opts.Registry.register(f)
	opts.Signature.register(f)
	opts.repoFlags.register(f)
	f.StringVar(&opts.From, "from", "", "source environment")
	f.StringVar(&opts.To, "to", "", "target environment")
	registerAppFlags(f, &opts.Apps, &opts.AppsPath, &opts.AppsRepo)
	f.StringVar(&opts.FromApp, "from-app", "", "source Argo CD Application, with --app the target one, instead of --chart/--from/--to")
	f.BoolVar(&opts.NoVerify, "no-verify", false, "do not check the images in their registries")
	f.BoolVar(&opts.AllowDowngrade, "allow-downgrade", false, "let an older tag replace a newer one")
	f.BoolVar(&opts.AllowRolled, "allow-rolled-back", false, "promote a tag even though a rollback in the target's last 50 commits took it away")
	f.StringArrayVar(&opts.RegistryHosts, "registry-host", nil, "registry host that receives TAGBUMP_REGISTRY_USERNAME/PASSWORD (repeatable)")
	opts.commitFlags.register(f)
	opts.registerPR(f, "tagbump/promote-{chart}-{env}")
	gitTimeout(f)
	return cmd
}

func runPromote(cmd *cobra.Command, streams IOStreams, opts *PromoteOptions) error {
	env := ci.Detect(os.Getenv)
	res, err := doPromote(cmd, env, opts)
	after := &afterCommit{flags: &opts.Wait, target: waitTarget{repo: opts.Repo, gitOpts: opts.repoFlags.gitOptions(cmd.Context(), env),
		provider: opts.PR.Provider, apiURL: opts.PR.APIURL, timeout: opts.Timeout}}
	return finishCommit(cmd.Context(), streams, env, opts.Output, opts.Dotenv, opts.DryRun, res, err, after)
}

func doPromote(cmd *cobra.Command, env ci.Env, opts *PromoteOptions) (*bump.Result, error) {
	if len(opts.Apps) > 1 {
		return nil, usageErr(fmt.Errorf("a promote takes one --app, the target"))
	}
	opts.repoFlags.Timeout = opts.Registry.Timeout
	var fromFile string
	if opts.FromApp != "" {
		// The source Application's values file, then the target's.
		src := opts.appTarget
		src.Apps = []string{opts.FromApp}
		from, err := src.useApp(cmd.Context(), env, &opts.repoFlags, &bump.Pick{})
		if err != nil {
			return nil, err
		}
		fromFile = opts.ValuesFile
		to, err := opts.useApp(cmd.Context(), env, &opts.repoFlags, &bump.Pick{})
		if err != nil {
			return nil, err
		}
		opts.From, opts.To = from, to
	}
	if opts.From == "" || opts.To == "" {
		return nil, usageErr(fmt.Errorf("--from and --to are required"))
	}
	req, err := opts.commitFlags.request(&opts.repoFlags, env, opts.To)
	if err != nil {
		return nil, err
	}
	req.Verify, req.AllowDowngrade, req.AllowRolledBack = !opts.NoVerify, opts.AllowDowngrade, opts.AllowRolled
	if req.Signature, err = opts.Signature.check(cmd.Context(), opts.Registry.Timeout); err != nil {
		return nil, err
	}
	if req.Signature != nil && opts.NoVerify {
		return nil, usageErr(fmt.Errorf("--require-signature and --require-attestation check each promoted image in its registry: drop --no-verify"))
	}
	ropts, err := opts.Registry.options(opts.RegistryHosts...)
	if err != nil {
		return nil, err
	}
	sopts, err := opts.signOptions(cmd.Context(), env, &opts.repoFlags)
	if err != nil {
		return nil, err
	}
	bopts := append(append(sopts, opts.bumpOptions(cmd.Context(), env)...), bump.WithRegistryOptions(ropts...))
	return bump.Promote(cmd.Context(), bump.PromoteRequest{Request: req, From: opts.From, FromFile: fromFile}, bopts...)
}
