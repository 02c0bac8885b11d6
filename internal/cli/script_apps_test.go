package cli_test

import (
	"os"

	"github.com/rogpeppe/go-internal/testscript"
)

// Commands for the --app scripts:
//
//	envsubst FILE...   replace $VAR and ${VAR} in each $WORK/FILE with the script's environment (e.g. $GITSERVER in a repoURL)
func init() {
	scriptCmds["envsubst"] = cmdEnvsubst
}

func cmdEnvsubst(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) == 0 {
		ts.Fatalf("usage: envsubst FILE...")
	}
	for _, f := range args {
		p := ts.MkAbs(f)
		ts.Check(os.WriteFile(p, []byte(os.Expand(ts.ReadFile(f), ts.Getenv)), 0o644))
	}
}
