package cli

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/log"
	"github.com/tagbump/tagbump/pkg/registry"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
)

func TestNewCmdVerifyFlags(t *testing.T) {
	var got *VerifyOptions
	cmd := NewCmdVerify(IOStreams{Out: &bytes.Buffer{}, Err: &bytes.Buffer{}}, func(o *VerifyOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"--tag-pattern", "v[0-9]+", "--expect-digest", "sha256:abc", "-o", "json",
		"--insecure-registry", "a.example:5000", "--insecure-registry", "b.example", "--timeout", "5s", "--retries", "1", "r.example/app:v1"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	want := &VerifyOptions{Image: "r.example/app:v1", ExpectDigest: "sha256:abc", Output: outputFlag{Format: "json"},
		Registry: registryFlags{TagPattern: "v[0-9]+", Insecure: []string{"a.example:5000", "b.example"}, Timeout: 5 * time.Second, Retries: 1}}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(VerifyOptions{})); diff != "" {
		t.Errorf("options (-want +got):\n%s", diff)
	}
}

func TestRegistryFlagsPolicyAnchored(t *testing.T) {
	f := registryFlags{TagPattern: "app-[0-9]+"}
	p, err := f.policy()
	if err != nil {
		t.Fatal(err)
	}
	if p.Check("app-12") != nil || p.Check("xapp-12") == nil || p.Check("app-12x") == nil {
		t.Errorf("--tag-pattern is not matched against the whole tag")
	}
	f.TagPattern = "("
	if _, err := f.policy(); ExitCode(err) != ExitUsage {
		t.Errorf("invalid pattern: exit code %d, want %d", ExitCode(err), ExitUsage)
	}
}

func TestRegistryKeychainFromEnv(t *testing.T) {
	t.Setenv(envRegistryUsername, "ci")
	t.Setenv(envRegistryPassword, "pw-secret")
	kc, err := registryKeychain("r.example")
	if err != nil {
		t.Fatal(err)
	}
	reg, _ := name.NewRegistry("r.example")
	a, err := kc.Resolve(reg)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := a.Authorization()
	if err != nil || cfg.Username != "ci" || cfg.Password != "pw-secret" {
		t.Errorf("Authorization() = %+v, %v", cfg, err)
	}
	// Another registry does not get them.
	other, _ := name.NewRegistry("elsewhere.example")
	if a, err = kc.Resolve(other); err != nil {
		t.Fatal(err)
	}
	if cfg, _ := a.Authorization(); cfg.Password != "" {
		t.Errorf("credentials for another registry: %+v", cfg)
	}
	t.Setenv(envRegistryPassword, "")
	if _, err := registryKeychain("r.example"); ExitCode(err) != ExitUsage {
		t.Errorf("username without password: exit code %d, want %d", ExitCode(err), ExitUsage)
	}
	t.Setenv(envRegistryUsername, "")
	if kc, err := registryKeychain("r.example"); err != nil || kc != authn.DefaultKeychain {
		t.Errorf("no env: keychain %v, %v; want the default keychain", kc, err)
	}
}

func TestProgressReporterLogsWhenNotATerminal(t *testing.T) {
	var buf bytes.Buffer
	p := newProgressReporter(&buf, log.New(&buf), 0)
	p.report(registry.Progress{Complete: 2e6, Total: 5e6, Layers: 2})
	p.done()
	if got := buf.String(); !strings.Contains(got, "pushing") || !strings.Contains(got, "2.0 MB") || !strings.Contains(got, "5.0 MB") || strings.Contains(got, "\r") {
		t.Errorf("progress output = %q, want a log line with done and total", got)
	}
}

func TestRegistryFlagsRetriesBelowOne(t *testing.T) {
	for _, n := range []int{0, -1} {
		f := registryFlags{Timeout: time.Second, Retries: n}
		_, err := f.options("r.example")
		if ExitCode(err) != ExitUsage || err == nil || !strings.Contains(err.Error(), "--retries") || !strings.Contains(err.Error(), "1 = no retry") {
			t.Errorf("--retries %d: %v (exit code %d), want a usage error naming --retries and 1 = no retry", n, err, ExitCode(err))
		}
	}
	f := registryFlags{Timeout: time.Second, Retries: 1}
	if _, err := f.options("r.example"); err != nil {
		t.Errorf("--retries 1: %v", err)
	}
}

// Docker Hub is written docker.io in an image reference, and
// go-containerregistry names its registry index.docker.io: the
// environment's credentials must reach it under either name.
func TestRegistryKeychainDockerHub(t *testing.T) {
	t.Setenv(envRegistryUsername, "ci")
	t.Setenv(envRegistryPassword, "pw-secret")
	for _, host := range []string{"docker.io", "index.docker.io"} {
		kc, err := registryKeychain(host)
		if err != nil {
			t.Fatal(err)
		}
		for _, image := range []string{"docker.io/library/app:1.0", "index.docker.io/team/app:1.0"} {
			ref, err := name.ParseReference(image, name.StrictValidation)
			if err != nil {
				t.Fatal(err)
			}
			a, err := kc.Resolve(ref.Context())
			if err != nil {
				t.Fatal(err)
			}
			if cfg, err := a.Authorization(); err != nil || cfg.Username != "ci" || cfg.Password != "pw-secret" {
				t.Errorf("credentials for %s, image %s: %+v, %v; want the environment's", host, image, cfg, err)
			}
		}
	}
}
