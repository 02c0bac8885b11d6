package cli_test

import (
	"strconv"

	"github.com/rogpeppe/go-internal/testscript"
)

func init() {
	scriptCmds["envq"] = cmdEnvQ
}

// cmdEnvQ runs `envq NAME 'VALUE'`: it sets NAME to VALUE with its Go
// escapes (\r, \x00, \u200b) read, so that a script can pass a carriage
// return or another control character in an argument ($NAME).
func cmdEnvQ(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: envq NAME 'VALUE WITH GO ESCAPES'")
	}
	v, err := strconv.Unquote(`"` + args[1] + `"`)
	ts.Check(err)
	ts.Setenv(args[0], v)
}
