package cli

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/cobra"
)

// Every repeatable flag reads its variable by one rule: values separated
// by commas, spaces or new lines.
func TestBindEnvRepeatable(t *testing.T) {
	for _, v := range []string{"staging prod", "staging,prod", "staging, prod", "staging\nprod\n", " staging,,prod "} {
		var envs, images []string
		cmd := &cobra.Command{Use: "x"}
		cmd.Flags().StringSliceVar(&envs, "env", nil, "")
		cmd.Flags().StringArrayVar(&images, "image", nil, "")
		t.Setenv("TAGBUMP_ENV", v)
		t.Setenv("TAGBUMP_IMAGE", v)
		if err := bindEnv(cmd); err != nil {
			t.Fatalf("%q: %v", v, err)
		}
		want := []string{"staging", "prod"}
		if d := cmp.Diff(want, envs); d != "" {
			t.Errorf("TAGBUMP_ENV=%q: --env (-want +got):\n%s", v, d)
		}
		if d := cmp.Diff(want, images); d != "" {
			t.Errorf("TAGBUMP_IMAGE=%q: --image (-want +got):\n%s", v, d)
		}
	}
}
