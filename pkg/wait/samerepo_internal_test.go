package wait

import "testing"

// TestSameRepo checks which source of a multi-source application is the
// charts repository: the same host and path, whatever the scheme,
// credentials, port, case, trailing slash or .git; another host or path
// is another repository.
func TestSameRepo(t *testing.T) {
	for _, c := range []struct {
		a, b string
		same bool
	}{
		{"https://git.example.com/org/charts.git", "https://git.example.com/org/charts", true},
		{"https://git.example.com/org/charts/", "HTTPS://Git.Example.com/Org/Charts.git", true},
		{"https://user:secret@git.example.com/org/charts", "https://git.example.com/org/charts", true},
		{"ssh://git@git.example.com:2222/org/charts.git", "https://git.example.com/org/charts", true},
		{"ssh://git@git.example.com:2222/org/charts.git", "git@git.example.com:org/charts.git", true},
		{"ssh://git@git.example.com/org/charts.git", "git@git.example.com:org/charts.git", true},
		{"https://git.example.com:8443/org/charts", "ssh://git@git.example.com:2222/org/charts", true},
		{"ssh://git@git.example.com:2222/org/charts.git", "https://git.example.com/2222/org/charts", false},
		{"ssh://git@git.example.com:2222/org/charts.git", "ssh://git@other.example.com:2222/org/charts.git", false},
		{"https://git.example.com/org/charts", "https://git.example.com/org/other", false},
		{"/srv/git/charts.git", "/srv/git/charts", true},
	} {
		if got := sameRepo(c.a, c.b); got != c.same {
			t.Errorf("sameRepo(%q, %q) = %v, want %v", c.a, c.b, got, c.same)
		}
	}
}
