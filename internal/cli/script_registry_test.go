package cli_test

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/rogpeppe/go-internal/testscript"
	"github.com/tagbump/tagbump/internal/testenv"
)

// Credentials of the distribution registry that `registry start
// distribution` starts; scripts read them from $REGISTRY_USER and
// $REGISTRY_PASSWORD.
const (
	scriptRegistryUser     = "ci"
	scriptRegistryPassword = "s3cret-Pa55word-never-printed"
)

func init() {
	scriptCmds["registry"] = cmdRegistry
	scriptCmds["image"] = cmdImage
	scriptCmds["silent"] = cmdSilent
	scriptCmds["exitcode"] = cmdExitCode
	scriptSetups = append(scriptSetups, func(env *testscript.Env) error {
		env.Values[scriptTKey{}] = env.T()
		return nil
	})
}

// scriptTKey finds the script's testscript.T in ts.Value, to skip from a
// custom command.
type scriptTKey struct{}

// cmdRegistry: registry start inproc|inproc-referrers|distribution. It
// starts a registry on 127.0.0.1 (inproc-referrers: with the OCI referrers
// API), sets $REGISTRY to its host:port (and $REGISTRY_USER,
// $REGISTRY_PASSWORD for distribution, which requires them) and stops it
// at the end of the script. Without the docker-registry binary the script
// is skipped, except under CI=true where it fails.
func cmdRegistry(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 || args[0] != "start" {
		ts.Fatalf("usage: registry start inproc|distribution")
	}
	var (
		r   *testenv.Registry
		err error
	)
	switch args[1] {
	case "inproc":
		r, err = testenv.StartRegistry()
	case "inproc-referrers":
		r, err = testenv.StartRegistry(testenv.WithReferrers())
	case "distribution":
		if err := testenv.DistributionAvailable(); err != nil {
			if testenv.Strict() {
				ts.Fatalf("%v (CI=true: this script must not be skipped)", err)
			}
			ts.Value(scriptTKey{}).(testscript.T).Skip(err.Error())
		}
		dir := ts.MkAbs("distribution")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			ts.Fatalf("%v", err)
		}
		r, err = testenv.StartDistribution(dir, map[string]string{scriptRegistryUser: scriptRegistryPassword})
		ts.Setenv("REGISTRY_USER", scriptRegistryUser)
		ts.Setenv("REGISTRY_PASSWORD", scriptRegistryPassword)
	default:
		ts.Fatalf("usage: registry start inproc|distribution")
	}
	ts.Check(err)
	ts.Defer(func() { r.Close() })
	ts.Setenv("REGISTRY", r.Host())
}

// cmdImage: image write tarball|layout|index PATH [VAR]. It writes a new
// random image (index: two platforms) to PATH and sets $VAR to its digest.
func cmdImage(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 3 || len(args) > 4 || args[0] != "write" {
		ts.Fatalf("usage: image write tarball|layout|index PATH [VAR]")
	}
	path := ts.MkAbs(args[2])
	var (
		d   v1.Hash
		err error
	)
	switch args[1] {
	case "tarball", "layout":
		img, e := testenv.RandomImage(4096, 2)
		ts.Check(e)
		d, _ = img.Digest()
		if args[1] == "tarball" {
			ts.Check(os.MkdirAll(filepath.Dir(path), 0o755))
			err = testenv.WriteTarball(path, "example.com/app:build", img)
		} else {
			err = testenv.WriteLayout(path, img)
		}
	case "index":
		idx, e := testenv.RandomIndex(2048)
		ts.Check(e)
		d, _ = idx.Digest()
		err = testenv.WriteIndexLayout(path, idx)
	default:
		ts.Fatalf("usage: image write tarball|layout|index PATH [VAR]")
	}
	ts.Check(err)
	if len(args) == 4 {
		ts.Setenv(args[3], d.String())
	}
}

// cmdSilent: silent start. It starts a TCP server on 127.0.0.1 that never
// answers and sets $SILENT to its host:port.
func cmdSilent(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 || args[0] != "start" {
		ts.Fatalf("usage: silent start")
	}
	l, err := testenv.StartSilent()
	ts.Check(err)
	ts.Defer(func() { l.Close() })
	ts.Setenv("SILENT", l.Addr().String())
}

// cmdExitCode: exitcode N PROGRAM ARGS... It runs the program like exec
// and checks that it exits with code N; stdout and stderr can be checked
// afterwards.
func cmdExitCode(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exitcode N PROGRAM [ARGS...]")
	}
	want, err := strconv.Atoi(args[0])
	ts.Check(err)
	got := 0
	if err := ts.Exec(args[1], args[2:]...); err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			ts.Fatalf("%v", err)
		}
		got = ee.ExitCode()
	}
	if got != want {
		ts.Fatalf("%s exited with code %d, want %d", args[1], got, want)
	}
}
