package cli_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"

	"github.com/rogpeppe/go-internal/testscript"
)

func init() {
	scriptCmds["exits"] = cmdExits
	scriptCmds["unix2dos"] = cmdUnix2Dos
	scriptCmds["addbom"] = cmdAddBOM
	scriptCmds["filemode"] = cmdFileMode
	scriptCmds["chomp"] = cmdChomp
}

// cmdExits runs `exits CODE PROG ARGS...`: it runs PROG in $WORK and fails
// unless it exits with CODE. Its output is the script's stdout and stderr.
func cmdExits(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exits CODE PROG [ARGS...]")
	}
	want, err := strconv.Atoi(args[0])
	ts.Check(err)
	cmd := exec.Command(args[1], args[2:]...)
	cmd.Dir = ts.Getenv("WORK")
	cmd.Env = append(os.Environ(), "PATH="+ts.Getenv("PATH"), "HOME="+ts.Getenv("HOME"))
	for _, k := range []string{"TAGBUMP_LOG_LEVEL", "TAGBUMP_LOG_FORMAT"} {
		if v := ts.Getenv(k); v != "" {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
	}
	cmd.Stdout, cmd.Stderr = ts.Stdout(), ts.Stderr()
	err = cmd.Run()
	got := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		got = ee.ExitCode()
	} else if err != nil {
		ts.Fatalf("run %s: %v", args[1], err)
	}
	if got != want {
		ts.Fatalf("%s exited with %d, want %d", args[1], got, want)
	}
}

// cmdUnix2Dos runs `unix2dos FILE`: it turns LF line endings into CRLF.
func cmdUnix2Dos(ts *testscript.TestScript, neg bool, args []string) {
	rewrite(ts, args, func(b []byte) []byte { return bytes.ReplaceAll(b, []byte("\n"), []byte("\r\n")) })
}

// cmdAddBOM runs `addbom FILE`: it puts a UTF-8 byte order mark first.
func cmdAddBOM(ts *testscript.TestScript, neg bool, args []string) {
	rewrite(ts, args, func(b []byte) []byte { return append([]byte("\ufeff"), b...) })
}

// cmdChomp runs `chomp FILE`: it removes the final newline.
func cmdChomp(ts *testscript.TestScript, neg bool, args []string) {
	rewrite(ts, args, func(b []byte) []byte { return bytes.TrimSuffix(b, []byte("\n")) })
}

func rewrite(ts *testscript.TestScript, args []string, f func([]byte) []byte) {
	if len(args) != 1 {
		ts.Fatalf("usage: unix2dos|addbom|chomp FILE")
	}
	name := ts.MkAbs(args[0])
	b, err := os.ReadFile(name)
	ts.Check(err)
	ts.Check(os.WriteFile(name, f(b), 0o644))
}

// cmdFileMode runs `filemode FILE MODE`: it fails unless FILE's permission
// bits are MODE (octal).
func cmdFileMode(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: filemode FILE MODE")
	}
	fi, err := os.Stat(ts.MkAbs(args[0]))
	ts.Check(err)
	if got := fmt.Sprintf("%04o", fi.Mode().Perm()); (got != args[1]) != neg {
		ts.Fatalf("%s has mode %s, want %s", args[0], got, args[1])
	}
}
