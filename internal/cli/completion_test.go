package cli

import (
	"bytes"
	"context"
	"testing"
)

func TestCompletionExitCodes(t *testing.T) {
	tests := []struct {
		args []string
		want int
	}{
		{[]string{"completion", "bash"}, ExitOK},
		{[]string{"completion", "tcsh"}, ExitUsage},
		{[]string{"completion"}, ExitUsage},
	}
	for _, tt := range tests {
		var out, errOut bytes.Buffer
		got := Run(context.Background(), tt.args, IOStreams{In: &bytes.Buffer{}, Out: &out, Err: &errOut})
		if got != tt.want {
			t.Errorf("tagbump %v exit code = %d, want %d (stderr %q)", tt.args, got, tt.want, errOut.String())
		}
	}
}
