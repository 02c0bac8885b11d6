package values

import (
	"errors"
	"strings"
	"testing"
)

func TestSetKeepsEverythingElse(t *testing.T) {
	tests := []struct {
		name, src, path, value, want string
	}{
		{"comment on the line", "image:\n  tag: a   # set by CI\n", ".image.tag", "b",
			"image:\n  tag: b   # set by CI\n"},
		{"blank lines and comments", "# head\n\nimage:\n\n  # c\n  tag: a\n\n  x: 1\n", ".image.tag", "bb",
			"# head\n\nimage:\n\n  # c\n  tag: bb\n\n  x: 1\n"},
		{"crlf", "a: 1\r\nimage:\r\n  tag: old\r\n  x: y\r\n", ".image.tag", "new",
			"a: 1\r\nimage:\r\n  tag: new\r\n  x: y\r\n"},
		{"bom", "\ufefftag: old # c\nx: 1\n", ".tag", "new", "\ufefftag: new # c\nx: 1\n"},
		{"bom and crlf on line 1", "\ufeffimage: {tag: old}\r\n", "image.tag", "new", "\ufeffimage: {tag: new}\r\n"},
		{"tabs before comment", "tag: old\t# c\n", ".tag", "new", "tag: new\t# c\n"},
		{"no final newline", "x: 1\ntag: old", ".tag", "new", "x: 1\ntag: new"},
		{"flow mapping", "image: {repository: x, tag: y, pullPolicy: Always}\n", ".image.tag", "v2",
			"image: {repository: x, tag: v2, pullPolicy: Always}\n"},
		{"flow mapping multi-line", "image: {\n  repository: x,\n  tag: y\n}\n", ".image.tag", "v2",
			"image: {\n  repository: x,\n  tag: v2\n}\n"},
		{"flow sequence", "tags: [a, b, c]\n", ".tags[1]", "z", "tags: [a, z, c]\n"},
		{"runes before the target", "é: {ü: 1, tag: old}\n", `.["é"].tag`, "new", "é: {ü: 1, tag: new}\n"},
		{"multi-byte key", "ключ: старый\n", ".ключ", "новый", "ключ: новый\n"},
		{"single quotes kept", "tag: 'old'\n", ".tag", "it's", "tag: 'it''s'\n"},
		{"double quotes kept", `tag: "old" # c` + "\n", ".tag", `a"b\c`, `tag: "a\"b\\c" # c` + "\n"},
		{"double quotes control chars", `tag: "old"` + "\n", ".tag", "a\tb\x01", `tag: "a\tb\x01"` + "\n"},
		{"single quotes fall back to double for tabs", "tag: 'old'\n", ".tag", "a\tb", "tag: \"a\\tb\"\n"},
		{"documents", "---\na: 1\n---\nimage:\n  tag: old\n...\n", ".image.tag", "new",
			"---\na: 1\n---\nimage:\n  tag: new\n...\n"},
		{"sequence of images", "workers:\n- image: {tag: a}\n- image:\n    tag: b\n", ".workers[1].image.tag", "c",
			"workers:\n- image: {tag: a}\n- image:\n    tag: c\n"},
		{"negative index", "l: [a, b]\n", ".l[-1]", "c", "l: [a, c]\n"},
		{"quoted path key", "labels:\n  app.kubernetes.io/name: x\n", `.labels.["app.kubernetes.io/name"]`, "z",
			"labels:\n  app.kubernetes.io/name: z\n"},
		{"unused anchor kept", "tag: &t old\n", ".tag", "new", "tag: &t new\n"},
		{"explicit tag kept", "tag: !!str old\n", ".tag", "new", "tag: !!str new\n"},
		{"number becomes a quoted string", "tag: 123\n", ".tag", "124", "tag: \"124\"\n"},
		{"indented deeply with tabs in comment", "a:\n    b:\n        tag: x\t#\tc\n", ".a.b.tag", "z",
			"a:\n    b:\n        tag: z\t#\tc\n"},
		{"digest string", "image: repo@sha256:aa\n", ".image", "repo@sha256:bb", "image: repo@sha256:bb\n"},
		{"colon in flow is quoted", "i: {image: x}\n", ".i.image", "r:t", "i: {image: \"r:t\"}\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := Set([]byte(tt.src), tt.path, tt.value)
			if err != nil {
				t.Fatal(err)
			}
			if string(out) != tt.want {
				t.Fatalf("got\n%q\nwant\n%q", out, tt.want)
			}
			checkSet(t, []byte(tt.src), out, tt.path, tt.value)
		})
	}
}

func TestSetQuotesWhenPlainWouldNotReadBack(t *testing.T) {
	for _, v := range []string{"on", "off", "yes", "no", "y", "N", "true", "False", "1.10", "1e3", "012", "0x1F",
		"0o17", "0b101", "1_000", "1:20", "null", "~", "Null", "2024-01-01", "2024-01-01T10:00:00Z", ".inf",
		"-.INF", ".nan", "a: b", "a #b", "", "123", "-1", "+1", "1.", "<<", "=", "#x", "- a", "*x", "&x",
		"!x", "@x", "`x", "%x", "[x]", "{x}", "'x", `"x`, "x:", " x", "x ", "---", "...", "a\nb", "|", ">", "inf", "NaN"} {
		src := []byte("image:\n  tag: old # c\n")
		out, err := Set(src, ".image.tag", v)
		if err != nil {
			t.Fatalf("%q: %v", v, err)
		}
		line := strings.Split(string(out), "\n")[1]
		if !strings.HasPrefix(line, `  tag: "`) {
			t.Errorf("%q was not quoted: %s", v, line)
		}
		checkSet(t, src, out, ".image.tag", v)
	}
	for _, v := range []string{"v1.2.3", "1.2.3", "app-service-124", "sha-abc123", "20240101", "1.10.0", "on-prem",
		"yes-please", "0.1.2-rc.1", "main-2024-01-01x"[5:], "a:b", "a#b", "über"} {
		src := []byte("tag: old\n")
		out, err := Set(src, ".tag", v)
		if err != nil {
			t.Fatalf("%q: %v", v, err)
		}
		if string(out) != "tag: "+v+"\n" && !(v == "20240101") {
			t.Errorf("%q was quoted: %s", v, out)
		}
		checkSet(t, src, out, ".tag", v)
	}
}

func TestSetEmptyTarget(t *testing.T) {
	tests := []struct{ src, want string }{
		{"tag:\nx: 1\n", "tag: v1\nx: 1\n"},
		{"tag:", "tag: v1"},
		{"tag:\r\nx: 1\r\n", "tag: v1\r\nx: 1\r\n"},
		{"tag: # c\n", "tag: v1 # c\n"},
		{"tag:    # c\n", "tag: v1   # c\n"},
		{"tag: \"\"\n", "tag: \"v1\"\n"},
		{"tag: '' # c\n", "tag: 'v1' # c\n"},
		{"tag: ~\n", "tag: v1\n"},
		{"tag: null # c\n", "tag: v1 # c\n"},
		{"i: {tag: , x: 1}\n", "i: {tag: v1, x: 1}\n"},
		{"\"tag\": # c\n", "\"tag\": v1 # c\n"},
	}
	for _, tt := range tests {
		p := ".tag"
		if strings.HasPrefix(tt.src, "i:") {
			p = ".i.tag"
		}
		out, err := Set([]byte(tt.src), p, "v1")
		if err != nil {
			t.Errorf("%q: %v", tt.src, err)
			continue
		}
		if string(out) != tt.want {
			t.Errorf("%q: got %q, want %q", tt.src, out, tt.want)
			continue
		}
		checkSet(t, []byte(tt.src), out, p, "v1")
	}
}

func TestSetUnchanged(t *testing.T) {
	for _, src := range []string{"tag: v1 # c\n", "tag: 'v1'\n", "tag: \"on\"\n", "tag: !!str on\n"} {
		v, _ := Get([]byte(src), ".tag")
		out, err := Set([]byte(src), ".tag", v)
		if err != nil || string(out) != src {
			t.Errorf("%q: got %q, %v; want it unchanged", src, out, err)
		}
	}
	// Values that Helm would read as something else are rewritten quoted.
	for _, tt := range [][2]string{{"tag: on\n", "on"}, {"tag: 1.10\n", "1.10"}, {"tag: 123\n", "123"}} {
		out, err := Set([]byte(tt[0]), ".tag", tt[1])
		if err != nil || string(out) != `tag: "`+tt[1]+`"`+"\n" {
			t.Errorf("%q: got %q, %v; want it quoted", tt[0], out, err)
		}
	}
}

func TestSetRefuses(t *testing.T) {
	tests := []struct {
		name, src, path string
		kind            error
		msg             []string
	}{
		{"missing key", "image:\n  repository: r\n  pullPolicy: x\n", ".image.tag", ErrNotFound,
			[]string{`key "tag" not found in .image`, "keys there: repository, pullPolicy", "line 2:3"}},
		{"missing parent", "a: 1\n", ".image.tag", ErrNotFound, []string{`key "image" not found in .`, "keys there: a"}},
		{"scalar parent", "image: x\n", ".image.tag", ErrNotFound, []string{".image is a scalar, not a mapping"}},
		{"index out of range", "l: [a]\n", ".l[3]", ErrNotFound, []string{"index [3] is out of range: .l has 1 items"}},
		{"empty file", "", ".tag", ErrNotFound, []string{"no YAML document"}},
		{"alias target", "a: &x v\nb: *x\n", ".b", ErrRefused, []string{"alias *x", "line 2:4"}},
		{"through alias", "a: &x {tag: v}\nb: *x\n", ".b.tag", ErrRefused, []string{".b is the alias *x"}},
		{"merge key", "base: &b {tag: v}\nc:\n  <<: *b\n  x: 1\n", ".c.tag", ErrRefused, []string{"merge key <<"}},
		{"anchor used elsewhere", "a: &x v\nb: *x\n", ".a", ErrRefused, []string{"anchor &x", "alias *x uses"}},
		{"inside used anchor", "a: &x {tag: v}\nb: *x\n", ".a.tag", ErrRefused, []string{"inside the anchor &x"}},
		{"duplicate keys", "tag: a\nx: 1\ntag: b\n", ".tag", ErrRefused, []string{"duplicate key \"tag\"", "at 1:1 and 3:1"}},
		{"duplicate in a flow map", "image: {tag: a, tag: b}\n", ".image.tag", ErrRefused, []string{"at 1:9 and 1:17"}},
		{"explicit int tag", "tag: !!int 12\n", ".tag", ErrRefused, []string{"explicit tag !!int", "remove the tag"}},
		{"explicit null tag", "tag: !!null\n", ".tag", ErrRefused, []string{"explicit tag !!null"}},
		{"custom tag", "tag: !custom v\n", ".tag", ErrRefused, []string{"explicit tag !custom"}},
		{"lone CR", "a: 1\rtag: v\r", ".tag", ErrRefused, []string{"carriage return", "LF or CRLF"}},
		{"line separator", "a: 1 #\u2028\ntag: v\n", ".tag", ErrRefused, []string{"U+2028", "line 1"}},
		{"NEL", "a: 1\ntag: v \u0085\n", ".tag", ErrRefused, []string{"U+0085", "line 2"}},
		{"duplicate parent", "image: {tag: a}\nimage: {tag: b}\n", ".image.tag", ErrRefused, []string{"duplicate key \"image\""}},
		{"ambiguous documents", "tag: a\n---\ntag: b\n", ".tag", ErrRefused, []string{"ambiguous", "document 1 (line 1) and document 2 (line 3)"}},
		{"mapping target", "image: {tag: a}\n", ".image", ErrRefused, []string{"the target is a mapping, not a scalar"}},
		{"sequence target", "l: [a]\n", ".l", ErrRefused, []string{"a sequence, not a scalar"}},
		{"literal block", "tag: |\n  a\n", ".tag", ErrRefused, []string{"block scalar"}},
		{"folded block", "tag: >-\n  a\n", ".tag", ErrRefused, []string{"block scalar"}},
		{"multi-line plain", "tag: a\n  b\n", ".tag", ErrRefused, []string{"spans several lines"}},
		{"multi-line double", "tag: \"a\n  b\"\n", ".tag", ErrRefused, []string{"spans several lines"}},
		{"multi-line single", "tag: 'a\n  b'\n", ".tag", ErrRefused, []string{"spans several lines"}},
		{"invalid yaml", "a: [\nb: c\n", ".a", ErrInvalid, []string{"invalid YAML", "line"}},
		{"bad tabs", "a:\n\tb: c\n", ".a.b", ErrInvalid, []string{"invalid YAML", "line 2"}},
		{"not utf-8", "a: \xff\n", ".a", ErrInvalid, []string{"not valid UTF-8"}},
		{"bad path", "a: 1\n", ".a[x]", ErrInvalid, []string{"[x] is not an index"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := Set([]byte(tt.src), tt.path, "new")
			if err == nil {
				t.Fatalf("no error; got\n%s", out)
			}
			if !errors.Is(err, tt.kind) {
				t.Errorf("error %q is not %v", err, tt.kind)
			}
			var e *Error
			if !errors.As(err, &e) || !strings.Contains(err.Error(), tt.path) {
				t.Errorf("error %q is not a *values.Error naming the path", err)
			}
			for _, m := range tt.msg {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("error %q does not contain %q", err, m)
				}
			}
		})
	}
}

func TestGet(t *testing.T) {
	src := []byte("base: &b {tag: v1, n: 1}\nc:\n  <<: *b\nd: *b\ne:\nl: [x, 'y z']\nq: \"a\\tb\"\n")
	for _, tt := range [][2]string{{".base.tag", "v1"}, {".c.tag", "v1"}, {".d.n", "1"}, {".e", ""},
		{".l[1]", "y z"}, {"l[0]", "x"}, {".q", "a\tb"}} {
		got, err := Get(src, tt[0])
		if err != nil || got != tt[1] {
			t.Errorf("Get(%s) = %q, %v; want %q", tt[0], got, err, tt[1])
		}
	}
	if _, err := Get(src, ".c.nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get(.c.nope) error = %v, want ErrNotFound", err)
	}
	if _, err := Get(src, ".base"); !errors.Is(err, ErrRefused) {
		t.Errorf("Get(.base) error = %v, want ErrRefused", err)
	}
}
