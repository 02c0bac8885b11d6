package cli_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/rogpeppe/go-internal/testscript"
	"github.com/tagbump/tagbump/internal/testenv"
)

// Git commands for txtar scripts:
//
//	gitserver [user:pass] [-readonly=user:pass] [-nofilter]  start the script's git server; sets $GITSERVER (http://127.0.0.1:PORT)
//	gitrepo NAME DIR                          create NAME.git from the files under $WORK/DIR (main branch); URL $GITSERVER/NAME.git
//	githook NAME HOOK FILE                    install $WORK/FILE as hook HOOK of NAME.git
//	gitin NAME ARGS...                        run git ARGS in NAME.git; its output goes to stdout

type gitStateKey struct{}

// gitServerClosing run when a script's git server is about to close.
var gitServerClosing []func(ts *testscript.TestScript, s *testenv.GitServer)

type gitState struct {
	mu  sync.Mutex
	srv *testenv.GitServer
}

func init() {
	scriptSetups = append(scriptSetups, func(env *testscript.Env) error {
		env.Values[gitStateKey{}] = &gitState{}
		return nil
	})
	scriptCmds["gitserver"] = cmdGitServer
	scriptCmds["gitrepo"] = cmdGitRepo
	scriptCmds["githook"] = cmdGitHook
	scriptCmds["gitin"] = cmdGitIn
}

func gitServerOf(ts *testscript.TestScript) *testenv.GitServer {
	st := ts.Value(gitStateKey{}).(*gitState)
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.srv == nil {
		ts.Fatalf("no git server: run gitserver first")
	}
	return st.srv
}

func cmdGitServer(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("unsupported: ! gitserver")
	}
	var opts []testenv.GitServerOption
	for _, a := range args {
		switch {
		case a == "-nofilter":
			opts = append(opts, testenv.WithAllowFilter(false))
		case strings.HasPrefix(a, "-readonly="):
			user, pass, _ := strings.Cut(strings.TrimPrefix(a, "-readonly="), ":")
			opts = append(opts, testenv.WithReadOnlyUser(user, pass))
		case strings.Contains(a, ":") && !strings.HasPrefix(a, "-"):
			user, pass, _ := strings.Cut(a, ":")
			opts = append(opts, testenv.WithBasicAuth(user, pass))
		default:
			ts.Fatalf("usage: gitserver [user:pass] [-readonly=user:pass] [-nofilter]")
		}
	}
	s, err := testenv.StartGitServer(opts...)
	ts.Check(err)
	ts.Defer(func() {
		for _, f := range gitServerClosing {
			f(ts, s)
		}
		s.Close()
	})
	st := ts.Value(gitStateKey{}).(*gitState)
	st.mu.Lock()
	st.srv = s
	st.mu.Unlock()
	ts.Setenv("GITSERVER", "http://"+s.Addr())
	ts.Setenv("GITSERVER_ADDR", s.Addr()) // to write credentials into a URL
}

func cmdGitRepo(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: gitrepo NAME DIR")
	}
	root := ts.MkAbs(args[1])
	files := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		files[filepath.ToSlash(rel)] = string(b)
		return nil
	})
	ts.Check(err)
	_, err = gitServerOf(ts).CreateRepo(args[0], files)
	ts.Check(err)
}

func cmdGitHook(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: githook NAME HOOK FILE")
	}
	ts.Check(gitServerOf(ts).SetHook(args[0], args[1], ts.ReadFile(args[2])))
}

func cmdGitIn(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 2 {
		ts.Fatalf("usage: gitin NAME ARGS...")
	}
	out, err := testenv.Git(gitServerOf(ts).Dir(args[0]), args[1:]...)
	if out != "" {
		ts.Stdout().Write([]byte(out + "\n"))
	}
	if neg {
		if err == nil {
			ts.Fatalf("unexpected success")
		}
		return
	}
	ts.Check(err)
}
