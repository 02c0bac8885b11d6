// Package markdown writes values that come from files, flags or the
// environment (a tag a values file holds, a --key, a chart name) into
// markdown that a Git host or a CI system renders: pull request bodies and
// titles, job summaries. Whatever a value holds, it reads as the text it
// is: it cannot end its table cell or its line, leave a code span, or
// become HTML, a link, an image, emphasis or a mention.
package markdown

import (
	"net/url"
	"strings"
)

// zwsp is the zero-width space that follows every '@', so that "@team"
// mentions no one on GitHub, GitLab, Gitea, Bitbucket or Azure DevOps (their
// mentions are '@' directly followed by a name) and reads the same.
const zwsp = "\u200b"

// oneLine replaces every character that ends a line in markdown, in a CI
// log or in a terminal (CR, LF, NEL, U+2028, U+2029), and every other
// control character but tab, with a space.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r != '\t' && control(r) {
			return ' '
		}
		return r
	}, s)
}

// control reports whether r is a control character or ends a line.
func control(r rune) bool {
	return r < 0x20 || r == 0x7f || r == 0x85 || r == '\u2028' || r == '\u2029'
}

// Code renders s as a code span that stays one span, on one line, inside a
// table cell: line breaks become spaces, '|' is escaped (GFM tables split
// cells before they read code spans), and the fence is longer than any
// run of backticks in s. Inside a code span nothing else is read as
// markdown or HTML. "" stays "".
func Code(s string) string {
	if s == "" {
		return ""
	}
	s = strings.ReplaceAll(oneLine(s), "|", `\|`)
	// A code span ends at the first backtick run as long as its fence:
	// make the fence longer than any run in s.
	longest, run := 0, 0
	for _, r := range s {
		if r == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	if longest == 0 {
		return "`" + s + "`"
	}
	fence := strings.Repeat("`", longest+1)
	return fence + " " + s + " " + fence
}

// text escapes what markdown and HTML read in running text.
var text = strings.NewReplacer(
	`\`, `\\`, "`", "\\`", "|", `\|`, "*", `\*`, "_", `\_`, "~", `\~`,
	"[", `\[`, "]", `\]`, "!", `\!`, "#", `\#`,
	"<", "&lt;", ">", "&gt;", "&", "&amp;",
	"@", "@"+zwsp,
)

// Text renders s as plain text on one line, also inside a table cell: line
// breaks become spaces, markdown's punctuation is backslash-escaped, '<',
// '>' and '&' become entities, and '@' is followed by a zero-width space so
// that it mentions no one. Inside a code span the escapes would show: use
// Code there.
func Text(s string) string { return text.Replace(oneLine(s)) }

// Line renders s for a one-line plain-text field, a pull request's title:
// line breaks become spaces and '@' is followed by a zero-width space.
// Hosts show a title as text (GitHub reads code spans in it, nothing else),
// so nothing else is escaped.
func Line(s string) string { return strings.ReplaceAll(oneLine(s), "@", "@"+zwsp) }

// URL renders an http(s) URL as an autolink (<https://…>), and anything
// else, or a URL holding characters an autolink cannot (space, '<', '>',
// control characters), with Code.
func URL(s string) string {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		strings.ContainsFunc(s, func(r rune) bool { return r == ' ' || r == '<' || r == '>' || control(r) }) {
		return Code(s)
	}
	return "<" + s + ">"
}
