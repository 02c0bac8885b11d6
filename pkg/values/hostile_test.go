package values

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/tagbump/tagbump/internal/benchdata"
	"go.yaml.in/yaml/v3"
)

// maxFileSize is the default --max-file-size (gitrepo.DefaultMaxFileSize).
const maxFileSize = 2 << 20

// TestHostileShapes reads each hostile shape just under the default size
// cap with Get, Set and FindImages: each is refused with ErrTooLarge before
// it is parsed, or read and edited as any other file. A shape that took
// gigabytes or hours would fail (or time out) here; timings are in
// BenchmarkHostile and scripts/bench-memory.
func TestHostileShapes(t *testing.T) {
	refused := map[string]bool{
		benchdata.FlowSequence: true, benchdata.BlockSequence: true, benchdata.FlowMapping: true,
		benchdata.BlockMapping: true, benchdata.Nested: true, benchdata.AliasLaughs: true,
	}
	for _, shape := range benchdata.HostileShapes {
		t.Run(shape, func(t *testing.T) {
			src, err := benchdata.Hostile(shape, maxFileSize-1024)
			if err != nil {
				t.Fatal(err)
			}
			out, err := Set(src, benchdata.TagPath, "v2.0.0")
			_, gerr := Get(src, ".app.image.nope")
			_, ferr := FindImages(src)
			if refused[shape] {
				for _, err := range []error{err, gerr, ferr} {
					var e *Error
					if !errors.As(err, &e) || !errors.Is(err, ErrTooLarge) || !strings.Contains(e.Reason, fmt.Sprintf("limit of %d", MaxNodes)) ||
						!strings.Contains(e.Reason, "split it") {
						t.Fatalf("got %v, want ErrTooLarge naming the limit and the fix", err)
					}
				}
				return
			}
			if err != nil || ferr != nil {
				t.Fatalf("Set: %v; FindImages: %v", err, ferr)
			}
			if v, err := Get(out, benchdata.TagPath); v != "v2.0.0" || err != nil {
				t.Fatalf("Get after Set = %q, %v", v, err)
			}
			if !errors.Is(gerr, ErrNotFound) {
				t.Fatalf("Get of a missing key: %v, want ErrNotFound", gerr)
			}
		})
	}
}

// TestMergeLaughs looks up missing keys through the billion laughs of
// merge keys: each merged mapping is searched once, not 10^10 times.
func TestMergeLaughs(t *testing.T) {
	src, err := benchdata.Hostile(benchdata.MergeLaughs, 4096)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{".app.image.nope", ".app.image.digest", ".l10.nope"} {
		if _, err := Get(src, p); !errors.Is(err, ErrNotFound) {
			t.Errorf("Get(%s): %v, want ErrNotFound", p, err)
		}
	}
	if v, err := Get(src, ".app.image.x"); v != "1" || err != nil {
		t.Errorf("Get(.app.image.x) = %q, %v; want the merged 1", v, err)
	}
}

// TestSharedByIsCapped sets a value that a thousand aliases read deep in
// the file: SetShared names the first maxShared paths and counts the rest,
// instead of building a path for each.
func TestSharedByIsCapped(t *testing.T) {
	deep := strings.Repeat("[", 500) + strings.TrimSuffix(strings.Repeat("*a,", 1000), ",") + strings.Repeat("]", 500)
	src := []byte("a: &a\n  image: {repository: x, tag: v1}\nb: " + deep + "\n")
	out, also, err := SetShared(src, ".a.image.tag", "v2")
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := Get(out, ".a.image.tag"); v != "v2" {
		t.Fatalf("tag = %q", v)
	}
	if len(also) != maxShared+1 || also[maxShared] != "and 980 more" {
		t.Fatalf("SetShared named %d paths, last %q; want %d and \"and 980 more\"", len(also), also[len(also)-1], maxShared+1)
	}
	if want := ".b" + strings.Repeat("[0]", 500) + ".image.tag via *a"; also[0] != want {
		t.Errorf("first path %q, want %q", also[0], want)
	}
}

// FuzzCountNodes checks that CountNodes is an upper bound of the nodes
// yaml.v3 makes of any input it parses: MaxNodes then bounds the memory of
// the parse.
func FuzzCountNodes(f *testing.F) {
	for _, s := range []string{"{a,b,c}", "[a: b, c]", "- - - a\n-\n", "? a\n? b\n: c\n", "---\n---\n...\n", "a: &x b\nc: *x\n",
		"{a: [b, {c}], d}", "a:\r b: c\r", "'a,b' : \"c: d\"\n", "a: |\n  - x\n  - y\n"} {
		f.Add([]byte(s))
	}
	for _, shape := range benchdata.HostileShapes {
		src, err := benchdata.Hostile(shape, 1024)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(src)
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		nodes := 0
		func() {
			defer func() { _ = recover() }() // yaml.v3 panics on some inputs; parse recovers
			dec := yaml.NewDecoder(strings.NewReader(string(src)))
			for {
				var n yaml.Node
				if err := dec.Decode(&n); err != nil {
					return
				}
				nodes += count(&n)
			}
		}()
		if bound := CountNodes(src); nodes > bound {
			t.Fatalf("yaml.v3 made %d nodes of %q, CountNodes says at most %d", nodes, src, bound)
		}
	})
}

func count(n *yaml.Node) int {
	c := 1
	for _, x := range n.Content {
		c += count(x)
	}
	return c
}
