package benchdata

import (
	"bytes"
	"fmt"
	"strings"
)

// Hostile shapes: values files built to make a YAML parser, or the code
// that walks its tree, use as much memory or time per byte as it can.
const (
	// FlowSequence is one flow sequence of one-letter items: [a,a,a,...].
	FlowSequence = "flow-sequence"
	// BlockSequence is one block sequence of empty items ("-" lines).
	BlockSequence = "block-sequence"
	// FlowMapping is one flow mapping of keys without values: {a,b,...},
	// two nodes (a key and its null) per item.
	FlowMapping = "flow-mapping"
	// BlockMapping is one block mapping of short keys without values.
	BlockMapping = "block-mapping"
	// Nested is flow sequences nested as deep as the parser allows,
	// repeated: [[[...]]],[[[...]]],...
	Nested = "nested"
	// DeepPaths is a chain of nested mappings with many aliased leaves at
	// its bottom: every node's path is long.
	DeepPaths = "deep-paths"
	// MergeLaughs is the billion laughs through merge keys: ten levels
	// of mappings that each merge the level below ten times, and the
	// image block merging the top level. A key looked up through the
	// merges without a memory of the mappings already seen visits 10^10
	// of them.
	MergeLaughs = "merge-laughs"
	// AliasLaughs is the billion laughs through plain aliases: ten levels
	// of sequences that each hold the level below ten times.
	AliasLaughs = "alias-laughs"
	// BlankLines is blank lines: few nodes, many lines for a diff.
	BlankLines = "blank-lines"
)

// HostileShapes lists every hostile shape.
var HostileShapes = []string{FlowSequence, BlockSequence, FlowMapping, BlockMapping, Nested, DeepPaths, MergeLaughs, AliasLaughs, BlankLines}

// HostileImage is the image block every hostile file ends with (MergeLaughs
// has its own): its tag is at TagPath.
const HostileImage = "app:\n  image:\n    repository: registry.example.com/app\n    tag: v1.0.0\n"

// Hostile returns a values file of the shape, about size bytes long (never
// longer), with the image block HostileImage (at TagPath) at its end.
func Hostile(shape string, size int) ([]byte, error) {
	var b bytes.Buffer
	room := size - len(HostileImage) - 64
	if room < 64 {
		return nil, fmt.Errorf("hostile %s: size %d is too small", shape, size)
	}
	// repeat writes unit until n more bytes would not fit before end.
	repeat := func(unit string, end int) {
		n := (room - b.Len() - end) / len(unit)
		if n > 0 {
			b.WriteString(strings.Repeat(unit, n))
		}
	}
	switch shape {
	case FlowSequence:
		b.WriteString("list: [a")
		repeat(",a", 2)
		b.WriteString("]\n")
	case BlockSequence:
		b.WriteString("list:\n")
		repeat("-\n", 0)
	case FlowMapping:
		b.WriteString("map: {a")
		repeat(",a", 2)
		b.WriteString("}\n")
	case BlockMapping:
		// Distinct keys: 3-character keys cover 26^3 of them, then
		// longer ones.
		b.WriteString("map:\n")
		for i := 0; b.Len()+16 < room; i++ {
			fmt.Fprintf(&b, " %s:\n", key(i))
		}
	case Nested:
		// yaml.v3 refuses nesting deeper than 10000.
		const depth = 9999
		one := "  - " + strings.Repeat("[", depth) + strings.Repeat("]", depth) + "\n"
		b.WriteString("list:\n")
		repeat(one, 0)
	case DeepPaths:
		return deepPaths(size, 500)
	case MergeLaughs:
		b.WriteString("l0: &l0 {x: 1}\n")
		for i := 1; i <= 10; i++ {
			fmt.Fprintf(&b, "l%d: &l%d {<<: [%s]}\n", i, i, strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*l%d,", i-1), 10), ","))
		}
		b.WriteString("app:\n  image:\n    <<: *l10\n    repository: registry.example.com/app\n    tag: v1.0.0\n")
		return b.Bytes(), nil
	case AliasLaughs:
		b.WriteString("l0: &l0 [a,a,a,a,a,a,a,a,a,a]\n")
		for i := 1; i <= 10; i++ {
			fmt.Fprintf(&b, "l%d: &l%d [%s]\n", i, i, strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*l%d,", i-1), 10), ","))
		}
		// Fill the rest with more aliases of the top level.
		b.WriteString("more: [*l10")
		repeat(",*l10", 2)
		b.WriteString("]\n")
	case BlankLines:
		repeat("\n", 0)
	default:
		return nil, fmt.Errorf("hostile: unknown shape %q", shape)
	}
	b.WriteString(HostileImage)
	return b.Bytes(), nil
}

// deepPaths builds DeepPaths: a chain of depth mappings, then under the
// last one an anchored leaf and a sequence of aliases of it.
func deepPaths(size, depth int) ([]byte, error) {
	var b bytes.Buffer
	for i := 0; i < depth; i++ {
		fmt.Fprintf(&b, "%s%s:\n", strings.Repeat(" ", i), key(i))
	}
	ind := strings.Repeat(" ", depth)
	fmt.Fprintf(&b, "%sx: &x 1\n%sy:\n", ind, ind)
	item := ind + "- *x\n"
	if n := (size - len(HostileImage) - b.Len()) / len(item); n > 0 {
		b.WriteString(strings.Repeat(item, n))
	}
	b.WriteString(HostileImage)
	return b.Bytes(), nil
}

// key returns a short distinct mapping key for i.
func key(i int) string {
	const letters = "abcdefghijklmnopqrstuvwxyz"
	s := ""
	for {
		s = string(letters[i%26]) + s
		i /= 26
		if i == 0 {
			return s
		}
		i--
	}
}
