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

var helmOnce struct {
	sync.Once
	err error
}

// The scripts find the helm that scripts/build-helm.sh builds as $HELM,
// built on first use.
func init() {
	scriptSetups = append(scriptSetups, func(env *testscript.Env) error {
		bin := testenv.HelmPath()
		helmOnce.Do(func() {
			if _, err := os.Stat(bin); err == nil {
				return
			}
			script := filepath.Join("..", "..", "scripts", "build-helm.sh")
			if out, err := exec.Command("bash", script).CombinedOutput(); err != nil {
				helmOnce.err = fmt.Errorf("build helm: %v\n%s", err, out)
			}
		})
		if helmOnce.err != nil && testenv.Strict() {
			return helmOnce.err
		}
		env.Setenv("HELM", bin)
		return nil
	})
}
