package ci

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestGuard(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"azure command in a line", "-  tag: 1 # ##vso[task.setvariable variable=x]y\n", `-  tag: 1 # ##vso\u005btask.setvariable variable=x]y` + "\n"},
		{"github v1 command in a line", "x ##[add-mask]y\n", `x ##\u005badd-mask]y` + "\n"},
		{"github command at line start", "ok\n  ::warning::x\n", "ok\n  \\u003a:warning::x\n"},
		{"github command after carriage return", "\r::error::x", "\r\\u003a:error::x"},
		{"github command after a carriage return in a line", "tag: v1\r::error title=PWN::x\r  ::add-mask::v1\n", "tag: v1\r\\u003a:error title=PWN::x\r  \\u003a:add-mask::v1\n"},
		{"colons inside a line", "image: a::b\n", "image: a::b\n"},
		{"ignorable character inside", "#\u200b#vso[x.y]z", `#\u200b#vso[x.y]z`},
		{"ignorable character before colons", "\u200b::error::x", `\u200b::error::x`},
		{"control character", "a\x00b\x7fc", `a\u0000b\u007fc`},
		{"tab, CR and plain text kept", "a\tb\r\nc [d] #e\n", "a\tb\r\nc [d] #e\n"},
		{"unicode text kept", "naïve 画像\n", "naïve 画像\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, sys := range []System{GitHub, Azure} {
				var b bytes.Buffer
				w := Env{System: sys}.Guard(&b)
				n, err := w.Write([]byte(tc.in))
				if err != nil || n != len(tc.in) {
					t.Fatalf("%s: Write = %d, %v; want %d, nil", sys, n, err, len(tc.in))
				}
				if b.String() != tc.want {
					t.Errorf("%s: wrote %q, want %q", sys, b.String(), tc.want)
				}
			}
		})
	}
}

// TestGuardAcrossWrites checks patterns split between two writes.
func TestGuardAcrossWrites(t *testing.T) {
	for _, parts := range [][]string{
		{"a ##", "[add-mask]x\n"},
		{"a ##vs", "o[task.complete]x\n"},
		{"a ##vso", "[task.complete]x\n"},
		{"line\n", "::error::x\n"},
		{"line\n  :", ":error::x\n"},
		{"v1\r", "::error::x\n"},
		{"v1\r :", ":error::x\n"},
	} {
		var b bytes.Buffer
		w := Env{System: Azure}.Guard(&b)
		for _, p := range parts {
			_, _ = w.Write([]byte(p))
		}
		got := b.String()
		if strings.Contains(got, "##[") || strings.Contains(got, "##vso[") || strings.Contains(got, "\n::") || strings.Contains(got, "\r::") || strings.Contains(got, "  ::") || strings.Contains(got, "\r ::") {
			t.Errorf("writes %q came out as %q, a workflow command", parts, got)
		}
	}
}

// TestGuardKeepsJSON checks that guarded JSON decodes to the same values.
func TestGuardKeepsJSON(t *testing.T) {
	in := map[string]string{"diff": "-tag: 1 # ##vso[task.setvariable variable=x]y\n+::error::\u200b\x7f"}
	raw, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	_, _ = Env{System: Azure}.Guard(&b).Write(raw)
	if strings.Contains(b.String(), "##vso[") {
		t.Fatalf("guarded JSON still holds a command: %s", b.String())
	}
	var out map[string]string
	if err := json.Unmarshal(b.Bytes(), &out); err != nil {
		t.Fatalf("guarded JSON does not parse: %v\n%s", err, b.String())
	}
	if out["diff"] != in["diff"] {
		t.Errorf("guarded JSON decodes to %q, want %q", out["diff"], in["diff"])
	}
}

// TestGuardOnlyInRunners checks that other systems get the writer as is.
func TestGuardOnlyInRunners(t *testing.T) {
	var b bytes.Buffer
	for _, sys := range []System{GitLab, Generic} {
		if w := (Env{System: sys}).Guard(&b); w != &b {
			t.Errorf("%s: Guard wrapped the writer", sys)
		}
	}
}

// TestMdCode checks that a value from the repository stays inside its code
// span in the job summary: the fence is longer than any backtick run in it.
func TestMdCode(t *testing.T) {
	for in, want := range map[string]string{
		"1.2.3":                  "`1.2.3`",
		"a`b":                    "`` a`b ``",
		"x `` ![p](http://e) ``": "``` x `` ![p](http://e) `` ```",
		"a|b\nc":                 "`a\\|b c`",
		"":                       "",
	} {
		if got := mdCode(in); got != want {
			t.Errorf("mdCode(%q) = %q, want %q", in, got, want)
		}
	}
}
