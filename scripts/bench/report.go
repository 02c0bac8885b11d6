package main

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strings"
)

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// medians returns the median wall, CPU, peak RSS (MB), server CPU and
// HTTP requests (-1 over SSH) of s.
func (s *scenario) medians() (wall, cpu, rssMB, server, requests float64) {
	var w, c, r, sv, rq []float64
	for _, x := range s.samples {
		w = append(w, x.wall)
		c = append(c, x.cpu)
		r = append(r, float64(x.rssKB)/1024)
		sv = append(sv, x.server)
		rq = append(rq, float64(x.requests))
	}
	return median(w), median(c), median(r), median(sv), median(rq)
}

func (res *results) write(w io.Writer) {
	fmt.Fprintf(w, "## tagbump bump vs. the shell step (chart %s, env %s, %d runs each, interleaved)\n\n", res.cfg.chart, res.cfg.env, res.cfg.runs)
	fmt.Fprintln(w, "| scenario | server | charts | commits | runs | wall (median) | wall (min – max) | CPU user+sys (median) | peak RSS (median) | server CPU (median) | HTTP requests (median) |")
	fmt.Fprintln(w, "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, s := range res.scenarios {
		if len(s.samples) == 0 {
			fmt.Fprintf(w, "| %s | %s | %d | %d | 0 | n/a | n/a | n/a | n/a | n/a | n/a |\n", s.label, s.srv.label, s.repo.charts, s.repo.commits)
			continue
		}
		wall, cpu, rss, server, req := s.medians()
		lo, hi := s.samples[0].wall, s.samples[0].wall
		for _, x := range s.samples {
			lo, hi = min(lo, x.wall), max(hi, x.wall)
		}
		fmt.Fprintf(w, "| %s | %s | %d | %d | %d | %.3f s | %.3f – %.3f s | %.3f s | %.1f MB | %.3f s | %s |\n",
			s.label, s.srv.label, s.repo.charts, s.repo.commits, len(s.samples), wall, lo, hi, cpu, rss, server, requestsText(req))
	}
	fmt.Fprintln(w, "\n| ratio | wall | CPU | peak RSS | HTTP requests (c vs. b) |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|")
	a := res.scenarios[0]
	for _, s := range res.scenarios {
		if s.kind != 'c' || s.repo != a.repo {
			continue
		}
		if s.srv == a.srv {
			res.ratio(w, "c/a, "+s.srv.label, s, a)
		}
		if b := res.find('b', s.repo, s.srv); b != nil {
			res.ratio(w, "c/b, "+s.srv.label, s, b)
		}
	}
	var cShort, bShort, cFew *scenario
	for _, s := range res.scenarios {
		switch {
		case s.repo.commits != a.repo.commits && s.kind == 'c':
			cShort = s
		case s.repo.commits != a.repo.commits && s.kind == 'b':
			bShort = s
		case s.repo.charts != a.repo.charts:
			cFew = s
		}
	}
	cMain, bMain := res.find('c', a.repo, a.srv), res.find('b', a.repo, a.srv)
	res.ratio(w, fmt.Sprintf("c/b at %d commits, %s", cShort.repo.commits, cShort.srv.label), cShort, bShort)
	if cMain != nil && bMain != nil && len(cMain.samples) > 0 && len(cShort.samples) > 0 && len(bShort.samples) > 0 {
		long := ratioOf(cMain, bMain)
		short := ratioOf(cShort, bShort)
		fmt.Fprintf(w, "| change of c/b wall from %d to %d commits | %+.1f %% | | | |\n", cShort.repo.commits, a.repo.commits, (long/short-1)*100)
	}
	res.ratio(w, fmt.Sprintf("c at %d commits / c at %d commits", a.repo.commits, cShort.repo.commits), cMain, cShort)
	res.ratio(w, fmt.Sprintf("c at %d charts / c at %d charts", a.repo.charts, cFew.repo.charts), cMain, cFew)

	fmt.Fprintln(w, "\n## concurrent bumps on one branch (default settings: no --max-attempts, --retry-for)")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| bumps | total wall | attempts per bump (min / median / p90 / max) | mean attempts | commits on main | merges | first-parent commits | files changed | failures |")
	fmt.Fprintln(w, "|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	if len(res.conc) == 0 {
		fmt.Fprintln(w, "| n/a | n/a | n/a | n/a | n/a | n/a | n/a | n/a | n/a |")
	}
	for _, cc := range res.conc {
		if cc.skippedBecauseErr != nil {
			fmt.Fprintf(w, "| %d | n/a (%v) | | | | | | | |\n", cc.bumps, cc.skippedBecauseErr)
			continue
		}
		att, mean := "n/a", "n/a"
		if len(cc.attempts) > 0 {
			s := slices.Clone(cc.attempts)
			slices.Sort(s)
			fs := make([]float64, len(s))
			sum := 0
			for i, a := range s {
				fs[i] = float64(a)
				sum += a
			}
			att = fmt.Sprintf("%d / %g / %d / %d", s[0], median(fs), s[(len(s)*9)/10], s[len(s)-1])
			mean = fmt.Sprintf("%.1f", float64(sum)/float64(len(s)))
		}
		fmt.Fprintf(w, "| %d | %.3f s | %s | %s | %d | %d | %d | %d | %d |\n",
			cc.bumps, cc.wall, att, mean, cc.commits, cc.merges, cc.firstParent, cc.filesChanged, len(cc.failures))
		for _, f := range cc.failures {
			fmt.Fprintf(w, "\n- failure: %s", strings.ReplaceAll(f, "\n", " "))
		}
		if len(cc.failures) > 0 {
			fmt.Fprintln(w)
		}
	}

	fmt.Fprintln(w, "\n## repositories (scripts/genrepo)")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| repository | charts | commits | pack | genrepo time |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|")
	for _, r := range res.repos {
		gen := "cached"
		if r.genSeconds > 0 {
			gen = fmt.Sprintf("%.1f s", r.genSeconds)
		}
		fmt.Fprintf(w, "| %s | %d | %d | %.1f MB | %s |\n", r.name, r.charts, r.commits, r.packMB, gen)
	}
	fmt.Fprintln(w, "\nwall: start to exit of the client. CPU: user+sys of the client process tree (bash and every child it waited for; tagbump alone for c).")
	fmt.Fprintln(w, "peak RSS: ru_maxrss of the tree, the largest single process. server CPU: the git http-backend (or sshd) processes serving the run.")
	fmt.Fprintln(w, "HTTP requests: counted by the server (or the latency proxy) during the run; n/a over SSH.")
	fmt.Fprintf(w, "machine: %d CPUs, load average %s at start, %s at end.\n", runtime.NumCPU(), res.loadStart, loadAverage())
}

// find returns the scenario of kind on r served by srv, or nil.
func (res *results) find(kind byte, r *repo, srv *server) *scenario {
	for _, s := range res.scenarios {
		if s.kind == kind && s.repo == r && s.srv == srv {
			return s
		}
	}
	return nil
}

func requestsText(r float64) string {
	if r < 0 {
		return "n/a"
	}
	return fmt.Sprintf("%g", r)
}

func ratioOf(num, den *scenario) float64 {
	nw, _, _, _, _ := num.medians()
	dw, _, _, _, _ := den.medians()
	return nw / dw
}

func (res *results) ratio(w io.Writer, name string, num, den *scenario) {
	if num == nil || den == nil || len(num.samples) == 0 || len(den.samples) == 0 {
		fmt.Fprintf(w, "| %s | n/a | n/a | n/a | n/a |\n", name)
		return
	}
	nw, nc, nr, _, nq := num.medians()
	dw, dc, dr, _, dq := den.medians()
	req := "n/a"
	if nq >= 0 && dq >= 0 && num.kind != den.kind {
		req = fmt.Sprintf("%s vs. %s", requestsText(nq), requestsText(dq))
	}
	fmt.Fprintf(w, "| %s | %.3f | %.3f | %.3f | %s |\n", name, nw/dw, nc/dc, nr/dr, req)
}

// loadAverage returns the one-minute load average, or "?" where
// /proc/loadavg is missing.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(b)); err == nil && len(f) > 0 {
		return f[0]
	}
	return "?"
}
