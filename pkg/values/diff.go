package values

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/aymanbagabas/go-udiff"
)

// Diff returns the unified diff from old to new with three lines of
// context, labelled oldLabel and newLabel, as udiff.Unified writes it; ""
// when they are equal. When both have the same number of lines, as every
// edit of Set leaves them, it pairs the lines in order and compares them
// one by one, in time linear in their size: a general line diff of a file
// of a million lines takes seconds and hundreds of megabytes.
func Diff(oldLabel, newLabel string, old, new []byte) string {
	if bytes.Count(old, []byte("\n")) != bytes.Count(new, []byte("\n")) {
		return udiff.Unified(oldLabel, newLabel, string(old), string(new))
	}
	// Runs of changed lines, found line by line.
	type run struct{ line, lines, o, oe, n, ne int }
	var runs []run
	line, o, n := 0, 0, 0 // the current line and its starts in old and new
	for o < len(old) || n < len(new) {
		oe, ne := lineEnd(old, o), lineEnd(new, n)
		if bytes.Equal(old[o:oe], new[n:ne]) {
			o, n, line = oe, ne, line+1
			continue
		}
		r := run{line: line, o: o, n: n}
		for (o < len(old) || n < len(new)) && !bytes.Equal(old[o:oe], new[n:ne]) {
			o, n, line = oe, ne, line+1
			oe, ne = lineEnd(old, o), lineEnd(new, n)
		}
		r.lines, r.oe, r.ne = line-r.line, o, n
		runs = append(runs, r)
	}
	if len(runs) == 0 {
		return ""
	}
	const context = udiff.DefaultContextLines
	var b strings.Builder
	fmt.Fprintf(&b, "--- %s\n+++ %s\n", oldLabel, newLabel)
	for i := 0; i < len(runs); {
		// A hunk: the runs less than two contexts apart.
		j := i + 1
		for j < len(runs) && runs[j].line-(runs[j-1].line+runs[j-1].lines) <= 2*context {
			j++
		}
		first, last := runs[i], runs[j-1]
		from, before := linesBefore(old, first.o, context)
		after, to := linesAfter(old, last.oe, context)
		count := before + last.line + last.lines - first.line + after
		start := first.line - before + 1
		if count > 1 {
			fmt.Fprintf(&b, "@@ -%d,%d +%d,%d @@\n", start, count, start, count)
		} else {
			fmt.Fprintf(&b, "@@ -%d +%d @@\n", start, start)
		}
		writeLines(&b, ' ', old[from:first.o])
		for k := i; k < j; k++ {
			r := runs[k]
			if k > i {
				writeLines(&b, ' ', old[runs[k-1].oe:r.o])
			}
			writeLines(&b, '-', old[r.o:r.oe])
			writeLines(&b, '+', new[r.n:r.ne])
		}
		writeLines(&b, ' ', old[last.oe:to])
		i = j
	}
	return b.String()
}

// linesBefore returns the start of the (at most) n lines before offset i of
// b, which starts a line, and how many there are.
func linesBefore(b []byte, i, n int) (int, int) {
	k := 0
	for ; k < n && i > 0; k++ {
		i = bytes.LastIndexByte(b[:i-1], '\n') + 1
	}
	return i, k
}

// linesAfter returns how many lines (at most n) follow offset i of b, which
// starts a line, and where they end.
func linesAfter(b []byte, i, n int) (int, int) {
	k := 0
	for ; k < n && i < len(b); k++ {
		i = lineEnd(b, i)
	}
	return k, i
}

// writeLines writes each line of text with the prefix, and the marker of a
// last line without a line break as diff writes it.
func writeLines(b *strings.Builder, prefix byte, text []byte) {
	for i := 0; i < len(text); {
		e := lineEnd(text, i)
		b.WriteByte(prefix)
		b.Write(text[i:e])
		if text[e-1] != '\n' {
			b.WriteString("\n\\ No newline at end of file\n")
		}
		i = e
	}
}

// lineEnd returns the end of the line that starts at i in b: after its
// "\n", or len(b).
func lineEnd(b []byte, i int) int {
	if j := bytes.IndexByte(b[i:], '\n'); j >= 0 {
		return i + j + 1
	}
	return len(b)
}
