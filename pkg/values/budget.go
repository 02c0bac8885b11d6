package values

import "fmt"

// MaxNodes is the most YAML nodes (keys, values, items, collections,
// aliases) a file may have, by the count of estimateNodes, for Get, Set and
// FindImages to read it. yaml.v3 has no limit of its own and builds the
// whole tree, about 150 bytes a node before the parser's own garbage, so a
// few megabytes of "[a,a,a,...]" would take gigabytes. The largest public
// values files have under 4,000 nodes (kube-prometheus-stack's values.yaml,
// 207 KB: 3,405) and count under 8,000 here; a file of real values as large
// as tagbump's size limit (2 MiB, gitrepo.DefaultMaxFileSize) counts about
// 98,000. At the limit, the worst shape (a flow mapping) takes a whole
// `tagbump set` about 90 MB and 2 s.
const MaxNodes = 200_000

// CountNodes returns the count of src's YAML nodes that MaxNodes limits:
// an upper bound of the nodes yaml.v3 makes of src, computed without
// parsing it.
func CountNodes(src []byte) int { return estimateNodes(src) }

// budget refuses src, before yaml.v3 parses it, when estimateNodes counts
// more than MaxNodes.
func budget(src []byte, op, path string) *Error {
	if n := estimateNodes(src); n > MaxNodes {
		return &Error{Op: op, Path: path, Kind: ErrTooLarge,
			Reason: fmt.Sprintf("the file has up to %d YAML nodes (keys, values, list items), more than tagbump's limit of %d "+
				"(real values files have a few thousand): split it into several values files, which Helm reads in order, "+
				"or edit it by hand", n, MaxNodes)}
	}
	return nil
}

// estimateNodes returns an upper bound of the nodes yaml.v3 makes of src,
// in one pass and without allocating. Every node yaml.v3 makes is a
// document, or starts a line, or follows one of the indicators , [ { : - ?
// or is an alias (*): a node that is none of these would have to share a
// line with another node with no indicator between them, which YAML does
// not allow. A key or an item without a value adds an empty node, one more
// per indicator at most; hence two per line and per indicator. It counts
// indicators inside quoted and block scalars too (bounds stay bounds), but
// skips comment lines, which hold no nodes in any context.
func estimateNodes(src []byte) int {
	n := 1 // the document
	lineStart := true
	for i := 0; i < len(src); i++ {
		switch c := src[i]; c {
		case '\n', '\r':
			lineStart = true
		case ' ', '\t':
		case '#':
			if lineStart {
				for i+1 < len(src) && src[i+1] != '\n' && src[i+1] != '\r' {
					i++
				}
				continue
			}
		case ',', '[', '{', ':', '-', '?', '*':
			n++
			if lineStart {
				n, lineStart = n+1, false
			}
		default:
			if lineStart {
				n, lineStart = n+1, false
			}
		}
	}
	return 2 * n
}
