package values

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParsePath(t *testing.T) {
	k := func(s string) Segment { return Segment{Key: s} }
	i := func(n int) Segment { return Segment{Index: n, IsIndex: true} }
	tests := []struct {
		in   string
		want Path
		str  string
	}{
		{".image.tag", Path{k("image"), k("tag")}, ".image.tag"},
		{"image.tag", Path{k("image"), k("tag")}, ".image.tag"},
		{".workers[1].image.tag", Path{k("workers"), i(1), k("image"), k("tag")}, ".workers[1].image.tag"},
		{".workers.[1]", Path{k("workers"), i(1)}, ".workers[1]"},
		{".l[-1]", Path{k("l"), i(-1)}, ".l[-1]"},
		{`.["app.kubernetes.io/name"]`, Path{k("app.kubernetes.io/name")}, `.["app.kubernetes.io/name"]`},
		{`.labels["a.b"].c`, Path{k("labels"), k("a.b"), k("c")}, `.labels.["a.b"].c`},
		{`.'it''s'`, Path{k("it's")}, `.["it's"]`},
		{`."a\"b\\c"`, Path{k(`a"b\c`)}, `.["a\"b\\c"]`},
		{`.["a]b"]`, Path{k("a]b")}, `.["a]b"]`},
		{`.[""]`, Path{k("")}, `.[""]`},
		{".", Path{}, "."},
		{".a-b_c/d", Path{k("a-b_c/d")}, ".a-b_c/d"},
	}
	for _, tt := range tests {
		got, err := ParsePath(tt.in)
		if err != nil {
			t.Errorf("ParsePath(%q): %v", tt.in, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("ParsePath(%q) (-want +got):\n%s", tt.in, diff)
		}
		if got.String() != tt.str {
			t.Errorf("ParsePath(%q).String() = %q, want %q", tt.in, got.String(), tt.str)
		}
	}
	for _, bad := range []string{"", "..", ".a.", ".a[", ".a[x]", ".a[01]", ".a[+1]", `.["a`, `.["a"`, `.a b`,
		`.["a\n"]`, "a]", ".a..b", `."abc`, `."ab\`, `.'ab`, `.["a\"]`, `.["a\x"]`} {
		if p, err := ParsePath(bad); err == nil || !errors.Is(err, ErrInvalid) {
			t.Errorf("ParsePath(%q) = %v, %v; want an ErrInvalid error", bad, p, err)
		}
	}
}

func FuzzParsePath(f *testing.F) {
	for _, s := range []string{".image.tag", ".workers[1].image.tag", `.["app.kubernetes.io/name"]`, "a", ".", `."x"`, `.'y'`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePath(s)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error is not ErrInvalid: %v", err)
			}
			return
		}
		q, err := ParsePath(p.String())
		if err != nil {
			t.Fatalf("ParsePath(%q) -> %q does not parse: %v", s, p.String(), err)
		}
		if !cmp.Equal(p, q) {
			t.Fatalf("round trip of %q: %#v != %#v", s, p, q)
		}
	})
}
