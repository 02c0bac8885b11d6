// Package cli holds tagbump's cobra commands. Each command is a thin layer
// over a pkg/ library call; exit codes are decided in exit.go only.
package cli

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	stdlog "log"
	"log/slog"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"unicode"

	"github.com/charmbracelet/log"
	"github.com/mattn/go-isatty"
	"github.com/muesli/termenv"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/tagbump/tagbump/internal/ci"
)

// IOStreams are the streams a command reads and writes: data goes to Out,
// status and logs to Err, and CI workflow commands to Commands.
type IOStreams struct {
	In  io.Reader
	Out io.Writer
	Err io.Writer
	// Commands receives tagbump's own CI workflow commands (annotations,
	// output variables); nil means Err. Run sets it to the unguarded Err.
	Commands io.Writer
	// Redactor hides the secrets tagbump was given in the files it
	// writes for the CI system (outputs, job summary, dotenv); Run sets
	// it, nil hides nothing.
	Redactor *ci.Redactor
}

// commands returns where CI workflow commands go.
func (s IOStreams) commands() io.Writer { return cmp.Or[io.Writer](s.Commands, s.Err) }

// Main runs tagbump with the process arguments and returns its exit code.
func Main() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return Run(ctx, os.Args[1:], IOStreams{In: os.Stdin, Out: os.Stdout, Err: os.Stderr})
}

// Run runs tagbump with args and returns its exit code; errors are reported
// on streams.Err.
//
// In GitHub Actions and Azure Pipelines, whose runners act on workflow
// commands in a step's output, Out and Err are guarded (ci.Env.Guard) so
// that text from the charts repository cannot pass for one; tagbump's own
// commands go to the unguarded Err. Everywhere, the secrets the run was
// given (givenSecrets) are hidden in all three (ci.Redactor).
func Run(ctx context.Context, args []string, streams IOStreams) int {
	env := ci.Detect(os.Getenv)
	if streams.Commands == nil {
		streams.Commands = streams.Err
	}
	streams.Out, streams.Err = env.Guard(streams.Out), env.Guard(streams.Err)
	// Every byte tagbump writes passes here: no secret it was given
	// leaves the process, whatever a server put into an error.
	red := ci.NewRedactor(givenSecrets(os.Getenv, os.Environ(), args)...)
	streams.Out, streams.Err, streams.Commands = red.Writer(streams.Out), red.Writer(streams.Err), red.Writer(streams.Commands)
	streams.Redactor = red // and the files written for the CI system
	// Go's own logger (net/http logs what a server sends unasked) writes
	// through the same guard and redactor.
	prev := stdlog.Writer()
	stdlog.SetOutput(streams.Err)
	defer stdlog.SetOutput(prev)
	defer func() {
		for _, w := range []io.Writer{streams.Out, streams.Err, streams.Commands} {
			_ = ci.Flush(w)
		}
	}()
	root := NewRootCmd(streams)
	root.SetArgs(args)
	cmd, err := root.ExecuteContextC(ctx)
	if err != nil && strings.HasPrefix(err.Error(), "unknown command") {
		err = commandLineErr(err)
	}
	if err == nil {
		return ExitOK
	}
	code := ExitCode(err)
	if ctx.Err() != nil {
		// Interrupted: whatever the library made of the cancellation.
		code = ExitCanceled
	}
	if f := cmd.Flags().Lookup("output"); f != nil && f.Value.String() == "json" && !reportedJSON(err) {
		writeJSONError(streams.Out, err, code)
	}
	fmt.Fprintf(streams.Err, "tagbump: %s\n", err)
	if wantsHint(err) {
		fmt.Fprintln(streams.Err, "Run 'tagbump --help' for usage.")
	}
	return code
}

// jsonError is what --output json prints on stdout when a command fails,
// so that a pipeline parsing stdout gets the reason.
type jsonError struct {
	Error struct {
		Message  string `json:"message"`
		ExitCode int    `json:"exit_code"`
		Kind     string `json:"kind"`
	} `json:"error"`
}

func writeJSONError(w io.Writer, err error, code int) {
	var e jsonError
	e.Error.Message, e.Error.ExitCode, e.Error.Kind = err.Error(), code, ExitKind(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(e)
}

// globalOptions are the flags every command has.
type globalOptions struct {
	logLevel  string
	logFormat string
}

// NewRootCmd builds the tagbump command tree.
func NewRootCmd(streams IOStreams) *cobra.Command {
	g := &globalOptions{}
	root := &cobra.Command{
		Use:   "tagbump",
		Short: "Bump an immutable image tag in a Helm values file in Git",
		Long: `tagbump is the deploy step of a GitOps pipeline: it verifies (or pushes) an
immutable image tag in a registry, edits exactly the tag's bytes in a Helm
values file, and commits and pushes the change to the charts repository,
retrying safely when another pipeline pushed first.

Every flag can also be set from the environment as TAGBUMP_<FLAG>, with the
flag name upper-cased and dashes turned into underscores (--log-level is
TAGBUMP_LOG_LEVEL); an empty variable counts as unset. A flag on the command
line wins over the environment, which wins over the default.` + exitCodeHelp,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			if err := bindEnv(cmd); err != nil {
				return err
			}
			l, err := newLogger(g, streams.Err)
			if err != nil {
				return err
			}
			cmd.SetContext(withLogger(cmd.Context(), l))
			return nil
		},
	}
	root.SetIn(streams.In)
	root.SetOut(streams.Out)
	root.SetErr(streams.Err)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return commandLineErr(err) })
	root.PersistentFlags().StringVar(&g.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	root.PersistentFlags().StringVar(&g.logFormat, "log-format", "text", "log format: text, json or logfmt")
	root.AddCommand(
		NewCmdSet(streams, nil),
		NewCmdGet(streams, nil),
		NewCmdVersion(streams),
		NewCmdBump(streams, nil),
		NewCmdVerify(streams, nil),
		NewCmdPush(streams, nil),
		NewCmdTag(streams, nil),
		NewCmdHistory(streams, nil),
		NewCmdRollback(streams, nil),
		NewCmdPromote(streams, nil),
		NewCmdWait(streams, nil),
		NewCmdDoctor(streams, nil),
	)
	for _, c := range root.Commands() {
		if c.Name() == "completion" {
			continue
		}
		c.Long = cmp.Or(c.Long, c.Short) + envHelp + exitCodeHelp
	}
	addCompletion(root)
	wrapArgs(root)
	return root
}

// wrapArgs makes argument count errors usage errors, in every command.
func wrapArgs(c *cobra.Command) {
	if args := c.Args; args != nil {
		c.Args = func(cmd *cobra.Command, a []string) error {
			if err := args(cmd, a); err != nil {
				return commandLineErr(err)
			}
			return nil
		}
	}
	for _, sub := range c.Commands() {
		wrapArgs(sub)
	}
}

// bindEnv sets every flag of cmd that was not given on the command line
// from TAGBUMP_<FLAG>, when that variable is set and not empty.
func bindEnv(cmd *cobra.Command) error {
	var err error
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		if _, skip := f.Annotations[noEnvAnnotation]; err != nil || f.Changed || skip {
			return
		}
		name := EnvName(f.Name)
		v := os.Getenv(name)
		if v == "" { // empty counts as unset, so CI templates can pass every input
			return
		}
		values := []string{v}
		if t := f.Value.Type(); t == "stringArray" || t == "stringSlice" {
			// Every repeatable flag takes several values separated by
			// commas, spaces or new lines: TAGBUMP_ENV="staging prod",
			// TAGBUMP_IMAGE="reg/api:1,reg/worker:1"; a label may hold
			// spaces, so only commas and new lines separate labels.
			_, keep := f.Annotations[spacedAnnotation]
			values = strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == '\n' || r == '\r' || !keep && unicode.IsSpace(r) })
			for i := range values {
				values[i] = strings.TrimSpace(values[i])
			}
			values = slices.DeleteFunc(values, func(s string) bool { return s == "" })
		}
		for _, v := range values {
			if e := cmd.Flags().Set(f.Name, v); e != nil && err == nil {
				err = usageErr(fmt.Errorf("invalid value %q in %s: %w", v, name, e))
			}
		}
	})
	return err
}

// spacedAnnotation marks a repeatable flag whose values may hold spaces:
// its variable's values are separated by commas and new lines only.
const spacedAnnotation = "tagbump_env_spaced"

// EnvName returns the environment variable that sets the flag named flag.
func EnvName(flag string) string {
	return "TAGBUMP_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// newLogger builds the logger of one invocation from --log-level and
// --log-format, writing to w.
func newLogger(g *globalOptions, w io.Writer) (*log.Logger, error) {
	level, err := log.ParseLevel(g.logLevel)
	if err != nil {
		return nil, usageErr(fmt.Errorf("invalid --log-level %q: use debug, info, warn or error", g.logLevel))
	}
	// The logger sees w through a wrapper that is not a terminal, so that
	// its renderer never queries the terminal's colours (a terminal that
	// does not answer costs seconds); colour is decided here instead.
	logger := log.NewWithOptions(struct{ io.Writer }{w}, log.Options{Level: level})
	logger.SetColorProfile(colorProfile(w, os.Getenv))
	switch g.logFormat {
	case "text":
		logger.SetFormatter(log.TextFormatter)
	case "json":
		logger.SetFormatter(log.JSONFormatter)
	case "logfmt":
		logger.SetFormatter(log.LogfmtFormatter)
	default:
		return nil, usageErr(fmt.Errorf("invalid --log-format %q: use text, json or logfmt", g.logFormat))
	}
	return logger, nil
}

type loggerKey struct{}

// withLogger returns ctx carrying l, the logger of this invocation: each
// Run has its own, so that runs in one process do not share one.
func withLogger(ctx context.Context, l *log.Logger) context.Context {
	return context.WithValue(ctx, loggerKey{}, l)
}

// logger returns the logger that ctx carries, or one that discards
// everything when it carries none (a command run on its own in a test).
func logger(ctx context.Context) *log.Logger {
	if l, ok := ctx.Value(loggerKey{}).(*log.Logger); ok {
		return l
	}
	return log.New(io.Discard)
}

// colorProfile is ANSI colour for a terminal, none for anything else or
// when NO_COLOR is set (https://no-color.org).
func colorProfile(w io.Writer, getenv func(string) string) termenv.Profile {
	f, ok := ci.Underlying(w).(*os.File)
	if !ok || getenv("NO_COLOR") != "" || !isatty.IsTerminal(f.Fd()) {
		return termenv.Ascii
	}
	return termenv.ANSI
}

const envHelp = `

Every flag can also be set as TAGBUMP_<FLAG> (--max-attempts is
TAGBUMP_MAX_ATTEMPTS); the command line wins over the environment, which
wins over the default.`

// slogLogger adapts the invocation's logger for the pkg/ libraries, which
// log through log/slog.
func slogLogger(ctx context.Context) *slog.Logger { return slog.New(logger(ctx)) }
