package values

import (
	"errors"
	"strings"
	"testing"
)

// TestSetVerifiesItsSplice replaces the splice with wrong ones and checks
// that Set refuses each result: the read-back verification is what stands
// between a splice bug and a corrupted values file.
func TestSetVerifiesItsSplice(t *testing.T) {
	src := []byte("a: 1 # keep\nimage:\n  tag: v1\n  pullPolicy: IfNotPresent\n")
	for _, tc := range []struct {
		name  string
		wrong func(start, end int, repl []byte) (int, int, []byte)
	}{
		{"adds a key", func(s, e int, r []byte) (int, int, []byte) { return s, e, append(r, "\n  extra: 1"...) }},
		{"writes another value", func(s, e int, r []byte) (int, int, []byte) { return s, e, []byte("v3") }},
		{"eats the next line", func(s, e int, r []byte) (int, int, []byte) { return s, len(src), r }},
		{"lands on another line", func(s, e int, r []byte) (int, int, []byte) { return 3, 4, r }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Cleanup(func() { spliceEdit = splice })
			spliceEdit = func(src []byte, h *hit, value string) (int, int, []byte, *Error) {
				s, e, r, err := splice(src, h, value)
				if err != nil {
					return s, e, r, err
				}
				s, e, r = tc.wrong(s, e, r)
				return s, e, r, nil
			}
			out, err := Set(src, ".image.tag", "v2")
			var e *Error
			if !errors.As(err, &e) || !errors.Is(err, ErrRefused) || e.Op != "set" || e.Path != ".image.tag" ||
				!strings.Contains(e.Reason, "bug in tagbump") {
				t.Fatalf("Set with a wrong splice = %q, %v; want a refusal naming the bug", out, err)
			}
		})
	}
	out, err := Set(src, ".image.tag", "v2")
	if err != nil || string(out) != "a: 1 # keep\nimage:\n  tag: v2\n  pullPolicy: IfNotPresent\n" {
		t.Fatalf("Set with the real splice = %q, %v", out, err)
	}
}

// TestVerify checks each difference verify must find between the original
// documents and an edited result.
func TestVerify(t *testing.T) {
	const src = "a: &x 1 # c\n# head\nb:\n  c: x # on c\n  d: [1, 2]\n---\ne: 2\n"
	for _, tc := range []struct {
		name, path, value, out, reason string // reason "" means accepted
	}{
		{"the edit alone", ".b.c", "v2", "a: &x 1 # c\n# head\nb:\n  c: v2 # on c\n  d: [1, 2]\n---\ne: 2\n", ""},
		{"longer value", ".b.c", "yyyy", "a: &x 1 # c\n# head\nb:\n  c: yyyy # on c\n  d: [1, 2]\n---\ne: 2\n", ""},
		{"quoted value", ".b.c", "1.10", "a: &x 1 # c\n# head\nb:\n  c: \"1.10\" # on c\n  d: [1, 2]\n---\ne: 2\n", ""},
		{"does not parse", ".b.c", "v2", "a: &x 1 # c\nb: [\n", "does not parse"},
		{"a document lost", ".b.c", "v2", "a: &x 1 # c\n# head\nb:\n  c: v2 # on c\n  d: [1, 2]\n", "1 documents instead of 2"},
		{"a key added", ".b.c", "v2", "a: &x 1 # c\n# head\nb:\n  c: v2 # on c\n  z: 0\n  d: [1, 2]\n---\ne: 2\n", "structure changes"},
		{"an item added", ".b.c", "v2", "a: &x 1 # c\n# head\nb:\n  c: v2 # on c\n  d: [1, 2, 3]\n---\ne: 2\n", "structure changes"},
		{"a line added", ".b.c", "v2", "a: &x 1 # c\n\n# head\nb:\n  c: v2 # on c\n  d: [1, 2]\n---\ne: 2\n", "structure changes"},
		{"kind changes", ".b.c", "v2", "a: &x 1 # c\n# head\nb:\n  c: v2 # on c\n  d: {1: 2}\n---\ne: 2\n", "structure changes"},
		{"target reads otherwise", ".b.c", "v2", "a: &x 1 # c\n# head\nb:\n  c: z # on c\n  d: [1, 2]\n---\ne: 2\n", "does not read back"},
		{"target not a scalar", ".b.c", "v2", "a: &x 1 # c\n# head\nb:\n  c: [v2] # on c\n  d: [1, 2]\n---\ne: 2\n", "structure changes"},
		{"target an int", ".b.c", "5", "a: &x 1 # c\n# head\nb:\n  c: 5 # on c\n  d: [1, 2]\n---\ne: 2\n", "reads as !!int"},
		{"target a YAML 1.1 bool", ".b.c", "yes", "a: &x 1 # c\n# head\nb:\n  c: yes # on c\n  d: [1, 2]\n---\ne: 2\n", "YAML 1.1"},
		{"target tagged as a string", ".b.c", "yes", "a: &x 1 # c\n# head\nb:\n  c: !!str yes # on c\n  d: [1, 2]\n---\ne: 2\n", ""},
		{"another value", ".b.c", "v2", "a: &x 2 # c\n# head\nb:\n  c: v2 # on c\n  d: [1, 2]\n---\ne: 2\n", "a value changes"},
		{"value in another document", ".b.c", "v2", "a: &x 1 # c\n# head\nb:\n  c: v2 # on c\n  d: [1, 2]\n---\ne: 3\n", "a value changes"},
		{"another style", ".b.c", "v2", "a: &x '1' # c\n# head\nb:\n  c: v2 # on c\n  d: [1, 2]\n---\ne: 2\n", "a value changes"},
		{"another tag", ".b.c", "v2", "a: &x !!str 1 # c\n# head\nb:\n  c: v2 # on c\n  d: [1, 2]\n---\ne: 2\n", "a value changes"},
		{"an anchor", ".b.c", "v2", "a: &y 1 # c\n# head\nb:\n  c: v2 # on c\n  d: [1, 2]\n---\ne: 2\n", "anchor or comment"},
		{"a line comment", ".b.c", "v2", "a: &x 1 # d\n# head\nb:\n  c: v2 # on c\n  d: [1, 2]\n---\ne: 2\n", "anchor or comment"},
		{"a head comment", ".b.c", "v2", "a: &x 1 # c\n# hat\nb:\n  c: v2 # on c\n  d: [1, 2]\n---\ne: 2\n", "anchor or comment"},
		{"the target's comment", ".b.c", "v2", "a: &x 1 # c\n# head\nb:\n  c: v2 # on d\n  d: [1, 2]\n---\ne: 2\n", "comment on the target's line"},
		{"a column", ".b.c", "v2", "a: &x 1 # c\n# head\nb:\n  c: v2 # on c\n  d:  [1, 2]\n---\ne: 2\n", "a column changes"},
		{"a column in a flow", ".b.c", "v2", "a: &x 1 # c\n# head\nb:\n  c: v2 # on c\n  d: [1,  2]\n---\ne: 2\n", "column"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			docs, err := parse([]byte(src), "set", tc.path)
			if err != nil {
				t.Fatal(err)
			}
			p, err := ParsePath(tc.path)
			if err != nil {
				t.Fatal(err)
			}
			h, err := locate(docs, p, "set", tc.path, modeWrite)
			if err != nil {
				t.Fatal(err)
			}
			verr := verify(docs, []byte(tc.out), h, tc.value)
			switch {
			case tc.reason == "" && verr != nil:
				t.Errorf("verify refused a correct edit: %v", verr)
			case tc.reason != "" && verr == nil:
				t.Errorf("verify accepted a result where %s", tc.name)
			case tc.reason != "" && (!strings.Contains(verr.Reason, tc.reason) || verr.Kind != ErrRefused):
				t.Errorf("verify: %v, want %q", verr, tc.reason)
			}
		})
	}
}
