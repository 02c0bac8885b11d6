package ci

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func getenvFrom(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestDetect(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want Env
	}{
		{"nothing", nil, Env{System: Generic}},
		{"github push", map[string]string{
			"GITHUB_ACTIONS": "true", "GITHUB_REPOSITORY": "acme/shop", "GITHUB_SHA": "0123abcd",
			"GITHUB_ACTOR": "octocat", "GITHUB_REF_NAME": "main", "GITHUB_HEAD_REF": "",
			"GITHUB_SERVER_URL": "https://github.com", "GITHUB_RUN_ID": "42", "GITHUB_RUN_ATTEMPT": "1",
			"GITHUB_OUTPUT": "/tmp/out", "GITHUB_STEP_SUMMARY": "/tmp/sum",
		}, Env{System: GitHub, Repository: "acme/shop", Commit: "0123abcd", Actor: "octocat", Branch: "main",
			RunURL: "https://github.com/acme/shop/actions/runs/42", OutputFile: "/tmp/out", SummaryFile: "/tmp/sum",
			ServerHosts: []string{"github.com"}}},
		{"github pull request, second attempt", map[string]string{
			"GITHUB_ACTIONS": "true", "GITHUB_REPOSITORY": "acme/shop", "GITHUB_REF_NAME": "7/merge",
			"GITHUB_HEAD_REF": "feature/x", "GITHUB_SERVER_URL": "https://ghe.example/", "GITHUB_RUN_ID": "9",
			"GITHUB_RUN_ATTEMPT": "2",
		}, Env{System: GitHub, Repository: "acme/shop", Branch: "feature/x",
			RunURL: "https://ghe.example/acme/shop/actions/runs/9/attempts/2", ServerHosts: []string{"ghe.example"}}},
		{"github without run id has no url", map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_REPOSITORY": "a/b"},
			Env{System: GitHub, Repository: "a/b", ServerHosts: []string{"github.com"}}},
		{"azure", map[string]string{
			"TF_BUILD": "True", "BUILD_REPOSITORY_NAME": "shop", "BUILD_SOURCEVERSION": "feedbeef",
			"BUILD_REQUESTEDFOR": "Jane Doe", "BUILD_SOURCEBRANCH": "refs/heads/release/1.2",
			"SYSTEM_COLLECTIONURI": "https://dev.azure.com/acme/", "SYSTEM_TEAMPROJECT": "Web Shop",
			"BUILD_BUILDID": "123",
		}, Env{System: Azure, Repository: "shop", Commit: "feedbeef", Actor: "Jane Doe", Branch: "release/1.2",
			RunURL:      "https://dev.azure.com/acme/Web%20Shop/_build/results?buildId=123",
			ServerHosts: []string{"dev.azure.com", "*.visualstudio.com", "dev.azure.com"}}},
		{"azure pull request", map[string]string{
			"TF_BUILD": "True", "BUILD_SOURCEBRANCH": "refs/pull/7/merge",
			"SYSTEM_PULLREQUEST_SOURCEBRANCH": "refs/heads/topic",
		}, Env{System: Azure, Branch: "topic", ServerHosts: []string{"dev.azure.com", "*.visualstudio.com"}}},
		{"gitlab", map[string]string{
			"GITLAB_CI": "true", "CI_PROJECT_PATH": "acme/web/shop", "CI_COMMIT_SHA": "c0ffee",
			"CI_JOB_URL": "https://gitlab.example/acme/web/shop/-/jobs/77", "GITLAB_USER_LOGIN": "jdoe",
			"CI_COMMIT_REF_NAME": "main", "CI_SERVER_HOST": "gitlab.example",
		}, Env{System: GitLab, Repository: "acme/web/shop", Commit: "c0ffee", Actor: "jdoe", Branch: "main",
			RunURL: "https://gitlab.example/acme/web/shop/-/jobs/77", ServerHosts: []string{"gitlab.example"}}},
		{"gitlab merge request", map[string]string{
			"GITLAB_CI": "true", "CI_COMMIT_REF_NAME": "refs/merge-requests/3/head",
			"CI_MERGE_REQUEST_SOURCE_BRANCH_NAME": "topic",
		}, Env{System: GitLab, Branch: "topic", ServerHosts: []string{"gitlab.com"}}},
		{"github wins over others", map[string]string{"GITHUB_ACTIONS": "true", "GITLAB_CI": "true", "TF_BUILD": "True"},
			Env{System: GitHub, ServerHosts: []string{"github.com"}}},
		{"github needs true", map[string]string{"GITHUB_ACTIONS": "1"}, Env{System: Generic}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Detect(getenvFrom(tt.env))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Detect() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestTokenHosts(t *testing.T) {
	az := Detect(getenvFrom(map[string]string{"TF_BUILD": "True", "SYSTEM_ACCESSTOKEN": "az", "SYSTEM_COLLECTIONURI": "https://tfs.acme.example/coll/"}))
	for host, want := range map[string]bool{
		"dev.azure.com": true, "acme.visualstudio.com": true, "tfs.acme.example": true, "DEV.AZURE.COM": true,
		"visualstudio.com.evil.example": false, "evil.example": false, "": false,
		// "*.visualstudio.com" means subdomains only, not any name ending so.
		"evilvisualstudio.com": false, "visualstudio.com": false, "evil.dev.azure.com": false,
	} {
		if _, _, ok := az.Token(getenvFrom(map[string]string{"SYSTEM_ACCESSTOKEN": "az"}), host); ok != want {
			t.Errorf("azure token for %q: %v, want %v", host, ok, want)
		}
	}
}

func TestToken(t *testing.T) {
	tests := []struct {
		name        string
		sys         System
		env         map[string]string
		user, token string
		ok          bool
	}{
		{"github", GitHub, map[string]string{"GITHUB_TOKEN": "ghs_x"}, "x-access-token", "ghs_x", true},
		{"azure", Azure, map[string]string{"SYSTEM_ACCESSTOKEN": "az"}, "build", "az", true},
		{"gitlab job token", GitLab, map[string]string{"CI_JOB_TOKEN": "job"}, "gitlab-ci-token", "job", true},
		{"gitlab project token wins", GitLab, map[string]string{"CI_JOB_TOKEN": "job", "TAGBUMP_GIT_TOKEN": "glpat"},
			"oauth2", "glpat", true},
		{"explicit user", GitHub, map[string]string{"GITHUB_TOKEN": "ghs", "TAGBUMP_GIT_TOKEN": "pat", "TAGBUMP_GIT_USER": "bot"},
			"bot", "pat", true},
		{"generic explicit", Generic, map[string]string{"TAGBUMP_GIT_TOKEN": "t"}, "tagbump", "t", true},
		{"generic ignores other systems' tokens", Generic, map[string]string{"GITHUB_TOKEN": "ghs", "CI_JOB_TOKEN": "j"}, "", "", false},
		{"github none", GitHub, map[string]string{"SYSTEM_ACCESSTOKEN": "az"}, "", "", false},
		{"job token kept from another host", GitLab, map[string]string{"CI_JOB_TOKEN": "job", "host": "evil.example"}, "", "", false},
		{"explicit token to any host", GitLab, map[string]string{"TAGBUMP_GIT_TOKEN": "glpat", "host": "other.example"}, "oauth2", "glpat", true},
		{"no host (local path)", GitHub, map[string]string{"GITHUB_TOKEN": "ghs", "host": ""}, "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			host, set := tt.env["host"]
			if !set {
				host = "git.example"
			}
			e := Env{System: tt.sys, ServerHosts: []string{"git.example"}}
			user, token, ok := e.Token(getenvFrom(tt.env), host)
			if user != tt.user || token != tt.token || ok != tt.ok {
				t.Errorf("Token() = %q, %q, %v; want %q, %q, %v", user, token, ok, tt.user, tt.token, tt.ok)
			}
		})
	}
}

var sample = Result{
	Image:   "registry.example/shop/api:1.4.2",
	Digest:  "sha256:3b1f",
	Commit:  "9f8e7d",
	Changed: true,
	Files: []FileChange{
		{File: "shop/values-prod.yaml", Key: "api.image.tag", Old: "1.4.1", New: "1.4.2"},
		{File: "shop/values-prod.yaml", Key: "a|b", Old: "x`y", New: ""},
	},
	Repo:   "https://bot:s3cret@git.example/acme/charts.git",
	Branch: "main",
}

func TestWriteOutputsGitHub(t *testing.T) {
	dir := t.TempDir()
	e := Env{System: GitHub, OutputFile: filepath.Join(dir, "out"), SummaryFile: filepath.Join(dir, "sum")}
	if err := os.WriteFile(e.OutputFile, []byte("earlier=1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout bytes.Buffer
	if err := e.WriteOutputs(sample, &stdout); err != nil {
		t.Fatal(err)
	}
	if stdout.Len() != 0 {
		t.Errorf("stdout = %q, want nothing", stdout.String())
	}
	wantOut := `earlier=1
image<<TAGBUMP_EOF
registry.example/shop/api:1.4.2
TAGBUMP_EOF
digest<<TAGBUMP_EOF
sha256:3b1f
TAGBUMP_EOF
commit<<TAGBUMP_EOF
9f8e7d
TAGBUMP_EOF
changed<<TAGBUMP_EOF
true
TAGBUMP_EOF
outcome<<TAGBUMP_EOF
changed
TAGBUMP_EOF
`
	checkFile(t, e.OutputFile, wantOut)
	wantSum := "### tagbump: changed\n\n" +
		"| File | Key | Old | New |\n| --- | --- | --- | --- |\n" +
		"| `shop/values-prod.yaml` | `api.image.tag` | `1.4.1` | `1.4.2` |\n" +
		"| `shop/values-prod.yaml` | `a\\|b` | `` x`y `` |  |\n\n" +
		"| | |\n| --- | --- |\n" +
		"| Image | `registry.example/shop/api:1.4.2` |\n" +
		"| Digest | `sha256:3b1f` |\n" +
		"| Repository | `https://REDACTED@git.example/acme/charts.git` |\n" +
		"| Branch | `main` |\n" +
		"| Commit | `9f8e7d` |\n\n"
	checkFile(t, e.SummaryFile, wantSum)
}

func TestWriteOutputsGitHubUnchangedNoSummaryFile(t *testing.T) {
	dir := t.TempDir()
	e := Env{System: GitHub, OutputFile: filepath.Join(dir, "out")}
	r := Result{Image: "app:1", Outcome: "skipped"}
	if err := e.WriteOutputs(r, nil); err != nil {
		t.Fatal(err)
	}
	checkFile(t, e.OutputFile, "image<<TAGBUMP_EOF\napp:1\nTAGBUMP_EOF\n"+
		"digest<<TAGBUMP_EOF\n\nTAGBUMP_EOF\ncommit<<TAGBUMP_EOF\n\nTAGBUMP_EOF\n"+
		"changed<<TAGBUMP_EOF\nfalse\nTAGBUMP_EOF\noutcome<<TAGBUMP_EOF\nskipped\nTAGBUMP_EOF\n")
	if got := string(githubSummary(r)); got != "### tagbump: skipped\n\nNo values file changed.\n\n| | |\n| --- | --- |\n| Image | `app:1` |\n\n" {
		t.Errorf("summary = %q", got)
	}
}

// A value cannot end the heredoc early and smuggle in another output.
func TestGitHubOutputsDelimiterClash(t *testing.T) {
	r := Result{Image: "x\nTAGBUMP_EOF\nchanged=true", Outcome: "TAGBUMP_EOF_1"}
	got := string(githubOutputs(r.outputs()))
	if !strings.HasPrefix(got, "image<<TAGBUMP_EOF_2\nx\nTAGBUMP_EOF\nchanged=true\nTAGBUMP_EOF_2\n") {
		t.Errorf("outputs = %q", got)
	}
}

func TestWriteOutputsAzure(t *testing.T) {
	var stdout bytes.Buffer
	r := sample
	r.Image = "app:1;]%\r\nx"
	if err := (Env{System: Azure}).WriteOutputs(r, &stdout); err != nil {
		t.Fatal(err)
	}
	want := "##vso[task.setvariable variable=image;isOutput=true]app:1;]%AZP25%0D%0Ax\n" +
		"##vso[task.setvariable variable=digest;isOutput=true]sha256:3b1f\n" +
		"##vso[task.setvariable variable=commit;isOutput=true]9f8e7d\n" +
		"##vso[task.setvariable variable=changed;isOutput=true]true\n" +
		"##vso[task.setvariable variable=outcome;isOutput=true]changed\n"
	if diff := cmp.Diff(want, stdout.String()); diff != "" {
		t.Errorf("azure output (-want +got):\n%s", diff)
	}
}

// A verified signature adds four outputs, in Azure's output variables as
// everywhere.
func TestWriteOutputsAzureSignature(t *testing.T) {
	var stdout bytes.Buffer
	r := sample
	r.Signature = &Signature{SignedBy: "key sha256:0123456789abcdef", Attested: []string{"https://slsa.dev/provenance/v1", "https://spdx.dev/Document"}}
	if err := (Env{System: Azure}).WriteOutputs(r, &stdout); err != nil {
		t.Fatal(err)
	}
	want := "##vso[task.setvariable variable=signature_verified;isOutput=true]true\n" +
		"##vso[task.setvariable variable=signed_by;isOutput=true]key sha256:0123456789abcdef\n" +
		"##vso[task.setvariable variable=signature_issuer;isOutput=true]\n" +
		"##vso[task.setvariable variable=attested;isOutput=true]https://slsa.dev/provenance/v1,https://spdx.dev/Document\n"
	if got := stdout.String(); !strings.HasSuffix(got, want) {
		t.Errorf("azure output ends\n%s\nwant\n%s", got, want)
	}
}

func TestWriteOutputsDotenv(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tagbump.env")
	if err := os.WriteFile(path, []byte("OLD=1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var stdout bytes.Buffer
	if err := (Env{System: GitLab}).WriteOutputs(sample, &stdout, WithDotenv(path)); err != nil {
		t.Fatal(err)
	}
	if stdout.Len() != 0 {
		t.Errorf("stdout = %q, want nothing", stdout.String())
	}
	checkFile(t, path, "TAGBUMP_RESULT_IMAGE=registry.example/shop/api:1.4.2\nTAGBUMP_RESULT_DIGEST=sha256:3b1f\n"+
		"TAGBUMP_RESULT_COMMIT=9f8e7d\nTAGBUMP_RESULT_CHANGED=true\nTAGBUMP_RESULT_OUTCOME=changed\n")
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("stat %s: %v, %v; want mode 0644", path, fi.Mode(), err)
	}

	// A line break cannot be written, and the old file stays whole.
	bad := sample
	bad.Commit = "a\nEVIL=1"
	err := (Env{System: GitLab}).WriteOutputs(bad, &stdout, WithDotenv(path))
	if err == nil || !strings.Contains(err.Error(), "value of commit has a line break") {
		t.Errorf("err = %v, want a line break error", err)
	}
	checkFile(t, path, "TAGBUMP_RESULT_IMAGE=registry.example/shop/api:1.4.2\nTAGBUMP_RESULT_DIGEST=sha256:3b1f\n"+
		"TAGBUMP_RESULT_COMMIT=9f8e7d\nTAGBUMP_RESULT_CHANGED=true\nTAGBUMP_RESULT_OUTCOME=changed\n")
	if ents, _ := os.ReadDir(filepath.Dir(path)); len(ents) != 1 {
		t.Errorf("dir has %d entries, want only the dotenv file", len(ents))
	}
}

func TestWriteOutputsGenericWritesNothing(t *testing.T) {
	var stdout bytes.Buffer
	if err := (Env{System: Generic, OutputFile: "/nonexistent/x"}).WriteOutputs(sample, &stdout); err != nil {
		t.Fatal(err)
	}
	if stdout.Len() != 0 {
		t.Errorf("stdout = %q", stdout.String())
	}
}

func TestWriteOutputsError(t *testing.T) {
	e := Env{System: GitHub, OutputFile: filepath.Join(t.TempDir(), "missing", "out")}
	err := e.WriteOutputs(sample, nil)
	if err == nil || !strings.HasPrefix(err.Error(), "write GITHUB_OUTPUT: ") {
		t.Errorf("err = %v", err)
	}
	// A failed write is reported although the file then closes fine
	// (Linux's /dev/full refuses every write).
	e = Env{System: GitHub, OutputFile: "/dev/full"}
	if err := e.WriteOutputs(sample, nil); err == nil || !strings.Contains(err.Error(), "no space left") {
		t.Errorf("writing to /dev/full: %v", err)
	}
}

func TestAnnotate(t *testing.T) {
	msg := "push refused: 50% done\r\nhook said: no, never"
	tests := []struct {
		sys   System
		level string
		want  string
	}{
		{GitHub, "error", "::error title=tagbump::push refused: 50%25 done%0D%0Ahook said: no, never\n"},
		{GitHub, "warning", "::warning title=tagbump::push refused: 50%25 done%0D%0Ahook said: no, never\n"},
		{GitHub, "info", "::warning title=tagbump::push refused: 50%25 done%0D%0Ahook said: no, never\n"},
		{Azure, "error", "##vso[task.logissue type=error]push refused: 50%AZP25 done%0D%0Ahook said: no, never\n"},
		{Azure, "warning", "##vso[task.logissue type=warning]push refused: 50%AZP25 done%0D%0Ahook said: no, never\n"},
		{GitLab, "error", ""},
		{Generic, "error", ""},
	}
	for _, tt := range tests {
		var b bytes.Buffer
		Env{System: tt.sys}.Annotate(&b, tt.level, msg)
		if b.String() != tt.want {
			t.Errorf("%s %s: got %q, want %q", tt.sys, tt.level, b.String(), tt.want)
		}
	}
}

func TestEscapeProperties(t *testing.T) {
	if got, want := githubProperty("a:b,c%d\ne"), "a%3Ab%2Cc%25d%0Ae"; got != want {
		t.Errorf("githubProperty = %q, want %q", got, want)
	}
	if got, want := azureProperty("a;b]c%d\r\ne"), "a%3Bb%5Dc%AZP25d%0D%0Ae"; got != want {
		t.Errorf("azureProperty = %q, want %q", got, want)
	}
}

func checkFile(t *testing.T, path, want string) {
	t.Helper()
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, string(got)); diff != "" {
		t.Errorf("%s (-want +got):\n%s", filepath.Base(path), diff)
	}
}

func TestTrailersAndLogFields(t *testing.T) {
	e := Env{System: GitLab, Repository: "acme/shop", Commit: "c0ffee", RunURL: "https://gl/j/1", Actor: "Jane\nDoe"}
	want := [][2]string{{"CI-System", "gitlab"}, {"CI-Source", "acme/shop@c0ffee"}, {"CI-Run", "https://gl/j/1"}, {"CI-Actor", "Jane Doe"}}
	if diff := cmp.Diff(want, e.Trailers()); diff != "" {
		t.Errorf("Trailers (-want +got):\n%s", diff)
	}
	if got := (Env{System: Azure, Actor: "x"}).Trailers(); !cmp.Equal(got, [][2]string{{"CI-System", "azure"}, {"CI-Actor", "x"}}) {
		t.Errorf("sparse Trailers = %v", got)
	}
	if got := (Env{System: Generic}).Trailers(); got != nil {
		t.Errorf("generic Trailers = %v, want none", got)
	}
	if diff := cmp.Diff([]any{"ci", "gitlab", "source", "acme/shop@c0ffee", "run", "https://gl/j/1"}, e.LogFields()); diff != "" {
		t.Errorf("LogFields (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]any(nil), Env{System: Generic}.LogFields()); diff != "" {
		t.Errorf("generic LogFields (-want +got):\n%s", diff)
	}
}

// TestWriteOutputsRedacted: a value a server returned (the pull request's
// URL) that holds a secret tagbump was given reaches none of the files
// written for the CI system.
func TestWriteOutputsRedacted(t *testing.T) {
	const secret = "s3cr3t-t0ken-value"
	dir := t.TempDir()
	e := Env{System: GitHub, OutputFile: filepath.Join(dir, "out"), SummaryFile: filepath.Join(dir, "sum")}
	r := sample
	r.PRURL, r.PRNumber, r.PRAction = "https://git.example/pr/7?t="+secret, 7, "created"
	dotenv := filepath.Join(dir, "dotenv")
	var stderr bytes.Buffer
	if err := e.WriteOutputs(r, &stderr, WithDotenv(dotenv), WithRedactor(NewRedactor(secret))); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{e.OutputFile, e.SummaryFile, dotenv} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(b), secret) || !strings.Contains(string(b), Redacted) {
			t.Errorf("%s:\n%s\nwant the secret hidden", filepath.Base(f), b)
		}
	}
}
