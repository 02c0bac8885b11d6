package cli_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tagbump/tagbump/internal/cli"
	"github.com/tagbump/tagbump/internal/testenv"
)

// Helpers of the reliability suite (issue 6): running the CLI in process,
// inspecting the charts repository, and counting what the suite did.

// envReliabilityLog names a file that reliability tests append their
// counters to, one JSON object a line; `make reliability` sums them.
const envReliabilityLog = "TAGBUMP_RELIABILITY_LOG"

// relCounts is one line of the reliability log.
type relCounts struct {
	Test             string `json:"test"`
	Scenarios        int    `json:"scenarios,omitempty"`
	Faults           int64  `json:"faults,omitempty"`
	BadInputs        int    `json:"bad_inputs,omitempty"`
	CommitsLost      int    `json:"commits_lost"`
	DuplicateCommits int    `json:"duplicate_commits"`
	SecretsLeaked    int    `json:"secrets_leaked"`
	Failed           bool   `json:"failed,omitempty"`
}

var relLogMu sync.Mutex

// recordReliability appends c to the reliability log, when one is named,
// at the end of t (so a failure is recorded as such).
func recordReliability(t *testing.T, c *relCounts) {
	t.Helper()
	path := os.Getenv(envReliabilityLog)
	if path == "" {
		return
	}
	c.Test = t.Name()
	t.Cleanup(func() {
		c.Failed = t.Failed()
		if err := appendReliability(path, c); err != nil {
			t.Errorf("reliability log: %v", err)
		}
	})
}

// appendReliability appends c as a JSON line to the log at path.
func appendReliability(path string, c *relCounts) error {
	b, _ := json.Marshal(c)
	relLogMu.Lock()
	defer relLogMu.Unlock()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = f.Write(append(b, '\n'))
	return err
}

// runResult is what one in-process run of tagbump produced.
type runResult struct {
	code           int
	stdout, stderr string
	elapsed        time.Duration
}

// runTagbump runs the CLI in process with args. The environment is the
// test process's (set it with t.Setenv); the run is bounded by five
// minutes so a hang fails instead of blocking the suite. The bound is no
// speed target: 50 concurrent bumps through a faulty proxy on 2 cores take
// more than a minute for some (make reliability).
func runTagbump(t testing.TB, args ...string) runResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var out, errb testenv.SyncBuffer
	start := time.Now()
	code := cli.Run(ctx, args, cli.IOStreams{In: strings.NewReader(""), Out: &out, Err: &errb})
	if err := checkOutputSchema(args, []byte(out.String())); err != nil {
		t.Error(err)
	}
	return runResult{code: code, stdout: out.String(), stderr: errb.String(), elapsed: time.Since(start)}
}

// gitOut runs git in the bare repository dir and returns its output.
func gitOut(t testing.TB, dir string, args ...string) string {
	t.Helper()
	return testenv.MustGit(t, dir, args...)
}

// countSubject returns how many commits on branch have the subject.
func countSubject(t testing.TB, dir, branch, subject string) int {
	t.Helper()
	n := 0
	for _, s := range strings.Split(gitOut(t, dir, "log", "--format=%s", branch), "\n") {
		if s == subject {
			n++
		}
	}
	return n
}

// emptyDir fails t when dir has entries: a run left a temporary directory.
func emptyDir(t testing.TB, dir string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) > 0 {
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		t.Errorf("TMPDIR %s not empty after the run: %v", dir, names)
	}
}

// chartsServer starts a git server requiring bot:token, with a charts
// repository holding files, and returns it and the repository's directory.
func chartsServer(t testing.TB, token string, files map[string]string, opts ...testenv.GitServerOption) (*testenv.GitServer, string) {
	t.Helper()
	srv := testenv.NewGitServer(t, append([]testenv.GitServerOption{testenv.WithBasicAuth("bot", token)}, opts...)...)
	return srv, srv.MustCreateRepo(t, "charts", files)
}

// setGitToken makes in-process runs authenticate as chartsServer's user.
func setGitToken(t *testing.T, token string) {
	t.Setenv("TAGBUMP_GIT_USER", "bot")
	t.Setenv("TAGBUMP_GIT_TOKEN", token)
}

// faultProxy starts a fault proxy in front of upstream for t.
func faultProxy(t testing.TB, upstream string, opts ...testenv.FaultProxyOption) *testenv.FaultProxy {
	t.Helper()
	p, err := testenv.StartFaultProxy(upstream, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// imageTarball writes a new random image as dir/img.tar and returns the path.
func imageTarball(t testing.TB, dir string) string {
	t.Helper()
	img, err := testenv.RandomImage(1024, 1)
	if err != nil {
		t.Fatal(err)
	}
	tar := filepath.Join(dir, "img.tar")
	if err := testenv.WriteTarball(tar, "example.com/app:build", img); err != nil {
		t.Fatal(err)
	}
	return tar
}

const appValues = "image:\n  repository: app\n  tag: 1.0.0\n"

// onPath is a test case to run against a git server on one fetch path.
type onPath[C any] struct {
	c    C
	path string                    // "partial" or "fallback"
	opts []testenv.GitServerOption // the server options selecting the path
}

// casesOnBothPaths pairs every case with both fetch paths: partial fetch
// (objects in memory, no temporary directory) and the fallback full fetch
// into the private temporary directory, where a "TMPDIR is empty"
// assertion can fail.
func casesOnBothPaths[C any](cases []C) []onPath[C] {
	var out []onPath[C]
	for _, p := range []struct {
		name   string
		filter bool
	}{{"partial", true}, {"fallback", false}} {
		for _, c := range cases {
			out = append(out, onPath[C]{c: c, path: p.name, opts: []testenv.GitServerOption{testenv.WithAllowFilter(p.filter)}})
		}
	}
	return out
}
