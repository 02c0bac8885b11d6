package cli_test

import (
	"encoding/base64"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"
	"github.com/tagbump/tagbump/internal/testenv"
)

// Pull request hosts for txtar scripts:
//
//	forge KIND REPO DIR   start a fake KIND host (github, gitlab, azure, bitbucket) with repository
//	                      REPO holding the files under $WORK/DIR; sets $FORGE (base URL), $FORGE_TOKEN,
//	                      $FORGE_HOST (host:port), $FORGE_RO_TOKEN (may push, may not open PRs) and
//	                      $FORGE_REPO (clone URL)
//	forgeprs              print each pull request: #N state head->base labels=.. reviewers=.. automerge=..
//	                      comments=N, then its title
//	forgemerge N          merge pull request N with a merge commit
//	forgegit ARGS...      run git ARGS in the fake's repository
//
// When the script ends, the fake's API requests (URIs and bodies), its
// pull requests and its repositories' history are scanned for the secrets
// the script's tagbump runs were given.

type forgeKey struct{}

type forgeState struct {
	f    *testenv.FakeForge
	repo string
}

func init() {
	scriptSetups = append(scriptSetups, func(env *testscript.Env) error {
		env.Values[forgeKey{}] = &forgeState{}
		return nil
	})
	scriptCmds["forge"] = cmdForge
	scriptCmds["forgeprs"] = cmdForgePRs
	scriptCmds["forgemerge"] = cmdForgeMerge
	scriptCmds["forgegit"] = cmdForgeGit
}

func forgeOf(ts *testscript.TestScript) *forgeState {
	st := ts.Value(forgeKey{}).(*forgeState)
	if st.f == nil {
		ts.Fatalf("no forge: run forge first")
	}
	return st
}

func cmdForge(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: forge KIND REPO DIR")
	}
	st := ts.Value(forgeKey{}).(*forgeState)
	if st.f != nil {
		ts.Fatalf("forge already started")
	}
	f, err := testenv.StartFakeForge(args[0])
	ts.Check(err)
	files := map[string]string{}
	root := ts.MkAbs(args[2])
	ts.Check(filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(root, p)
		files[filepath.ToSlash(rel)] = string(b)
		return err
	}))
	ts.Check(f.CreateRepo(args[1], files))
	st.f, st.repo = f, args[1]
	ts.Defer(func() {
		scanForge(ts, f)
		f.Close()
	})
	ts.Setenv("FORGE", f.URL)
	ts.Setenv("FORGE_HOST", strings.TrimPrefix(f.URL, "http://"))
	ts.Setenv("FORGE_TOKEN", f.Token)
	ts.Setenv("FORGE_RO_TOKEN", f.ReadOnlyToken)
	clone := f.URL + "/" + args[1]
	if args[0] != "azure" {
		clone += ".git"
	}
	ts.Setenv("FORGE_REPO", clone)
}

func cmdForgePRs(ts *testscript.TestScript, neg bool, args []string) {
	st := forgeOf(ts)
	for _, p := range st.f.PRs() {
		fmt.Fprintf(ts.Stdout(), "#%d %s %s->%s draft=%v labels=%s reviewers=%s automerge=%s comments=%d\n    %s\n",
			p.Number, p.State, p.Head, p.Base, p.Draft, strings.Join(p.Labels, ","), strings.Join(p.Reviewers, ","), p.AutoMerge, len(p.Comments), p.Title)
		for _, c := range p.Comments {
			fmt.Fprintf(ts.Stdout(), "    comment: %s\n", c)
		}
	}
}

func cmdForgeMerge(ts *testscript.TestScript, neg bool, args []string) {
	st := forgeOf(ts)
	if len(args) != 1 {
		ts.Fatalf("usage: forgemerge N")
	}
	n, err := strconv.Atoi(args[0])
	ts.Check(err)
	ts.Check(st.f.Merge(st.repo, n))
}

func cmdForgeGit(ts *testscript.TestScript, neg bool, args []string) {
	st := forgeOf(ts)
	out, err := testenv.Git(st.f.Git.Dir(st.repo), args...)
	ts.Stdout().Write([]byte(out))
	if err != nil && !neg {
		ts.Fatalf("git %s: %v", strings.Join(args, " "), err)
	}
	if err == nil && neg {
		ts.Fatalf("git %s succeeded unexpectedly", strings.Join(args, " "))
	}
}

// scanForge records as leaks the secrets of the script's runs found in the
// fake's API requests (URI and body), pull requests and Git history.
func scanForge(ts *testscript.TestScript, f *testenv.FakeForge) {
	dir := ts.Getenv(envLeakDir)
	b, err := os.ReadFile(filepath.Join(dir, "secrets"))
	if err != nil {
		return
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
	var texts []string
	texts = append(texts, f.Log()...)
	for _, p := range f.PRs() {
		texts = append(texts, p.Title, p.Body, strings.Join(p.Labels, ","), strings.Join(p.Comments, "\n"))
	}
	leaks := findLeaks("the host's API requests and pull requests", strings.Join(texts, "\n"), secrets, users)
	_ = filepath.WalkDir(f.Git.Root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() && strings.HasSuffix(p, ".git") {
			history, _ := testenv.Git(p, "log", "--all", "-p", "--format=fuller%n%B")
			config, _ := os.ReadFile(filepath.Join(p, "config"))
			leaks = append(leaks, findLeaks(filepath.Base(p)+" history and config", history+string(config), secrets, users)...)
			return filepath.SkipDir
		}
		return err
	})
	for _, l := range leaks {
		appendFile(filepath.Join(dir, "leaks"), l+"\n")
	}
}
