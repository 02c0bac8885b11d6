package cli

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
	"github.com/tagbump/tagbump/internal/ci"
	"github.com/tagbump/tagbump/pkg/bump"
)

// RollbackOptions are the inputs of `tagbump rollback`.
type RollbackOptions struct {
	repoFlags
	commitFlags
	pickFlags
	appTarget
	Env   string
	To    string
	Steps int
}

// warn prints a warning on stderr.
func warn(streams IOStreams, msg string) {
	if streams.Err != nil {
		fmt.Fprintln(streams.Err, "warning: "+msg)
	}
}

// NewCmdRollback builds `tagbump rollback`. runF replaces the command's
// work in tests.
func NewCmdRollback(streams IOStreams, runF func(*RollbackOptions) error) *cobra.Command {
	opts := &RollbackOptions{}
	cmd := &cobra.Command{
		Use:   "rollback --repo URL (--chart NAME --env ENV | --app NAME) [--steps N | --to-tag TAG]",
		Short: "Undo the last deployment of a chart's environment with a new commit",
		Long: `rollback writes back, for every image the last deployment of the
environment changed, the tag (and digest) it had before: a new commit on the
branch tip with the same byte-exact edit as bump, races retried, never
forced. It is not a git revert of the old commit, so it applies whatever
was committed since. --steps N undoes the last N deployments; --to-tag TAG
writes TAG instead. The downgrade guard does not apply. Rollbacks and the
deployments they undid are skipped, so a second rollback goes further back.
--image and --key roll back only some of the file's images (picked as bump
picks what it sets, over the chart's values.yaml): only their deployments
count, and only they are set back.

The commit is "revert(<env>): roll back <chart> to <tag>" with the trailers
Rolls-Back: <commit> and Rolled-Back-Tag: <tag>. Afterwards bump refuses to
deploy a rolled-back tag to that chart and environment again (exit 4)
unless --allow-rolled-back, so a re-run of the broken pipeline does not
undo the rollback; a newer tag deploys as usual.`,
		Example: `  tagbump rollback --repo https://git.example.com/helm-charts --chart app-service --env prod
  tagbump rollback --repo https://git.example.com/helm-charts --chart app-service --env prod --to-tag app-service-120`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := opts.PR.check(cmd.Flags()); err != nil {
				return err
			}
			apps, err := appFlags(cmd.Flags(), opts.Apps, &opts.Wait, "chart", "env", "values-file")
			if err != nil {
				return err
			}
			opts.Apps = apps
			if err := opts.Wait.checkWait(cmd.Flags(), opts.DryRun, opts.NoPush); err != nil {
				return err
			}
			if cmd.Flags().Changed("to") {
				warn(streams, "--to is deprecated, use --to-tag")
			}
			if v := os.Getenv("TAGBUMP_TO"); v != "" && !cmd.Flags().Changed("to") && !cmd.Flags().Changed("to-tag") {
				// Pipelines written before --to-tag pass the tag here, and
				// a promote job passes its target environment: neither is
				// guessed at.
				return usageErr(fmt.Errorf("TAGBUMP_TO=%s is set, which rollback no longer reads (it is promote's target environment): pass the tag to roll back to as TAGBUMP_TO_TAG or --to-tag, or unset TAGBUMP_TO", v))
			}
			if runF != nil {
				return runF(opts)
			}
			return runRollback(cmd, streams, opts)
		},
	}
	f := cmd.Flags()
	opts.repoFlags.register(f)
	opts.pickFlags.register(f)
	f.StringVar(&opts.Env, "env", "", "environment to roll back")
	registerAppFlags(f, &opts.Apps, &opts.AppsPath, &opts.AppsRepo)
	f.StringVar(&opts.To, "to-tag", "", "tag to roll back to (default: the value before the last deployment)")
	// --to was this flag's first name, and TAGBUMP_TO (promote's target
	// environment) its variable: RunE refuses a TAGBUMP_TO it would once
	// have read.
	f.StringVar(&opts.To, "to", "", "tag to roll back to")
	_ = f.MarkHidden("to") // not MarkDeprecated: cobra prints its notice on stdout
	noEnv(f, "to")
	f.IntVar(&opts.Steps, "steps", 1, "deployments to undo")
	opts.commitFlags.register(f)
	opts.registerPR(f, "tagbump/rollback-{chart}-{env}")
	return cmd
}

func runRollback(cmd *cobra.Command, streams IOStreams, opts *RollbackOptions) error {
	env := ci.Detect(os.Getenv)
	res, err := doRollback(cmd, env, opts)
	after := &afterCommit{flags: &opts.Wait, target: waitTarget{repo: opts.Repo, gitOpts: opts.repoFlags.gitOptions(cmd.Context(), env),
		provider: opts.PR.Provider, apiURL: opts.PR.APIURL, timeout: opts.Timeout}}
	return finishCommit(cmd.Context(), streams, env, opts.Output, opts.Dotenv, opts.DryRun, res, err, after)
}

func doRollback(cmd *cobra.Command, env ci.Env, opts *RollbackOptions) (*bump.Result, error) {
	if len(opts.Apps) > 1 {
		return nil, usageErr(fmt.Errorf("a rollback takes one --app"))
	}
	if opts.Env == "" && len(opts.Apps) == 0 {
		return nil, usageErr(fmt.Errorf("--env (or --app) is required"))
	}
	pick, err := opts.pick()
	if err != nil {
		return nil, err
	}
	if app, err := opts.useApp(cmd.Context(), env, &opts.repoFlags, &pick); err != nil {
		return nil, err
	} else if app != "" {
		opts.Env = app
	}
	if opts.To != "" && cmd.Flags().Changed("steps") {
		return nil, usageErr(fmt.Errorf("--to-tag and --steps conflict: --to-tag names the tag, --steps counts deployments to undo"))
	}
	if opts.Steps < 1 {
		return nil, usageErr(fmt.Errorf("invalid --steps %d: use 1 or more", opts.Steps))
	}
	req, err := opts.commitFlags.request(&opts.repoFlags, env, opts.Env)
	if err != nil {
		return nil, err
	}
	sopts, err := opts.signOptions(cmd.Context(), env, &opts.repoFlags)
	if err != nil {
		return nil, err
	}
	return bump.Rollback(cmd.Context(), bump.RollbackRequest{Request: req, To: opts.To, Steps: opts.Steps, Pick: pick}, append(sopts, opts.bumpOptions(cmd.Context(), env)...)...)
}
