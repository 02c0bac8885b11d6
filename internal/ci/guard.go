package ci

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Guard returns w wrapped so that text written through it cannot be taken
// for a workflow command by e's CI system; write tagbump's own commands to
// the unwrapped writer. Outside GitHub Actions and Azure Pipelines it
// returns w itself.
//
// The runners read commands from a step's stdout and stderr, and what
// tagbump prints there includes text from the charts repository (the diff
// of a dry run, values in error messages and logs). The Azure Pipelines
// agent acts on "##vso[" anywhere in a line; the GitHub runner on a line
// that starts with "::" after leading white space, and on its older "##["
// form anywhere in a line; it ends a line at a carriage return as well as
// at a newline, so a line starts after either. Both match with .NET's
// culture-aware string search, which skips ignorable characters such as
// U+200B. Guard writes
// the '[' of "##[" and "##vso[", the first ':' of a line that starts with
// "::", and every format and control character other than tab, carriage
// return and newline, as \uXXXX escapes. The escapes keep JSON output
// valid and its values unchanged, and read as escapes in text.
//
// Guard remembers the position in the line and the last bytes written, so
// a pattern split across writes is caught too.
func (e Env) Guard(w io.Writer) io.Writer {
	if e.System != GitHub && e.System != Azure {
		return w
	}
	return &guard{w: w, lineStart: true}
}

// guard is the writer that Guard returns.
type guard struct {
	w io.Writer
	// lineStart is true while only white space has been written since the
	// last newline or carriage return.
	lineStart bool
	// tail holds the last bytes written, to catch "##" + "[" across writes.
	tail string
}

func (g *guard) Write(p []byte) (int, error) {
	var b bytes.Buffer
	b.Grow(len(p))
	for i := 0; i < len(p); {
		r, n := utf8.DecodeRune(p[i:])
		switch {
		case r == '\n' || r == '\r':
			// The GitHub runner reads a step's output with .NET's
			// StreamReader.ReadLine, which ends a line at CR as at LF.
			g.lineStart = true
			b.WriteByte(byte(r))
		case g.lineStart && r != utf8.RuneError && unicode.IsSpace(r):
			b.Write(p[i : i+n])
		case g.lineStart && r == ':' && (i+1 == len(p) || p[i+1] == ':'):
			// A ':' that ends the write may meet its second ':' in the next.
			g.lineStart = false
			b.WriteString(`\u003a`)
		case r == '[' && opensCommand(g.tail+b.String()):
			g.lineStart = false
			b.WriteString(`\u005b`)
		case r != '\t' && r != '\r' && (unicode.Is(unicode.Cf, r) || unicode.IsControl(r)):
			g.lineStart = false
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			g.lineStart = false
			b.Write(p[i : i+n])
		}
		i += n
	}
	out := b.Bytes()
	g.tail = keepTail(g.tail + string(out))
	if _, err := g.w.Write(out); err != nil {
		return 0, err
	}
	return len(p), nil
}

// opensCommand reports whether a '[' written after s would complete "##["
// or "##vso[".
func opensCommand(s string) bool {
	return strings.HasSuffix(s, "##") || strings.HasSuffix(s, "##vso")
}

// keepTail returns the last few bytes of s that opensCommand needs.
func keepTail(s string) string {
	if len(s) > len("##vso") {
		return s[len(s)-len("##vso"):]
	}
	return s
}
