package cli_test

import (
	"os"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"tagbump": func() { os.Exit(tagbumpMain()) }, // script_secrets_test.go
	})
}

// scriptCmds are the extra commands txtar scripts can use (servers to
// start, repositories to inspect). Files named script_*_test.go add theirs
// in init, one file per area.
var scriptCmds = map[string]func(ts *testscript.TestScript, neg bool, args []string){}

// scriptSetups run before each script, e.g. to set environment variables.
var scriptSetups []func(env *testscript.Env) error

// TestScript runs the end-to-end CLI scenarios in testdata/script.
// Set UPDATE_SCRIPTS=1 to rewrite expected output.
func TestScript(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:           "../../testdata/script",
		UpdateScripts: os.Getenv("UPDATE_SCRIPTS") != "",
		Cmds:          scriptCmds,
		Setup: func(env *testscript.Env) error {
			for _, s := range scriptSetups {
				if err := s(env); err != nil {
					return err
				}
			}
			return nil
		},
	})
}
