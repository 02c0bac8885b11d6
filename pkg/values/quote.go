package values

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// checkValue refuses values no YAML scalar on one line can hold faithfully.
func checkValue(v string) *Error {
	if !utf8.ValidString(v) {
		return &Error{Op: "set", Kind: ErrInvalid, Reason: "the value is not valid UTF-8"}
	}
	return nil
}

func replaceAll(s, old, new string) string { return strings.ReplaceAll(s, old, new) }

// printable reports whether r may appear unescaped in a quoted scalar: YAML's
// printable set, minus the characters yaml.v3 treats as line breaks and BOM.
func printable(r rune) bool {
	switch {
	case r == '\t':
		return true
	case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
		return false
	case r == 0x2028 || r == 0x2029 || r == 0xfeff || r == utf8.RuneError:
		return false
	case r >= 0xd800 && r <= 0xdfff, r == 0xfffe, r == 0xffff:
		return false
	}
	return true
}

// singleOK reports whether v fits in a single-quoted scalar on one line.
func singleOK(v string) bool {
	for _, r := range v {
		if !printable(r) || r == '\t' {
			return false
		}
	}
	return !strings.HasPrefix(v, " ") && !strings.HasSuffix(v, " ")
}

// doubleQuote returns v as a double-quoted scalar.
func doubleQuote(v string) []byte {
	b := make([]byte, 0, len(v)+2)
	b = append(b, '"')
	for _, r := range v {
		switch r {
		case '"':
			b = append(b, `\"`...)
		case '\\':
			b = append(b, `\\`...)
		case '\n':
			b = append(b, `\n`...)
		case '\t':
			b = append(b, `\t`...)
		case '\r':
			b = append(b, `\r`...)
		case 0:
			b = append(b, `\0`...)
		default:
			switch {
			case printable(r):
				b = utf8.AppendRune(b, r)
			case r <= 0xff:
				b = fmt.Appendf(b, `\x%02X`, r)
			case r <= 0xffff:
				b = fmt.Appendf(b, `\u%04X`, r)
			default:
				b = fmt.Appendf(b, `\U%08X`, r)
			}
		}
	}
	return append(b, '"')
}

// plainOK reports whether v can be written as a plain scalar on one line
// (in a flow collection when flow is true) and read back as the same string
// under YAML 1.2 and YAML 1.1.
func plainOK(v string, flow bool) bool {
	if v == "" || v[0] == ' ' || v[len(v)-1] == ' ' || v[len(v)-1] == ':' {
		return false
	}
	if strings.ContainsRune("-?:,[]{}#&*!|>'\"%@`", rune(v[0])) {
		return false
	}
	if strings.Contains(v, ": ") || strings.Contains(v, " #") ||
		strings.HasPrefix(v, "---") || strings.HasPrefix(v, "...") {
		return false
	}
	if flow && strings.ContainsAny(v, ",[]{}:") {
		return false
	}
	for _, r := range v {
		if !printable(r) || r == '\t' {
			return false
		}
	}
	if !plainString12(v) {
		return false
	}
	return plainString11(v)
}

// plainString12 reports whether the plain scalar v reads as the string v
// under YAML 1.2, as yaml.v3 resolves it.
func plainString12(v string) bool {
	var n yaml.Node
	if err := yaml.Unmarshal([]byte("k: "+v+"\n"), &n); err != nil {
		return false
	}
	if len(n.Content) != 1 || len(n.Content[0].Content) != 2 {
		return false
	}
	s := n.Content[0].Content[1]
	return s.Kind == yaml.ScalarNode && s.ShortTag() == "!!str" && s.Value == v
}

// YAML 1.1 implicit types (yaml.org/type), which Helm applies to values files.
// The float pattern allows one dot only, as real YAML 1.1 parsers do (the
// spec's [0-9.]* would make 1.2.3 a float, which none of them reads so).
var yaml11 = regexp.MustCompile(`^(?:` +
	`y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF` + // bool
	`|~|null|Null|NULL` + // null
	`|<<|=` + // merge, value
	`|[-+]?0b[01_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+` + // int
	`|[-+]?(?:[0-9][0-9_]*)?\.[0-9_]*(?:[eE][-+]?[0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*` + // float
	`|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)` +
	`)$`)

// timestamp matches a YAML 1.1 timestamp.
var timestamp = regexp.MustCompile(`^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}` +
	`(?:(?:[Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9]{1,2}(?::[0-9]{2})?))?)?$`)

// plainString11 reports whether the plain scalar v reads as a string under
// YAML 1.1 and under the go-yaml v2 resolver Helm uses, which also accepts
// Go number syntax (0o17, 0X1F, 1e3, inf).
func plainString11(v string) bool {
	if yaml11.MatchString(v) || timestamp.MatchString(v) {
		return false
	}
	u := strings.ReplaceAll(v, "_", "")
	if _, err := strconv.ParseInt(u, 0, 64); err == nil {
		return false
	}
	if _, err := strconv.ParseUint(u, 0, 64); err == nil {
		return false
	}
	if _, err := strconv.ParseFloat(u, 64); err == nil || isRangeErr(err) {
		return false
	}
	return true
}

func isRangeErr(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}
