package values

import (
	"errors"
	"testing"
)

func TestAppendItem(t *testing.T) {
	fields := []Field{{"name", "ghcr.io/org/app"}, {"newTag", "1.10"}}
	for _, tc := range []struct{ name, src, want string }{
		{"compact sequence", "resources:\n- a.yaml\nimages:\n- name: x\n  newTag: \"1.0\" # pinned\n# trailing comment\n",
			"resources:\n- a.yaml\nimages:\n- name: x\n  newTag: \"1.0\" # pinned\n- name: ghcr.io/org/app\n  newTag: \"1.10\"\n# trailing comment\n"},
		{"compact sequence, keys after", "images:\n- name: x\nresources:\n- a.yaml\n",
			"images:\n- name: x\n- name: ghcr.io/org/app\n  newTag: \"1.10\"\nresources:\n- a.yaml\n"},
		{"indented sequence", "images:\n  - name: x\n    newTag: v1\nresources:\n  - a.yaml\n",
			"images:\n  - name: x\n    newTag: v1\n  - name: ghcr.io/org/app\n    newTag: \"1.10\"\nresources:\n  - a.yaml\n"},
		{"flow items", "images:\n- {name: x, newTag: v1}\n",
			"images:\n- {name: x, newTag: v1}\n- {name: ghcr.io/org/app, newTag: \"1.10\"}\n"},
		{"missing key", "apiVersion: v1\nresources:\n  - a.yaml\n",
			"apiVersion: v1\nresources:\n  - a.yaml\nimages:\n  - name: ghcr.io/org/app\n    newTag: \"1.10\"\n"},
		{"missing key, no newline", "resources:\n- a.yaml",
			"resources:\n- a.yaml\nimages:\n- name: ghcr.io/org/app\n  newTag: \"1.10\"\n"},
		{"empty key", "images: # none yet\nresources:\n- a.yaml\n",
			"images: # none yet\n- name: ghcr.io/org/app\n  newTag: \"1.10\"\nresources:\n- a.yaml\n"},
		{"crlf", "images:\r\n- name: x\r\n  newTag: v1\r\n",
			"images:\r\n- name: x\r\n  newTag: v1\r\n- name: ghcr.io/org/app\r\n  newTag: \"1.10\"\r\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := AppendItem([]byte(tc.src), ".images", fields)
			if err != nil {
				t.Fatal(err)
			}
			if string(out) != tc.want {
				t.Errorf("got\n%s\nwant\n%s", out, tc.want)
			}
		})
	}
	for _, src := range []string{"images: []\n", "images: x\n", "a: 1\n---\nb: 2\n", "images: &i\n- name: x\nother: *i\n"} {
		if _, err := AppendItem([]byte(src), ".images", fields); !errors.Is(err, ErrRefused) {
			t.Errorf("%q: err = %v, want ErrRefused", src, err)
		}
	}
}

func TestSetIn(t *testing.T) {
	src := "kind: A\nimage: x:1\n---\nkind: B\nimage: x:1 # b\n"
	out, err := SetIn([]byte(src), 1, ".image", "x:2")
	if err != nil {
		t.Fatal(err)
	}
	if want := "kind: A\nimage: x:1\n---\nkind: B\nimage: x:2 # b\n"; string(out) != want {
		t.Errorf("got %q", out)
	}
	if _, err := Set([]byte(src), ".image", "x:2"); !errors.Is(err, ErrRefused) {
		t.Errorf("Set: err = %v, want the ambiguity refused", err)
	}
	if v, err := GetIn([]byte(src), 0, ".image"); err != nil || v != "x:1" {
		t.Errorf("GetIn = %q, %v", v, err)
	}
	if _, err := SetIn([]byte(src), 2, ".image", "x:2"); !errors.Is(err, ErrNotFound) {
		t.Errorf("document 3: err = %v", err)
	}
}
