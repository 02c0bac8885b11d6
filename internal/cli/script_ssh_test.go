package cli_test

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"
	"github.com/tagbump/tagbump/internal/testenv"
)

// SSH commands for txtar scripts:
//
//	sshserver [-v2]    start OpenSSH serving the repositories of the script's git server
//	                   (gitserver first); sets $SSHSERVER (ssh://USER@127.0.0.1:PORT/ROOT, append
//	                   /NAME.git), $SSH_KEY and $KNOWN_HOSTS. Without -v2 git answers in protocol v0,
//	                   as sshd passes no GIT_PROTOCOL by default.

func init() {
	scriptCmds["sshserver"] = cmdSSHServer
}

func cmdSSHServer(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("unsupported: ! sshserver")
	}
	var opts []testenv.SSHDOption
	for _, a := range args {
		switch a {
		case "-v2":
			opts = append(opts, testenv.WithAcceptEnv("GIT_PROTOCOL"))
		default:
			ts.Fatalf("usage: sshserver [-v2]")
		}
	}
	if _, err := os.Stat(testenv.SSHDPath); err != nil {
		ts.Fatalf("%s not installed (scripts/ci-deps.sh installs it)", testenv.SSHDPath)
	}
	root := gitServerOf(ts).Root
	dir := ts.MkAbs("sshd")
	ts.Check(os.MkdirAll(dir, 0o700))
	key, err := testenv.NewSSHKey(dir, "id_ed25519", "")
	ts.Check(err)
	s, err := testenv.StartSSHD(dir, key.Authorized, root, opts...)
	ts.Check(err)
	ts.Defer(func() { s.Close() })
	kh := filepath.Join(dir, "known_hosts")
	ts.Check(os.WriteFile(kh, []byte(s.HostKeyLine()+"\n"), 0o600))
	ts.Setenv("SSHSERVER", strings.TrimSuffix(s.URL("x"), "/x.git"))
	ts.Setenv("SSH_KEY", key.Path)
	ts.Setenv("KNOWN_HOSTS", kh)
}
