package ci

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/tagbump/tagbump/pkg/address"
	"github.com/tagbump/tagbump/pkg/atomicfile"
	"github.com/tagbump/tagbump/pkg/markdown"
)

// Result is what a bump reports to the CI system.
type Result struct {
	// Image is the image reference that was deployed (repo:tag).
	Image string
	// Digest is the image's manifest digest, when known.
	Digest string
	// Commit is the SHA of the commit pushed to the charts repository,
	// empty when nothing was pushed.
	Commit string
	// Changed reports whether a values file changed.
	Changed bool
	// Outcome is the bump's outcome in one word (changed, unchanged,
	// skipped, dry-run, no-push).
	Outcome string
	// Files lists the edits, one per changed value.
	Files []FileChange
	// Repo is the charts repository URL and Branch its branch.
	Repo, Branch string
	// PRURL, PRNumber and PRAction (created, updated, unchanged, closed)
	// describe the pull request of a bump with --pr; PRAction is empty
	// otherwise, and then the three are not written.
	PRURL    string
	PRNumber int
	PRAction string
	// Signature is what --require-signature and --require-attestation
	// verified, nil when no check was asked for; then its outputs are not
	// written.
	Signature *Signature
}

// Signature is a verified image signature, as CI outputs report it.
type Signature struct {
	// SignedBy is the certificate's identity (SAN) or "key sha256:…";
	// Issuer the certificate's OIDC issuer.
	SignedBy, Issuer string
	// Attested are the predicate types of the verified attestations.
	Attested []string
}

// FileChange is one value edited in one file.
type FileChange struct {
	File, Key, Old, New string
}

// outcome returns r.Outcome, or changed/unchanged when it is empty.
func (r Result) outcome() string {
	switch {
	case r.Outcome != "":
		return r.Outcome
	case r.Changed:
		return "changed"
	}
	return "unchanged"
}

// outputs returns the step outputs in the order they are written.
func (r Result) outputs() [][2]string {
	out := [][2]string{
		{"image", r.Image},
		{"digest", r.Digest},
		{"commit", r.Commit},
		{"changed", strconv.FormatBool(r.Changed)},
		{"outcome", r.outcome()},
	}
	if r.PRAction != "" {
		number := ""
		if r.PRNumber != 0 {
			number = strconv.Itoa(r.PRNumber)
		}
		out = append(out, [2]string{"pr_url", r.PRURL}, [2]string{"pr_number", number}, [2]string{"pr_action", r.PRAction})
	}
	if s := r.Signature; s != nil {
		out = append(out, [2]string{"signature_verified", "true"}, [2]string{"signed_by", s.SignedBy},
			[2]string{"signature_issuer", s.Issuer}, [2]string{"attested", strings.Join(s.Attested, ",")})
	}
	return out
}

// Option configures WriteOutputs.
type Option func(*options)

type options struct {
	dotenv string
	before [][2]string
	red    *Redactor
}

// WithRedactor hides r's secrets in the files WriteOutputs writes, as the
// streams hide them: a value a server returned (a pull request's URL) may
// carry one.
func WithRedactor(r *Redactor) Option {
	return func(o *options) { o.red = r }
}

// WithDotenv also writes the outputs to the dotenv file path, as
// TAGBUMP_RESULT_IMAGE=..., TAGBUMP_RESULT_DIGEST=... lines, for GitLab's
// artifacts:reports:dotenv (it works in any system). The RESULT_ part keeps
// them apart from the TAGBUMP_<FLAG> variables: GitLab gives dotenv
// variables to later jobs with a higher precedence than their own, and
// TAGBUMP_IMAGE there would override the next bump's --image. The file is
// replaced atomically. The default is no dotenv file.
func WithDotenv(path string) Option {
	return func(o *options) { o.dotenv = path }
}

// WithDotenvResult puts r's outputs in the dotenv file before the values
// written: the file is replaced as a whole, and a wait that follows a bump
// keeps the bump's lines in it with its own.
func WithDotenvResult(r Result) Option {
	return func(o *options) { o.before = r.outputs() }
}

// WriteOutputs publishes r the way e's CI system expects: on GitHub it
// appends the outputs image, digest, commit, changed and outcome to
// $GITHUB_OUTPUT and a markdown summary to $GITHUB_STEP_SUMMARY; on Azure it
// writes ##vso[task.setvariable] output variables of the same names to w.
// Pass the step's stderr as w: the GitHub runner and the Azure Pipelines
// agent read commands from stderr as from stdout, and stdout stays free for
// data. Elsewhere it writes nothing unless an option asks.
func (e Env) WriteOutputs(r Result, w io.Writer, opts ...Option) error {
	return e.writeOutputs(r.outputs(), githubSummary(r), w, opts...)
}

// WriteValues publishes outputs, name and value pairs, as WriteOutputs
// publishes a bump's: $GITHUB_OUTPUT (and summary, markdown for
// $GITHUB_STEP_SUMMARY, unless nil) on GitHub, output variables on Azure,
// and the dotenv file where an option asks.
func (e Env) WriteValues(outputs [][2]string, summary []byte, w io.Writer, opts ...Option) error {
	return e.writeOutputs(outputs, summary, w, opts...)
}

func (e Env) writeOutputs(outs [][2]string, summary []byte, w io.Writer, opts ...Option) error {
	o := options{}
	for _, opt := range opts {
		opt(&o)
	}
	switch e.System {
	case GitHub:
		if e.OutputFile != "" {
			if err := appendFile(e.OutputFile, o.red.Bytes(githubOutputs(outs))); err != nil {
				return fmt.Errorf("write GITHUB_OUTPUT: %w", err)
			}
		}
		if e.SummaryFile != "" && summary != nil {
			if err := appendFile(e.SummaryFile, o.red.Bytes(summary)); err != nil {
				return fmt.Errorf("write GITHUB_STEP_SUMMARY: %w", err)
			}
		}
	case Azure:
		var b bytes.Buffer
		for _, kv := range outs {
			fmt.Fprintf(&b, "##vso[task.setvariable variable=%s;isOutput=true]%s\n",
				azureProperty(kv[0]), azureData(kv[1]))
		}
		if _, err := w.Write(b.Bytes()); err != nil {
			return fmt.Errorf("write azure output variables: %w", err)
		}
	}
	if o.dotenv != "" {
		if err := writeDotenv(o.dotenv, append(slices.Clone(o.before), outs...), o.red); err != nil {
			return err
		}
	}
	return nil
}

// Annotate shows msg as an error (level "error") or a warning (any other
// level) on the run's page: ::error title=tagbump::msg on GitHub,
// ##vso[task.logissue type=error]msg on Azure, written to w (the step's
// stderr, see WriteOutputs). Other systems have no such command and get
// nothing; log the message as well.
func (e Env) Annotate(w io.Writer, level, msg string) {
	if level != "error" {
		level = "warning"
	}
	// The runners take one command per line, so a command in msg would be
	// data; escape it anyway, as Guard does.
	var b strings.Builder
	_, _ = e.Guard(&b).Write([]byte(msg))
	msg = b.String()
	switch e.System {
	case GitHub:
		fmt.Fprintf(w, "::%s title=%s::%s\n", level, githubProperty("tagbump"), githubData(msg))
	case Azure:
		fmt.Fprintf(w, "##vso[task.logissue type=%s]%s\n", level, azureData(msg))
	}
}

// githubData escapes a workflow command's message (toolkit's escapeData).
var githubData = strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace

// githubProperty escapes a workflow command's property value.
var githubProperty = strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace

// azureData escapes a logging command's message; the agent decodes %AZP25.
var azureData = strings.NewReplacer("%", "%AZP25", "\r", "%0D", "\n", "%0A").Replace

// azureProperty escapes a logging command's property value.
var azureProperty = strings.NewReplacer("%", "%AZP25", "\r", "%0D", "\n", "%0A", ";", "%3B", "]", "%5D").Replace

// githubOutputs renders the outputs in $GITHUB_OUTPUT's heredoc form,
// which is safe for any value: the delimiter is chosen so that it occurs
// in no value.
func githubOutputs(outs [][2]string) []byte {
	delim := "TAGBUMP_EOF"
	for i := 1; ; i++ {
		clash := false
		for _, kv := range outs {
			clash = clash || strings.Contains(kv[1], delim)
		}
		if !clash {
			break
		}
		delim = "TAGBUMP_EOF_" + strconv.Itoa(i)
	}
	var b bytes.Buffer
	for _, kv := range outs {
		fmt.Fprintf(&b, "%s<<%s\n%s\n%s\n", kv[0], delim, kv[1], delim)
	}
	return b.Bytes()
}

// githubSummary renders r as markdown for the job summary.
func githubSummary(r Result) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "### tagbump: %s\n\n", mdText(r.outcome()))
	if len(r.Files) == 0 {
		b.WriteString("No values file changed.\n\n")
	} else {
		b.WriteString("| File | Key | Old | New |\n| --- | --- | --- | --- |\n")
		for _, f := range r.Files {
			fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", mdCode(f.File), mdCode(f.Key), mdCode(f.Old), mdCode(f.New))
		}
		b.WriteString("\n")
	}
	rows := [][2]string{
		{"Image", r.Image}, {"Digest", r.Digest}, {"Repository", address.Redact(r.Repo)},
		{"Branch", r.Branch}, {"Commit", r.Commit}, {"Pull request", r.PRURL}, {"Pull request action", r.PRAction},
	}
	head := false
	for _, row := range rows {
		if row[1] == "" {
			continue
		}
		if !head {
			b.WriteString("| | |\n| --- | --- |\n")
			head = true
		}
		fmt.Fprintf(&b, "| %s | %s |\n", row[0], mdCode(row[1]))
	}
	if head {
		b.WriteString("\n")
	}
	return b.Bytes()
}

// mdText and mdCode write values into the job summary as the pull request
// body does (see pkg/markdown): as plain text, or as a code span that stays
// in its table cell.
var (
	mdText = markdown.Text
	mdCode = markdown.Code
)

// appendFile appends data to path in a single write.
func appendFile(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// writeDotenv replaces path with the outputs as TAGBUMP_RESULT_NAME=value
// lines.
func writeDotenv(path string, outs [][2]string, red *Redactor) error {
	var b bytes.Buffer
	for _, kv := range outs {
		if strings.ContainsAny(kv[1], "\r\n") {
			return fmt.Errorf("write dotenv %s: value of %s has a line break, which dotenv cannot hold", path, kv[0])
		}
		fmt.Fprintf(&b, "TAGBUMP_RESULT_%s=%s\n", strings.ToUpper(kv[0]), red.String(kv[1]))
	}
	if err := atomicfile.Write(path, &b, 0o644); err != nil {
		return fmt.Errorf("write dotenv: %w", err)
	}
	return nil
}
