package main

import (
	"archive/tar"
	"errors"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
)

// TestImageRuns builds the image for this machine's architecture, unpacks
// its layers into a directory and runs its entrypoint there under chroot
// as the image's user, which proves the image runs without a shell.
func TestImageRuns(t *testing.T) {
	if os.Geteuid() != 0 && os.Getenv("CI") != "true" {
		t.Skip("chroot needs root; this test runs in CI")
	}
	ca := filepath.Join(t.TempDir(), "ca.crt")
	if err := os.WriteFile(ca, []byte("-----BEGIN CERTIFICATE-----\ntest\n-----END CERTIFICATE-----\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "layout")
	created := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	err := build(buildOptions{out: out, platforms: []string{"linux/" + runtime.GOARCH}, caFile: ca,
		version: "v9.8.7", commit: "abc123", created: created, goCmd: "go"})
	if err != nil {
		t.Fatal(err)
	}

	// The same inputs give the same image, digest for digest.
	again := filepath.Join(t.TempDir(), "layout")
	err = build(buildOptions{out: again, platforms: []string{"linux/" + runtime.GOARCH}, caFile: ca,
		version: "v9.8.7", commit: "abc123", created: created, goCmd: "go"})
	if err != nil {
		t.Fatal(err)
	}
	first, _ := os.ReadFile(filepath.Join(out, "index.json"))
	second, _ := os.ReadFile(filepath.Join(again, "index.json"))
	if len(first) == 0 || string(first) != string(second) {
		t.Errorf("two builds differ:\n%s\n%s", first, second)
	}

	idx, err := layout.ImageIndexFromPath(out)
	if err != nil {
		t.Fatal(err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if len(im.Manifests) != 1 || im.Manifests[0].Platform == nil ||
		im.Manifests[0].Platform.Architecture != runtime.GOARCH || im.Manifests[0].Platform.OS != "linux" {
		t.Fatalf("index manifests = %+v, want one for linux/%s", im.Manifests, runtime.GOARCH)
	}
	img, err := idx.Image(im.Manifests[0].Digest)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	wantCfg := v1.Config{
		User:       "65532:65532",
		Entrypoint: []string{"tagbump"},
		Env:        []string{"PATH=/usr/local/bin:/usr/bin:/bin", "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt"},
		WorkingDir: "/home/nonroot",
		Labels: map[string]string{
			"org.opencontainers.image.title":    "tagbump",
			"org.opencontainers.image.source":   "https://github.com/tagbump/tagbump",
			"org.opencontainers.image.version":  "v9.8.7",
			"org.opencontainers.image.revision": "abc123",
			"org.opencontainers.image.created":  "2026-03-04T05:06:07Z",
		},
	}
	if diff := cmp.Diff(wantCfg, cfg.Config); diff != "" {
		t.Errorf("config (-want +got):\n%s", diff)
	}

	root := t.TempDir()
	if err := os.Chmod(root, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := unpack(mutate.Extract(img), root); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(root, "etc/ssl/certs/ca-certificates.crt")); err != nil || !strings.Contains(string(b), "test") {
		t.Errorf("CA bundle in image: %q, %v", b, err)
	}
	if _, err := os.Stat(filepath.Join(root, "bin/sh")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("image has a shell: %v", err)
	}

	// Resolve the entrypoint through the image's PATH, as a runtime does.
	var exe string
	for _, dir := range strings.Split(strings.TrimPrefix(cfg.Config.Env[0], "PATH="), ":") {
		if _, err := os.Stat(filepath.Join(root, dir, cfg.Config.Entrypoint[0])); err == nil {
			exe = path.Join(dir, cfg.Config.Entrypoint[0])
			break
		}
	}
	if exe == "" {
		t.Fatalf("entrypoint %q not found in the image's PATH", cfg.Config.Entrypoint[0])
	}
	cmd := exec.Command(exe, "version")
	cmd.Dir = cfg.Config.WorkingDir
	cmd.Env = cfg.Config.Env
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Chroot:     root,
		Credential: &syscall.Credential{Uid: 65532, Gid: 65532},
	}
	got, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("tagbump version in the image: %v\n%s", err, got)
	}
	// The first line is the build; the second names the embedded trusted root.
	if want := "tagbump v9.8.7 (commit abc123, built 2026-03-04T05:06:07Z)\ntrusted root: "; !strings.HasPrefix(string(got), want) {
		t.Errorf("tagbump version = %q, want %q", got, want)
	}
}

// unpack writes the directories and regular files of a tar stream under
// root with the stream's modes and owners.
func unpack(rc io.ReadCloser, root string) error {
	defer rc.Close()
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		p := filepath.Join(root, filepath.FromSlash(path.Clean("/"+h.Name)))
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(p, 0o755); err != nil {
				return err
			}
		case tar.TypeReg:
			f, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
			if err != nil {
				return err
			}
			_, err = io.Copy(f, tr)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return err
			}
		default:
			return errors.New("unexpected tar entry " + h.Name)
		}
		if err := os.Chmod(p, os.FileMode(h.Mode).Perm()|modeBits(h.Mode)); err != nil {
			return err
		}
		if err := os.Lchown(p, h.Uid, h.Gid); err != nil {
			return err
		}
	}
}

func modeBits(m int64) os.FileMode {
	var fm os.FileMode
	if m&0o1000 != 0 {
		fm |= os.ModeSticky
	}
	return fm
}

func TestBuildTime(t *testing.T) {
	tests := []struct {
		date, epoch string
		want        time.Time
		err         string
	}{
		{"2026-01-02T03:04:05+01:00", "99", time.Date(2026, 1, 2, 2, 4, 5, 0, time.UTC), ""},
		{"", "86400", time.Unix(86400, 0).UTC(), ""},
		{"", "", time.Unix(0, 0).UTC(), ""},
		{"yesterday", "", time.Time{}, `parse -date "yesterday": want RFC 3339`},
		{"", "soon", time.Time{}, `parse SOURCE_DATE_EPOCH "soon"`},
	}
	for _, tt := range tests {
		got, err := buildTime(tt.date, tt.epoch)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("buildTime(%q, %q) err = %v, want %q", tt.date, tt.epoch, err, tt.err)
			}
			continue
		}
		if err != nil || !got.Equal(tt.want) {
			t.Errorf("buildTime(%q, %q) = %v, %v; want %v", tt.date, tt.epoch, got, err, tt.want)
		}
	}
}

func TestBuildRejectsPlatform(t *testing.T) {
	ca := filepath.Join(t.TempDir(), "ca")
	if err := os.WriteFile(ca, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := build(buildOptions{out: filepath.Join(t.TempDir(), "o"), platforms: []string{"windows/amd64"}, caFile: ca})
	if err == nil || !strings.Contains(err.Error(), `platform "windows/amd64": want linux/ARCH`) {
		t.Errorf("err = %v", err)
	}
}

// TestDockerfilesMatch checks that the Dockerfiles build the image this
// program assembles: the final stage's instructions must match its config.
func TestDockerfilesMatch(t *testing.T) {
	want := []string{
		"FROM scratch",
		"USER " + strconv.Itoa(uid) + ":" + strconv.Itoa(uid),
		"ENV " + pathEnv,
		"ENV SSL_CERT_FILE=" + caPath,
		"WORKDIR /home/" + userName,
		`ENTRYPOINT ["tagbump"]`,
	}
	for _, name := range []string{"Dockerfile", "Dockerfile.release"} {
		b, err := os.ReadFile(filepath.Join("..", "..", name))
		if err != nil {
			t.Fatal(err)
		}
		text := string(b)
		final := text[strings.LastIndex(text, "\nFROM ")+1:]
		lines := map[string]bool{}
		for _, l := range strings.Split(final, "\n") {
			lines[strings.TrimSpace(l)] = true
		}
		for _, w := range want {
			if !lines[w] {
				t.Errorf("%s: final stage lacks %q", name, w)
			}
		}
		for _, f := range []string{binPath, caPath, "65532:65532:nonroot:/home/nonroot:/sbin/nologin"} {
			if !strings.Contains(text, f) {
				t.Errorf("%s does not mention %s", name, f)
			}
		}
	}
}
