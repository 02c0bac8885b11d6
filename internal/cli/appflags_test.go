package cli

import (
	"bytes"
	"strings"
	"testing"
)

// TestAppFlags: --app names the Applications to change, and the one a
// --wait --argocd-server waits for; with --chart/--env it is, as before
// --app chose files, only the application to wait for; otherwise it
// conflicts with them (exit 2).
func TestAppFlags(t *testing.T) {
	parse := func(args ...string) (*BumpOptions, error) {
		var got *BumpOptions
		var out bytes.Buffer
		cmd := NewCmdBump(IOStreams{Out: &out, Err: &out}, func(o *BumpOptions) error { got = o; return nil })
		cmd.SetArgs(args)
		cmd.SetOut(&out)
		cmd.SetErr(&out)
		err := cmd.Execute()
		return got, err
	}
	o, err := parse("--repo", "r", "--app", "shop-staging", "--app", "team/shop-qa", "--image", "reg/shop:1")
	if err != nil || strings.Join(o.Apps, ",") != "shop-staging,team/shop-qa" || o.ValuesFile != "" || o.Wait.App != "" {
		t.Errorf("--app twice: %v, %+v", err, o)
	}
	o, err = parse("--repo", "r", "--app", "team/shop-staging", "--image", "reg/shop:1", "--wait", "--argocd-server", "https://argocd.example.com")
	if err != nil || len(o.Apps) != 1 || o.Wait.App != "shop-staging" || o.Wait.AppNamespace != "team" {
		t.Errorf("--app with --wait: %v, %+v", err, o)
	}
	o, err = parse("--repo", "r", "--chart", "shop", "--env", "staging", "--app", "shop-staging", "--image", "reg/shop:1", "--wait", "--argocd-server", "https://argocd.example.com")
	if err != nil || len(o.Apps) != 0 || o.Wait.App != "shop-staging" {
		t.Errorf("--chart/--env with --app to wait for: %v, %+v", err, o)
	}
	for _, args := range [][]string{
		{"--repo", "r", "--env", "staging", "--app", "shop-staging", "--image", "reg/shop:1"},
		{"--repo", "r", "--values-file", "x.yaml", "--app", "shop-staging", "--image", "reg/shop:1"},
		{"--repo", "r", "--env", "staging", "--apps-path", "apps", "--image", "reg/shop:1"},
		{"--repo", "r", "--app", "a", "--app", "b", "--image", "reg/shop:1", "--wait", "--argocd-server", "https://argocd.example.com"},
	} {
		if _, err := parse(args...); ExitCode(err) != ExitUsage {
			t.Errorf("%v: %v (exit %d), want exit %d", args, err, ExitCode(err), ExitUsage)
		}
	}
}
