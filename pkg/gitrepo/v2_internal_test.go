package gitrepo

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing/format/pktline"
)

func TestPktReader(t *testing.T) {
	in := "000eversion 2\n" + "0000" + "0001" + "0002" + "0008abc\n" + "000bERR no\n"
	p := newPktReader(strings.NewReader(in))
	for _, want := range []struct {
		kind int
		line string
	}{{pktData, "version 2"}, {pktFlush, ""}, {pktDelim, ""}, {pktResponseEnd, ""}, {pktData, "abc"}} {
		kind, l, err := p.line()
		if err != nil || kind != want.kind || l != want.line {
			t.Fatalf("line() = %d %q %v, want %d %q", kind, l, err, want.kind, want.line)
		}
	}
	var el *pktline.ErrorLine
	if _, _, err := p.line(); !errors.As(err, &el) || el.Text != "no" {
		t.Fatalf("ERR line: %v", err)
	}
	if _, _, err := p.line(); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("end of input: %v, want io.ErrUnexpectedEOF", err)
	}
	for _, bad := range []string{"0003", "zzzz", "0010abc"} {
		if _, _, err := newPktReader(strings.NewReader(bad)).next(); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestV2RequestEncoding(t *testing.T) {
	got := string(v2Request("ls-refs", []string{"agent=x"}, []string{"symrefs"}))
	want := "0014command=ls-refs\n" + "000cagent=x\n" + "0001" + "000csymrefs\n" + "0000"
	if got != want {
		t.Fatalf("v2Request = %q, want %q", got, want)
	}
}

func TestParseV2Caps(t *testing.T) {
	c, err := parseV2Caps([]string{"agent=git/2.43", "ls-refs=unborn", "fetch=shallow wait-for-done filter", "object-format=sha1"})
	if err != nil || !c.filter() || c.objectFormat != "sha1" {
		t.Fatalf("parseV2Caps = %+v, %v", c, err)
	}
	if c, _ := parseV2Caps([]string{"ls-refs", "fetch=shallow"}); c.filter() {
		t.Errorf("fetch without filter: filter() = true")
	}
	for _, bad := range [][]string{{"fetch=shallow filter"}, {"ls-refs"}, {"ls-refs", "fetch", "object-format=sha256"}} {
		if _, err := parseV2Caps(bad); err == nil {
			t.Errorf("parseV2Caps(%q): no error", bad)
		}
	}
}

func TestNoPartialIfRefused(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{fmt.Errorf("fetch: %w", &pktline.ErrorLine{Text: "upload-pack: not our ref 1234"}), true},
		{fmt.Errorf("fetch: %w", &pktline.ErrorLine{Text: "filter 'blob:none' not supported"}), true},
		{fmt.Errorf("fetch: %w", &pktline.ErrorLine{Text: "upload-pack: out of memory"}), false},
		{errors.New("connection reset: not our ref"), false},
		// The refusal is the server's text, not a URL in the wrapping.
		{fmt.Errorf("POST https://h/r?filter=1: %w", &pktline.ErrorLine{Text: "access denied"}), false},
		{nil, false},
	} {
		if got := errors.Is(noPartialIfRefused(tc.err), errNoPartial); got != tc.want {
			t.Errorf("noPartialIfRefused(%v) is errNoPartial = %v, want %v", tc.err, got, tc.want)
		}
	}
}
