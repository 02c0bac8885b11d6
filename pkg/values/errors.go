package values

import (
	"errors"
	"fmt"
)

// Kinds of Error, for use with errors.Is.
var (
	// ErrNotFound means the path does not exist in the document.
	ErrNotFound = errors.New("not found")
	// ErrRefused means the edit is possible in principle but not safe:
	// the target is an alias, merged, anchored, duplicated, ambiguous,
	// not a scalar, or spans several lines.
	ErrRefused = errors.New("refused")
	// ErrInvalid means the input is not valid YAML or the path is not valid.
	ErrInvalid = errors.New("invalid")
	// ErrTooLarge means the file has more YAML nodes than MaxNodes: it is
	// refused before it is parsed.
	ErrTooLarge = errors.New("too large")
)

// Error is the error of Get, Set, FindImages and ParsePath. It names the
// path and, where one is known, the position of the node in the source.
type Error struct {
	Op     string // "get", "set", "find images" or "parse path"
	Path   string // the path as given, or "" when there is none
	Line   int    // 1-based line of the offending node, or 0
	Column int    // 1-based column (in characters) of that node, or 0
	Kind   error  // ErrNotFound, ErrRefused, ErrInvalid or ErrTooLarge
	Reason string // what is wrong and, where possible, how to fix it
	Err    error  // the underlying error, e.g. from the YAML parser, or nil
}

// Error returns "op path: line L:C: reason".
func (e *Error) Error() string {
	s := e.Op
	if e.Path != "" {
		s += " " + e.Path
	}
	s += ": "
	if e.Line > 0 {
		if e.Column > 0 {
			s += fmt.Sprintf("line %d:%d: ", e.Line, e.Column)
		} else {
			s += fmt.Sprintf("line %d: ", e.Line)
		}
	}
	s += e.Reason
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Is reports whether target is the Kind of e.
func (e *Error) Is(target error) bool { return target == e.Kind }

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

func pathErr(path, reason string) *Error {
	return &Error{Op: "parse path", Path: path, Kind: ErrInvalid, Reason: reason}
}
