package cli

import "testing"

func TestWebURL(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"https://github.com/acme/charts.git", "https://github.com/acme/charts.git"},
		{"git@github.com:acme/charts.git", "https://github.com/acme/charts.git"},
		{"ssh://git@gitlab.example.com:2222/group/sub/charts.git", "https://gitlab.example.com/group/sub/charts.git"},
		{"git@ssh.dev.azure.com:v3/org/project/charts", "https://dev.azure.com/org/project/_git/charts"},
		{"org@vs-ssh.visualstudio.com:v3/org/project/charts", "https://org.visualstudio.com/project/_git/charts"},
		{"git@bitbucket.org:ws/charts.git", "https://bitbucket.org/ws/charts.git"},
		{"/srv/charts", ""},
		{"./charts", ""},
		{"charts", ""},
	} {
		got, ok := webURL(c.in)
		if got != c.want || ok != (c.want != "") {
			t.Errorf("webURL(%q) = %q, %v; want %q", c.in, got, ok, c.want)
		}
	}
}
