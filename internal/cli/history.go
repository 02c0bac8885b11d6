package cli

import (
	"fmt"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"github.com/tagbump/tagbump/internal/ci"
	"github.com/tagbump/tagbump/pkg/bump"
)

// HistoryOptions are the inputs of `tagbump history`.
type HistoryOptions struct {
	repoFlags
	pickFlags
	appTarget
	Env    string
	Limit  int
	Output outputFlag
}

// NewCmdHistory builds `tagbump history`. runF replaces the command's work
// in tests.
func NewCmdHistory(streams IOStreams, runF func(*HistoryOptions) error) *cobra.Command {
	opts := &HistoryOptions{}
	cmd := &cobra.Command{
		Use:   "history --repo URL (--chart NAME --env ENV | --app NAME) [--limit N]",
		Short: "List the deployments of a chart's environment, newest first",
		Long: `history lists the commits that changed an image's tag or digest in
<chart>/values-<env>.yaml, newest first: commit, date, author, each image's
old and new tag and digest, and the CI run link. It reads tagbump's
trailers where present (kind bump, rollback or promote) and compares the
values for every commit, hand-made ones (kind manual) included. Each
version of the file is read over the chart's values.yaml, as Helm merges
them, so a file that sets only tags names its images' repositories.
--image and --key list only the deployments of some of the file's images,
picked as bump picks what it sets.

It fetches commits and trees without blobs, the newest 64 commits first,
and then only the values file's versions that changed, in one request.
From a server that cannot filter (git's defaults) it deepens a shallow
fetch, as git fetch --deepen does, with full objects kept on disk. When
the file changed less often than that, the rest of the history comes in
one more request, as git clone gets it, spooled to disk: memory holds an
index of it, not its trees.`,
		Example: `  tagbump history --repo https://git.example.com/helm-charts --chart app-service --env prod --limit 10`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			apps, err := appFlags(cmd.Flags(), opts.Apps, &waitFlags{}, "chart", "env", "values-file")
			if err != nil {
				return err
			}
			opts.Apps = apps
			if runF != nil {
				return runF(opts)
			}
			return runHistory(cmd, streams, opts)
		},
	}
	f := cmd.Flags()
	opts.repoFlags.register(f)
	opts.pickFlags.register(f)
	f.StringVar(&opts.Env, "env", "", "environment")
	registerAppFlags(f, &opts.Apps, &opts.AppsPath, &opts.AppsRepo)
	f.IntVar(&opts.Limit, "limit", bump.DefaultHistoryLimit, "most deployments to list")
	opts.Output.register(f)
	return cmd
}

func runHistory(cmd *cobra.Command, streams IOStreams, opts *HistoryOptions) error {
	if len(opts.Apps) > 1 {
		return usageErr(fmt.Errorf("history takes one --app"))
	}
	env := ci.Detect(os.Getenv)
	pick, err := opts.pick()
	if err != nil {
		return err
	}
	if app, err := opts.useApp(cmd.Context(), env, &opts.repoFlags, &pick); err != nil {
		return err
	} else if app != "" {
		opts.Env = app
	}
	if opts.Repo == "" || opts.Env == "" || opts.Chart == "" && strings.Contains(opts.ValuesFile, "{chart}") {
		return usageErr(fmt.Errorf("--repo, --chart and --env are required (--chart unless --values-file has no {chart})"))
	}
	if opts.Limit < 1 {
		return usageErr(fmt.Errorf("invalid --limit %d: use 1 or more", opts.Limit))
	}
	if err := opts.Output.check(); err != nil {
		return err
	}
	res, err := bump.History(cmd.Context(), bump.HistoryRequest{
		Repo: opts.Repo, Branch: opts.Branch, Chart: opts.Chart, Env: opts.Env, ValuesFile: opts.ValuesFile, Limit: opts.Limit, Pick: pick,
	}, opts.bumpOptions(cmd.Context(), env)...)
	if err != nil {
		return err
	}
	if opts.Output.Format == "json" {
		return opts.Output.print(streams.Out, "", res)
	}
	w := tabwriter.NewWriter(streams.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "COMMIT\tDATE\tKIND\tAUTHOR\tIMAGES\tCI RUN")
	for _, d := range res.Deployments {
		var images []string
		for _, c := range d.Images {
			name := c.Name()
			if name == "" {
				name = c.Key
			}
			s := fmt.Sprintf("%s %s → %s", name, display(c.Old), display(c.New))
			if c.NewDigest != "" {
				s += " @" + shortDigest(c.NewDigest)
			}
			images = append(images, s)
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", d.Commit[:12], d.Date.Format("2006-01-02 15:04"), d.Kind, d.Author,
			strings.Join(images, ", "), d.CIRun)
	}
	return w.Flush()
}

func display(v string) string {
	if v == "" {
		return `""`
	}
	return v
}

// shortDigest is algorithm:first 12 hex digits.
func shortDigest(d string) string {
	if alg, hex, ok := strings.Cut(d, ":"); ok && len(hex) > 12 {
		return alg + ":" + hex[:12]
	}
	return d
}
