package gitrepo

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// ErrBadName means a path or branch name is one git itself refuses (see
// CheckPath and CheckBranch); errors of type *NameError match it.
var ErrBadName = errors.New("a name git refuses")

// NameError is a path or branch name that git refuses.
type NameError struct {
	// Kind is "path" or "branch".
	Kind string
	// Name is the name as given.
	Name string
	// Reason says what git refuses in it and what to do instead.
	Reason string
}

func (e *NameError) Error() string { return fmt.Sprintf("%s %q: %s", e.Kind, e.Name, e.Reason) }

// Is makes errors.Is(err, ErrBadName) true.
func (e *NameError) Is(target error) bool { return target == ErrBadName }

// CheckPath returns a *NameError when p is not a path git would put in a
// tree or the index on every system: it must be relative and
// slash-separated, without empty, "." or ".." components, backslashes or
// NUL, and no component may be git's own directory as git's verify_path
// recognises it with core.protectNTFS and core.protectHFS on: ".git" in
// any case, with trailing dots or spaces (".git.", ".GIT ") or an NTFS
// stream name (".git::$INDEX_ALLOCATION"), its NTFS short name ("GIT~1"),
// or with code points that HFS+ ignores (".g\u200cit").
// ".gitmodules" and its kin are refused by git only as symlinks, so a
// regular file may have those names.
func CheckPath(p string) error {
	reason := ""
	switch {
	case p == "":
		reason = "is empty"
	case strings.HasPrefix(p, "/"):
		reason = "is absolute"
	case strings.ContainsAny(p, "\\\x00"):
		reason = "holds a backslash or NUL"
	}
	for el := range strings.SplitSeq(p, "/") {
		if reason != "" {
			break
		}
		switch {
		case el == "":
			reason = "has an empty component (a leading, trailing or double slash)"
		case el == "." || el == "..":
			reason = fmt.Sprintf("has a %q component", el)
		case isDotGit(el):
			reason = fmt.Sprintf("has the component %q, which git, Windows or macOS read as .git, git's own directory", el)
		}
	}
	if reason == "" {
		return nil
	}
	return &NameError{Kind: "path", Name: p, Reason: reason + ": must be a relative, slash-separated path to a file in the repository, outside .git, e.g. app/values-staging.yaml"}
}

// isDotGit reports whether a path component names .git on some file
// system git protects, as git's checks do: verify_dotfile (".git" in any
// ASCII case), is_ntfs_dotgit and is_hfs_dotgit.
func isDotGit(el string) bool {
	return ntfsDotGit(el) || hfsDotGit(el)
}

// ntfsDotGit reports whether NTFS reads el as .git: ".git" or its short
// name "git~1", in any ASCII case, followed by nothing but dots and spaces
// (which NTFS drops) up to the end or a ":" (an alternate data stream).
func ntfsDotGit(el string) bool {
	var rest string
	switch {
	case len(el) >= 4 && asciiEqualFold(el[:4], ".git"):
		rest = el[4:]
	case len(el) >= 5 && asciiEqualFold(el[:5], "git~1"):
		rest = el[5:]
	default:
		return false
	}
	for i := range len(rest) {
		switch rest[i] {
		case ':':
			return true
		case '.', ' ':
		default:
			return false
		}
	}
	return true
}

// hfsDotGit reports whether HFS+ reads el as .git: ".git" in any ASCII
// case once the code points HFS+ ignores are dropped. Like git, it takes
// bytes that are not UTF-8 (and U+FFFE, U+FFFF) as the end of the name.
func hfsDotGit(el string) bool {
	var kept []byte
	for len(el) > 0 {
		c, n := utf8.DecodeRuneInString(el)
		el = el[n:]
		switch {
		case c == utf8.RuneError && n == 1, c == 0xfffe, c == 0xffff:
			el = ""
		case hfsIgnorable(c):
		case len(kept) == 4 || c >= utf8.RuneSelf:
			return false
		default:
			kept = append(kept, byte(c))
		}
	}
	return asciiEqualFold(string(kept), ".git")
}

// hfsIgnorable reports whether HFS+ drops c from file names when it
// compares them, as git's next_hfs_char lists them.
func hfsIgnorable(c rune) bool {
	switch {
	case c >= 0x200c && c <= 0x200f, // zero-width non-joiner and joiner, left-to-right and right-to-left marks
		c >= 0x202a && c <= 0x202e, // directional embeddings and overrides
		c >= 0x206a && c <= 0x206f, // deprecated format characters
		c == 0xfeff:                // zero-width no-break space (byte order mark)
		return true
	}
	return false
}

// asciiEqualFold is strings.EqualFold for ASCII letters only, as git
// compares these names: no Unicode case folding.
func asciiEqualFold(s, t string) bool {
	if len(s) != len(t) {
		return false
	}
	for i := range len(s) {
		a, b := s[i], t[i]
		if 'A' <= a && a <= 'Z' {
			a += 'a' - 'A'
		}
		if 'A' <= b && b <= 'Z' {
			b += 'a' - 'A'
		}
		if a != b {
			return false
		}
	}
	return true
}

// CheckBranch returns a *NameError when name is not a branch name git
// accepts (git check-ref-format --branch): no component may be empty,
// start with "." or end with ".lock"; no "..", "@{", control character,
// space, "~", "^", ":", "?", "*", "[" or backslash; no leading "-" and no
// trailing "."; not "HEAD", nor "@" (which git check-ref-format --branch
// reads as HEAD).
func CheckBranch(name string) error {
	reason := ""
	switch {
	case name == "":
		reason = "is empty"
	case name == "@" || name == "HEAD":
		reason = "is what git reads as the checked-out commit"
	case strings.HasPrefix(name, "-"):
		reason = `starts with "-"`
	case strings.HasSuffix(name, "."):
		reason = `ends with "."`
	case strings.Contains(name, ".."):
		reason = `holds ".."`
	case strings.Contains(name, "@{"):
		reason = `holds "@{"`
	case strings.ContainsFunc(name, func(c rune) bool { return c < 0x20 || c == 0x7f || strings.ContainsRune(" ~^:?*[\\", c) }):
		reason = `holds a control character, a space or one of ~ ^ : ? * [ \`
	}
	for el := range strings.SplitSeq(name, "/") {
		if reason != "" {
			break
		}
		switch {
		case el == "":
			reason = "has an empty component (a leading, trailing or double slash)"
		case strings.HasPrefix(el, "."):
			reason = fmt.Sprintf("has the component %q, which starts with \".\"", el)
		case strings.HasSuffix(el, ".lock"):
			reason = fmt.Sprintf("has the component %q, which ends with \".lock\"", el)
		}
	}
	if reason == "" {
		return nil
	}
	return &NameError{Kind: "branch", Name: name, Reason: reason + ": git refuses it as a branch name (see git check-ref-format); name a branch git accepts, e.g. main or release/1.2"}
}
