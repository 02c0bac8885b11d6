package values

import (
	"bytes"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

var bom = []byte("\xEF\xBB\xBF")

// offset returns the byte offset of 1-based line and column (in runes) as
// yaml.v3 reports them, or -1 when the position is not in src.
func offset(src []byte, line, col int) int {
	pos := 0
	for l := 1; l < line; l++ {
		i := bytes.IndexByte(src[pos:], '\n')
		if i < 0 {
			return -1
		}
		pos += i + 1
	}
	if line == 1 && bytes.HasPrefix(src, bom) {
		pos += len(bom)
	}
	return column(src, pos, col)
}

// column is the offset of the 1-based column col (in runes) of the line
// that starts at pos, or -1 when the line is shorter.
func column(src []byte, pos, col int) int {
	for c := 1; c < col; c++ {
		if pos >= len(src) || src[pos] == '\n' {
			return -1
		}
		_, size := utf8.DecodeRune(src[pos:])
		pos += size
	}
	return pos
}

func refuse(n *yaml.Node, reason string) *Error {
	return &Error{Line: n.Line, Column: n.Column, Kind: ErrRefused, Reason: reason}
}

func isBreak(b byte) bool { return b == '\n' || b == '\r' }

// scalarSpan returns the byte span [start, end) of the single-line scalar n
// in src, without its anchor or tag.
func scalarSpan(src []byte, n *yaml.Node) (int, int, *Error) {
	multi := refuse(n, "the target spans several lines: tagbump edits single-line values only; "+
		"put the value on one line first")
	pos := offset(src, n.Line, n.Column)
	if pos < 0 {
		return 0, 0, refuse(n, "cannot find the value's position in the source")
	}
	// Skip properties: &anchor and !tag.
	for pos < len(src) && (src[pos] == '&' || src[pos] == '!') {
		for pos < len(src) && src[pos] != ' ' && src[pos] != '\t' && !isBreak(src[pos]) {
			pos++
		}
		for pos < len(src) && (src[pos] == ' ' || src[pos] == '\t') {
			pos++
		}
		if pos >= len(src) || isBreak(src[pos]) {
			return 0, 0, multi
		}
	}
	switch {
	case n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0:
		return 0, 0, refuse(n, "the target is a block scalar (| or >): put the value on one line first")
	case n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0:
		q := byte('"')
		if n.Style&yaml.SingleQuotedStyle != 0 {
			q = '\''
		}
		if pos >= len(src) || src[pos] != q {
			break
		}
		end := quotedEnd(src, pos, q)
		if end < 0 {
			return 0, 0, multi
		}
		return pos, end, nil
	default:
		// A single-line plain scalar is its value, byte for byte.
		end := pos + len(n.Value)
		if end > len(src) || string(src[pos:end]) != n.Value {
			return 0, 0, multi
		}
		return pos, end, nil
	}
	return 0, 0, refuse(n, "cannot find the value's quotes in the source")
}

// quotedEnd returns the offset after the quote q that closes the scalar
// opened at pos, or -1 when it does not close on the same line.
func quotedEnd(src []byte, pos int, q byte) int {
	for i := pos + 1; i < len(src); i++ {
		switch c := src[i]; {
		case isBreak(c):
			return -1
		case q == '"' && c == '\\':
			i++
			if i < len(src) && isBreak(src[i]) {
				return -1
			}
		case c == q && q == '\'' && i+1 < len(src) && src[i+1] == '\'':
			i++
		case c == q:
			return i + 1
		}
	}
	return -1
}

// isEmpty reports whether n is an implicit empty value (`key:`).
func isEmpty(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Value == "" && n.Style == 0 && n.ShortTag() == "!!null"
}

// splice returns the span of the target in src and the bytes to put there.
func splice(src []byte, h *hit, value string) (int, int, []byte, *Error) {
	n := h.node
	if isEmpty(n) {
		if h.key == nil {
			return 0, 0, nil, refuse(n, "the target is an empty item without a key: write a value there first")
		}
		_, kend, err := scalarSpan(src, h.key)
		if err != nil {
			return 0, 0, nil, err
		}
		i := kend
		for i < len(src) && (src[i] == ' ' || src[i] == '\t') {
			i++
		}
		if i >= len(src) || src[i] != ':' {
			return 0, 0, nil, refuse(n, "cannot find the ':' after the key in the source")
		}
		i++
		text := render(value, 0, h.flow)
		switch {
		case i >= len(src) || isBreak(src[i]) || (h.flow && (src[i] == ',' || src[i] == '}')):
			return i, i, append([]byte{' '}, text...), nil
		case src[i] == ' ' || src[i] == '\t':
			j := i + 1
			for j < len(src) && (src[j] == ' ' || src[j] == '\t') {
				j++
			}
			if j < len(src) && src[j] == '#' && j == i+1 {
				text = append(text, ' ')
			}
			if j >= len(src) || isBreak(src[j]) || src[j] == '#' || (h.flow && (src[j] == ',' || src[j] == '}')) {
				return i + 1, i + 1, text, nil
			}
		}
		return 0, 0, nil, refuse(n, "cannot find where the empty value is in the source")
	}
	start, end, err := scalarSpan(src, n)
	if err != nil {
		return 0, 0, nil, err
	}
	return start, end, render(value, n.Style, h.flow), nil
}

// render returns value as a YAML scalar in the given style, falling back to
// double quotes where that style cannot hold it or a plain scalar would not
// read back as the same string.
func render(value string, style yaml.Style, flow bool) []byte {
	switch {
	case style&yaml.SingleQuotedStyle != 0 && singleOK(value):
		return []byte("'" + replaceAll(value, "'", "''") + "'")
	case style&(yaml.SingleQuotedStyle|yaml.DoubleQuotedStyle) == 0 && plainOK(value, flow):
		return []byte(value)
	}
	return doubleQuote(value)
}
