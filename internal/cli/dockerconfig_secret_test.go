package cli_test

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDockerConfigSecretRedacted: a registry credential that tagbump found
// in Docker's config (not in its own environment variables) is hidden too
// when the registry echoes the Authorization header in an error.
func TestDockerConfigSecretRedacted(t *testing.T) {
	const user, pass = "robot", "dockerhubPAT_s3cr3t_value"
	basic := base64.StdEncoding.EncodeToString([]byte(user + ":" + pass))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") == "" {
			w.Header().Set("WWW-Authenticate", `Basic realm="registry"`)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		if r.URL.Path == "/v2/" {
			return
		}
		if r.Method == http.MethodHead {
			w.Header().Set("Content-Type", "application/vnd.oci.image.manifest.v1+json")
			w.Header().Set("Content-Length", "100")
			return
		}
		w.WriteHeader(http.StatusInternalServerError)
		fmt.Fprintf(w, "backend failed for request with Authorization: %s", r.Header.Get("Authorization"))
	}))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	dir := t.TempDir()
	cfg := fmt.Sprintf(`{"auths":{%q:{"auth":%q}}}`, host, basic)
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := tagbump(t, []string{"DOCKER_CONFIG=" + dir, "GITHUB_ACTIONS=true", "TAGBUMP_REGISTRY_USERNAME=", "TAGBUMP_REGISTRY_PASSWORD="},
		"verify", host+"/app:1.2.3", "-o", "json", "--retries", "1")
	if code == 0 {
		t.Fatalf("verify against a failing registry: exit 0\n%s%s", out, errOut)
	}
	all := out + errOut
	if !strings.Contains(all, "backend failed") {
		t.Fatalf("the registry's answer is not in the error; the test proves nothing:\n%s", all)
	}
	for _, s := range []string{pass, basic} {
		if strings.Contains(all, s) {
			t.Errorf("the Docker config's credential %q was printed:\n%s", s, all)
		}
	}
}
