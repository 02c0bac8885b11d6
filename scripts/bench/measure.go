package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"
)

// sample is one measured run.
type sample struct {
	wall, cpu, server float64 // seconds
	rssKB             int64
	requests          int64 // HTTP requests; -1 over SSH
}

// scenario is one row of the results table.
type scenario struct {
	label   string
	kind    byte // 'a', 'b' or 'c'
	repo    *repo
	srv     *server
	samples []sample
}

// concurrency is the result of the concurrent bumps.
type concurrency struct {
	bumps             int
	wall              float64
	attempts          []int
	commits, merges   int
	firstParent       int
	filesChanged      int
	failures          []string
	skipped           bool
	skippedBecauseErr error
}

type results struct {
	cfg       config
	repos     []*repo
	scenarios []*scenario
	bumpOK    bool
	conc      []concurrency
	loadStart string
}

const scriptA = `set -euo pipefail
git clone -q --depth 1 --single-branch "$URL" repo
cd repo
"$YQ" -i ".image.tag = \"$TAG\"" "$CHART/values-$ENV.yaml"
git commit -q -a -m "chore($ENV): update $CHART image to $TAG"
git push -q origin HEAD
`

const scriptB = `set -euo pipefail
git clone -q --depth 1 --filter=blob:none --sparse "$URL" repo
cd repo
git sparse-checkout set "$CHART"
"$YQ" -i ".image.tag = \"$TAG\"" "$CHART/values-$ENV.yaml"
git commit -q -a -m "chore($ENV): update $CHART image to $TAG"
git push -q origin HEAD
`

func (h *harness) measure(ctx context.Context) (*results, error) {
	res := &results{cfg: h.cfg, repos: []*repo{h.main, h.fewCommits, h.fewCharts}, bumpOK: h.bumpOK, loadStart: loadAverage()}
	m := h.main
	res.scenarios = []*scenario{
		{label: "(a) clone --depth 1 + yq + commit + push", kind: 'a', repo: m, srv: h.filterOnly},
	}
	for _, srv := range []*server{h.filterOnly, h.v0caps, h.ssh, h.slow, h.noFilter} {
		if srv == nil {
			continue
		}
		res.scenarios = append(res.scenarios,
			&scenario{label: "(b) partial sparse clone + yq + commit + push", kind: 'b', repo: m, srv: srv},
			&scenario{label: "(c) tagbump bump --no-verify", kind: 'c', repo: m, srv: srv})
	}
	res.scenarios = append(res.scenarios,
		&scenario{label: "(b) partial sparse clone, short history", kind: 'b', repo: h.fewCommits, srv: h.filterOnly},
		&scenario{label: "(c) tagbump bump, short history", kind: 'c', repo: h.fewCommits, srv: h.filterOnly},
		&scenario{label: "(c) tagbump bump, fewer charts", kind: 'c', repo: h.fewCharts, srv: h.filterOnly},
	)
	for round := range h.cfg.runs {
		fmt.Fprintf(h.log, "bench: round %d/%d\n", round+1, h.cfg.runs)
		for i := range res.scenarios {
			// Rotate the order so that no scenario always runs first.
			idx := (i + round) % len(res.scenarios)
			s := res.scenarios[idx]
			if s.kind == 'c' && !h.bumpOK {
				continue
			}
			smp, err := h.runOnce(ctx, s, fmt.Sprintf("99.%d.%d", round, idx))
			if err != nil {
				return nil, err
			}
			s.samples = append(s.samples, smp)
		}
	}
	if h.bumpOK {
		for _, n := range h.cfg.concurrent {
			res.conc = append(res.conc, h.concurrent(ctx, n))
		}
	}
	return res, nil
}

// reset moves main of r back to the generated tip.
func (h *harness) reset(ctx context.Context, r *repo) error {
	_, err := gitOutput(ctx, r.dir, "update-ref", "refs/heads/main", r.tip)
	return err
}

func (h *harness) command(ctx context.Context, kind byte, r *repo, srv *server, chart, tag, dir string) *exec.Cmd {
	var c *exec.Cmd
	switch kind {
	case 'a', 'b':
		script := scriptA
		if kind == 'b' {
			script = scriptB
		}
		c = exec.CommandContext(ctx, "bash", "-c", script)
		c.Env = append(slices.Clone(h.clientEnv), "URL="+srv.url(r.name), "YQ="+h.yq, "CHART="+chart, "ENV="+h.cfg.env, "TAG="+tag)
		c.Env = append(c.Env, srv.gitEnv...)
	default:
		args := []string{"bump", "--no-verify", "--output", "json",
			"--repo", srv.url(r.name), "--chart", chart, "--env", h.cfg.env,
			"--image", "registry.example.com/" + chart + ":" + tag}
		c = exec.CommandContext(ctx, h.tagbump, append(args, srv.tagbumpArgs...)...)
		c.Env = h.clientEnv
	}
	c.Dir = dir
	return c
}

// runOnce resets the repository, runs the scenario once in a fresh
// directory and checks that it pushed exactly the expected change.
func (h *harness) runOnce(ctx context.Context, s *scenario, tag string) (sample, error) {
	if err := h.reset(ctx, s.repo); err != nil {
		return sample{}, err
	}
	dir, err := os.MkdirTemp("", "bench-run-")
	if err != nil {
		return sample{}, err
	}
	defer os.RemoveAll(dir)
	c := h.command(ctx, s.kind, s.repo, s.srv, h.cfg.chart, tag, dir)
	var out bytes.Buffer
	c.Stdout, c.Stderr = &out, &out
	requests := int64(-1)
	if s.srv.requests != nil {
		requests = s.srv.requests()
	}
	before := childrenCPU()
	start := time.Now()
	err = c.Run()
	wall := time.Since(start).Seconds()
	server := childrenCPU() - before
	if s.srv.requests != nil {
		requests = s.srv.requests() - requests
	}
	if err != nil {
		return sample{}, fmt.Errorf("run %s: %w\n%s", s.label, err, out.Bytes())
	}
	ru := c.ProcessState.SysUsage().(*syscall.Rusage)
	cpu := seconds(ru.Utime) + seconds(ru.Stime)
	if err := h.checkBump(ctx, s.repo, h.cfg.chart, tag); err != nil {
		return sample{}, fmt.Errorf("run %s: %w\n%s", s.label, err, out.Bytes())
	}
	return sample{wall: wall, cpu: cpu, server: server - cpu, rssKB: ru.Maxrss, requests: requests}, nil
}

// checkBump checks that main is one commit on the generated tip that
// changes only chart's values file, to tag.
func (h *harness) checkBump(ctx context.Context, r *repo, chart, tag string) error {
	parent, err := gitOutput(ctx, r.dir, "rev-parse", "refs/heads/main^")
	if err != nil {
		return err
	}
	if parent != r.tip {
		return fmt.Errorf("check push: main^ is %s, want the generated tip %s", parent, r.tip)
	}
	file := chart + "/values-" + h.cfg.env + ".yaml"
	names, err := gitOutput(ctx, r.dir, "diff", "--name-only", r.tip, "refs/heads/main")
	if err != nil {
		return err
	}
	if names != file {
		return fmt.Errorf("check push: changed files %q, want %s", names, file)
	}
	content, err := gitOutput(ctx, r.dir, "show", "refs/heads/main:"+file)
	if err != nil {
		return err
	}
	if !strings.Contains(content, "tag: "+tag) && !strings.Contains(content, `tag: "`+tag+`"`) {
		return fmt.Errorf("check push: %s does not set tag %s", file, tag)
	}
	return nil
}

// concurrent starts n bumps of different charts at once on the main
// repository, served by the allowFilter-only server, with tagbump's
// default retry settings, and checks the branch afterwards.
func (h *harness) concurrent(ctx context.Context, n int) concurrency {
	res := concurrency{bumps: n}
	r := h.main
	if err := h.reset(ctx, r); err != nil {
		res.skipped, res.skippedBecauseErr = true, err
		return res
	}
	fmt.Fprintf(h.log, "bench: %d concurrent bumps\n", n)
	type outcome struct {
		attempts int
		err      error
	}
	outcomes := make([]outcome, n)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range n {
		wg.Go(func() {
			dir, err := os.MkdirTemp("", "bench-conc-")
			if err != nil {
				outcomes[i].err = err
				return
			}
			defer os.RemoveAll(dir)
			chart := fmt.Sprintf("chart-%04d", i)
			c := h.command(ctx, 'c', r, h.filterOnly, chart, fmt.Sprintf("98.%d.%d", n, i), dir)
			var stderr bytes.Buffer
			c.Stderr = &stderr
			out, err := c.Output()
			if err != nil {
				outcomes[i].err = fmt.Errorf("bump %s: %w: %s", chart, err, bytes.TrimSpace(stderr.Bytes()))
				return
			}
			var v struct {
				Attempts int `json:"attempts"`
			}
			if err := json.Unmarshal(out, &v); err != nil {
				outcomes[i].err = fmt.Errorf("bump %s: read --output json: %w", chart, err)
				return
			}
			outcomes[i].attempts = v.Attempts
		})
	}
	wg.Wait()
	res.wall = time.Since(start).Seconds()
	for _, o := range outcomes {
		if o.err != nil {
			res.failures = append(res.failures, o.err.Error())
			continue
		}
		res.attempts = append(res.attempts, o.attempts)
	}
	count := func(args ...string) int {
		out, err := gitOutput(ctx, r.dir, args...)
		if err != nil {
			res.failures = append(res.failures, err.Error())
			return -1
		}
		return len(strings.Fields(out))
	}
	span := r.tip + "..refs/heads/main"
	res.commits = count("rev-list", span)
	res.merges = count("rev-list", "--merges", span)
	res.firstParent = count("rev-list", "--first-parent", span)
	res.filesChanged = count("diff", "--name-only", r.tip, "refs/heads/main")
	return res
}

func childrenCPU() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_CHILDREN, &ru); err != nil {
		return 0
	}
	return seconds(ru.Utime) + seconds(ru.Stime)
}

func seconds(tv syscall.Timeval) float64 {
	return float64(tv.Sec) + float64(tv.Usec)/1e6
}
