package markdown_test

import (
	"strings"
	"testing"

	"github.com/tagbump/tagbump/pkg/markdown"
)

// injection is an old tag a values file may hold: it closes its code span
// and its table row, approves the pull request in bold in someone's name,
// loads an external image and opens a <details> block.
const injection = "1.0.0` |\r\n\n**LGTM, approved by @acme/security**\n\n![ok](https://evil.example/pixel.png)\n<details><summary>more</summary>\u2028|x|"

func TestCode(t *testing.T) {
	for in, want := range map[string]string{
		"1.2.3":                  "`1.2.3`",
		"a`b":                    "`` a`b ``",
		"x `` ![p](http://e) ``": "``` x `` ![p](http://e) `` ```",
		"a|b\nc":                 "`a\\|b c`",
		"a\rb\x00c\u2028d\te":    "`a b c d\te`",
		"":                       "",
	} {
		if got := markdown.Code(in); got != want {
			t.Errorf("Code(%q) = %q, want %q", in, got, want)
		}
	}
	got := markdown.Code(injection)
	if strings.ContainsAny(got, "\r\n\u2028") || strings.Contains(strings.ReplaceAll(got, `\|`, ""), "|") {
		t.Errorf("Code(injection) = %q: a line break or a bare '|'", got)
	}
	// The span is the whole value: its fence is longer than any backtick
	// run inside.
	if !strings.HasPrefix(got, "`` ") || !strings.HasSuffix(got, " ``") || strings.Contains(got[3:len(got)-3], "``") {
		t.Errorf("Code(injection) = %q: the fence does not hold", got)
	}
}

func TestText(t *testing.T) {
	for in, want := range map[string]string{
		"1.2.3":            "1.2.3",
		"a|b":              `a\|b`,
		"a`b`":             "a\\`b\\`",
		"**x** _y_ ~z~":    `\*\*x\*\* \_y\_ \~z\~`,
		"![i](http://e/p)": `\!\[i\](http://e/p)`,
		"<details>&amp;":   "&lt;details&gt;&amp;amp;",
		`a\|b`:             `a\\\|b`,
		"a\r\nb":           "a  b",
		"hi @acme/team":    "hi @\u200bacme/team",
		"#12":              `\#12`,
	} {
		if got := markdown.Text(in); got != want {
			t.Errorf("Text(%q) = %q, want %q", in, got, want)
		}
	}
	got := markdown.Text(injection)
	for _, bad := range []string{"\n", "\r", "\u2028", "`", "**", "@acme", "![", "<details", "](http"} {
		if strings.Contains(strings.ReplaceAll(got, `\`+bad, ""), bad) {
			t.Errorf("Text(injection) = %q holds %q unescaped", got, bad)
		}
	}
}

func TestLine(t *testing.T) {
	if got, want := markdown.Line("deploy\r\n1.0 @acme\u2028x"), "deploy  1.0 @\u200bacme x"; got != want {
		t.Errorf("Line = %q, want %q", got, want)
	}
}

func TestURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://ci.example/run/1?a=b": "<https://ci.example/run/1?a=b>",
		"https://ci.example/a b":       "`https://ci.example/a b`",
		"https://ci.example/a>b":       "`https://ci.example/a>b`",
		"javascript:alert(1)":          "`javascript:alert(1)`",
		"x\n<details>":                 "`x <details>`",
	} {
		if got := markdown.URL(in); got != want {
			t.Errorf("URL(%q) = %q, want %q", in, got, want)
		}
	}
}
