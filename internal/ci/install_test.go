package ci_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

const releases = "https://github.com/tagbump/tagbump/releases"

// release serves a goreleaser-shaped release of a stand-in tagbump on
// loopback, at /releases/latest/download/ and /releases/download/v1.2.3/.
// With tamper, checksums.txt does not match the archive.
func release(t *testing.T, tamper bool) *httptest.Server {
	t.Helper()
	var tgz bytes.Buffer
	gz := gzip.NewWriter(&tgz)
	tw := tar.NewWriter(gz)
	exe := []byte("#!/bin/sh\necho stand-in tagbump \"$@\"\n")
	for _, h := range []*tar.Header{
		{Name: "README.md", Mode: 0o644, Size: 3},
		{Name: "tagbump", Mode: 0o755, Size: int64(len(exe))},
	} {
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		data := exe
		if h.Name == "README.md" {
			data = []byte("hi\n")
		}
		if _, err := tw.Write(data); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	asset := "tagbump_linux_" + runtime.GOARCH + ".tar.gz"
	sum := sha256.Sum256(tgz.Bytes())
	if tamper {
		sum[0] ^= 0xff
	}
	sums := fmt.Sprintf("%x  tagbump_linux_arm64x.tar.gz\n%x  %s\n", sha256.Sum256(nil), sum, asset)
	files := map[string][]byte{asset: tgz.Bytes(), "checksums.txt": []byte(sums)}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for _, prefix := range []string{"/releases/latest/download/", "/releases/download/v1.2.3/"} {
			if name, ok := strings.CutPrefix(r.URL.Path, prefix); ok {
				if b, ok := files[name]; ok {
					w.Write(b)
					return
				}
			}
		}
		http.NotFound(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// runInstall runs an install script against srv with env added and returns
// its combined output.
func runInstall(t *testing.T, shell, script string, srv *httptest.Server, env ...string) (string, error) {
	t.Helper()
	if !strings.Contains(script, releases) {
		t.Fatalf("install script does not download from %s", releases)
	}
	cmd := exec.Command(shell, "-c", strings.ReplaceAll(script, releases, srv.URL+"/releases"))
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func githubInstallScript(t *testing.T) string {
	var action struct {
		Runs struct{ Steps []struct{ Name, Run string } }
	}
	readYAML(t, "action.yml", &action)
	for _, s := range action.Runs.Steps {
		if s.Name == "Install tagbump" {
			return s.Run
		}
	}
	t.Fatal("action.yml has no Install tagbump step")
	return ""
}

func runnerArch() string {
	return map[string]string{"amd64": "X64", "arm64": "ARM64"}[runtime.GOARCH]
}

func TestGitHubActionInstall(t *testing.T) {
	script := githubInstallScript(t)
	tests := []struct {
		name, version, ref string
		tamper             bool
		wantDir, wantErr   string
	}{
		{name: "release tag of the action", ref: "v1.2.3", wantDir: "tagbump-v1.2.3"},
		{name: "branch ref means latest", ref: "main", wantDir: "tagbump-latest"},
		{name: "explicit latest", version: "latest", ref: "v1.2.3", wantDir: "tagbump-latest"},
		{name: "unknown tag", version: "v9.9.9", wantErr: "404"},
		{name: "bad version", version: "v1;id", wantErr: "::error title=tagbump::input version must be a release tag"},
		{name: "checksum mismatch", version: "latest", tamper: true, wantErr: "FAILED"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := release(t, tt.tamper)
			tmp := t.TempDir()
			ghPath := filepath.Join(tmp, "github_path")
			out, err := runInstall(t, "bash", script, srv, "TB_VERSION="+tt.version, "TB_ACTION_REF="+tt.ref,
				"RUNNER_OS=Linux", "RUNNER_ARCH="+runnerArch(), "RUNNER_TEMP="+tmp, "GITHUB_PATH="+ghPath)
			path, _ := os.ReadFile(ghPath)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(out, tt.wantErr) {
					t.Errorf("err = %v, output %q; want failure with %q", err, out, tt.wantErr)
				}
				if len(path) != 0 {
					t.Errorf("failed install added %q to GITHUB_PATH", path)
				}
				return
			}
			if err != nil {
				t.Fatalf("install: %v\n%s", err, out)
			}
			dir := filepath.Join(tmp, tt.wantDir)
			if string(path) != dir+"\n" {
				t.Errorf("GITHUB_PATH = %q, want %q", path, dir+"\n")
			}
			got, err := exec.Command(filepath.Join(dir, "tagbump"), "version").CombinedOutput()
			if err != nil || string(got) != "stand-in tagbump version\n" {
				t.Errorf("installed tagbump: %q, %v", got, err)
			}
		})
	}
}

func TestAzureInstall(t *testing.T) {
	var tmpl struct {
		Steps []struct{ Bash, DisplayName string }
	}
	readYAML(t, "ci-templates/azure-pipelines/tagbump-step.yml", &tmpl)
	srv := release(t, false)
	tmp := t.TempDir()
	out, err := runInstall(t, "bash", tmpl.Steps[0].Bash, srv, "TB_VERSION=v1.2.3", "AGENT_TEMPDIRECTORY="+tmp)
	if err != nil {
		t.Fatalf("install: %v\n%s", err, out)
	}
	dir := filepath.Join(tmp, "tagbump-v1.2.3")
	if !strings.HasSuffix(out, "##vso[task.prependpath]"+dir+"\n") {
		t.Errorf("output %q does not end with the prependpath command for %s", out, dir)
	}
	if _, err := os.Stat(filepath.Join(dir, "tagbump")); err != nil {
		t.Error(err)
	}

	out, err = runInstall(t, "bash", tmpl.Steps[0].Bash, release(t, true), "TB_VERSION=latest", "AGENT_TEMPDIRECTORY="+tmp)
	if err == nil || strings.Contains(out, "prependpath") {
		t.Errorf("tampered release installed: %v\n%s", err, out)
	}
}

func TestGitLabInstall(t *testing.T) {
	var tmpl map[string]struct {
		BeforeScript []string `yaml:"before_script"`
	}
	readYAML(t, "ci-templates/gitlab/tagbump.gitlab-ci.yml", &tmpl)
	script := strings.Join(tmpl[".tagbump"].BeforeScript, "\n") + "\ntagbump version\n"
	out, err := runInstall(t, "sh", script, release(t, false), "TAGBUMP_INSTALL_VERSION=latest",
		"CI_REGISTRY=", "CI_REGISTRY_PASSWORD=")
	if err != nil || !strings.HasSuffix(out, "stand-in tagbump version\n") {
		t.Errorf("install then run: %v\n%s", err, out)
	}

	// The job's registry credentials become a docker config outside the
	// project directory.
	script = strings.Join(tmpl[".tagbump"].BeforeScript, "\n") + "\ncat \"$DOCKER_CONFIG/config.json\"\n"
	out, err = runInstall(t, "sh", script, release(t, false), "TAGBUMP_INSTALL_VERSION=latest", "DOCKER_CONFIG=",
		"CI_REGISTRY=registry.gitlab.example", "CI_REGISTRY_USER=gitlab-ci-token", "CI_REGISTRY_PASSWORD=pw")
	want := `{"auths":{"registry.gitlab.example":{"auth":"Z2l0bGFiLWNpLXRva2VuOnB3"}}}`
	if err != nil || !strings.HasSuffix(out, want) {
		t.Errorf("docker config: %v\n%s\nwant suffix %s", err, out, want)
	}

	out, err = runInstall(t, "sh", script, release(t, true), "TAGBUMP_INSTALL_VERSION=latest")
	if err == nil {
		t.Errorf("tampered release installed:\n%s", out)
	}
}
