// Command bench measures `tagbump bump` against the shell steps it replaces
// (issue 7) and prints the results as markdown tables.
//
// It generates synthetic charts repositories once with scripts/genrepo into
// a cache directory (reused while the flags match), serves copies of them
// with git's http-backend from internal/testenv on 127.0.0.1 and runs,
// interleaved, each of:
//
//	(a) git clone --depth 1 --single-branch, yq -i, git commit -a, git push
//	(b) git clone --depth 1 --filter=blob:none --sparse, git sparse-checkout
//	    set CHART, yq -i, git commit -a, git push
//	(c) tagbump bump --no-verify
//
// (b) and (c) run against several servers: git http-backend with
// uploadpack.allowFilter only (the usual self-hosted set-up), with want-by-id
// advertised in protocol v0 and protocol v2 off, with git's defaults (no
// filter at all), the first behind a proxy adding -latency to every request,
// and sshd with AcceptEnv GIT_PROTOCOL. HTTP requests per run are counted
// at the server (or the proxy). Last, -concurrent bumps of different charts
// start at once on one branch with tagbump's default retry settings.
//
// Before every run the branch is reset to the generated tip with git
// update-ref, so every run pushes onto the same commit; the few objects that
// earlier runs pushed stay unreachable and are never sent again.
//
// What the numbers mean: wall is the time from starting the client process
// to its exit. CPU is user+sys of the client process tree: for (a) and (b)
// one `bash -c` whose rusage from wait4 includes every child it waited for
// (git, yq, git-remote-http, ...); for (c) the tagbump process. Peak RSS is
// ru_maxrss of that wait4, the largest resident set of any single process in
// the tree (not a sum). Server CPU is the git http-backend processes' CPU
// (this process's RUSAGE_CHILDREN growth minus the client's), reported
// apart because a real server runs elsewhere.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	cfg := defaultConfig()
	flag.IntVar(&cfg.charts, "charts", cfg.charts, "charts in the main repository")
	flag.IntVar(&cfg.commits, "commits", cfg.commits, "commits of history in the main repository")
	flag.IntVar(&cfg.smallCharts, "small-charts", cfg.smallCharts, "charts in the repository that (c) is compared on for repo size")
	flag.IntVar(&cfg.smallCommits, "small-commits", cfg.smallCommits, "commits in the repository that (c) is compared on for history")
	flag.IntVar(&cfg.runs, "runs", cfg.runs, "runs of each scenario (interleaved)")
	flag.Func("concurrent", "comma-separated counts of concurrent bumps on one branch, each on its own chart, with default settings (0: skip; default 50,100,200)", func(v string) error {
		cfg.concurrent = nil
		for _, f := range strings.Split(v, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || n < 0 {
				return fmt.Errorf("%q: want counts like 50,100,200", v)
			}
			if n > 0 {
				cfg.concurrent = append(cfg.concurrent, n)
			}
		}
		return nil
	})
	flag.DurationVar(&cfg.latency, "latency", cfg.latency, "delay the latency proxy adds to every HTTP request")
	flag.Uint64Var(&cfg.seed, "seed", cfg.seed, "genrepo seed")
	flag.StringVar(&cfg.cache, "cache", cfg.cache, "cache directory for generated repositories (yq goes to .cache/bin)")
	flag.StringVar(&cfg.tagbump, "tagbump", cfg.tagbump, "tagbump binary to measure (empty: build it with make build)")
	flag.StringVar(&cfg.chart, "chart", cfg.chart, "chart the bumps edit")
	flag.StringVar(&cfg.env, "env", cfg.env, "environment the bumps edit")
	quick := flag.Bool("quick", false, "smoke-test sizes: 200 charts, 200 commits, 3 runs (compared against 50 charts and 20 commits)")
	flag.Parse()
	if *quick {
		cfg.setQuick()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, cfg, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintf(os.Stderr, "bench: %v\n", err)
		os.Exit(1)
	}
}

// config holds the harness settings; see the flags in main.
type config struct {
	charts, commits           int
	smallCharts, smallCommits int
	runs                      int
	concurrent                []int
	latency                   time.Duration
	seed                      uint64
	cache, tagbump            string
	chart, env                string
}

func defaultConfig() config {
	return config{
		charts: 2000, commits: 20000,
		smallCharts: 200, smallCommits: 200,
		runs: 5, concurrent: []int{50, 100, 200}, seed: 1, latency: 50 * time.Millisecond,
		cache: ".cache/bench",
		chart: "chart-0042", env: "staging",
	}
}

func (c *config) setQuick() {
	c.charts, c.commits, c.smallCharts, c.smallCommits, c.runs = 200, 200, 50, 20, 3
}

func (c config) validate() error {
	if c.runs < 1 {
		return fmt.Errorf("flag -runs %d: out of range: use 1 or more", c.runs)
	}
	var idx int
	if _, err := fmt.Sscanf(c.chart, "chart-%d", &idx); err != nil || idx >= min(c.charts, c.smallCharts) {
		return fmt.Errorf("flag -chart %q: not in every generated repo: use chart-NNNN below chart-%04d", c.chart, min(c.charts, c.smallCharts))
	}
	for _, n := range c.concurrent {
		if n > c.charts {
			return fmt.Errorf("flag -concurrent %d: more than -charts %d: each bump needs its own chart", n, c.charts)
		}
	}
	if c.env != "staging" && c.env != "prod" {
		return fmt.Errorf("flag -env %q: genrepo writes staging and prod only: use one of them", c.env)
	}
	return nil
}

// run runs the whole benchmark and writes the report to out and progress
// to log.
func run(ctx context.Context, cfg config, out, log io.Writer) error {
	if err := cfg.validate(); err != nil {
		return err
	}
	h, err := newHarness(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer h.close()
	res, err := h.measure(ctx)
	if err != nil {
		return err
	}
	res.write(out)
	return nil
}

var errNoBump = errors.New("tagbump has no bump command yet")
