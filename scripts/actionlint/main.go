// Command actionlint lints tagbump's GitHub Actions files with actionlint:
// the example workflows in ci-templates/github, with `uses:
// tagbump/tagbump@…` pointed at this repository's action.yml (so their
// inputs are checked against it), and action.yml's own steps, run as the
// steps of a generated reusable workflow (so their expressions, step ids
// and scripts are checked), and the repository's own workflows.
//
// Usage: go run ./scripts/actionlint ACTIONLINT-COMMAND...
// where the command is e.g. `go run github.com/rhysd/actionlint/cmd/actionlint@v1.7.12`.
// It runs from the repository root and exits with actionlint's status.
package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"

	"go.yaml.in/yaml/v3"
)

// generated is the name of the workflow made from action.yml's steps.
const generated = "action-yml-steps.yml"

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: actionlint ACTIONLINT-COMMAND...")
		os.Exit(2)
	}
	code, err := run(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "actionlint:", err)
		os.Exit(2)
	}
	os.Exit(code)
}

func run(lint []string) (int, error) {
	tmp, err := os.MkdirTemp("", "tagbump-actionlint-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(tmp)
	// actionlint finds the project by its .git directory.
	flows := filepath.Join(tmp, ".github", "workflows")
	for _, d := range []string{filepath.Join(tmp, ".git"), flows} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return 0, err
		}
	}
	action, err := os.ReadFile("action.yml")
	if err != nil {
		return 0, err
	}
	if err := os.WriteFile(filepath.Join(tmp, "action.yml"), action, 0o644); err != nil {
		return 0, err
	}
	wf, err := actionWorkflow(action)
	if err != nil {
		return 0, fmt.Errorf("action.yml: %w", err)
	}
	if err := os.WriteFile(filepath.Join(flows, generated), wf, 0o644); err != nil {
		return 0, err
	}
	examples, err := filepath.Glob("ci-templates/github/*.yml")
	if err != nil {
		return 0, err
	}
	if len(examples) == 0 {
		return 0, errors.New("no example workflow in ci-templates/github")
	}
	uses := regexp.MustCompile(`tagbump/tagbump@\S+`)
	for _, f := range examples {
		b, err := os.ReadFile(f)
		if err != nil {
			return 0, err
		}
		if !uses.Match(b) {
			return 0, fmt.Errorf("%s does not use tagbump/tagbump@…", f)
		}
		if err := os.WriteFile(filepath.Join(flows, filepath.Base(f)), uses.ReplaceAll(b, []byte("./")), 0o644); err != nil {
			return 0, err
		}
	}
	// The repository's own workflows (the release) as they are.
	own, err := filepath.Glob(".github/workflows/*.yml")
	if err != nil {
		return 0, err
	}
	for _, f := range own {
		b, err := os.ReadFile(f)
		if err != nil {
			return 0, err
		}
		if err := os.WriteFile(filepath.Join(flows, filepath.Base(f)), b, 0o644); err != nil {
			return 0, err
		}
	}
	fmt.Printf("actionlint: %d example workflow(s) from ci-templates/github (using ./action.yml), %d of .github/workflows, and action.yml's steps as .github/workflows/%s\n", len(examples), len(own), generated)
	cmd := exec.Command(lint[0], lint[1:]...)
	cmd.Dir = tmp
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	err = cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode(), nil
	}
	return 0, err
}

// actionWorkflow turns a composite action's metadata into a reusable
// workflow whose one job runs the action's steps, with the action's inputs
// as workflow_call inputs and its outputs as job outputs.
func actionWorkflow(src []byte) ([]byte, error) {
	var a struct {
		Inputs map[string]struct {
			Required bool `yaml:"required"`
		} `yaml:"inputs"`
		Outputs map[string]struct {
			Value string `yaml:"value"`
		} `yaml:"outputs"`
		Runs struct {
			Using string      `yaml:"using"`
			Steps []yaml.Node `yaml:"steps"`
		} `yaml:"runs"`
	}
	if err := yaml.Unmarshal(src, &a); err != nil {
		return nil, err
	}
	if a.Runs.Using != "composite" || len(a.Runs.Steps) == 0 {
		return nil, fmt.Errorf("not a composite action with steps")
	}
	type input struct {
		Type     string `yaml:"type"`
		Required bool   `yaml:"required"`
	}
	inputs := map[string]input{}
	for name, in := range a.Inputs {
		inputs[name] = input{Type: "string", Required: in.Required}
	}
	outputs := map[string]string{}
	for name, out := range a.Outputs {
		outputs[name] = out.Value
	}
	wf := map[string]any{
		"name": "action.yml steps",
		"on":   map[string]any{"workflow_call": map[string]any{"inputs": inputs}},
		"jobs": map[string]any{"action": map[string]any{
			"runs-on": "ubuntu-latest",
			"outputs": outputs,
			"steps":   a.Runs.Steps,
		}},
	}
	return yaml.Marshal(wf)
}
