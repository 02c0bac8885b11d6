package imageref

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseSource(t *testing.T) {
	d := "sha256:" + strings.Repeat("a", 64)
	for in, want := range map[string]Ref{
		"r.example/team/app@" + d:     {Registry: "r.example", Repository: "team/app", Digest: d},
		"127.0.0.1:5000/app@" + d:     {Registry: "127.0.0.1:5000", Repository: "app", Digest: d},
		"r.example/app:1.0":           {Registry: "r.example", Repository: "app", Tag: "1.0"},
		"r.example:5000/app:1.0@" + d: {Registry: "r.example:5000", Repository: "app", Tag: "1.0", Digest: d},
		"localhost/team/sub/app@" + d: {Registry: "localhost", Repository: "team/sub/app", Digest: d},
	} {
		got, err := ParseSource(in)
		if err != nil {
			t.Errorf("ParseSource(%q): %v", in, err)
			continue
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("ParseSource(%q) (-want +got):\n%s", in, diff)
		}
		if got.String() != in {
			t.Errorf("ParseSource(%q).String() = %q", in, got.String())
		}
	}
	for in, problem := range map[string]string{
		"r.example/app":              "no tag and no digest",
		"r.example/app@sha256:abc":   "invalid digest",
		"r.example/App@" + d:         "upper-case",
		"app@" + d:                   "no registry host",
		"user:pw@r.example/app@" + d: "credentials",
		"r.example/app:-bad@" + d:    "invalid tag",
	} {
		_, err := ParseSource(in)
		var e *Error
		if !errors.As(err, &e) || !strings.Contains(e.Problem, problem) {
			t.Errorf("ParseSource(%q) = %v, want *Error with %q", in, err, problem)
			continue
		}
		if strings.Contains(e.Error(), "source@") || strings.Contains(e.Error(), ":source") {
			t.Errorf("ParseSource(%q) error shows the stand-in tag: %v", in, err)
		}
		if strings.Contains(e.Error(), "pw") {
			t.Errorf("ParseSource(%q) error shows the password: %v", in, err)
		}
	}
}
