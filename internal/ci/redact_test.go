package ci

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/url"
	"strings"
	"testing"
)

func TestRedactor(t *testing.T) {
	const tok = "canary-tok/9+Zq%x"
	r := NewRedactor(tok, "short", "")
	basic := func(user string) string { return base64.StdEncoding.EncodeToString([]byte(user + ":" + tok)) }
	quoted, _ := json.Marshal(map[string]string{"m": "<" + tok + ">"})
	for _, in := range []string{
		"Authorization: Bearer " + tok,
		"Authorization: Basic " + basic("x-access-token"),
		"Authorization: Basic " + basic(""),
		"Authorization: Basic " + basic("ab"),
		"Authorization: Basic " + base64.URLEncoding.EncodeToString([]byte("bot:"+tok)),
		"GET /x?token=" + url.QueryEscape(tok),
		"GET /" + url.PathEscape(tok),
		string(quoted),
		"::error::" + githubData(tok),
		"##vso[task.logissue]" + azureData(tok),
		"HTTP 401: GET / Authorization: Bearer " + tok[:7] + "…",
	} {
		got := r.String(in)
		if strings.Contains(got, tok[:7]) || strings.Contains(got, tok[len(tok)-6:]) || !strings.Contains(got, Redacted) {
			t.Errorf("String(%q) = %q: the secret shows", in, got)
		}
	}
	for _, in := range []string{"a short text", "image: registry.example.com/app:1.0.1\n", "cut here…"} {
		if got := r.String(in); got != in {
			t.Errorf("String(%q) = %q, want it unchanged", in, got)
		}
	}
	if got := (*Redactor)(nil).String("x " + tok); got != "x "+tok {
		t.Errorf("a nil Redactor changed the text: %q", got)
	}
}

// TestRedactorWriter checks the writer: a secret split across writes is
// hidden, and what it holds back comes out on Flush.
func TestRedactorWriter(t *testing.T) {
	const tok = "canary-tok-4471"
	var b bytes.Buffer
	w := NewRedactor(tok).Writer(&b)
	for _, p := range []string{"token=cana", "ry-tok-4", "471 done\nlast c"} {
		if n, err := w.Write([]byte(p)); n != len(p) || err != nil {
			t.Fatalf("Write(%q) = %d, %v", p, n, err)
		}
	}
	if err := Flush(w); err != nil {
		t.Fatal(err)
	}
	if got, want := b.String(), "token=*** done\nlast c"; got != want {
		t.Errorf("wrote %q, want %q", got, want)
	}
	// A secret learnt after the writer was made (a registry credential
	// from Docker's config) is hidden by it too.
	var later bytes.Buffer
	red := NewRedactor()
	lw := red.Writer(&later)
	red.Add("learnt-later-secret")
	if _, err := io.WriteString(lw, "auth learnt-later-secret end\n"); err != nil {
		t.Fatal(err)
	}
	if err := Flush(lw); err != nil {
		t.Fatal(err)
	}
	if got, want := later.String(), "auth *** end\n"; got != want {
		t.Errorf("wrote %q, want %q", got, want)
	}
}
