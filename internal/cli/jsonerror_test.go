package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/tagbump/tagbump/internal/cli"
)

// TestJSONError: with --output json a failing command puts the reason and
// the exit code on stdout, for a pipeline that parses stdout; without it,
// stdout stays empty.
func TestJSONError(t *testing.T) {
	var out, errOut bytes.Buffer
	code := cli.Run(context.Background(), []string{"verify", "--output", "json", "app:1.0"},
		cli.IOStreams{In: strings.NewReader(""), Out: &out, Err: &errOut})
	if code != cli.ExitUsage {
		t.Fatalf("exit %d, want %d\n%s", code, cli.ExitUsage, errOut.String())
	}
	var got struct {
		Error struct {
			Message  string `json:"message"`
			ExitCode int    `json:"exit_code"`
			Kind     string `json:"kind"`
		} `json:"error"`
	}
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, out.String())
	}
	if got.Error.ExitCode != cli.ExitUsage || got.Error.Kind != "usage" || !strings.Contains(got.Error.Message, "app:1.0") {
		t.Errorf("error object %+v", got.Error)
	}
	out.Reset()
	if code := cli.Run(context.Background(), []string{"verify", "app:1.0"}, cli.IOStreams{Out: &out, Err: &errOut}); code != cli.ExitUsage || out.Len() != 0 {
		t.Errorf("text output: exit %d, stdout %q", code, out.String())
	}
}
