package values

import (
	"errors"
	"strings"
	"testing"
)

// TestCreate adds the missing mappings at the end of the deepest existing
// parent, in the file's indentation, quoting and line endings, keeping
// every other byte.
func TestCreate(t *testing.T) {
	for _, tc := range []struct {
		name, src, path, value, want string
	}{
		{name: "two lines at the end of the file", path: ".image.tag", value: "1.4.0",
			src:  "# prod\nreplicaCount: 3 # more\n\n# the end\n",
			want: "# prod\nreplicaCount: 3 # more\nimage:\n  tag: 1.4.0\n\n# the end\n"},
		{name: "into the existing parent, four-space indent, double quotes as the file's tags", path: ".worker.image.tag", value: "1.4.0",
			src:  "api:\n    image:\n        tag: \"1.0\"\nworker:\n    replicas: 2\n    resources: {}\nother: x\n",
			want: "api:\n    image:\n        tag: \"1.0\"\nworker:\n    replicas: 2\n    resources: {}\n    image:\n        tag: \"1.4.0\"\nother: x\n"},
		{name: "the key alone", path: ".backend.image.tag", value: "1.1.0",
			src:  "backend:\n  image:\n    pullPolicy: Always\n  # trailing comment\nfrontend: {}\n",
			want: "backend:\n  image:\n    pullPolicy: Always\n    tag: 1.1.0\n  # trailing comment\nfrontend: {}\n"},
		{name: "a value YAML would read as a number is quoted", path: ".image.tag", value: "1.10",
			src: "replicaCount: 3", want: "replicaCount: 3\nimage:\n  tag: \"1.10\"\n"},
		{name: "CRLF", path: ".image.tag", value: "2", src: "a: 1\r\n", want: "a: 1\r\nimage:\r\n  tag: \"2\"\r\n"},
		{name: "in a list item", path: ".workers[0].image.tag", value: "v2",
			src:  "workers:\n- name: mailer\n  replicas: 1\n- name: resizer\n",
			want: "workers:\n- name: mailer\n  replicas: 1\n  image:\n    tag: v2\n- name: resizer\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := Create([]byte(tc.src), tc.path, tc.value)
			if v, gerr := Get(out, tc.path); err != nil || gerr != nil || v != tc.value || string(out) != tc.want {
				t.Errorf("Create = %q, %v (reads %q, %v); want %q", out, err, v, gerr, tc.want)
			}
		})
	}
}

// TestCreateRefuses leaves alone what it cannot extend without changing
// something else.
func TestCreateRefuses(t *testing.T) {
	for _, tc := range []struct{ name, src, path, want string }{
		{"exists", "image:\n  tag: 1\n", ".image.tag", "the key exists"},
		{"flow mapping", "image: {repository: x}\n", ".image.tag", "flow style"},
		{"scalar on the way", "image: org/app\n", ".image.tag", "not a mapping"},
		{"alias", "base: &b\n  x: 1\nimage: *b\n", ".image.tag", "alias"},
		{"anchored parent", "image: &i\n  repository: x\nother: *i\n", ".image.tag", "anchored"},
		{"merge key", "image:\n  <<: {tag: 1}\n  repository: x\n", ".image.tag", "merge key"},
		{"two documents", "a: 1\n---\nb: 2\n", ".image.tag", "one document"},
		{"a list to add", "a: 1\n", ".workers[0].tag", "list"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Create([]byte(tc.src), tc.path, "2")
			if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want refused with %q", err, tc.want)
			}
		})
	}
}
