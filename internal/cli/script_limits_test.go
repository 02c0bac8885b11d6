package cli_test

import (
	"os"
	"strconv"

	"github.com/rogpeppe/go-internal/testscript"
	"github.com/tagbump/tagbump/internal/benchdata"
)

func init() {
	scriptCmds["hostile"] = cmdHostile
}

// cmdHostile runs `hostile SHAPE SIZE FILE`: it writes a hostile values
// file of the shape (benchdata.HostileShapes), at most SIZE bytes, with the
// image block benchdata.HostileImage at its end.
func cmdHostile(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: hostile SHAPE SIZE FILE")
	}
	size, err := strconv.Atoi(args[1])
	ts.Check(err)
	src, err := benchdata.Hostile(args[0], size)
	ts.Check(err)
	ts.Check(os.WriteFile(ts.MkAbs(args[2]), src, 0o644))
}
