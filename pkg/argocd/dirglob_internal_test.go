package argocd

import "testing"

// TestDirGlob: a directory source's include and exclude match as Argo CD
// documents them, against the path relative to the source's path.
func TestDirGlob(t *testing.T) {
	for _, tc := range []struct {
		pattern, path string
		want          bool
	}{
		{"old/*", "old/deploy.yaml", true},
		{"old/*", "deploy.yaml", false},
		{"*.yaml", "sub/x.yaml", true},
		{"*.yaml", "x.yml", false},
		{"{config.json,env-usw2/*}", "config.json", true},
		{"{config.json,env-usw2/*}", "env-usw2/a.yaml", true},
		{"{config.json,env-usw2/*}", "env-use1/a.yaml", false},
		{"{*.yml,*.yaml}", "a.yml", true},
		{"deploy-?.yaml", "deploy-a.yaml", true},
		{"[!x]*.yaml", "x.yaml", false},
		{"[!x]*.yaml", "a.yaml", true},
		{"a.b", "axb", false},
	} {
		if got := dirGlob(tc.pattern).MatchString(tc.path); got != tc.want {
			t.Errorf("%q matches %q = %v, want %v", tc.pattern, tc.path, got, tc.want)
		}
	}
	if dirGlob("") != nil {
		t.Error(`dirGlob("") is not nil`)
	}
}
