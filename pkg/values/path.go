package values

import (
	"strconv"
	"strings"
)

// Segment is one step of a Path: a mapping key, or a sequence index when
// IsIndex is true.
type Segment struct {
	Key     string
	Index   int
	IsIndex bool
}

// Path is a parsed yq simple path such as .image.tag or .workers[1].image.
// The empty Path is the document root.
type Path []Segment

// ParsePath parses yq's simple path syntax: .image.tag, .workers[1].image.tag,
// .["app.kubernetes.io/name"] (also with single quotes). The leading dot is
// optional and "." alone is the document root. Negative indexes count from
// the end of a sequence.
func ParsePath(path string) (Path, error) {
	p := Path{}
	s := path
	if s == "" {
		return nil, pathErr(path, "the path is empty: use .key.sub or .list[0].key")
	}
	if s == "." {
		return p, nil
	}
	first := true
	for len(s) > 0 {
		dot := false
		if s[0] == '.' {
			dot = true
			s = s[1:]
			if s == "" {
				return nil, pathErr(path, "the path ends with a dot: remove it or add a key")
			}
		} else if !first && s[0] != '[' {
			return nil, pathErr(path, "expected . or [ before "+strconv.Quote(s))
		}
		first = false
		switch {
		case s[0] == '[':
			end := strings.IndexByte(s, ']')
			inner := ""
			if end >= 0 {
				inner = s[1:end]
			}
			if len(inner) > 0 && (inner[0] == '"' || inner[0] == '\'') {
				key, rest, err := quotedKey(s[1:], inner[0])
				if err != nil {
					return nil, pathErr(path, err.Error())
				}
				if rest == "" || rest[0] != ']' {
					return nil, pathErr(path, "a quoted key in [ ] must be followed by ]")
				}
				p = append(p, Segment{Key: key})
				s = rest[1:]
				continue
			}
			if end < 0 {
				return nil, pathErr(path, "a [ has no matching ]")
			}
			n, err := strconv.Atoi(inner)
			if err != nil || inner == "" || inner[0] == '+' || (len(inner) > 1 && inner[0] == '0') {
				return nil, pathErr(path, "["+inner+"] is not an index: use [0], [1], ... or [\"key\"]")
			}
			p = append(p, Segment{Index: n, IsIndex: true})
			s = s[end+1:]
		case s[0] == '"' || s[0] == '\'':
			key, rest, err := quotedKey(s, s[0])
			if err != nil {
				return nil, pathErr(path, err.Error())
			}
			p = append(p, Segment{Key: key})
			s = rest
		default:
			if !dot && len(p) > 0 {
				return nil, pathErr(path, "expected . or [")
			}
			i := 0
			for i < len(s) && plainKeyByte(s[i]) {
				i++
			}
			if i == 0 {
				return nil, pathErr(path, "unexpected "+strconv.Quote(s[:1])+": quote such keys as .[\"key\"]")
			}
			p = append(p, Segment{Key: s[:i]})
			s = s[i:]
		}
	}
	return p, nil
}

// plainKeyByte reports whether b may appear in an unquoted path key.
func plainKeyByte(b byte) bool {
	switch b {
	case '.', '[', ']', '"', '\'', ' ', '\t', '\n', '\r':
		return false
	}
	return b > 0x20 && b != 0x7f
}

// quotedKey reads a key quoted with q at the start of s and returns it and
// the rest of s. Inside double quotes \" and \\ are escapes; inside single
// quotes ” is a quote.
func quotedKey(s string, q byte) (string, string, error) {
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		c := s[i]
		switch {
		case q == '"' && c == '\\':
			if i+1 >= len(s) || (s[i+1] != '"' && s[i+1] != '\\') {
				return "", "", errString(`only \" and \\ are escapes in a quoted key`)
			}
			i++
			b.WriteByte(s[i])
		case c == q && q == '\'' && i+1 < len(s) && s[i+1] == '\'':
			i++
			b.WriteByte('\'')
		case c == q:
			return b.String(), s[i+1:], nil
		default:
			b.WriteByte(c)
		}
	}
	return "", "", errString("a quoted key has no closing quote")
}

type errString string

func (e errString) Error() string { return string(e) }

// String returns the path in the syntax ParsePath reads, so that
// ParsePath(p.String()) equals p.
func (p Path) String() string {
	if len(p) == 0 {
		return "."
	}
	var b strings.Builder
	for _, s := range p {
		if s.IsIndex {
			b.WriteString("[" + strconv.Itoa(s.Index) + "]")
			continue
		}
		plain := s.Key != ""
		for i := 0; i < len(s.Key) && plain; i++ {
			plain = plainKeyByte(s.Key[i])
		}
		if plain {
			b.WriteString("." + s.Key)
			continue
		}
		b.WriteString(`.["`)
		b.WriteString(strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s.Key))
		b.WriteString(`"]`)
	}
	return b.String()
}

// child returns p extended by seg, without sharing p's backing array.
func (p Path) child(seg Segment) Path {
	q := make(Path, len(p), len(p)+1)
	copy(q, p)
	return append(q, seg)
}

// push returns p with seg appended, in p's own array when it has room: a
// walk that passes push's result down builds its paths on one stack, in
// memory of the order of the depth instead of the number of nodes times
// the depth. A pushed Path is valid until the next push on p.
func (p Path) push(seg Segment) Path { return append(p, seg) }
