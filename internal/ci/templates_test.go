package ci_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/tagbump/tagbump/internal/cli"
	"go.yaml.in/yaml/v3"
)

// bumpFlags are the `tagbump bump` flags the CI templates pass on.
var bumpFlags = []string{
	"repo", "chart", "env", "image", "branch", "key", "values-file", "digest", "no-verify",
	"push-from", "dry-run", "output", "skip-ci", "author", "committer", "max-attempts", "dotenv", "log-level",
	"pr", "pr-branch", "pr-title", "pr-body", "pr-label", "pr-reviewer", "pr-assignee", "pr-draft",
	"pr-overwrite", "auto-merge", "merge-method", "provider", "api-url",
	"wait", "status-context", "argocd-server", "app", "app-namespace", "apps-path", "apps-repo", "wait-timeout",
	"commit-via", "signoff", "tag-pattern", "allow-rolled-back", "retry-for",
	"require-signature", "certificate-identity", "certificate-identity-regexp", "certificate-oidc-issuer",
	"certificate-oidc-issuer-regexp", "certificate-github-repository", "certificate-github-ref", "certificate-extension",
	"signature-key", "require-attestation", "trusted-root", "tuf-url", "tuf-root",
}

// pinned is a release tag, as the templates install by default.
var pinned = regexp.MustCompile(`^v[0-9]+\.[0-9]+\.[0-9]+$`)

// outputNames are the step outputs WriteOutputs writes.
var outputNames = []string{"image", "digest", "commit", "changed", "outcome", "pr_url", "pr_number", "pr_action",
	"deploy_commit", "deploy_state", "synced_revision", "health", "waited_seconds", "pr_state",
	"signature_verified", "signed_by", "signature_issuer", "attested"}

func readYAML(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", path))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// checkScript fails when script is not valid shell or expands a template
// expression inside the script, where a value could inject commands.
func checkScript(t *testing.T, name, shell, script string) {
	t.Helper()
	if strings.Contains(script, "${{") {
		t.Errorf("%s: script expands a ${{ }} expression; pass values through env", name)
	}
	cmd := exec.Command(shell, "-n")
	cmd.Stdin = strings.NewReader(script)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("%s: %s -n: %v\n%s", name, shell, err, out)
	}
}

func TestGitHubAction(t *testing.T) {
	var action struct {
		Name    string
		Inputs  map[string]struct{ Description, Default string }
		Outputs map[string]struct{ Description, Value string }
		Runs    struct {
			Using string
			Steps []struct {
				ID, Name, Shell, Run string
				Env                  map[string]string
			}
		}
	}
	readYAML(t, "action.yml", &action)
	if action.Runs.Using != "composite" {
		t.Errorf("runs.using = %q, want composite", action.Runs.Using)
	}
	var bump *struct {
		ID, Name, Shell, Run string
		Env                  map[string]string
	}
	for i, s := range action.Runs.Steps {
		checkScript(t, "action.yml step "+s.Name, "bash", s.Run)
		if s.ID == "bump" {
			bump = &action.Runs.Steps[i]
		}
	}
	if bump == nil {
		t.Fatal("action.yml has no step with id bump")
	}
	if bump.Run != "tagbump bump" {
		t.Errorf("bump step runs %q, want tagbump bump", bump.Run)
	}
	// GitHub only: API commits and signing (whose key and passphrase are
	// the variables TAGBUMP_SIGN_KEY and TAGBUMP_SIGN_KEY_PASSPHRASE, the
	// key's text, not a flag's).
	secrets := map[string]string{"sign-key": "TAGBUMP_SIGN_KEY", "sign-key-passphrase": "TAGBUMP_SIGN_KEY_PASSPHRASE", "argocd-token": "ARGOCD_AUTH_TOKEN"}
	for in, env := range secrets {
		if action.Inputs[in].Description == "" || bump.Env[env] != "${{ inputs."+in+" }}" {
			t.Errorf("input %q (described: %v) is not passed as %s", in, action.Inputs[in].Description != "", env)
		}
	}
	for _, f := range bumpFlags {
		in, ok := action.Inputs[f]
		if !ok {
			t.Errorf("action.yml has no input %q for --%s", f, f)
			continue
		}
		if in.Description == "" {
			t.Errorf("input %q has no description", f)
		}
		if got, want := bump.Env[cli.EnvName(f)], "${{ inputs."+f+" }}"; got != want {
			t.Errorf("bump step env %s = %q, want %q", cli.EnvName(f), got, want)
		}
	}
	if got := bump.Env["GITHUB_TOKEN"]; got != "${{ inputs.token }}" {
		t.Errorf("bump step GITHUB_TOKEN = %q, want the token input", got)
	}
	for _, o := range outputNames {
		if got, want := action.Outputs[o].Value, "${{ steps.bump.outputs."+o+" }}"; got != want {
			t.Errorf("output %s = %q, want %q", o, got, want)
		}
	}
	// Every TAGBUMP_ variable of the step is a flag's, so none is ignored.
	for k := range bump.Env {
		flag := slices.ContainsFunc(bumpFlags, func(f string) bool { return cli.EnvName(f) == k })
		if strings.HasPrefix(k, "TAGBUMP_") && !flag && k != secrets["sign-key"] && k != secrets["sign-key-passphrase"] {
			t.Errorf("bump step sets %s, which is no flag", k)
		}
	}
}

// azureParam is the parameter name of a flag: camelCase.
func azureParam(flag string) string {
	parts := strings.Split(flag, "-")
	for i := 1; i < len(parts); i++ {
		parts[i] = strings.ToUpper(parts[i][:1]) + parts[i][1:]
	}
	return strings.Join(parts, "")
}

func TestAzureStepTemplate(t *testing.T) {
	var tmpl struct {
		Parameters []struct {
			Name, Type string
			Default    any
		}
		Steps []struct {
			Bash, Name, DisplayName string
			Env                     map[string]string
		}
	}
	readYAML(t, "ci-templates/azure-pipelines/tagbump-step.yml", &tmpl)
	params := map[string]string{}
	var stepName, version any
	for _, p := range tmpl.Parameters {
		params[p.Name] = p.Type
		switch p.Name {
		case "stepName":
			stepName = p.Default
		case "version":
			version = p.Default
		}
	}
	if v, _ := version.(string); !pinned.MatchString(v) {
		t.Errorf("default version = %v, want a release tag: a template installs a pinned release by default", version)
	}
	if len(tmpl.Steps) != 2 {
		t.Fatalf("template has %d steps, want install and bump", len(tmpl.Steps))
	}
	for _, s := range tmpl.Steps {
		checkScript(t, "azure step "+s.DisplayName, "bash", s.Bash)
	}
	bump := tmpl.Steps[1]
	if !strings.HasSuffix(bump.Bash, "exec tagbump bump\n") || bump.Name != "${{ parameters.stepName }}" {
		t.Errorf("bump step = %q named %q", bump.Bash, bump.Name)
	}
	// The signing key is a secure file's path, given as --sign-key (its
	// variable holds a key's text); passphrase and Argo CD token are
	// secrets mapped into the step's environment.
	for p, env := range map[string]string{"signKeyFile": "TB_SIGN_KEY_FILE", "signKeyPassphrase": "TAGBUMP_SIGN_KEY_PASSPHRASE", "argocdToken": "ARGOCD_AUTH_TOKEN"} {
		if params[p] != "string" || bump.Env[env] != "${{ parameters."+p+" }}" {
			t.Errorf("parameter %s (type %q) is not passed as %s", p, params[p], env)
		}
	}
	if !strings.Contains(bump.Bash, `--sign-key "$TB_SIGN_KEY_FILE"`) {
		t.Errorf("bump step does not pass the key file as --sign-key:\n%s", bump.Bash)
	}
	if bump.Env["SYSTEM_ACCESSTOKEN"] != "$(System.AccessToken)" {
		t.Errorf("SYSTEM_ACCESSTOKEN = %q, want $(System.AccessToken)", bump.Env["SYSTEM_ACCESSTOKEN"])
	}
	bools := []string{"digest", "no-verify", "dry-run", "skip-ci", "pr", "pr-draft", "pr-overwrite", "auto-merge", "wait", "signoff", "allow-rolled-back", "require-signature"}
	for _, f := range bumpFlags {
		p := azureParam(f)
		typ, ok := params[p]
		if !ok {
			t.Errorf("no parameter %s for --%s", p, f)
			continue
		}
		if want := map[bool]string{true: "boolean", false: "string"}[slices.Contains(bools, f)]; typ != want {
			t.Errorf("parameter %s has type %s, want %s", p, typ, want)
		}
		if got, want := bump.Env[cli.EnvName(f)], "${{ parameters."+p+" }}"; got != want {
			t.Errorf("bump env %s = %q, want %q", cli.EnvName(f), got, want)
		}
	}
	if s, ok := stepName.(string); !ok || s == "" || strings.EqualFold(s, "tagbump") {
		t.Errorf("default stepName = %v: want a name that does not turn outputs into TAGBUMP_* variables", stepName)
	}
}

func TestGitLabJobTemplate(t *testing.T) {
	var tmpl map[string]struct {
		Image        string
		Variables    map[string]string
		BeforeScript []string `yaml:"before_script"`
		Script       []string
		Artifacts    struct {
			Reports struct{ Dotenv string }
		}
	}
	readYAML(t, "ci-templates/gitlab/tagbump.gitlab-ci.yml", &tmpl)
	job, ok := tmpl[".tagbump"]
	if !ok {
		t.Fatal("no hidden job .tagbump")
	}
	if v := job.Variables["TAGBUMP_INSTALL_VERSION"]; !pinned.MatchString(v) {
		t.Errorf("TAGBUMP_INSTALL_VERSION = %q, want a release tag: a template installs a pinned release by default", v)
	}
	if !slices.Equal(job.Script, []string{"tagbump bump"}) {
		t.Errorf("script = %q", job.Script)
	}
	if job.Artifacts.Reports.Dotenv == "" || job.Artifacts.Reports.Dotenv != job.Variables[cli.EnvName("dotenv")] {
		t.Errorf("artifacts:reports:dotenv = %q, TAGBUMP_DOTENV = %q: want the same file",
			job.Artifacts.Reports.Dotenv, job.Variables[cli.EnvName("dotenv")])
	}
	for _, s := range job.BeforeScript {
		checkScript(t, "gitlab before_script", "sh", s)
	}
	for k := range job.Variables {
		f := strings.ToLower(strings.ReplaceAll(strings.TrimPrefix(k, "TAGBUMP_"), "_", "-"))
		if k != cli.EnvName("dotenv") && slices.Contains(bumpFlags, f) {
			t.Errorf("template variable %s would set --%s for every user", k, f)
		}
	}
}

func TestGoreleaserMatchesTemplates(t *testing.T) {
	var cfg struct {
		Version int
		Builds  []struct {
			Main   string
			Env    []string
			Flags  []string
			Goos   []string
			Goarch []string
		}
		Archives []struct {
			NameTemplate string `yaml:"name_template"`
		}
		Checksum struct {
			NameTemplate string `yaml:"name_template"`
		}
		DockersV2 []struct {
			Dockerfile string
			Platforms  []string
		} `yaml:"dockers_v2"`
	}
	readYAML(t, ".goreleaser.yaml", &cfg)
	if cfg.Version != 2 || len(cfg.Builds) != 1 || len(cfg.Archives) != 1 || len(cfg.DockersV2) != 1 {
		t.Fatalf("unexpected shape: %+v", cfg)
	}
	b := cfg.Builds[0]
	if b.Main != "./cmd/tagbump" || !slices.Contains(b.Env, "CGO_ENABLED=0") || !slices.Contains(b.Flags, "-trimpath") {
		t.Errorf("build = %+v, want ./cmd/tagbump, CGO_ENABLED=0, -trimpath", b)
	}
	if !slices.Equal(b.Goos, []string{"linux", "darwin", "windows"}) || !slices.Equal(b.Goarch, []string{"amd64", "arm64"}) {
		t.Errorf("platforms = %v × %v", b.Goos, b.Goarch)
	}
	// The templates download tagbump_<os>_<arch>.<ext> and checksums.txt.
	if got := cfg.Archives[0].NameTemplate; got != "{{ .ProjectName }}_{{ .Os }}_{{ .Arch }}" {
		t.Errorf("archive name_template = %q", got)
	}
	if cfg.Checksum.NameTemplate != "checksums.txt" {
		t.Errorf("checksum name_template = %q", cfg.Checksum.NameTemplate)
	}
	if _, err := os.Stat(filepath.Join("..", "..", cfg.DockersV2[0].Dockerfile)); err != nil {
		t.Errorf("dockers_v2 dockerfile: %v", err)
	}
}

// TestReleaseSigning checks the release configuration, since a real
// release cannot run here: goreleaser signs checksums.txt and the image
// keylessly with cosign (no --key: the workflow's OIDC identity), writes
// SBOMs, and the release workflow may mint that identity and adds SLSA
// provenance.
func TestReleaseSigning(t *testing.T) {
	type sign struct {
		ID, Cmd, Artifacts, Signature string
		Args                          []string
	}
	var cfg struct {
		Signs       []sign
		DockerSigns []sign `yaml:"docker_signs"`
		Sboms       []struct{ Artifacts string }
	}
	readYAML(t, ".goreleaser.yaml", &cfg)
	keyless := func(what string, s sign, want ...string) {
		t.Helper()
		if s.Cmd != "cosign" {
			t.Errorf("%s: cmd %q, want cosign", what, s.Cmd)
		}
		for _, w := range want {
			if !slices.Contains(s.Args, w) {
				t.Errorf("%s: args %q lack %q", what, s.Args, w)
			}
		}
		for _, a := range s.Args {
			if strings.HasPrefix(a, "--key") || strings.HasPrefix(a, "--tlog-upload=false") {
				t.Errorf("%s: args %q: want keyless signing recorded in the transparency log", what, s.Args)
			}
		}
	}
	if i := slices.IndexFunc(cfg.Signs, func(s sign) bool { return s.Artifacts == "checksum" }); i < 0 {
		t.Errorf("signs: nothing signs the checksum file")
	} else {
		keyless("signs["+cfg.Signs[i].ID+"]", cfg.Signs[i], "sign-blob", "--bundle=${signature}", "${artifact}", "--yes")
		if !strings.HasSuffix(cfg.Signs[i].Signature, ".sigstore.json") {
			t.Errorf("signs: signature %q, want a Sigstore bundle (.sigstore.json)", cfg.Signs[i].Signature)
		}
	}
	// docker_signs' default artifacts ("") are the images dockers_v2 built.
	if i := slices.IndexFunc(cfg.DockerSigns, func(s sign) bool { return s.Artifacts == "" || s.Artifacts == "all" || s.Artifacts == "images" }); i < 0 {
		t.Errorf("docker_signs: the images are not signed")
	} else {
		keyless("docker_signs", cfg.DockerSigns[i], "sign", "${artifact}@${digest}", "--yes")
	}
	if !slices.ContainsFunc(cfg.Sboms, func(s struct{ Artifacts string }) bool { return s.Artifacts == "archive" }) {
		t.Errorf("sboms: no SBOM for the archives")
	}

	var wf struct {
		On struct {
			Push struct{ Tags []string }
		}
		Permissions map[string]string
		Jobs        map[string]struct {
			Permissions map[string]string
			Steps       []struct {
				Uses string
				With map[string]string
			}
		}
	}
	readYAML(t, ".github/workflows/release.yml", &wf)
	if !slices.Contains(wf.On.Push.Tags, "v*") {
		t.Errorf("release workflow runs on tags %q, want v*", wf.On.Push.Tags)
	}
	if len(wf.Permissions) != 0 {
		t.Errorf("workflow-wide permissions %v: grant them to the release job only", wf.Permissions)
	}
	found := false
	for name, job := range wf.Jobs {
		uses := func(prefix string) bool {
			return slices.ContainsFunc(job.Steps, func(s struct {
				Uses string
				With map[string]string
			}) bool {
				return strings.HasPrefix(s.Uses, prefix)
			})
		}
		if !uses("goreleaser/goreleaser-action@") {
			continue
		}
		found = true
		for perm, want := range map[string]string{"id-token": "write", "contents": "write", "packages": "write", "attestations": "write"} {
			if job.Permissions[perm] != want {
				t.Errorf("job %s: permissions %s = %q, want %q", name, perm, job.Permissions[perm], want)
			}
		}
		for _, a := range []string{"sigstore/cosign-installer@", "anchore/sbom-action/download-syft@", "actions/attest-build-provenance@"} {
			if !uses(a) {
				t.Errorf("job %s: no step uses %s", name, a)
			}
		}
	}
	if !found {
		t.Error("no job of the release workflow runs goreleaser")
	}
	for _, f := range []string{".github/workflows/release.yml", "ci-templates/github/tagbump-signed.yml"} {
		cosignInstallerInstallsCosignV3(t, f)
	}
}

// cosignInstallerInstallsCosignV3 fails for a step of the workflow in file
// that installs cosign with sigstore/cosign-installer older than v4.
// Installer v3 and earlier verify the binary with its detached
// cosign-<os>-<arch>.sig, which cosign v3 releases no longer publish (they
// ship .sigstore.json bundles): asked for cosign v3 the step fails
// (sigstore/cosign-installer#202, sigstore/cosign#4452), and without
// cosign-release they install cosign v2, not the cosign v3
// checked in docs/guides/signed-images.md.
func cosignInstallerInstallsCosignV3(t *testing.T, file string) {
	t.Helper()
	var wf struct {
		Jobs map[string]struct {
			Steps []struct {
				Uses string
				With map[string]string
			}
		}
	}
	readYAML(t, file, &wf)
	for name, job := range wf.Jobs {
		for _, s := range job.Steps {
			action, ref, ok := strings.Cut(s.Uses, "@")
			if !ok || action != "sigstore/cosign-installer" {
				continue
			}
			major, _, _ := strings.Cut(strings.TrimPrefix(ref, "v"), ".")
			if n, err := strconv.Atoi(major); err != nil || n < 4 {
				t.Errorf("%s: job %s: %s (cosign-release %q) cannot install cosign v3 (no .sig asset to verify): use sigstore/cosign-installer@v4", file, name, s.Uses, s.With["cosign-release"])
			}
		}
	}
}
