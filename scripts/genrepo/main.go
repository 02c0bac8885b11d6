// Command genrepo writes a synthetic Helm charts repository for the
// benchmark: N charts, each with values.yaml, values-staging.yaml and
// values-prod.yaml shaped like real, heavily commented values files, and H
// commits of history that bump tags and numbers in random values files.
//
// Every file differs from every other (comments, keys and numbers come from
// a seeded random generator), so the pack does not shrink to a few deltas
// the way copies of one template would. The history is streamed into
// `git fast-import` of a new bare repository, which takes seconds.
//
// Usage:
//
//	go run ./scripts/genrepo -out DIR [-charts 2000] [-commits 20000] [-seed 1]
package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"
)

func main() {
	var cfg config
	flag.IntVar(&cfg.charts, "charts", 2000, "number of charts (chart-0000 ...)")
	flag.IntVar(&cfg.commits, "commits", 20000, "number of commits on main, the first one adds every file")
	flag.StringVar(&cfg.out, "out", "", "bare repository to create (must not exist or be empty)")
	flag.Uint64Var(&cfg.seed, "seed", 1, "random seed; the same flags give the same commit hashes")
	flag.Parse()
	start := time.Now()
	importTime, err := run(cfg)
	if err != nil {
		fmt.Fprintf(os.Stderr, "genrepo: %v\n", err)
		os.Exit(1)
	}
	total := time.Since(start)
	size, _ := packSize(cfg.out)
	fmt.Printf("genrepo: %s: %d charts, %d commits, pack %.1f MB, %.1fs (fast-import %.1fs, repack %.1fs)\n",
		cfg.out, cfg.charts, cfg.commits, float64(size)/1e6, total.Seconds(),
		importTime.Seconds(), (total - importTime).Seconds())
}

type config struct {
	charts, commits int
	out             string
	seed            uint64
}

// run creates the repository and returns how long the import took (the
// rest is the repack).
func run(cfg config) (time.Duration, error) {
	start := time.Now()
	if cfg.out == "" {
		return 0, errors.New("flag -out: missing: give the directory of the bare repository to create")
	}
	if cfg.charts < 1 || cfg.charts > 9999 {
		return 0, fmt.Errorf("flag -charts %d: out of range: use 1 to 9999", cfg.charts)
	}
	if cfg.commits < 1 {
		return 0, fmt.Errorf("flag -commits %d: out of range: use 1 or more", cfg.commits)
	}
	if entries, err := os.ReadDir(cfg.out); err == nil && len(entries) > 0 {
		return 0, fmt.Errorf("create %s: directory not empty: remove it or choose another -out", cfg.out)
	}
	if err := git("", "init", "-q", "--bare", "-b", "main", cfg.out); err != nil {
		return 0, err
	}
	for _, kv := range [][2]string{
		{"uploadpack.allowFilter", "true"},
		{"uploadpack.allowAnySHA1InWant", "true"},
		{"http.receivepack", "true"},
		{"receive.fsckObjects", "true"},
		{"gc.auto", "0"},
	} {
		if err := git(cfg.out, "config", kv[0], kv[1]); err != nil {
			return 0, err
		}
	}
	cmd := exec.Command("git", "-C", cfg.out, "fast-import", "--quiet", "--done")
	cmd.Env = gitEnv()
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return 0, fmt.Errorf("git fast-import: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return 0, fmt.Errorf("git fast-import: %w", err)
	}
	w := bufio.NewWriterSize(stdin, 1<<20)
	genErr := newGenerator(cfg).stream(w)
	if genErr == nil {
		genErr = w.Flush()
	}
	stdin.Close()
	if err := cmd.Wait(); err != nil {
		return 0, fmt.Errorf("git fast-import: %w", err)
	}
	if genErr != nil {
		return 0, fmt.Errorf("write fast-import stream: %w", genErr)
	}
	// fast-import deltifies each blob against the blob written before it,
	// whatever its path; a full repack gives the pack a server would have
	// after gc, where the tip's blobs are bases and history is deltas.
	imported := time.Since(start)
	return imported, git(cfg.out, "repack", "-a", "-d", "-f", "-q")
}

// gitEnv isolates git from the user's and the system's configuration.
func gitEnv() []string {
	return append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null")
}

func git(dir string, args ...string) error {
	if dir != "" {
		args = append([]string{"-C", dir}, args...)
	}
	cmd := exec.Command("git", args...)
	cmd.Env = gitEnv()
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("git %s: %w: %s", args[0], err, bytes.TrimSpace(out))
	}
	return nil
}

// packSize returns the total size of the pack files of the bare repo dir.
func packSize(dir string) (int64, error) {
	packs, err := filepath.Glob(filepath.Join(dir, "objects", "pack", "*.pack"))
	if err != nil {
		return 0, err
	}
	var n int64
	for _, p := range packs {
		fi, err := os.Stat(p)
		if err != nil {
			return 0, err
		}
		n += fi.Size()
	}
	return n, nil
}

// file is one values file: fixed text around two values that the history
// changes, the image tag and a replica count.
type file struct {
	path            string
	head, mid, tail []byte
	tag             string
	replicas        int
}

func (f *file) render(buf *bytes.Buffer) {
	buf.Reset()
	buf.Write(f.head)
	buf.WriteString(strconv.Quote(f.tag))
	buf.Write(f.mid)
	buf.WriteString(strconv.Itoa(f.replicas))
	buf.Write(f.tail)
}

type generator struct {
	cfg   config
	rng   *rand.Rand
	files []*file
	when  int64
}

func newGenerator(cfg config) *generator {
	return &generator{
		cfg:  cfg,
		rng:  rand.New(rand.NewPCG(cfg.seed, cfg.seed^0x9e3779b97f4a7c15)),
		when: time.Date(2023, 1, 2, 9, 0, 0, 0, time.UTC).Unix(),
	}
}

var envs = []string{"", "staging", "prod"}

// stream writes the whole fast-import stream: one commit adding every
// file, then cfg.commits-1 commits that each change one to three files.
func (g *generator) stream(w io.Writer) error {
	for c := range g.cfg.charts {
		chart := fmt.Sprintf("chart-%04d", c)
		for _, env := range envs {
			g.files = append(g.files, g.newFile(chart, env))
		}
	}
	var buf bytes.Buffer
	changed := make([]*file, 0, 3)
	if err := g.commit(w, "chore: import charts", g.files, &buf); err != nil {
		return err
	}
	for range g.cfg.commits - 1 {
		changed = changed[:0]
		n := 1 + g.rng.IntN(3)
		if n > 1 && g.rng.IntN(4) != 0 {
			n = 1 // most commits are single-file bumps
		}
		for range n {
			f := g.pickFile()
			if g.rng.IntN(5) == 0 {
				f.replicas = 1 + g.rng.IntN(12)
			} else {
				f.tag = g.tag()
			}
			changed = append(changed, f)
		}
		f := changed[0]
		env := filepath.Base(f.path)
		msg := fmt.Sprintf("chore(%s): bump %s to %s", filepath.Dir(f.path), env, f.tag)
		if err := g.commit(w, msg, changed, &buf); err != nil {
			return err
		}
	}
	_, err := io.WriteString(w, "done\n")
	return err
}

// pickFile picks the file a history commit changes: mostly environment
// files, as deployments do.
func (g *generator) pickFile() *file {
	c := g.rng.IntN(g.cfg.charts)
	e := 1 + g.rng.IntN(2)
	if g.rng.IntN(20) == 0 {
		e = 0
	}
	return g.files[c*len(envs)+e]
}

func (g *generator) commit(w io.Writer, msg string, files []*file, buf *bytes.Buffer) error {
	g.when += 60 + int64(g.rng.IntN(3600))
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "commit refs/heads/main\n")
	who := people[g.rng.IntN(len(people))]
	fmt.Fprintf(bw, "author %s <%s@example.com> %d +0000\n", who, who, g.when)
	fmt.Fprintf(bw, "committer CI <ci@example.com> %d +0000\n", g.when)
	fmt.Fprintf(bw, "data %d\n%s\n", len(msg), msg)
	for _, f := range files {
		f.render(buf)
		fmt.Fprintf(bw, "M 100644 inline %s\ndata %d\n", f.path, buf.Len())
		bw.Write(buf.Bytes())
		bw.WriteByte('\n')
	}
	bw.WriteByte('\n')
	return bw.Flush()
}

var people = []string{"ana", "bo", "chen", "dara", "eli", "femi", "gus", "hana", "ivo", "jun"}

func (g *generator) tag() string {
	return fmt.Sprintf("%d.%d.%d-%07x", g.rng.IntN(4), g.rng.IntN(30), g.rng.IntN(100), g.rng.Uint32()&0xfffffff)
}
