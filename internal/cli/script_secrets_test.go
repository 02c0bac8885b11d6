package cli_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"github.com/rogpeppe/go-internal/testscript"
	"github.com/tagbump/tagbump/internal/cli"
	"github.com/tagbump/tagbump/internal/testenv"
)

// The secrets check of the txtar suite. Every script runs tagbump through
// tagbumpMain, which
//   - collects the secrets the run was given: git tokens, registry
//     passwords and the credentials of a URL argument;
//   - runs at debug level when the script did not choose a level or a
//     format, and hides the debug lines from the script so its
//     expectations hold;
//   - fails the run (exit 99) and records it when a secret, or user:secret
//     in base64 as in a basic-auth header, is in stdout or stderr (the
//     text and JSON outputs and all logs).
//
// When a script's git server closes, its repositories (every commit's
// message, author and changes, and the config) are scanned for the secrets
// the script's runs were given.

// envLeakDir names the directory where tagbumpMain records secrets and
// leaks; the script setup sets it.
const envLeakDir = "TAGBUMP_TEST_LEAK_DIR"

// secretEnv are the variables holding secrets tagbump reads.
var secretEnv = []string{"TAGBUMP_GIT_TOKEN", "GITHUB_TOKEN", "SYSTEM_ACCESSTOKEN", "CI_JOB_TOKEN", "TAGBUMP_REGISTRY_PASSWORD", "TAGBUMP_SSH_KEY_PASSPHRASE", "TAGBUMP_SIGN_KEY_PASSPHRASE"}

func init() {
	scriptSetups = append(scriptSetups, func(env *testscript.Env) error {
		dir, err := os.MkdirTemp("", "tagbump-leaks-")
		if err != nil {
			return err
		}
		env.Setenv(envLeakDir, dir)
		env.Defer(func() {
			b, _ := os.ReadFile(filepath.Join(dir, "leaks"))
			os.RemoveAll(dir)
			if log := os.Getenv(envReliabilityLog); log != "" {
				n := strings.Count(string(b), "\n")
				appendReliability(log, &relCounts{Test: "TestScript/" + filepath.Base(env.WorkDir), Scenarios: 1, SecretsLeaked: n, Failed: n > 0})
			}
			if len(b) > 0 {
				env.T().Fatal("secrets leaked:\n" + string(b))
			}
		})
		return nil
	})
	gitServerClosing = append(gitServerClosing, scanGitServer)
}

// secretForms returns the strings whose presence means secret leaked:
// itself, URL-escaped, and the base64 of user:secret for each user and
// for the empty user (Azure DevOps sends :token).
func secretForms(secret string, users []string) []string {
	forms := []string{secret, url.QueryEscape(secret), url.PathEscape(secret)}
	for _, u := range append(users[:len(users):len(users)], "") {
		forms = append(forms, base64.StdEncoding.EncodeToString([]byte(u+":"+secret)))
	}
	return forms
}

// runSecrets returns the secrets a run gets from getenv and args, and the
// user names they may be paired with.
func runSecrets(getenv func(string) string, args []string) (secrets, users []string) {
	for _, k := range secretEnv {
		if v := getenv(k); len(v) >= 6 {
			secrets = append(secrets, v)
		}
	}
	secrets = append(secrets, keyLines(getenv("TAGBUMP_SIGN_KEY"))...)
	users = []string{"tagbump", "x-access-token", "build", "oauth2", "gitlab-ci-token"}
	for _, k := range []string{"TAGBUMP_GIT_USER", "TAGBUMP_REGISTRY_USERNAME"} {
		if v := getenv(k); v != "" {
			users = append(users, v)
		}
	}
	for _, a := range args {
		_, v, _ := strings.Cut(a, "=")
		if !strings.Contains(v, "://") {
			v = a
		}
		if u, err := url.Parse(v); err == nil && u.User != nil {
			if p, ok := u.User.Password(); ok && len(p) >= 6 {
				secrets = append(secrets, p)
				users = append(users, u.User.Username())
			}
		}
	}
	return secrets, users
}

// keyLines are the lines of a PEM or armored key that carry key material
// (not the BEGIN/END lines or armor headers).
func keyLines(key string) []string {
	var lines []string
	for _, l := range strings.Split(key, "\n") {
		if l = strings.TrimSpace(l); len(l) >= 20 && !strings.HasPrefix(l, "-----") && !strings.Contains(l, ": ") {
			lines = append(lines, l)
		}
	}
	return lines
}

// findLeaks returns a line for each secret form found in text.
func findLeaks(where, text string, secrets, users []string) []string {
	var leaks []string
	for i, s := range secrets {
		for _, f := range secretForms(s, users) {
			if strings.Contains(text, f) {
				leaks = append(leaks, fmt.Sprintf("secret #%d (%d chars) in %s", i+1, len(s), where))
				break
			}
		}
	}
	return leaks
}

// tagbumpMain is the tagbump of the txtar scripts.
func tagbumpMain() int {
	dir := os.Getenv(envLeakDir)
	args := os.Args[1:]
	if dir == "" && jsonCommand(args) == "" {
		return cli.Main()
	}
	if dir == "" {
		// JSON on stdout: checked against the output schema.
		var out bytes.Buffer
		code := cli.Run(context.Background(), args, cli.IOStreams{In: os.Stdin, Out: io.MultiWriter(os.Stdout, &out), Err: os.Stderr})
		if err := checkOutputSchema(args, out.Bytes()); err != nil {
			fmt.Fprintln(os.Stderr, "SCHEMA:", err)
			return 98
		}
		return code
	}
	secrets, users := runSecrets(os.Getenv, args)
	debug := os.Getenv("TAGBUMP_LOG_LEVEL") == "" && os.Getenv("TAGBUMP_LOG_FORMAT") == "" &&
		!slices.ContainsFunc(args, func(a string) bool {
			return strings.HasPrefix(a, "--log-level") || strings.HasPrefix(a, "--log-format")
		})
	if debug {
		os.Setenv("TAGBUMP_LOG_LEVEL", "debug")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var out, errb bytes.Buffer
	code := cli.Run(ctx, args, cli.IOStreams{In: os.Stdin, Out: io.MultiWriter(os.Stdout, &out), Err: &errb})
	stderr := errb.String()
	if debug {
		stderr = withoutDebug(stderr)
	}
	os.Stderr.WriteString(stderr)
	f, err := os.OpenFile(filepath.Join(dir, "secrets"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err == nil {
		for _, s := range secrets {
			fmt.Fprintf(f, "%s\n", base64.StdEncoding.EncodeToString([]byte(s)))
		}
		for _, u := range users {
			fmt.Fprintf(f, "user %s\n", base64.StdEncoding.EncodeToString([]byte(u)))
		}
		f.Close()
	}
	if err := checkOutputSchema(args, out.Bytes()); err != nil {
		fmt.Fprintln(os.Stderr, "SCHEMA:", err)
		return 98
	}
	leaks := append(findLeaks("stdout", out.String(), secrets, users), findLeaks("stderr (debug level)", errb.String(), secrets, users)...)
	if len(leaks) > 0 {
		record := fmt.Sprintf("tagbump %s: %s\n", strings.Join(args[:min(len(args), 1)], " "), strings.Join(leaks, "; "))
		appendFile(filepath.Join(dir, "leaks"), record)
		fmt.Fprint(os.Stderr, "LEAK: "+record)
		return 99
	}
	return code
}

// withoutDebug drops the debug entries of text-format logs: lines that
// start with DEBU and the indented lines that continue them.
func withoutDebug(s string) string {
	var b strings.Builder
	skipping := false
	sc := bufio.NewScanner(strings.NewReader(s))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "DEBU"):
			skipping = true
			continue
		case skipping && (strings.HasPrefix(line, " ") || strings.HasPrefix(line, "\t")):
			continue
		}
		skipping = false
		b.WriteString(line + "\n")
	}
	return b.String()
}

func appendFile(path, s string) {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return
	}
	defer f.Close()
	f.WriteString(s)
}

// scanGitServer looks for the secrets of the script's runs in every
// repository of its git server: commits (message, author, changes) and
// config.
func scanGitServer(ts *testscript.TestScript, s *testenv.GitServer) {
	dir := ts.Getenv(envLeakDir)
	b, err := os.ReadFile(filepath.Join(dir, "secrets"))
	if err != nil {
		return // no tagbump run
	}
	var secrets, users []string
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		enc, isUser := strings.CutPrefix(l, "user ")
		v, err := base64.StdEncoding.DecodeString(enc)
		if err != nil {
			continue
		}
		if isUser {
			users = append(users, string(v))
		} else {
			secrets = append(secrets, string(v))
		}
	}
	repos, _ := filepath.Glob(filepath.Join(s.Root, "*.git"))
	for _, r := range repos {
		history, _ := testenv.Git(r, "log", "--all", "-p", "--format=fuller%n%B")
		config, _ := os.ReadFile(filepath.Join(r, "config"))
		leaks := append(findLeaks(filepath.Base(r)+" history", history, secrets, users), findLeaks(filepath.Base(r)+" config", string(config), secrets, users)...)
		for _, l := range leaks {
			appendFile(filepath.Join(dir, "leaks"), l+"\n")
		}
	}
}
