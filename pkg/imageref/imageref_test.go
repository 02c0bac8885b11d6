package imageref_test

import (
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tagbump/tagbump/pkg/imageref"
)

const dgst = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want imageref.Ref
	}{
		{"registry.example.com/team/app:1.2.3", imageref.Ref{Registry: "registry.example.com", Repository: "team/app", Tag: "1.2.3"}},
		{"127.0.0.1:5000/app:app-service-123@" + dgst, imageref.Ref{Registry: "127.0.0.1:5000", Repository: "app", Tag: "app-service-123", Digest: dgst}},
		{"localhost/a/b/c:_x", imageref.Ref{Registry: "localhost", Repository: "a/b/c", Tag: "_x"}},
		{"ghcr.io/o/my__app-x.y:V1", imageref.Ref{Registry: "ghcr.io", Repository: "o/my__app-x.y", Tag: "V1"}},
		{"[::1]:5000/app:1", imageref.Ref{Registry: "[::1]:5000", Repository: "app", Tag: "1"}},
	} {
		got, err := imageref.Parse(tc.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", tc.in, err)
			continue
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("Parse(%q) (-want +got):\n%s", tc.in, diff)
		}
		if got.String() != tc.in {
			t.Errorf("Parse(%q).String() = %q", tc.in, got.String())
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ in, msg string }{
		{"", "empty"},
		{"app:1", "no registry host"},
		{"team/app:1", `"team" is not a registry host`},
		{"registry.example.com/app", "no tag"},
		{"registry.example.com/app:-bad", `invalid tag "-bad"`},
		{"registry.example.com/app:.bad", `invalid tag ".bad"`},
		{"registry.example.com/App:1", `repository "App" has upper-case letters: use lower case: "app"`},
		{"registry.example.com/app:" + strings.Repeat("a", 129), "tag is 129 characters long"},
		{"registry.example.com/app:1@sha256:abc", `invalid digest "sha256:abc"`},
		{"registry.example.com/a//b:1", `invalid repository path component ""`},
		{"registry.example.com/:1", "empty repository"},
		{"registry.example.com/app: 1", "white space"},
		{"bad_host.com/app:1", `invalid registry host "bad_host.com"`},
		{"ci:hunter2@registry.example.com/app:1", "credentials in the reference"},
		{"ci:hun@ter2@registry.example.com/app:1", "<redacted>@registry.example.com/app:1"},
		{"ci:hun/ter2@registry.example.com/app:1@sha256:" + strings.Repeat("a", 64), "<redacted>@registry.example.com/app:1"},
		{"https://ci:hunter2@registry.example.com/app:1", "credentials in the reference"},
	} {
		_, err := imageref.Parse(tc.in)
		if strings.Contains(tc.in, "ter2") {
			if err == nil || strings.Contains(err.Error(), "ter2") || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("Parse(%q) = %v, want %q without the password", tc.in, err, tc.msg)
			}
			continue
		}
		var e *imageref.Error
		if !errors.As(err, &e) {
			t.Errorf("Parse(%q) = %v, want *imageref.Error", tc.in, err)
			continue
		}
		if !strings.Contains(err.Error(), tc.msg) || e.Fix == "" || e.Input != tc.in {
			t.Errorf("Parse(%q) = %q, want it to contain %q, the input and a fix", tc.in, err, tc.msg)
		}
	}
}

// TestParseErrorsAtEdges: what a reference starts with, and the
// repository length limit, are checked at their first and last positions.
func TestParseErrorsAtEdges(t *testing.T) {
	long := func(n int) string { return "registry.example.com/" + strings.Repeat("a", n) + ":1" }
	for _, tc := range []struct{ in, problem string }{
		{"@registry.example.com/app:1", "credentials in the reference"},
		{"://registry.example.com/app:1", "starts with the URL scheme ://"},
		{"@sha256:abc", `invalid digest "sha256:abc"`},
		{"/app:1", `"" is not a registry host`},
		{long(256), "repository is 256 characters long"},
	} {
		_, err := imageref.Parse(tc.in)
		var e *imageref.Error
		if !errors.As(err, &e) || e.Problem != tc.problem {
			t.Errorf("Parse(%q) = %v, want the problem %q", tc.in, err, tc.problem)
		}
	}
	if r, err := imageref.Parse(long(255)); err != nil || len(r.Repository) != 255 {
		t.Errorf("a 255-character repository: %v", err)
	}
}

func TestValidateTag(t *testing.T) {
	for _, ok := range []string{"1", "_", "a" + strings.Repeat("b", 127), "v1.2.3-rc.1", "A_B"} {
		if err := imageref.ValidateTag(ok); err != nil {
			t.Errorf("ValidateTag(%q) = %v", ok, err)
		}
	}
	for _, bad := range []string{"", "-a", ".a", "a" + strings.Repeat("b", 128), "a/b", "a:b", "a+b", "é"} {
		if err := imageref.ValidateTag(bad); err == nil {
			t.Errorf("ValidateTag(%q) = nil, want an error", bad)
		}
	}
}

func TestPolicy(t *testing.T) {
	var p imageref.Policy
	for _, tag := range []string{"latest", "LATEST", "Latest"} {
		var pe *imageref.PolicyError
		if err := p.Check(tag); !errors.As(err, &pe) {
			t.Errorf("Check(%q) = %v, want *PolicyError", tag, err)
		}
	}
	if err := p.Check("1.2.3"); err != nil {
		t.Errorf("Check(1.2.3) = %v", err)
	}
	p.Pattern = regexp.MustCompile(`^app-service-[0-9]+$`)
	if err := p.Check("app-service-12"); err != nil {
		t.Errorf("Check(app-service-12) = %v", err)
	}
	if err := p.Check("app-service-12x"); err == nil || !strings.Contains(err.Error(), "does not match --tag-pattern") {
		t.Errorf("Check(app-service-12x) = %v, want a pattern refusal", err)
	}
}

func TestCompare(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		cmp  int
		ok   bool
	}{
		{"1.2.3", "1.2.4", -1, true},
		{"v1.10.0", "1.9.9", 1, true},
		{"1.0.0-rc.1", "1.0.0", -1, true},
		{"1.0.0-alpha", "1.0.0-alpha.1", -1, true},
		{"1.0.0-alpha.beta", "1.0.0-beta", -1, true},
		{"1.0.0-2", "1.0.0-11", -1, true},
		{"1.0.0-9", "1.0.0-10", -1, true},
		{"1.0.0-0", "1.0.0-9", -1, true},
		{"1.0.0-11", "1.0.0-rc", -1, true},
		{"1.0.0+a", "1.0.0+b", 0, true},
		{"app-service-122", "app-service-123", -1, true},
		{"app-service-1000", "app-service-999", 1, true},
		{"build-99999999999999999999999", "build-99999999999999999999998", 1, true},
		{"42", "42", 0, true},
		{"app-1", "web-2", 0, false},
		{"1.2.3", "app-4", 0, false},
		{"main", "dev", 0, false},
	} {
		c, ok := imageref.Compare(tc.a, tc.b)
		if c != tc.cmp || ok != tc.ok {
			t.Errorf("Compare(%q, %q) = %d, %v; want %d, %v", tc.a, tc.b, c, ok, tc.cmp, tc.ok)
		}
		if c2, _ := imageref.Compare(tc.b, tc.a); c2 != -tc.cmp {
			t.Errorf("Compare(%q, %q) = %d, not the opposite of %d", tc.b, tc.a, c2, tc.cmp)
		}
	}
}

// FuzzParse checks that Parse never panics, that what it accepts prints back
// to the same string and parses again to the same Ref, and that accepted
// tags pass ValidateTag.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"registry.example.com/team/app:1.2.3", "127.0.0.1:5000/app:1@" + dgst, "app:1", "a/b", "localhost/x:-y", "[::1]:1/a:b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := imageref.Parse(s)
		if err != nil {
			var e *imageref.Error
			if !errors.As(err, &e) {
				t.Fatalf("Parse(%q) error %T is not *imageref.Error", s, err)
			}
			return
		}
		if strings.Contains(s, "@") && strings.Contains(s[strings.IndexByte(s, '@'):], "/") {
			t.Fatalf("Parse(%q) accepted user info", s)
		}
		if r.String() != s {
			t.Fatalf("Parse(%q).String() = %q", s, r.String())
		}
		if err := imageref.ValidateTag(r.Tag); err != nil {
			t.Fatalf("Parse(%q) accepted tag %q: %v", s, r.Tag, err)
		}
		r2, err := imageref.Parse(r.String())
		if err != nil || r2 != r {
			t.Fatalf("re-parse of %q = %+v, %v", r.String(), r2, err)
		}
	})
}
