package imageref

import "testing"

func TestSameRepository(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"mongo", "library/mongo", true},
		{"mongo", "docker.io/library/mongo", true},
		{"mongo", "index.docker.io/library/mongo", true},
		{"docker.io/mongo", "index.docker.io/library/mongo", true},
		{"registry-1.docker.io/bitnami/redis", "docker.io/bitnami/redis", true},
		{"Quay.IO/org/app", "quay.io/org/app", true},
		{"localhost:5000/app", "LOCALHOST:5000/app", true},
		// No host in the file: any registry, when the path is equal.
		{"team/app", "registry.example.com/team/app", true},
		{"registry.example.com/team/app", "team/app", true},
		{"mongo", "registry.example.com/mongo", true},
		{"mongo", "registry.example.com/library/mongo", false},
		{"bitnami/redis", "docker.io/bitnami/redis", true},
		// Different registries, paths or case of the path.
		{"quay.io/org/app", "ghcr.io/org/app", false},
		{"registry.example.com/team/app", "registry.example.com/team/api", false},
		{"team/app", "registry.example.com/other/team/app", false},
		{"team/App", "registry.example.com/team/app", false},
		{"localhost/app", "localhost:5000/app", false},
		{"", "docker.io/library/mongo", false},
		{"docker.io/", "docker.io/library/mongo", false},
	} {
		if got := SameRepository(tc.a, tc.b); got != tc.want {
			t.Errorf("SameRepository(%q, %q) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
		if r, err := Parse(tc.b + ":1"); err == nil && r.Matches(tc.a) != tc.want {
			t.Errorf("Parse(%q).Matches(%q) = %v, want %v", tc.b+":1", tc.a, !tc.want, tc.want)
		}
		if got := SameRepository(tc.b, tc.a); got != tc.want {
			t.Errorf("SameRepository(%q, %q) = %v, want %v (not symmetric)", tc.b, tc.a, got, tc.want)
		}
	}
}
