package cli_test

import (
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/tagbump/tagbump/internal/testenv"
)

// Fault scenarios: a FaultProxy between tagbump and the git server or the
// registry. Each asserts the exit code and the state of the branch.

func bumpArgs(repo, chart, tag string, extra ...string) []string {
	return append([]string{"bump", "--no-verify", "--repo", repo, "--chart", chart, "--env", "staging",
		"--image", "registry.example.com/" + chart + ":" + tag}, extra...)
}

// TestFaultFetchRetried: a transient failure while fetching is retried and
// the bump lands once; 401 and 404 are not retried.
func TestFaultFetchRetried(t *testing.T) {
	cases := []struct {
		name  string
		match func(*http.Request) bool
		fault testenv.Fault
		code  int
		calls int64 // most requests the proxy may see, when the run must stop early
	}{
		{"reset on upload-pack", testenv.GitPost("git-upload-pack"), testenv.Fault{Kind: testenv.FaultReset}, 0, 0},
		{"cut pack", testenv.GitPost("git-upload-pack"), testenv.Fault{Kind: testenv.FaultCut, Bytes: 40}, 0, 0},
		{"503 on advertisement", testenv.GitAdvertise("git-upload-pack"), testenv.Fault{Kind: testenv.FaultStatus, Status: 503}, 0, 0},
		{"500 on upload-pack", testenv.GitPost("git-upload-pack"), testenv.Fault{Kind: testenv.FaultStatus, Status: 500}, 0, 0},
		{"429 on advertisement", testenv.GitAdvertise("git-upload-pack"), testenv.Fault{Kind: testenv.FaultStatus, Status: 429}, 0, 0},
		// at most 2 requests: the advertisement and the ls-refs sent along
		// with it (not sent when the advertisement fails first)
		{"401 not retried", testenv.GitAdvertise("git-upload-pack"), testenv.Fault{Kind: testenv.FaultStatus, Status: 401}, 5, 2},
		{"404 not retried", testenv.GitAdvertise("git-upload-pack"), testenv.Fault{Kind: testenv.FaultStatus, Status: 404}, 3, 2},
	}
	counts := &relCounts{}
	recordReliability(t, counts)
	setGitToken(t, "tok-fetch")
	for _, pc := range casesOnBothPaths(cases) {
		tc := pc.c
		t.Run(pc.path+"/"+tc.name, func(t *testing.T) {
			srv, dir := chartsServer(t, "tok-fetch", map[string]string{"app/values-staging.yaml": appValues}, pc.opts...)
			tmp := t.TempDir()
			t.Setenv("TMPDIR", tmp)
			p := faultProxy(t, srv.Addr(), testenv.WithFaultRule(&testenv.FaultRule{Match: tc.match, Times: 1, Fault: tc.fault}))
			before := gitOut(t, dir, "rev-parse", "main")
			r := runTagbump(t, bumpArgs(p.URL(srv.URL("charts")), "app", "1.0.1")...)
			counts.Scenarios++
			counts.Faults += p.Faults()
			if r.code != tc.code {
				t.Fatalf("exit %d, want %d\nstderr: %s", r.code, tc.code, r.stderr)
			}
			if p.Faults() != 1 {
				t.Errorf("faults injected: %d, want 1", p.Faults())
			}
			emptyDir(t, tmp)
			if tc.code != 0 {
				if got := gitOut(t, dir, "rev-parse", "main"); got != before {
					t.Errorf("branch moved to %s after a failed run", got)
				}
				if n := p.Requests(); n < 1 || n > tc.calls {
					t.Errorf("requests: %d, want 1 to %d (no retry)", n, tc.calls)
				}
				return
			}
			tip := gitOut(t, dir, "rev-parse", "main")
			if strings.TrimSpace(r.stdout) != tip {
				t.Errorf("stdout %q, want the branch tip %s", r.stdout, tip)
				counts.CommitsLost++
			}
			if !strings.Contains(r.stderr, "network error, retrying") {
				t.Errorf("stderr does not tell about the retry:\n%s", r.stderr)
			}
			n := countSubject(t, dir, "main", "chore(staging): update app image to 1.0.1")
			if n != 1 {
				t.Errorf("bump commit found %d times, want 1", n)
				counts.DuplicateCommits += max(n-1, 0)
				counts.CommitsLost += max(1-n, 0)
			}
		})
	}
}

// TestFaultPushAnswerLost: the push reaches the server, which moves the
// branch, but the answer never comes back. Run again, the same command
// finds the value set; with attempts left, the bump itself notices that
// its commit landed. Either way the commit is there exactly once.
func TestFaultPushAnswerLost(t *testing.T) {
	counts := &relCounts{}
	recordReliability(t, counts)
	setGitToken(t, "tok-push")
	const subject = "chore(staging): update app image to 1.0.1"
	check := func(t *testing.T, dir string, reported string) {
		t.Helper()
		n := countSubject(t, dir, "main", subject)
		counts.DuplicateCommits += max(n-1, 0)
		counts.CommitsLost += max(1-n, 0)
		if n != 1 {
			t.Errorf("bump commit found %d times, want 1", n)
		}
		if got := gitOut(t, dir, "rev-list", "--count", "main"); got != "2" {
			t.Errorf("rev-list --count main = %s, want 2", got)
		}
		if reported != "" && reported != gitOut(t, dir, "rev-parse", "main") {
			t.Errorf("reported commit %s is not the branch tip", reported)
			counts.CommitsLost++
		}
	}
	for _, pc := range casesOnBothPaths([]testenv.FaultKind{testenv.FaultResetAfter, testenv.FaultCut}) {
		kind := pc.c
		t.Run(pc.path+"/"+kind.String()+"/run again", func(t *testing.T) {
			srv, dir := chartsServer(t, "tok-push", map[string]string{"app/values-staging.yaml": appValues}, pc.opts...)
			tmp := t.TempDir()
			t.Setenv("TMPDIR", tmp)
			p := faultProxy(t, srv.Addr(), testenv.WithFaultRule(&testenv.FaultRule{Match: testenv.GitPost("git-receive-pack"), Times: 1, Fault: testenv.Fault{Kind: kind}}))
			args := bumpArgs(p.URL(srv.URL("charts")), "app", "1.0.1")
			r := runTagbump(t, append(args, "--max-attempts", "1")...)
			counts.Scenarios++
			counts.Faults += p.Faults()
			if r.code != 6 {
				t.Fatalf("first run: exit %d, want 6\nstderr: %s", r.code, r.stderr)
			}
			if !strings.Contains(r.stderr, "run the bump again") {
				t.Errorf("first run does not say what to do:\n%s", r.stderr)
			}
			r = runTagbump(t, args...)
			if r.code != 0 || !strings.Contains(r.stderr, "unchanged") {
				t.Fatalf("second run: exit %d, want 0 and unchanged\nstderr: %s", r.code, r.stderr)
			}
			check(t, dir, "")
			emptyDir(t, tmp)
		})
		t.Run(pc.path+"/"+kind.String()+"/noticed", func(t *testing.T) {
			srv, dir := chartsServer(t, "tok-push", map[string]string{"app/values-staging.yaml": appValues}, pc.opts...)
			tmp := t.TempDir()
			t.Setenv("TMPDIR", tmp)
			p := faultProxy(t, srv.Addr(), testenv.WithFaultRule(&testenv.FaultRule{Match: testenv.GitPost("git-receive-pack"), Times: 1, Fault: testenv.Fault{Kind: kind, Bytes: 4}}))
			r := runTagbump(t, bumpArgs(p.URL(srv.URL("charts")), "app", "1.0.1")...)
			counts.Scenarios++
			counts.Faults += p.Faults()
			if r.code != 0 || !strings.Contains(r.stderr, "had landed") {
				t.Fatalf("exit %d, want 0 and the landed push noticed\nstderr: %s", r.code, r.stderr)
			}
			check(t, dir, strings.TrimSpace(r.stdout))
			emptyDir(t, tmp)
		})
	}
	t.Run("reset before the server/retried", func(t *testing.T) {
		srv, dir := chartsServer(t, "tok-push", map[string]string{"app/values-staging.yaml": appValues})
		p := faultProxy(t, srv.Addr(), testenv.WithFaultRule(&testenv.FaultRule{Match: testenv.GitPost("git-receive-pack"), Times: 1, Fault: testenv.Fault{Kind: testenv.FaultReset}}))
		r := runTagbump(t, bumpArgs(p.URL(srv.URL("charts")), "app", "1.0.1")...)
		counts.Scenarios++
		counts.Faults += p.Faults()
		if r.code != 0 {
			t.Fatalf("exit %d, want 0\nstderr: %s", r.code, r.stderr)
		}
		check(t, dir, strings.TrimSpace(r.stdout))
	})
}

// TestFaultRegistry: 503 and 429 are retried; 401 is not and is reported
// as an auth error naming the registry.
func TestFaultRegistry(t *testing.T) {
	counts := &relCounts{}
	recordReliability(t, counts)
	reg := registryWithApp(t)
	manifests := func(r *http.Request) bool { return strings.Contains(r.URL.Path, "/manifests/") }
	for _, tc := range []struct {
		name   string
		status int
		times  int64
		code   int
	}{
		{"503 retried", 503, 2, 0},
		{"429 retried", 429, 2, 0},
		{"500 retried", 500, 1, 0},
		{"401 not retried", 401, 0, 5},
		{"403 not retried", 403, 0, 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var mu sync.Mutex
			seen := map[string]int{}
			count := &testenv.FaultRule{Match: func(r *http.Request) bool {
				if manifests(r) {
					mu.Lock()
					seen[r.Method]++
					mu.Unlock()
				}
				return false
			}}
			p := faultProxy(t, reg.Host(), testenv.WithFaultRule(count),
				testenv.WithFaultRule(&testenv.FaultRule{Match: manifests, Times: tc.times, Fault: testenv.Fault{Kind: testenv.FaultStatus, Status: tc.status}}))
			r := runTagbump(t, "verify", "--retries", "3", p.Addr()+"/app:1.0.1")
			counts.Scenarios++
			counts.Faults += p.Faults()
			if r.code != tc.code {
				t.Fatalf("exit %d, want %d\nstderr: %s", r.code, tc.code, r.stderr)
			}
			if tc.code == 0 {
				if p.Faults() != tc.times {
					t.Errorf("faults %d, want %d", p.Faults(), tc.times)
				}
				return
			}
			if !strings.Contains(r.stderr, p.Addr()) {
				t.Errorf("the error does not name the registry %s:\n%s", p.Addr(), r.stderr)
			}
			// A HEAD answered 401/403 is followed by one GET, whose body
			// may tell a missing repository apart; neither is repeated.
			mu.Lock()
			defer mu.Unlock()
			if seen["HEAD"] != 1 || seen["GET"] > 1 {
				t.Errorf("manifest requests by method: %v, want one HEAD and at most one GET (no retry)", seen)
			}
		})
	}
}

// TestFaultGitStall: a git server that stops answering fails the bump with
// a timeout (exit 6) and the private temporary directory is removed.
func TestFaultGitStall(t *testing.T) {
	counts := &relCounts{}
	recordReliability(t, counts)
	setGitToken(t, "tok-stall")
	// Without partial fetch the bump fetches into a temporary directory,
	// which exists when the stall begins.
	srv, dir := chartsServer(t, "tok-stall", map[string]string{"app/values-staging.yaml": appValues}, testenv.WithAllowFilter(false))
	p := faultProxy(t, srv.Addr(), testenv.WithFaultRule(&testenv.FaultRule{Match: testenv.GitPost("git-upload-pack"), Fault: testenv.Fault{Kind: testenv.FaultStall}}))
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	before := gitOut(t, dir, "rev-parse", "main")
	r := runTagbump(t, bumpArgs(p.URL(srv.URL("charts")), "app", "1.0.1", "--timeout", "2s")...)
	counts.Scenarios++
	counts.Faults += p.Faults()
	t.Logf("stalled bump with --timeout 2s ended after %s", r.elapsed)
	if r.code != 6 {
		t.Fatalf("exit %d, want 6\nstderr: %s", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, "2s") || !strings.Contains(r.stderr, "--timeout") {
		t.Errorf("the error does not name the timeout and the flag:\n%s", r.stderr)
	}
	if p.Faults() != 1 {
		t.Errorf("stalled requests: %d, want 1 (a timeout is not retried)", p.Faults())
	}
	if got := gitOut(t, dir, "rev-parse", "main"); got != before {
		t.Errorf("branch moved")
	}
	emptyDir(t, tmp)
}

// TestConcurrentBumpsUnderFaults runs bumps of different charts at once
// through a proxy failing about 10% of requests: every bump lands exactly
// once and the history stays linear. 10 bumps on the partial fetch path
// and 5 on the fallback path (temporary directories) in make test, 50 each
// with TAGBUMP_RELIABILITY_FULL=1 (make reliability).
func TestConcurrentBumpsUnderFaults(t *testing.T) {
	counts := &relCounts{}
	recordReliability(t, counts)
	setGitToken(t, "tok-many")
	for _, pc := range casesOnBothPaths([]int{10}) {
		n := pc.c
		if pc.path == "fallback" {
			n /= 2
		}
		if os.Getenv("TAGBUMP_RELIABILITY_FULL") != "" {
			n = 50
		}
		t.Run(pc.path, func(t *testing.T) { concurrentBumpsUnderFaults(t, counts, n, pc.opts...) })
	}
}

func concurrentBumpsUnderFaults(t *testing.T, counts *relCounts, n int, opts ...testenv.GitServerOption) {
	files := map[string]string{}
	for i := range n {
		files[fmt.Sprintf("c%02d/values-staging.yaml", i)] = fmt.Sprintf("image:\n  repository: registry.example.com/c%02d\n  tag: 1.0.0\n", i)
	}
	srv, dir := chartsServer(t, "tok-many", files, opts...)
	p := faultProxy(t, srv.Addr(), testenv.WithSeed(42),
		testenv.WithFaultRule(&testenv.FaultRule{Probability: 0.04, Fault: testenv.Fault{Kind: testenv.FaultReset}}),
		testenv.WithFaultRule(&testenv.FaultRule{Probability: 0.03, Fault: testenv.Fault{Kind: testenv.FaultStatus, Status: 503}}),
		testenv.WithFaultRule(&testenv.FaultRule{Probability: 0.03, Fault: testenv.Fault{Kind: testenv.FaultResetAfter}}),
	)
	url := p.URL(srv.URL("charts"))
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	results := make([]runResult, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			results[i] = runTagbump(t, bumpArgs(url, fmt.Sprintf("c%02d", i), "1.0.1", "--max-attempts", "200")...)
		})
	}
	wg.Wait()
	counts.Scenarios++
	counts.Faults += p.Faults()
	t.Logf("%d bumps: %d requests, %d faults injected (reset %d, 503 %d, answer lost %d)", n, p.Requests(), p.Faults(),
		p.FaultsOf(testenv.FaultReset), p.FaultsOf(testenv.FaultStatus), p.FaultsOf(testenv.FaultResetAfter))
	if p.Faults() == 0 {
		t.Errorf("no fault injected: the scenario proves nothing")
	}
	for i, r := range results {
		if r.code != 0 {
			t.Errorf("bump %d: exit %d\nstderr: %s", i, r.code, r.stderr)
		}
	}
	if got := gitOut(t, dir, "rev-list", "--merges", "--count", "main"); got != "0" {
		t.Errorf("merge commits: %s, want 0", got)
	}
	if got := gitOut(t, dir, "rev-list", "--count", "main"); got != fmt.Sprint(n+1) {
		t.Errorf("commits on main: %s, want %d", got, n+1)
	}
	for i := range n {
		c := fmt.Sprintf("c%02d", i)
		k := countSubject(t, dir, "main", "chore(staging): update "+c+" image to 1.0.1")
		counts.DuplicateCommits += max(k-1, 0)
		counts.CommitsLost += max(1-k, 0)
		if k != 1 {
			t.Errorf("%s: bump commit found %d times, want 1", c, k)
		}
		if v := gitOut(t, dir, "show", "main:"+c+"/values-staging.yaml"); !strings.Contains(v, "tag: 1.0.1") {
			t.Errorf("%s: the tip's file lacks the new tag:\n%s", c, v)
			counts.CommitsLost++
		}
	}
	emptyDir(t, tmp)
}

// TestFaultRegistryStall: a registry that stops answering fails verify
// with a timeout error naming the registry (exit 6); the stall is retried
// --retries times, no more.
func TestFaultRegistryStall(t *testing.T) {
	counts := &relCounts{}
	recordReliability(t, counts)
	reg := registryWithApp(t)
	p := faultProxy(t, reg.Host(), testenv.WithFaultRule(&testenv.FaultRule{
		Match: func(r *http.Request) bool { return strings.Contains(r.URL.Path, "/manifests/") },
		Fault: testenv.Fault{Kind: testenv.FaultStall},
	}))
	r := runTagbump(t, "verify", "--retries", "2", "--timeout", "1s", p.Addr()+"/app:1.0.1")
	counts.Scenarios++
	counts.Faults += p.Faults()
	t.Logf("stalled verify with --timeout 1s --retries 2 ended after %s", r.elapsed)
	if r.code != 6 {
		t.Fatalf("exit %d, want 6\nstderr: %s", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, p.Addr()) || !strings.Contains(r.stderr, "1s") {
		t.Errorf("the error does not name the registry and the timeout:\n%s", r.stderr)
	}
	if p.Faults() != 2 {
		t.Errorf("stalled manifest requests: %d, want 2 (--retries 2)", p.Faults())
	}
}

// registryWithApp starts an in-process registry holding app:1.0.1,
// pushed with tagbump push.
func registryWithApp(t *testing.T) *testenv.Registry {
	t.Helper()
	reg, err := testenv.StartRegistry()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { reg.Close() })
	if r := runTagbump(t, "push", "--from", imageTarball(t, t.TempDir()), reg.Host()+"/app:1.0.1"); r.code != 0 {
		t.Fatalf("push: exit %d: %s", r.code, r.stderr)
	}
	return reg
}
