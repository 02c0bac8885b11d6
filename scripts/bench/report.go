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

// medians returns the median wall, CPU, peak RSS (MB) and server CPU of s.
func (s *scenario) medians() (wall, cpu, rssMB, server float64) {
	var w, c, r, sv []float64
	for _, x := range s.samples {
		w = append(w, x.wall)
		c = append(c, x.cpu)
		r = append(r, float64(x.rssKB)/1024)
		sv = append(sv, x.server)
	}
	return median(w), median(c), median(r), median(sv)
}

func (res *results) write(w io.Writer) {
	fmt.Fprintf(w, "## tagbump bump vs. the shell step (chart %s, env %s, %d runs each, interleaved)\n\n", res.cfg.chart, res.cfg.env, res.cfg.runs)
	fmt.Fprintln(w, "| scenario | charts | commits | runs | wall (median) | wall (min – max) | CPU user+sys (median) | peak RSS (median) | server CPU (median) |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, s := range res.scenarios {
		if len(s.samples) == 0 {
			fmt.Fprintf(w, "| %s | %d | %d | 0 | n/a | n/a | n/a | n/a | n/a |\n", s.label, s.repo.charts, s.repo.commits)
			continue
		}
		wall, cpu, rss, server := s.medians()
		lo, hi := s.samples[0].wall, s.samples[0].wall
		for _, x := range s.samples {
			lo, hi = min(lo, x.wall), max(hi, x.wall)
		}
		fmt.Fprintf(w, "| %s | %d | %d | %d | %.3f s | %.3f – %.3f s | %.3f s | %.1f MB | %.3f s |\n",
			s.label, s.repo.charts, s.repo.commits, len(s.samples), wall, lo, hi, cpu, rss, server)
	}
	a, b, c := res.scenarios[0], res.scenarios[1], res.scenarios[2]
	fmt.Fprintln(w, "\n| ratio | wall | CPU | peak RSS |")
	fmt.Fprintln(w, "|---|---:|---:|---:|")
	res.ratio(w, "c/a", c, a)
	res.ratio(w, "c/b", c, b)
	res.ratio(w, fmt.Sprintf("c at %d commits / c at %d commits", c.repo.commits, res.scenarios[3].repo.commits), c, res.scenarios[3])
	res.ratio(w, fmt.Sprintf("c at %d charts / c at %d charts", c.repo.charts, res.scenarios[4].repo.charts), c, res.scenarios[4])

	fmt.Fprintln(w, "\n## concurrent bumps on one branch")
	fmt.Fprintln(w)
	cc := res.conc
	fmt.Fprintln(w, "| bumps | total wall | attempts per bump (min / median / max) | commits on main | merges | first-parent commits | files changed | failures |")
	fmt.Fprintln(w, "|---:|---:|---:|---:|---:|---:|---:|---:|")
	switch {
	case cc.skipped && cc.skippedBecauseErr != nil:
		fmt.Fprintf(w, "| %d | n/a (%v) | | | | | | |\n", res.cfg.concurrent, cc.skippedBecauseErr)
	case cc.skipped:
		fmt.Fprintf(w, "| %d | n/a | n/a | n/a | n/a | n/a | n/a | n/a |\n", res.cfg.concurrent)
	default:
		att := "n/a"
		if len(cc.attempts) > 0 {
			fs := make([]float64, len(cc.attempts))
			for i, a := range cc.attempts {
				fs[i] = float64(a)
			}
			att = fmt.Sprintf("%d / %g / %d", slices.Min(cc.attempts), median(fs), slices.Max(cc.attempts))
		}
		fmt.Fprintf(w, "| %d | %.3f s | %s | %d | %d | %d | %d | %d |\n",
			cc.bumps, cc.wall, att, cc.commits, cc.merges, cc.firstParent, cc.filesChanged, len(cc.failures))
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
	fmt.Fprintln(w, "peak RSS: ru_maxrss of the tree, the largest single process. server CPU: the git http-backend processes serving the run.")
	fmt.Fprintf(w, "machine: %d CPUs, load average %s at start, %s at end.\n", runtime.NumCPU(), res.loadStart, loadAverage())
}

func (res *results) ratio(w io.Writer, name string, num, den *scenario) {
	if len(num.samples) == 0 || len(den.samples) == 0 {
		fmt.Fprintf(w, "| %s | n/a | n/a | n/a |\n", name)
		return
	}
	nw, nc, nr, _ := num.medians()
	dw, dc, dr, _ := den.medians()
	fmt.Fprintf(w, "| %s | %.3f | %.3f | %.3f |\n", name, nw/dw, nc/dc, nr/dr)
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
