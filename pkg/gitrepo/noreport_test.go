package gitrepo_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/tagbump/tagbump/internal/testenv"
	"github.com/tagbump/tagbump/pkg/gitrepo"
)

// TestPushReportWithoutRefStatusSSH answers a push over SSH with a
// report-status that has no status for the pushed branch (over HTTP:
// TestPushEmptyAnswer), after the server took the push or without passing
// it on: Push must return a lost answer (ErrNetwork), not success. Over
// SSH tagbump reads the report itself (sshconn.go). sshd runs every
// command through a wrapper (authorized_keys command=) that serves
// git-receive-pack's real advertisement, passes the push to git
// receive-pack or drops it, and answers with the report.
func TestPushReportWithoutRefStatusSSH(t *testing.T) {
	root, wd := t.TempDir(), t.TempDir()
	key, err := testenv.NewSSHKey(t.TempDir(), "id_ed25519", "")
	if err != nil {
		t.Fatal(err)
	}
	reportFile, modeFile := filepath.Join(wd, "report"), filepath.Join(wd, "mode")
	wrapper := filepath.Join(wd, "wrapper.sh")
	script := "#!/bin/sh\nset -e\neval \"set -- $SSH_ORIGINAL_COMMAND\"\n" +
		"if [ \"$1\" != git-receive-pack ]; then exec \"$@\"; fi\n" +
		"git receive-pack --stateless-rpc --advertise-refs \"$2\"\n" +
		"if [ \"$(cat '" + modeFile + "')\" = landed ]; then git receive-pack --stateless-rpc \"$2\" >/dev/null; else cat >/dev/null; fi\n" +
		"cat '" + reportFile + "'\n"
	if err := os.WriteFile(wrapper, []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	forced := *key
	forced.Authorized = append([]byte(`command="`+wrapper+`" `), key.Authorized...)
	sshd, knownHosts := testenv.NewSSHD(t, &forced, root)
	for i, tc := range []struct {
		name, mode string
		report     []byte
	}{
		{"unpack-ok-only", "landed", testenv.GitReportStatus("unpack ok")},
		{"other-ref-ok", "dropped", testenv.GitReportStatus("unpack ok", "ok refs/heads/other")},
	} {
		mode := tc.mode
		t.Run(tc.name+"/"+mode, func(t *testing.T) {
			name := fmt.Sprintf("charts-%d-%s", i, mode)
			dir, err := testenv.CreateBareRepo(filepath.Join(root, name+".git"), seedFiles())
			if err != nil {
				t.Fatal(err)
			}
			before := testenv.MustGit(t, dir, "rev-parse", "main")
			if err := os.WriteFile(reportFile, tc.report, 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(modeFile, []byte(mode), 0o600); err != nil {
				t.Fatal(err)
			}
			r := open(t, sshd.URL(name), gitrepo.WithSSHKey(key.Path, ""), gitrepo.WithKnownHosts(knownHosts))
			c := bump(t, r, "app/values.yaml", `"1.0.0"`, `"1.1.0"`)
			err = r.Push(context.Background(), c)
			if !errors.Is(err, gitrepo.ErrNetwork) || errors.Is(err, gitrepo.ErrRace) {
				t.Errorf("Push: %v, want a lost answer: an error wrapping ErrNetwork and not ErrRace", err)
			}
			want := before
			if mode == "landed" {
				want = c.Hash.String()
			}
			if got := testenv.MustGit(t, dir, "rev-parse", "main"); got != want {
				t.Errorf("main = %s, want %s", got, want)
			}
		})
	}
}
