// Command bench-memory measures the peak memory (RSS) and wall time of
// whole tagbump processes on hostile values files (internal/benchdata
// HostileShapes): `tagbump set --dry-run` on the file, and `tagbump bump
// --dry-run --no-verify` on a local clone that holds it, under its chart's
// real values.yaml. It prints one row per shape and command; a command
// that tagbump refuses shows its exit code and the start of its error.
//
// Usage: go run ./scripts/bench-memory [-size BYTES] [-timeout D] [-bin TAGBUMP] [SHAPE...]
//
// Each file is the largest of its shape that the defaults let through: at
// most -size bytes (default: the default --max-file-size less 1 KiB) and at
// most values.MaxNodes nodes. Larger ones are refused before they are
// parsed. The target (issue 29) is at most 256 MB
// peak RSS and 5 s per run; this program measures, it asserts nothing.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/tagbump/tagbump/internal/benchdata"
	"github.com/tagbump/tagbump/pkg/gitrepo"
	"github.com/tagbump/tagbump/pkg/values"
)

func main() {
	size := flag.Int("size", gitrepo.DefaultMaxFileSize-1024, "size of each hostile file in bytes")
	timeout := flag.Duration("timeout", 2*time.Minute, "kill a run after this long")
	bin := flag.String("bin", "", "tagbump binary (default: build ./cmd/tagbump)")
	flag.Parse()
	if err := run(*size, *timeout, *bin, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "bench-memory:", err)
		os.Exit(1)
	}
}

func run(size int, timeout time.Duration, bin string, shapes []string) error {
	tmp, err := os.MkdirTemp("", "bench-memory-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if bin == "" {
		bin = filepath.Join(tmp, "tagbump")
		build := exec.Command("go", "build", "-trimpath", "-o", bin, "./cmd/tagbump")
		build.Env = append(os.Environ(), "CGO_ENABLED=0")
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			return fmt.Errorf("build: %w", err)
		}
	}
	if len(shapes) == 0 {
		shapes = benchdata.HostileShapes
	}
	defaults, err := os.ReadFile("testdata/corpus/prom_charts_kube-prometheus-stack_values.yaml")
	if err != nil {
		return err
	}
	fmt.Printf("%-15s %-5s %9s %8s %8s  %s\n", "shape", "cmd", "bytes", "peak MB", "seconds", "result")
	for _, shape := range shapes {
		src, err := largest(shape, size)
		if err != nil {
			return err
		}
		repo := filepath.Join(tmp, shape)
		file := filepath.Join(repo, "app", "values-prod.yaml")
		if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(file, src, 0o644); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(repo, "app", "values.yaml"), defaults, 0o644); err != nil {
			return err
		}
		for _, args := range [][]string{
			{"init", "-q", "-b", "main"}, {"add", "."},
			{"-c", "user.name=bench", "-c", "user.email=bench@example.com", "commit", "-q", "-m", "seed"},
		} {
			if out, err := exec.Command("git", append([]string{"-C", repo}, args...)...).CombinedOutput(); err != nil {
				return fmt.Errorf("git %s: %v: %s", strings.Join(args, " "), err, out)
			}
		}
		for _, c := range []struct {
			name string
			args []string
		}{
			{"set", []string{"set", "--dry-run", file, benchdata.TagPath, "v2.0.0"}},
			{"bump", []string{"bump", "--dry-run", "--no-verify", "--repo", repo, "--chart", "app", "--env", "prod",
				"--image", "registry.example.com/app:v2.0.0"}},
		} {
			peak, took, result := measure(bin, timeout, c.args)
			fmt.Printf("%-15s %-5s %9d %8.0f %8.2f  %s\n", shape, c.name, len(src), peak, took.Seconds(), result)
		}
	}
	return nil
}

// largest returns the largest file of the shape, at most size bytes, that
// has no more nodes than values.MaxNodes: the worst input tagbump reads
// rather than refuses.
func largest(shape string, size int) ([]byte, error) {
	lo, hi := 1024, size
	best, err := benchdata.Hostile(shape, lo)
	if err != nil {
		return nil, err
	}
	for lo < hi {
		mid := (lo + hi + 1) / 2
		src, err := benchdata.Hostile(shape, mid)
		if err != nil {
			return nil, err
		}
		if values.CountNodes(src) <= values.MaxNodes {
			lo, best = mid, src
		} else {
			hi = mid - 1
		}
	}
	return best, nil
}

// measure runs bin with args and returns its peak RSS in MB, its wall time
// and "ok" or what went wrong.
func measure(bin string, timeout time.Duration, args []string) (float64, time.Duration, string) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append(args, "--log-level", "error")...)
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = nil, &stderr
	start := time.Now()
	err := cmd.Run()
	took := time.Since(start)
	var peak float64
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		peak = float64(ru.Maxrss) / 1024 // Linux: KiB
	}
	result := "ok"
	var ee *exec.ExitError
	switch {
	case ctx.Err() != nil:
		result = "killed after " + timeout.String()
	case errors.As(err, &ee):
		msg, _, _ := strings.Cut(strings.TrimSpace(stderr.String()), "\n")
		if len(msg) > 110 {
			msg = msg[:110] + "..."
		}
		result = fmt.Sprintf("exit %d: %s", ee.ExitCode(), msg)
	case err != nil:
		result = err.Error()
	}
	return peak, took, result
}
