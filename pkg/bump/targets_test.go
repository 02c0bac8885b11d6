package bump

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aymanbagabas/go-udiff"
	"github.com/google/go-cmp/cmp"
	"github.com/tagbump/tagbump/pkg/imageref"
)

func ref(s string) imageref.Ref {
	r, err := imageref.Parse(s)
	if err != nil {
		panic(err)
	}
	return r
}

// TestEditFileLayouts sets the tag in each layout public charts use, found
// from the image's repository alone.
func TestEditFileLayouts(t *testing.T) {
	for _, tc := range []struct {
		name, image, src, defaults string
		want                       string // src with the edit
		keys                       []string
	}{
		{name: "repository, registry split out", image: "quay.io/org/app:1.3.0",
			src:  "image:\n  registry: quay.io\n  repository: org/app\n  tag: 1.2.0\n",
			want: "image:\n  registry: quay.io\n  repository: org/app\n  tag: 1.3.0\n", keys: []string{".image.tag"}},
		{name: "bitnami on docker hub", image: "docker.io/bitnami/redis:7.2.5-debian-12-r0",
			src:  "image:\n  registry: docker.io\n  repository: bitnami/redis\n  tag: 7.2.4-debian-12-r9\n  digest: \"\"\nvolumePermissions:\n  image:\n    registry: docker.io\n    repository: bitnami/os-shell\n    tag: 12-debian-12-r16\n",
			want: "image:\n  registry: docker.io\n  repository: bitnami/redis\n  tag: 7.2.5-debian-12-r0\n  digest: \"\"\nvolumePermissions:\n  image:\n    registry: docker.io\n    repository: bitnami/os-shell\n    tag: 12-debian-12-r16\n",
			keys: []string{".image.tag"}},
		{name: "official image, Docker's names", image: "index.docker.io/library/mongo:7.0.12",
			src: "mongodb:\n  image:\n    repository: mongo\n    tag: 7.0.11\n", want: "mongodb:\n  image:\n    repository: mongo\n    tag: 7.0.12\n",
			keys: []string{".mongodb.image.tag"}},
		{name: "repo", image: "quay.io/jetstack/cert-manager-controller:v1.14.5",
			src: "image:\n  repo: quay.io/jetstack/cert-manager-controller\n  tag: v1.14.4\n", want: "image:\n  repo: quay.io/jetstack/cert-manager-controller\n  tag: v1.14.5\n",
			keys: []string{".image.tag"}},
		{name: "name with registry", image: "registry.example.com/team/api:42",
			src: "image:\n  registry: registry.example.com\n  name: team/api\n  tag: \"41\"\n", want: "image:\n  registry: registry.example.com\n  name: team/api\n  tag: \"42\"\n",
			keys: []string{".image.tag"}},
		{name: "string with sibling tag", image: "ghcr.io/oliver006/redis_exporter:v1.76.0",
			src: "exporter:\n  image: ghcr.io/oliver006/redis_exporter\n  tag: v1.75.0\n", want: "exporter:\n  image: ghcr.io/oliver006/redis_exporter\n  tag: v1.76.0\n",
			keys: []string{".exporter.tag"}},
		{name: "string", image: "registry.example.com/team/app:app-124",
			src: "image: registry.example.com/team/app:app-123 # CI\n", want: "image: registry.example.com/team/app:app-124 # CI\n",
			keys: []string{".image"}},
		{name: "subchart", image: "registry.example.com/weaveworksdemos/carts:0.4.9",
			src:  "carts:\n  image:\n    repository: weaveworksdemos/carts\n    tag: 0.4.8\norders:\n  image:\n    repository: weaveworksdemos/orders\n    tag: 0.4.7\n",
			want: "carts:\n  image:\n    repository: weaveworksdemos/carts\n    tag: 0.4.9\norders:\n  image:\n    repository: weaveworksdemos/orders\n    tag: 0.4.7\n",
			keys: []string{".carts.image.tag"}},
		{name: "list", image: "registry.example.com/team/resizer:13",
			src:  "workers:\n- name: mailer\n  image:\n    repository: registry.example.com/team/mailer\n    tag: \"7\"\n- name: resizer\n  image:\n    repository: registry.example.com/team/resizer\n    tag: \"12\"\n",
			want: "workers:\n- name: mailer\n  image:\n    repository: registry.example.com/team/mailer\n    tag: \"7\"\n- name: resizer\n  image:\n    repository: registry.example.com/team/resizer\n    tag: \"13\"\n",
			keys: []string{".workers[1].image.tag"}},
		{name: "two databases on one image", image: "docker.io/library/postgres:16.4",
			src:  "primary:\n  image:\n    repository: postgres\n    tag: \"16.3\"\nreplica:\n  image:\n    repository: postgres\n    tag: \"16.3\"\n",
			want: "primary:\n  image:\n    repository: postgres\n    tag: \"16.4\"\nreplica:\n  image:\n    repository: postgres\n    tag: \"16.4\"\n",
			keys: []string{".primary.image.tag", ".replica.image.tag"}},
		{name: "repository only in values.yaml", image: "registry.example.com/team/app:2.0.0",
			src: "image:\n  tag: 1.9.0 # per env\n", defaults: "image:\n  repository: registry.example.com/team/app\n  tag: latest\n",
			want: "image:\n  tag: 2.0.0 # per env\n", keys: []string{".image.tag"}},
		{name: "registry only in values.yaml", image: "quay.io/org/app:2.0.0",
			src: "image:\n  repository: org/app\n  tag: 1.9.0\n", defaults: "image:\n  registry: quay.io\n  repository: org/app\n",
			want: "image:\n  repository: org/app\n  tag: 2.0.0\n", keys: []string{".image.tag"}},
		{name: "fallback: .image names no repository", image: "registry.example.com/team/app:2.0.0",
			src: "image:\n  tag: 1.9.0\n", want: "image:\n  tag: 2.0.0\n", keys: []string{".image.tag"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := request()
			r.Image = ref(tc.image)
			var defaults []byte
			if tc.defaults != "" {
				defaults = []byte(tc.defaults)
			}
			out, changes, err := editFile("app/values-prod.yaml", "prod", []byte(tc.src), defaults, &r)
			if err != nil {
				t.Fatal(err)
			}
			if string(out) != tc.want {
				t.Errorf("edited:\n%s\nwant:\n%s", out, tc.want)
			}
			var keys []string
			for _, c := range changes {
				keys = append(keys, c.Key)
			}
			if diff := cmp.Diff(tc.keys, keys); diff != "" {
				t.Errorf("keys (-want +got):\n%s", diff)
			}
		})
	}
}

// TestEditFileRefuses never writes into a block that names another
// repository, nor guesses where a tag belongs. A block that pins a digest,
// asked for a new tag without --digest, is a refusal by policy
// (PinnedDigestError, exit 4), not a missing target.
func TestEditFileRefuses(t *testing.T) {
	for _, tc := range []struct {
		name, image, src, defaults string
		want                       []string // in the error
		pinned                     bool     // a PinnedDigestError, else a NoTargetError
		noCreate                   bool
	}{
		{name: ".image names another repository", image: "registry.example.com/team/typo:2.0.0",
			src:  "image:\n  repository: registry.example.com/team/app\n  tag: 1.9.0\n",
			want: []string{"no image block with repository registry.example.com/team/typo", ".image.tag  registry.example.com/team/app:1.9.0", "check --image"}},
		{name: "values.yaml names another repository", image: "registry.example.com/team/typo:2.0.0",
			src: "image:\n  tag: 1.9.0\n", defaults: "image:\n  repository: team/app\n",
			want: []string{"no image block with repository", ".image.tag  team/app:1.9.0"}},
		{name: "same path, another registry", image: "ghcr.io/team/app:2.0.0",
			src:  "image:\n  registry: quay.io\n  repository: team/app\n  tag: 1.9.0\n",
			want: []string{".image.tag  quay.io/team/app:1.9.0"}},
		{name: "tag only in values.yaml, --no-create", image: "registry.example.com/team/app:2.0.0", noCreate: true,
			src: "replicaCount: 2\n", defaults: "image:\n  repository: team/app\n  tag: 1.9.0\n",
			want: []string{"the tag .image.tag is only in the chart's values (app/values.yaml)", "add the key .image.tag to app/values-prod.yaml", "--no-create"}},
		{name: "a digest pinned in values.yaml", image: "registry.example.com/team/app:2.0.0", pinned: true,
			src: "image:\n  tag: 1.9.0\n", defaults: "image:\n  repository: team/app\n  digest: sha256:" + strings.Repeat("d", 64) + "\n",
			want: []string{"the chart's values pin digest sha256:dddd", "--digest"}},
		{name: "string without a tag", image: "registry.example.com/org/app:2.0.0",
			src:  "image: org/app\n",
			want: []string{".image names org/app without a tag", "does not add one"}},
		{name: "a pinned digest", image: "registry.example.com/team/app:2.0.0", pinned: true,
			src:  "image:\n  repository: team/app\n  tag: 1.9.0\n  digest: sha256:" + strings.Repeat("a", 64) + "\n",
			want: []string{"pins digest sha256:aaaa", "at .image.digest", "--digest", "--key .image.tag"}},
		{name: "a pinned digest, Bitnami", image: "docker.io/bitnami/redis:7.4.1", pinned: true,
			src:  "image:\n  registry: docker.io\n  repository: bitnami/redis\n  tag: 7.2.0\n  digest: \"sha256:" + strings.Repeat("b", 64) + "\"\n",
			want: []string{"pins digest sha256:bbbb"}},
		{name: "empty file", image: "registry.example.com/org/app:2.0.0",
			src:  "# nothing here yet\n\n",
			want: []string{"app/values-prod.yaml", "the file is empty"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := request()
			r.Image = ref(tc.image)
			var defaults []byte
			if tc.defaults != "" {
				defaults = []byte(tc.defaults)
			}
			r.NoCreate = tc.noCreate
			_, _, err := editFile("app/values-prod.yaml", "prod", []byte(tc.src), defaults, &r)
			var nt *NoTargetError
			var pe *PinnedDigestError
			if tc.pinned && !errors.As(err, &pe) || !tc.pinned && !errors.As(err, &nt) {
				t.Fatalf("err = %v (%T), want pinned %v", err, err, tc.pinned)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%s", w, err)
				}
			}
		})
	}
}

// TestEditFileAnchor edits Grafana enterprise-logs' anchored image and
// names the aliased path in the change and the commit body.
func TestEditFileAnchor(t *testing.T) {
	src := []byte("image: &image\n  repository: grafana/enterprise-logs\n  tag: v1.4.0\nloki:\n  image: *image\n")
	r := request()
	r.Image = ref("docker.io/grafana/enterprise-logs:v1.5.0")
	out, changes, err := editFile("gel/values-prod.yaml", "prod", src, nil, &r)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), "tag: v1.5.0") || len(changes) != 1 {
		t.Fatalf("out:\n%s\nchanges %+v", out, changes)
	}
	if diff := cmp.Diff([]string{".loki.image.tag via *image"}, changes[0].AlsoChanges); diff != "" {
		t.Errorf("also_changes (-want +got):\n%s", diff)
	}
	p := &planned{files: map[string][]byte{"gel/values-prod.yaml": out}, changes: changes}
	msg, err := p.message(&r)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(msg, "\n  also .loki.image.tag via *image\n") {
		t.Errorf("message lacks the aliased path:\n%s", msg)
	}
	// --key through the alias is refused, naming the anchor's path.
	r.Keys = []string{".loki.image.tag"}
	_, _, err = editFile("gel/values-prod.yaml", "prod", src, nil, &r)
	if err == nil || !strings.Contains(err.Error(), ".image.tag") {
		t.Errorf("through the alias: %v", err)
	}
}

// TestSkippedShowsRequestedAndKept: a skipped value's New is the requested
// value, Kept the value left in place.
func TestSkippedShowsRequestedAndKept(t *testing.T) {
	r := request()
	r.Image.Tag = "app-99"
	_, changes, err := editFile("f", "staging", []byte("image:\n  repository: team/app\n  tag: app-123\n"), nil, &r)
	if err != nil {
		t.Fatal(err)
	}
	if c := changes[0]; c.Skipped == "" || c.New != "app-99" || c.Kept != "app-123" {
		t.Errorf("skipped change %+v", c)
	}
}

// TestChartOptional: without {chart} in the template no chart is needed,
// and the subject names the image's repository.
func TestChartOptional(t *testing.T) {
	r := request()
	r.Chart = ""
	if err := r.validate(); err == nil {
		t.Error("empty chart accepted with {chart} in the template")
	}
	r.ValuesFile = "envs/{env}.yaml"
	if err := r.validate(); err != nil {
		t.Fatal(err)
	}
	p := &planned{files: map[string][]byte{"envs/staging.yaml": nil},
		changes: []FileChange{{File: "envs/staging.yaml", Env: "staging", Key: ".image.tag", Old: "1", New: "app-124"}}}
	msg, err := p.message(&r)
	if err != nil {
		t.Fatal(err)
	}
	if subject, _, _ := strings.Cut(msg, "\n"); subject != "chore(staging): update app image to app-124" {
		t.Errorf("subject %q", subject)
	}
}

// TestTwoEditsDiff: the preview of two edits far apart in one file has
// exactly two removed and two added lines, and git applies it.
func TestTwoEditsDiff(t *testing.T) {
	var b strings.Builder
	b.WriteString("primary:\n  image:\n    repository: postgres\n    tag: \"16.3\"\n")
	for i := 0; i < 60; i++ {
		b.WriteString("  setting" + string(rune('a'+i%26)) + ": x\n")
	}
	b.WriteString("replica:\n  image:\n    repository: postgres\n    tag: \"16.3\"\n")
	src := b.String()
	r := request()
	r.Image = ref("docker.io/library/postgres:16.4")
	out, _, err := editFile("db/values-prod.yaml", "prod", []byte(src), nil, &r)
	if err != nil {
		t.Fatal(err)
	}
	d := udiff.Unified("a/db/values-prod.yaml", "b/db/values-prod.yaml", src, string(out))
	var minus, plus int
	for _, l := range strings.Split(d, "\n") {
		switch {
		case strings.HasPrefix(l, "---"), strings.HasPrefix(l, "+++"):
		case strings.HasPrefix(l, "-"):
			minus++
		case strings.HasPrefix(l, "+"):
			plus++
		}
	}
	if minus != 2 || plus != 2 {
		t.Fatalf("diff has %d removed and %d added lines, want 2 and 2:\n%s", minus, plus, d)
	}
	if _, err := exec.LookPath("git"); err != nil {
		t.Fatal("git not found")
	}
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "db"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "db/values-prod.yaml"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("git", "apply", "-")
	cmd.Dir, cmd.Stdin = dir, strings.NewReader(d)
	if o, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git apply: %v\n%s", err, o)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "db/values-prod.yaml")); string(got) != string(out) {
		t.Errorf("applied diff gives:\n%s", got)
	}
}

// TestDowngradeGuardOnStrings compares the tag inside an image: repo:tag
// string, not the whole string, with the requested tag.
func TestDowngradeGuardOnStrings(t *testing.T) {
	r := request()
	r.Image.Tag = "app-99"
	src := []byte("image: registry.example.com/team/app:app-123\n")
	out, changes, err := editFile("f", "staging", src, nil, &r)
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != string(src) || len(changes) != 1 || changes[0].Skipped == "" {
		t.Errorf("downgrade of a string image not skipped: %q, %+v", out, changes)
	}
}

// TestPinnedDigestWays: the two ways past a pinned digest. --digest writes
// the new digest next to the new tag; --key names the tag, which is then set
// alone, as asked.
func TestPinnedDigestWays(t *testing.T) {
	old, dg := "sha256:"+strings.Repeat("a", 64), "sha256:"+strings.Repeat("c", 64)
	src := "image:\n  repository: team/app\n  tag: 1.9.0\n  digest: " + old + " # pinned\n"
	r := request()
	r.WriteDigest, r.digest = true, dg
	out, changes, err := editFile("app/values-prod.yaml", "prod", []byte(src), nil, &r)
	if err != nil {
		t.Fatal(err)
	}
	if want := "image:\n  repository: team/app\n  tag: app-124\n  digest: " + dg + " # pinned\n"; string(out) != want || len(changes) != 2 {
		t.Errorf("with --digest: %q (%d changes), want %q", out, len(changes), want)
	}
	r = request()
	r.Keys = []string{".image.tag"}
	out, _, err = editFile("app/values-prod.yaml", "prod", []byte(src), nil, &r)
	if err != nil {
		t.Fatal(err)
	}
	if want := strings.Replace(src, "1.9.0", "app-124", 1); string(out) != want {
		t.Errorf("with --key: %q, want %q", out, want)
	}
}

// TestEditFileKey sets keys named by --key: a whole reference keeps its
// form, a key in another repository's image is refused unless
// KeyOtherRepository, and a plain key stays a raw scalar.
func TestEditFileKey(t *testing.T) {
	d := "sha256:" + strings.Repeat("c", 64)
	for _, tc := range []struct {
		name, image, src, defaults, key string
		other, digest                   bool
		want                            string // the new src, or a text of the error
		refused                         bool
	}{
		{name: "repo:tag", image: "ghcr.io/acme/web:1.1.0", key: ".web.image",
			src: "web: {image: ghcr.io/acme/web:1.0.0}\n", want: "web: {image: \"ghcr.io/acme/web:1.1.0\"}\n"},
		{name: "registry port, repo@digest", image: "localhost:5000/acme/web:2@" + d, key: ".web.image", digest: true,
			src: "web:\n  image: localhost:5000/acme/web@sha256:" + strings.Repeat("a", 64) + "\n", want: "web:\n  image: localhost:5000/acme/web:2@" + d + "\n"},
		{name: "repo:tag@digest without --digest drops the old digest", image: "ghcr.io/acme/web:1.1.0", key: ".web.image",
			src: "web:\n  image: ghcr.io/acme/web:1.0.0@sha256:" + strings.Repeat("a", 64) + "\n", want: "web:\n  image: ghcr.io/acme/web:1.1.0\n"},
		{name: "reference under an unknown key", image: "ghcr.io/acme/web:1.1.0", key: ".deploy.ref",
			src: "deploy:\n  ref: ghcr.io/acme/web:1.0.0\n", want: "deploy:\n  ref: ghcr.io/acme/web:1.1.0\n"},
		{name: "another repository", image: "ghcr.io/acme/api:1.1.0", key: ".web.image",
			src: "web: {image: ghcr.io/acme/web:1.0.0}\n", want: "names ghcr.io/acme/web, not ghcr.io/acme/api", refused: true},
		{name: "another repository, said so", image: "mirror.local/acme/web:1.1.0", key: ".web.image", other: true,
			src: "web: {image: ghcr.io/acme/web:1.0.0}\n", want: "web: {image: \"ghcr.io/acme/web:1.1.0\"}\n"},
		{name: "a block's tag, repository in values.yaml", image: "ghcr.io/acme/api:1.1.0", key: ".image.tag",
			src: "image:\n  tag: 1.0.0\n", defaults: "image:\n  repository: ghcr.io/acme/worker\n", want: "names ghcr.io/acme/worker", refused: true},
		{name: "a block's tag, same repository", image: "ghcr.io/acme/worker:1.1.0", key: ".image.tag",
			src: "image:\n  tag: 1.0.0\n", defaults: "image:\n  repository: ghcr.io/acme/worker\n", want: "image:\n  tag: 1.1.0\n"},
		{name: "a plain key", image: "ghcr.io/acme/api:1.1.0", key: ".version",
			src: "version: 1.0.0\n", want: "version: 1.1.0\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := request()
			r.Image, r.Keys, r.KeyOtherRepository, r.WriteDigest = ref(tc.image), []string{tc.key}, tc.other, tc.digest
			if tc.digest {
				r.digest = r.Image.Digest
			}
			var defaults []byte
			if tc.defaults != "" {
				defaults = []byte(tc.defaults)
			}
			out, _, err := editFile("app/values-prod.yaml", "prod", []byte(tc.src), defaults, &r)
			if tc.refused {
				errorAs[*KeyRepositoryError](t, err, tc.want)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if string(out) != tc.want {
				t.Fatalf("got\n%s\nwant\n%s", out, tc.want)
			}
		})
	}
}

// TestEditFileDisabled: a block the chart does not render (enabled: false
// on its path) is never edited by default: refused when it is the only
// block of the repository, skipped next to one that is rendered, and
// written with AllowDisabled.
func TestEditFileDisabled(t *testing.T) {
	defaults := []byte("volumePermissions:\n  enabled: false\n  image:\n    registry: docker.io\n    repository: bitnami/os-shell\n    tag: 12-debian-12-r16\n" +
		"initContainer:\n  image:\n    registry: docker.io\n    repository: bitnami/os-shell\n    tag: 12-debian-12-r16\n")
	src := []byte("volumePermissions:\n  image:\n    tag: 12-debian-12-r16\ninitContainer:\n  enabled: false\n  image:\n    tag: 12-debian-12-r16\n")
	r := request()
	r.Image = ref("docker.io/bitnami/os-shell:12-debian-12-r17")
	_, _, err := editFile("redis/values-prod.yaml", "prod", src, defaults, &r)
	var de *DisabledError
	if !errors.As(err, &de) {
		t.Fatalf("err = %v, want a DisabledError", err)
	}
	for _, w := range []string{".volumePermissions.enabled is false in redis/values.yaml", ".initContainer.enabled is false in redis/values-prod.yaml", "--allow-disabled"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error lacks %q:\n%s", w, err)
		}
	}

	// One block switched on in the file: it is edited, the other skipped.
	on := []byte(strings.Replace(string(src), "  enabled: false\n", "  enabled: true\n", 1))
	out, changes, err := editFile("redis/values-prod.yaml", "prod", on, defaults, &r)
	if err != nil {
		t.Fatal(err)
	}
	if want := "volumePermissions:\n  image:\n    tag: 12-debian-12-r16\ninitContainer:\n  enabled: true\n  image:\n    tag: 12-debian-12-r17\n"; string(out) != want {
		t.Errorf("edited:\n%s\nwant:\n%s", out, want)
	}
	if len(changes) != 2 || changes[0].Key != ".volumePermissions.image.tag" || !strings.Contains(changes[0].Skipped, "not rendered") || changes[1].Skipped != "" {
		t.Errorf("changes: %+v", changes)
	}

	r.AllowDisabled = true
	out, _, err = editFile("redis/values-prod.yaml", "prod", src, defaults, &r)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Count(string(out), "r17") != 2 {
		t.Errorf("with AllowDisabled:\n%s", out)
	}
}

// TestEditFileCreate: a tag that only the chart's values define is added
// to the file that lacks it, found by repository or named by --key, with
// the digest where --digest writes one; a key the chart does not define is
// never added, and the error names the nearest paths that are.
func TestEditFileCreate(t *testing.T) {
	dg := "sha256:" + strings.Repeat("c", 64)
	bitnami := "image:\n  registry: docker.io\n  repository: bitnami/redis\n  tag: 7.2.4\n  digest: \"\"\n  pullPolicy: IfNotPresent\n"
	for _, tc := range []struct {
		name, image, src, defaults string
		keys                       []string
		digest                     bool
		want                       string // the new src, or a text of the error
		created                    []string
	}{
		{name: "by repository", image: "docker.io/bitnami/redis:7.2.5", defaults: bitnami,
			src:  "replicaCount: 3\n",
			want: "replicaCount: 3\nimage:\n  tag: 7.2.5\n", created: []string{".image.tag"}},
		{name: "into the existing block, with the digest", image: "docker.io/bitnami/redis:7.2.5", defaults: bitnami, digest: true,
			src:  "image:\n  pullPolicy: Always\nreplicaCount: 3\n",
			want: "image:\n  pullPolicy: Always\n  tag: 7.2.5\n  digest: " + dg + "\nreplicaCount: 3\n", created: []string{".image.tag", ".image.digest"}},
		{name: "by --key", image: "docker.io/bitnami/redis:7.2.5", defaults: bitnami, keys: []string{"image.tag"},
			src:  "replicaCount: 3\n",
			want: "replicaCount: 3\nimage:\n  tag: 7.2.5\n", created: []string{".image.tag"}},
		{name: "--key the chart does not define", image: "docker.io/bitnami/redis:7.2.5", defaults: bitnami, keys: []string{".image.tga"},
			src:  "replicaCount: 3\n",
			want: "the nearest defined paths are .image.registry, .image.repository, .image.tag, .image.digest, .image.pullPolicy"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := request()
			r.Image, r.Keys = ref(tc.image), tc.keys
			if tc.digest {
				r.WriteDigest, r.digest = true, dg
			}
			out, changes, err := editFile("redis/values-prod.yaml", "prod", []byte(tc.src), []byte(tc.defaults), &r)
			if tc.created == nil {
				errorAs[*NoTargetError](t, err, tc.want)
				return
			}
			if err != nil || string(out) != tc.want {
				t.Fatalf("edited %q, %v; want %q", out, err, tc.want)
			}
			var created []string
			for _, c := range changes {
				if c.Created {
					created = append(created, c.Key)
				}
			}
			if diff := cmp.Diff(tc.created, created); diff != "" {
				t.Errorf("created (-want +got):\n%s", diff)
			}
			p := &planned{files: map[string][]byte{"redis/values-prod.yaml": out}, changes: changes}
			if msg, _ := p.message(&r); !strings.Contains(msg, "- redis/values-prod.yaml .image.tag: 7.2.4 → 7.2.5 (created)\n") {
				t.Errorf("message:\n%s", msg)
			}
		})
	}
}

// errorAs fails t unless err is a T whose text has want.
func errorAs[T error](t *testing.T, err error, want string) {
	t.Helper()
	var e T
	if !errors.As(err, &e) || !strings.Contains(err.Error(), want) {
		t.Fatalf("err = %v, want a %T with %q", err, e, want)
	}
}
