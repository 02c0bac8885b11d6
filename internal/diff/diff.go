// Package diff writes unified diffs for tagbump's dry runs.
package diff

import (
	"bytes"
	"fmt"
	"strings"
)

// context is the number of unchanged lines shown around a change.
const context = 3

// Unified returns the unified diff that turns a into b, with the headers
// "--- from" and "+++ to" and three lines of context, or "" when a and b
// are equal. It emits one hunk spanning everything between the common
// leading and trailing lines: minimal for changes confined to one place,
// such as an edit by values.Set, and a correct (if larger) diff otherwise.
// It runs in linear time, so it suits files of any size.
func Unified(from, to string, a, b []byte) string {
	if bytes.Equal(a, b) {
		return ""
	}
	la, lb := lines(a), lines(b)
	pre := 0
	for pre < len(la) && pre < len(lb) && la[pre] == lb[pre] {
		pre++
	}
	suf := 0
	for suf < len(la)-pre && suf < len(lb)-pre && la[len(la)-1-suf] == lb[len(lb)-1-suf] {
		suf++
	}
	start := max(0, pre-context)
	endA := min(len(la), len(la)-suf+context)
	endB := min(len(lb), len(lb)-suf+context)
	var w strings.Builder
	fmt.Fprintf(&w, "--- %s\n+++ %s\n@@ -%s +%s @@\n", from, to, span(start, endA-start), span(start, endB-start))
	put := func(prefix byte, l string) {
		w.WriteByte(prefix)
		w.WriteString(l)
		if !strings.HasSuffix(l, "\n") {
			w.WriteString("\n\\ No newline at end of file\n")
		}
	}
	for _, l := range la[start:pre] {
		put(' ', l)
	}
	for _, l := range la[pre : len(la)-suf] {
		put('-', l)
	}
	for _, l := range lb[pre : len(lb)-suf] {
		put('+', l)
	}
	for _, l := range la[len(la)-suf : endA] {
		put(' ', l)
	}
	return w.String()
}

// lines splits s after each newline; the last line may lack one.
func lines(s []byte) []string {
	var out []string
	for len(s) > 0 {
		i := bytes.IndexByte(s, '\n') + 1
		if i == 0 {
			i = len(s)
		}
		out = append(out, string(s[:i]))
		s = s[i:]
	}
	return out
}

// span formats a hunk range: first line (1-based) and count, where an empty
// range names the line before it.
func span(start, count int) string {
	switch count {
	case 0:
		return fmt.Sprintf("%d,0", start)
	case 1:
		return fmt.Sprintf("%d", start+1)
	}
	return fmt.Sprintf("%d,%d", start+1, count)
}
