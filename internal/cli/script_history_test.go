package cli_test

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/rogpeppe/go-internal/testscript"
	"github.com/tagbump/tagbump/internal/testenv"
)

// History commands for txtar scripts:
//
//	gitcommit NAME MESSAGE PATH=FILE...   commit by hand on main of NAME.git: each PATH gets $WORK/FILE's content
//	regoverwrite REF VAR                  push a new random image as REF, moving its tag as another tool would ($REGISTRY_USER/$REGISTRY_PASSWORD when set); $VAR gets its digest
//	histsum FILE                          print `tagbump history --output json` in FILE as one line per deployment:
//	                                      kind [ci_run] then "name old new ;" per image

func init() {
	scriptCmds["gitcommit"] = cmdGitCommit
	scriptCmds["histsum"] = cmdHistSum
	scriptCmds["regoverwrite"] = cmdRegOverwrite
}

func cmdGitCommit(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 3 {
		ts.Fatalf("usage: gitcommit NAME MESSAGE PATH=FILE...")
	}
	files := map[string]string{}
	for _, a := range args[2:] {
		p, f, ok := strings.Cut(a, "=")
		if !ok {
			ts.Fatalf("usage: gitcommit NAME MESSAGE PATH=FILE...")
		}
		files[p] = ts.ReadFile(f)
	}
	_, err := gitServerOf(ts).CommitFiles(args[0], "main", files, args[1])
	ts.Check(err)
}

func cmdHistSum(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: histsum FILE")
	}
	var h struct {
		Deployments []struct {
			Kind   string `json:"kind"`
			CIRun  string `json:"ci_run"`
			Images []struct {
				Key, Registry, Repository, Old, New string
			} `json:"images"`
		} `json:"deployments"`
	}
	ts.Check(json.Unmarshal([]byte(ts.ReadFile(args[0])), &h))
	for _, d := range h.Deployments {
		line := d.Kind
		if d.CIRun != "" {
			line += " " + d.CIRun
		}
		for _, im := range d.Images {
			name := im.Repository
			if im.Registry != "" {
				name = im.Registry + "/" + name
			}
			line += fmt.Sprintf(" %s %s %s ;", name, im.Old, im.New)
		}
		fmt.Fprintln(ts.Stdout(), line)
	}
}

func cmdRegOverwrite(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: regoverwrite REF VAR")
	}
	ref, err := name.ParseReference(args[0], name.Insecure)
	ts.Check(err)
	img, err := testenv.RandomImage(2048, 1)
	ts.Check(err)
	auth := authn.Anonymous
	if u := ts.Getenv("REGISTRY_USER"); u != "" {
		auth = &authn.Basic{Username: u, Password: ts.Getenv("REGISTRY_PASSWORD")}
	}
	ts.Check(remote.Write(ref, img, remote.WithAuth(auth)))
	d, err := img.Digest()
	ts.Check(err)
	ts.Setenv(args[1], d.String())
}
