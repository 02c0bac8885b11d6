// Command checkdocs runs the shell examples of the README and the guides, so
// that the docs cannot rot:
//
//	go run ./scripts/checkdocs                       # README.md and docs/guides/*.md
//	go run ./scripts/checkdocs -bin bin/tagbump FILE…
//
// Every fenced ```sh or ```bash block is run with bash (-e -o pipefail), with
// the tagbump binary first on PATH, against servers on loopback that stand in
// for the hosts the examples name. A block whose last non-blank line before
// the fence is
//
//	<!-- check-docs: skip (needs a real GitHub) -->
//
// is not run; its reason is listed. `<!-- check-docs: exit 4 -->` runs the
// block and expects it to exit 4 (an example of a refusal).
//
// Each file gets its own world, the seed's charts repository and registry,
// and its blocks run in order in it, as a reader following the guide would
// run them: a bump in one block is in the history the next block lists.
// Shell state (variables, the working directory) does not carry over from
// one block to the next. What a block can use:
//
//	$REPO                the helm-charts repository over HTTP (git http-backend with
//	                     basic auth; TAGBUMP_GIT_USER and TAGBUMP_GIT_TOKEN are set)
//	$REGISTRY            a registry with app-service:app-service-122, -123 and -124
//	./helm-charts        a local clone of $REPO (for the local-clone dry run)
//	./values-staging.yaml, ./values-prod.yaml   the seed's values files
//	./app-service.tar    a docker save tarball of app-service:app-service-125
//	./signing-key        an unencrypted ed25519 SSH key (for --sign-key)
//
// The charts repository holds app-service/values.yaml, values-staging.yaml
// and values-prod.yaml at app-service-123, with two commits of history.
package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"golang.org/x/crypto/ssh"

	"github.com/tagbump/tagbump/internal/testenv"
)

func main() {
	bin := flag.String("bin", "", "the tagbump binary to run (default: build ./cmd/tagbump into a temporary directory)")
	timeout := flag.Duration("timeout", 60*time.Second, "time limit of one block")
	flag.Parse()
	files := flag.Args()
	if len(files) == 0 {
		guides, _ := filepath.Glob("docs/guides/*.md")
		files = append([]string{"README.md"}, guides...)
		// The links of the reference and design pages are checked too.
		refs, _ := filepath.Glob("docs/reference/*.md")
		linked := append(append(append([]string{}, files...), refs...), "docs/design.md")
		broken, err := CheckLinks(linked)
		if err != nil {
			fmt.Fprintln(os.Stderr, "check-docs:", err)
			os.Exit(1)
		}
		if len(broken) > 0 {
			fmt.Fprintf(os.Stderr, "check-docs: %d broken links:\n  %s\n", len(broken), strings.Join(broken, "\n  "))
			os.Exit(1)
		}
		if err := checkReadme("README.md"); err != nil {
			fmt.Fprintln(os.Stderr, "check-docs:", err)
			os.Exit(1)
		}
	}
	if err := run(os.Stdout, *bin, *timeout, files); err != nil {
		fmt.Fprintln(os.Stderr, "check-docs:", err)
		os.Exit(1)
	}
}

// maxReadmeLines is the README's budget (issue 26): the depth is in the guides.
const maxReadmeLines = 300

// checkReadme holds the README to its budget and to its first lines: the
// two commands a newcomer runs.
func checkReadme(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > maxReadmeLines {
		return fmt.Errorf("%s has %d lines, more than %d: move the depth to docs/guides", path, len(lines), maxReadmeLines)
	}
	head := strings.Join(lines[:min(len(lines), 10)], "\n")
	for _, cmd := range []string{"make demo", "make test"} {
		if !strings.Contains(head, "\n"+cmd) {
			return fmt.Errorf("%s: %q is not in its first lines", path, cmd)
		}
	}
	return nil
}

// Block is one fenced shell example.
type Block struct {
	File string
	Line int // the line of the opening fence, 1-based
	Text string
	// Skip is the reason a check-docs: skip marker gives; empty when the
	// block runs.
	Skip string
	// Exit is the exit code the block must end with (check-docs: exit N).
	Exit int
}

var (
	fenceOpen = regexp.MustCompile("^\\s*```(sh|bash|shell)\\s*$")
	fenceAny  = regexp.MustCompile("^\\s*```")
	marker    = regexp.MustCompile(`^<!--\s*check-docs:\s*(.*?)\s*-->$`)
	skipRe    = regexp.MustCompile(`^skip\s*\((.+)\)$`)
	exitRe    = regexp.MustCompile(`^exit\s+(\d+)$`)
)

// Parse returns the shell blocks of a markdown file. A marker that is not
// understood, or a skip without a reason, is an error: a typo must not
// silently skip or run a block.
func Parse(file string, src []byte) ([]Block, error) {
	var blocks []Block
	lines := strings.Split(strings.ReplaceAll(string(src), "\r\n", "\n"), "\n")
	prev := "" // the last non-blank line outside a block
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		if !fenceAny.MatchString(line) {
			if strings.TrimSpace(line) != "" {
				prev = strings.TrimSpace(line)
			}
			continue
		}
		open := i
		shell := fenceOpen.MatchString(line)
		indent := len(line) - len(strings.TrimLeft(line, " "))
		var body []string
		for i++; i < len(lines) && !fenceAny.MatchString(lines[i]); i++ {
			l := lines[i]
			if len(l) >= indent && strings.TrimSpace(l[:indent]) == "" {
				l = l[indent:]
			}
			body = append(body, l)
		}
		if i == len(lines) {
			return nil, fmt.Errorf("%s:%d: a code block that is never closed", file, open+1)
		}
		m := marker.FindStringSubmatch(prev)
		prev = ""
		if !shell {
			if m != nil {
				return nil, fmt.Errorf("%s:%d: a check-docs marker before a block that is not sh or bash", file, open+1)
			}
			continue
		}
		b := Block{File: file, Line: open + 1, Text: strings.Join(body, "\n") + "\n"}
		if m != nil {
			if s := skipRe.FindStringSubmatch(m[1]); s != nil {
				b.Skip = s[1]
			} else if e := exitRe.FindStringSubmatch(m[1]); e != nil {
				b.Exit, _ = strconv.Atoi(e[1])
			} else {
				return nil, fmt.Errorf("%s:%d: marker %q: want 'skip (reason)' or 'exit N'", file, open+1, m[1])
			}
		}
		blocks = append(blocks, b)
	}
	return blocks, nil
}

func run(w io.Writer, bin string, timeout time.Duration, files []string) error {
	if bin == "" {
		dir, err := os.MkdirTemp("", "checkdocs-bin-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		bin = filepath.Join(dir, "tagbump")
		if out, err := exec.Command("go", "build", "-o", bin, "./cmd/tagbump").CombinedOutput(); err != nil {
			return fmt.Errorf("build tagbump: %v\n%s", err, out)
		}
	}
	bin, err := filepath.Abs(bin)
	if err != nil {
		return err
	}
	var passed, failed int
	var skipped []Block
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		blocks, err := Parse(f, src)
		if err != nil {
			return err
		}
		var todo []Block
		for _, b := range blocks {
			if b.Skip != "" {
				skipped = append(skipped, b)
			} else {
				todo = append(todo, b)
			}
		}
		if len(todo) == 0 {
			continue
		}
		p, fl, err := runFile(w, bin, timeout, todo)
		if err != nil {
			return fmt.Errorf("%s: %w", f, err)
		}
		passed += p
		failed += fl
	}
	reasons := map[string][]string{}
	for _, b := range skipped {
		reasons[b.Skip] = append(reasons[b.Skip], fmt.Sprintf("%s:%d", b.File, b.Line))
	}
	keys := make([]string, 0, len(reasons))
	for k := range reasons {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	fmt.Fprintf(w, "skipped %d examples:\n", len(skipped))
	for _, k := range keys {
		fmt.Fprintf(w, "  %s: %s\n", k, strings.Join(reasons[k], ", "))
	}
	fmt.Fprintf(w, "check-docs: %d passed, %d failed, %d skipped\n", passed, failed, len(skipped))
	if failed > 0 {
		return fmt.Errorf("%d examples failed", failed)
	}
	return nil
}

// runFile runs blocks, all of one file, in order in one world.
func runFile(w io.Writer, bin string, timeout time.Duration, blocks []Block) (passed, failed int, err error) {
	wd, err := os.MkdirTemp("", "checkdocs-")
	if err != nil {
		return 0, 0, err
	}
	defer os.RemoveAll(wd)
	world, err := startWorld(wd)
	if err != nil {
		return 0, 0, err
	}
	defer world.close()
	env := world.env(filepath.Dir(bin))
	for _, b := range blocks {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		cmd := exec.CommandContext(ctx, "bash", "-e", "-o", "pipefail", "-c", b.Text)
		cmd.Dir = wd
		cmd.Env = env
		cmd.WaitDelay = 5 * time.Second
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		start := time.Now()
		runErr := cmd.Run()
		timedOut := ctx.Err() != nil
		cancel()
		code := 0
		var ee *exec.ExitError
		switch {
		case errors.As(runErr, &ee):
			code = ee.ExitCode()
		case runErr != nil:
			return passed, failed, runErr
		}
		if timedOut {
			code = -1
		}
		if code == b.Exit {
			passed++
			fmt.Fprintf(w, "ok   %s:%d (%.1fs)\n", b.File, b.Line, time.Since(start).Seconds())
			continue
		}
		failed++
		fmt.Fprintf(w, "FAIL %s:%d: exit %d, want %d\n--- block\n%s--- output\n%s---\n", b.File, b.Line, code, b.Exit, b.Text, indent(world.redact(out.String())))
	}
	return passed, failed, nil
}

func indent(s string) string {
	var b strings.Builder
	sc := bufio.NewScanner(strings.NewReader(s))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		b.WriteString("    " + sc.Text() + "\n")
	}
	return b.String()
}

// world is what one file's examples run against.
type world struct {
	git   *testenv.GitServer
	reg   *testenv.Registry
	token string
	dir   string
}

const seedValues = `# Values for app-service in %s. Reviewed by the platform team.
replicaCount: 2

image:
  # The image CI built; tagbump bumps the tag below.
  repository: %s/app-service
  tag: %s   # set by CI
  pullPolicy: IfNotPresent
`

const chartValues = `image:
  repository: %s/app-service
  tag: latest-in-chart-defaults
  pullPolicy: IfNotPresent
service:
  port: 8080
`

// deployment is a Deployment that runs app-service-123, without the
// line's end.
const deployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: app-service
spec:
  template:
    spec:
      containers:
        - name: app
          image: REGISTRY/app-service:app-service-123`

// layouts are the repository's other files, for the guide on what a bump
// can edit; REGISTRY and REPO stand for the registry's host and the
// repository's URL.
var layouts = map[string]string{
	"shop/Chart.yaml":                   "apiVersion: v2\nname: shop\nversion: 1.0.0\n",
	"shop/values.yaml":                  "api:\n  image:\n    repository: REGISTRY/shop/api\n    tag: 1.7.0\nworker:\n  image:\n    repository: REGISTRY/shop/worker\n    tag: 1.7.0\n",
	"shop/values-staging.yaml":          "api:\n  image:\n    tag: 1.7.0\nworker:\n  image:\n    tag: 1.7.0\n",
	"base/kustomization.yaml":           "resources:\n  - deployment.yaml\n",
	"base/deployment.yaml":              deployment + "\n",
	"overlays/prod/kustomization.yaml":  "resources:\n  - ../../base\nimages:\n  - name: REGISTRY/app-service\n    newTag: app-service-123\n",
	"manifests/staging/deployment.yaml": deployment + " # set by CI\n",
	"apps/app-service-staging.yaml": `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: app-service-staging
  namespace: argocd
spec:
  project: default
  source:
    repoURL: REPO
    targetRevision: main
    path: app-service
    helm:
      valueFiles:
        - values-staging.yaml
  destination:
    server: https://kubernetes.default.svc
    namespace: app-service-staging
`,
}

func startWorld(dir string) (*world, error) {
	w := &world{token: rand.Text(), dir: dir}
	var err error
	if w.reg, err = testenv.StartRegistry(); err != nil {
		return nil, err
	}
	host := w.reg.Host()
	w.git, err = testenv.StartGitServer(testenv.WithBasicAuth("ci-bot", w.token))
	if err != nil {
		w.close()
		return nil, err
	}
	files := map[string]string{
		"app-service/Chart.yaml":          "apiVersion: v2\nname: app-service\nversion: 1.0.0\n",
		"app-service/values.yaml":         fmt.Sprintf(chartValues, host),
		"app-service/values-staging.yaml": fmt.Sprintf(seedValues, "staging", host, "app-service-122"),
		"app-service/values-prod.yaml":    fmt.Sprintf(seedValues, "prod", host, "app-service-122"),
	}
	for name, text := range layouts {
		files[name] = strings.ReplaceAll(strings.ReplaceAll(text, "REGISTRY", host), "REPO", w.git.URL("helm-charts"))
	}
	if _, err := w.git.CreateRepo("helm-charts", files); err != nil {
		w.close()
		return nil, err
	}
	for _, env := range []string{"staging", "prod"} {
		msg := fmt.Sprintf("chore(%s): update app-service image to app-service-123\n\n- app-service/values-%s.yaml .image.tag: app-service-122 → app-service-123\n", env, env)
		file := "app-service/values-" + env + ".yaml"
		if _, err := w.git.CommitFiles("helm-charts", "main", map[string]string{file: fmt.Sprintf(seedValues, env, host, "app-service-123")}, msg); err != nil {
			w.close()
			return nil, err
		}
	}
	for _, ref := range []string{"app-service:app-service-122", "app-service:app-service-123", "app-service:app-service-124", "shop/api:1.8.0", "shop/worker:1.8.0"} {
		img, err := testenv.RandomImage(512, 1)
		if err != nil {
			w.close()
			return nil, err
		}
		ref, err := name.NewTag(w.reg.Host() + "/" + ref)
		if err == nil {
			err = remote.Write(ref, img)
		}
		if err != nil {
			w.close()
			return nil, err
		}
	}
	if err := w.files(); err != nil {
		w.close()
		return nil, err
	}
	return w, nil
}

// files writes the working directory's files.
func (w *world) files() error {
	for _, env := range []string{"staging", "prod"} {
		if err := os.WriteFile(filepath.Join(w.dir, "values-"+env+".yaml"), []byte(fmt.Sprintf(seedValues, env, w.reg.Host(), "app-service-123")), 0o644); err != nil {
			return err
		}
	}
	img, err := testenv.RandomImage(512, 1)
	if err != nil {
		return err
	}
	if err := testenv.WriteTarball(filepath.Join(w.dir, "app-service.tar"), w.reg.Host()+"/app-service:app-service-125", img); err != nil {
		return err
	}
	if _, err := testenv.Git(w.dir, "clone", "-q", w.git.Dir("helm-charts"), "helm-charts"); err != nil {
		return err
	}
	for _, kv := range [][2]string{{"user.name", "Ana Developer"}, {"user.email", "ana@example.com"}} {
		if _, err := testenv.Git(filepath.Join(w.dir, "helm-charts"), "config", kv[0], kv[1]); err != nil {
			return err
		}
	}
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return err
	}
	block, err := ssh.MarshalPrivateKey(priv, "deploy-bot@example.com")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(w.dir, "signing-key"), pem.EncodeToMemory(block), 0o600); err != nil {
		return err
	}
	return os.MkdirAll(filepath.Join(w.dir, "home"), 0o700)
}

// env is the environment of every block: the machine's, without CI
// variables and TAGBUMP_* settings that would change what an example does.
func (w *world) env(binDir string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch {
		case strings.HasPrefix(k, "TAGBUMP_"), strings.HasPrefix(k, "GITHUB_"), strings.HasPrefix(k, "CI_"),
			strings.HasPrefix(k, "GITLAB_"), strings.HasPrefix(k, "SYSTEM_"), strings.HasPrefix(k, "BUILD_"),
			k == "TF_BUILD", k == "CI", k == "HOME", k == "PATH", k == "DOCKER_CONFIG", k == "REGISTRY_AUTH_FILE",
			k == "ARGOCD_AUTH_TOKEN":
			continue
		}
		env = append(env, kv)
	}
	return append(env,
		"PATH="+binDir+string(os.PathListSeparator)+os.Getenv("PATH"),
		"HOME="+filepath.Join(w.dir, "home"),
		"REPO="+w.git.URL("helm-charts"),
		"REGISTRY="+w.reg.Host(),
		"TAGBUMP_GIT_USER=ci-bot",
		"TAGBUMP_GIT_TOKEN="+w.token,
	)
}

// redact keeps the token out of what a failure prints.
func (w *world) redact(s string) string { return strings.ReplaceAll(s, w.token, "[token]") }

func (w *world) close() {
	if w.reg != nil {
		w.reg.Close()
	}
	if w.git != nil {
		w.git.Close()
	}
}
