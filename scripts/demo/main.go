// Command demo runs tagbump's main job end to end on an embedded default:
// a throwaway helm-charts repository served by git's http-backend on
// loopback, an image pushed to an in-process registry, the bump, and the
// commit it pushed. Nothing outside a temporary directory is touched.
package main

import (
	"context"
	"crypto/rand"
	_ "embed"
	"fmt"
	"os"
	"path/filepath"

	"github.com/tagbump/tagbump/internal/cli"
	"github.com/tagbump/tagbump/internal/testenv"
)

//go:embed values-staging.yaml
var valuesStaging string

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

func run() error {
	tmp, err := os.MkdirTemp("", "tagbump-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	token := rand.Text() // the demo's Git token: never printed
	git, err := testenv.StartGitServer(testenv.WithBasicAuth("ci-bot", token))
	if err != nil {
		return err
	}
	defer git.Close()
	if _, err := git.CreateRepo("helm-charts", map[string]string{
		"app-service/values-staging.yaml": valuesStaging,
		"app-service/values-prod.yaml":    valuesStaging,
	}); err != nil {
		return err
	}
	reg, err := testenv.StartRegistry()
	if err != nil {
		return err
	}
	defer reg.Close()
	img, err := testenv.RandomImage(1024, 2)
	if err != nil {
		return err
	}
	image := reg.Host() + "/app-service:app-service-124"
	tarball := filepath.Join(tmp, "app-service.tar")
	if err := testenv.WriteTarball(tarball, image, img); err != nil {
		return err
	}

	os.Setenv("TAGBUMP_GIT_USER", "ci-bot")
	os.Setenv("TAGBUMP_GIT_TOKEN", token)
	args := []string{"bump",
		"--repo", git.URL("helm-charts"),
		"--chart", "app-service", "--env", "staging",
		"--image", image, "--push-from", tarball,
	}
	fmt.Printf("$ tagbump %s\n", join(args))
	streams := cli.IOStreams{In: os.Stdin, Out: os.Stdout, Err: os.Stderr}
	if code := cli.Run(context.Background(), args, streams); code != 0 {
		return fmt.Errorf("tagbump bump exited with %d", code)
	}
	out, err := testenv.Git(git.Dir("helm-charts"), "log", "-1", "--stat", "-p", "--format=fuller", "main")
	if err != nil {
		return err
	}
	fmt.Printf("\n$ git log -1 -p main   # in the served helm-charts repository\n%s\n", out)
	return nil
}

func join(args []string) string {
	s := ""
	for i, a := range args {
		if i > 0 {
			s += " "
		}
		s += a
	}
	return s
}
