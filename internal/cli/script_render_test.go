package cli_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"

	"github.com/rogpeppe/go-internal/testscript"
	"github.com/tagbump/tagbump/internal/testenv"
)

// renderTool is a renderer the scripts find in an environment variable,
// built on first use.
type renderTool struct {
	env, script string
	path        func() string
	once        sync.Once
	err         error
}

// The scripts find the helm and kustomize that scripts/build-helm.sh and
// scripts/build-kustomize.sh build as $HELM and $KUSTOMIZE.
var renderTools = []*renderTool{
	{env: "HELM", script: "build-helm.sh", path: testenv.HelmPath},
	{env: "KUSTOMIZE", script: "build-kustomize.sh", path: testenv.KustomizePath},
}

func init() {
	scriptSetups = append(scriptSetups, func(env *testscript.Env) error {
		for _, t := range renderTools {
			bin := t.path()
			t.once.Do(func() {
				if _, err := os.Stat(bin); err == nil {
					return
				}
				script := filepath.Join("..", "..", "scripts", t.script)
				if out, err := exec.Command("bash", script).CombinedOutput(); err != nil {
					t.err = fmt.Errorf("%s: %v\n%s", t.script, err, out)
				}
			})
			if t.err != nil && testenv.Strict() {
				return t.err
			}
			env.Setenv(t.env, bin)
		}
		return nil
	})
}
