package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/pflag"
	"github.com/tagbump/tagbump/internal/ci"
	"github.com/tagbump/tagbump/pkg/argocd"
	"github.com/tagbump/tagbump/pkg/bump"
	"github.com/tagbump/tagbump/pkg/gitrepo"
)

// registerAppFlags adds --app, --apps-path and --apps-repo: the files to
// change come from Argo CD Application manifests.
func registerAppFlags(f *pflag.FlagSet, apps *[]string, appsPath, appsRepo *string) {
	f.StringArrayVar(apps, "app", nil, "Argo CD Application (NAME or NAMESPACE/NAME) whose Helm value files to change, read from its manifest instead of --chart/--env/--values-file; repeat for several (one commit); with --wait --argocd-server also the one waited for (with --chart/--env: only that)")
	f.StringVar(appsPath, "apps-path", "", "file, directory or glob (** for any depth) of the Application manifests in the repository (default: "+
		strings.Join(argocd.DefaultAppsPaths, "/, ")+"/ and the files at the root)")
	f.StringVar(appsRepo, "apps-repo", "", "repository of the Application manifests when it is not --repo (read only, its default branch; same auth rules)")
}

// appFlags sorts out what --app means for a command whose --app may also
// name the Application a --wait --argocd-server waits for (w), and returns
// the Applications whose files to change. With none of the replaced flags
// (--chart, --env, --values-file) given, --app names the Applications to
// change, and the one waited for. With them, --app is only what it was
// before --app chose files: the application to wait for, so it needs --wait
// --argocd-server; else the two conflict. --apps-path and --apps-repo need
// --app.
func appFlags(f *pflag.FlagSet, apps []string, w *waitFlags, replaced ...string) ([]string, error) {
	var given []string
	for _, n := range replaced {
		if f.Changed(n) {
			given = append(given, n)
		}
	}
	if len(apps) > 0 && len(given) > 0 {
		if w.Wait && w.ArgoCDServer != "" {
			given = nil // the application to wait for, as before
		} else {
			return nil, commandLineErr(fmt.Errorf("--app and --%s conflict: the Application names its files; leave out --%s", given[0], given[0]))
		}
		if err := w.waitForApp(apps); err != nil {
			return nil, err
		}
		apps = nil
	} else if err := w.waitForApp(apps); err != nil {
		return nil, err
	}
	if len(apps) == 0 {
		for _, n := range []string{"apps-path", "apps-repo"} {
			if f.Changed(n) {
				return nil, commandLineErr(fmt.Errorf("--%s needs --app (and neither --chart nor --env)", n))
			}
		}
	}
	return apps, nil
}

// appTarget holds --app, --apps-path and --apps-repo of history and
// rollback, which read one Application's values file.
type appTarget struct {
	Apps               []string
	AppsPath, AppsRepo string
}

// useApp points r at the values file of the one Application of a, read
// from its manifest (an extra fetch) for the images pick selects, and
// returns the Application's name, which stands for the environment; ""
// without --app. Where the Application's manifest sets the images, pick
// becomes the places there (keys, and what they are), which leave out the
// file's other Applications in every version of the file.
func (a *appTarget) useApp(ctx context.Context, env ci.Env, r *repoFlags, pick *bump.Pick) (string, error) {
	if len(a.Apps) == 0 {
		return "", nil
	}
	if r.Repo == "" {
		return "", usageErr(fmt.Errorf("--repo is required"))
	}
	opts := r.bumpOptions(ctx, env)
	if a.AppsRepo != "" {
		opts = append(opts, bump.WithAppsGitOptions(append(gitOptionsFor(env, a.AppsRepo, r.Repo, r.SSHKey, r.KnownHosts, r.Timeout),
			gitrepo.WithMaxFetchBytes(r.MaxFetchBytes), gitrepo.WithMaxFileSize(r.MaxFileSize))...))
	}
	file, p, err := bump.AppPick(ctx, bump.Request{Repo: r.Repo, Branch: r.Branch, Apps: a.Apps, AppsPath: a.AppsPath, AppsRepo: a.AppsRepo}, *pick, opts...)
	if err != nil {
		return "", err
	}
	*pick = p
	r.Chart, r.ValuesFile = "", file
	name := a.Apps[0]
	if _, n, ok := strings.Cut(name, "/"); ok {
		name = n
	}
	return name, nil
}
