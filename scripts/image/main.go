// Command image assembles tagbump's container image as an OCI image layout,
// without Docker: one layer with the static binary, the host's CA
// certificates and an /etc/passwd naming the non-root user 65532, and a
// config that runs `tagbump` as that user. It is the image the Dockerfile
// builds.
//
//	go run ./scripts/image -out bin/image -platforms linux/amd64,linux/arm64
//
// Push the layout with `tagbump push --from bin/image` or `crane push`.
package main

import (
	"archive/tar"
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Facts about the image that the Dockerfile repeats.
const (
	binPath  = "/usr/local/bin/tagbump"
	caPath   = "/etc/ssl/certs/ca-certificates.crt"
	uid      = 65532
	userName = "nonroot"
	pathEnv  = "PATH=/usr/local/bin:/usr/bin:/bin"
	source   = "https://github.com/tagbump/tagbump"
)

// buildOptions say what to build.
type buildOptions struct {
	out       string   // OCI layout directory, replaced
	platforms []string // os/arch pairs
	caFile    string   // CA bundle copied into the image
	version   string
	commit    string
	created   time.Time // image and file times
	goCmd     string    // the go command
}

func main() {
	o := buildOptions{}
	var platforms, date string
	flag.StringVar(&o.out, "out", "bin/image", "OCI layout directory to write (replaced)")
	flag.StringVar(&platforms, "platforms", "linux/amd64,linux/arm64", "comma-separated os/arch list")
	flag.StringVar(&o.caFile, "ca", caPath, "CA certificate bundle to copy into the image")
	flag.StringVar(&o.version, "version", "dev", "version stamped into the binary and the image labels")
	flag.StringVar(&o.commit, "commit", "unknown", "commit stamped into the binary and the image labels")
	flag.StringVar(&date, "date", "", "build date (RFC 3339); default $SOURCE_DATE_EPOCH, else the Unix epoch")
	flag.Parse()
	o.platforms = strings.Split(platforms, ",")
	o.goCmd = "go"
	var err error
	if o.created, err = buildTime(date, os.Getenv("SOURCE_DATE_EPOCH")); err == nil {
		err = build(o)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "image:", err)
		os.Exit(1)
	}
	fmt.Fprintln(os.Stderr, "image: wrote", o.out)
}

// buildTime picks the image's time: date, else epoch seconds, else zero
// Unix time, so that builds are reproducible.
func buildTime(date, epoch string) (time.Time, error) {
	switch {
	case date != "":
		t, err := time.Parse(time.RFC3339, date)
		if err != nil {
			return time.Time{}, fmt.Errorf("parse -date %q: want RFC 3339 like 2026-01-02T15:04:05Z: %w", date, err)
		}
		return t.UTC(), nil
	case epoch != "":
		s, err := strconv.ParseInt(epoch, 10, 64)
		if err != nil {
			return time.Time{}, fmt.Errorf("parse SOURCE_DATE_EPOCH %q: want seconds since 1970: %w", epoch, err)
		}
		return time.Unix(s, 0).UTC(), nil
	}
	return time.Unix(0, 0).UTC(), nil
}

// build writes the multi-platform image to o.out.
func build(o buildOptions) error {
	ca, err := os.ReadFile(o.caFile)
	if err != nil {
		return fmt.Errorf("read CA bundle: %w (install ca-certificates or pass -ca)", err)
	}
	tmp, err := os.MkdirTemp("", "tagbump-image-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	for _, p := range o.platforms {
		goos, goarch, ok := strings.Cut(strings.TrimSpace(p), "/")
		if !ok || goos != "linux" {
			return fmt.Errorf("platform %q: want linux/ARCH, e.g. linux/amd64", p)
		}
		bin := filepath.Join(tmp, "tagbump-"+goarch)
		if err := compile(o, goarch, bin); err != nil {
			return err
		}
		img, err := image(o, goarch, bin, ca)
		if err != nil {
			return fmt.Errorf("image for %s: %w", p, err)
		}
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{
			Add:        img,
			Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: goos, Architecture: goarch}},
		})
	}

	// Write next to the target, then swap, so that a failed build leaves
	// the previous layout whole.
	if err := os.MkdirAll(filepath.Dir(o.out), 0o755); err != nil {
		return err
	}
	staging, err := os.MkdirTemp(filepath.Dir(o.out), ".image-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(staging)
	if _, err := layout.Write(staging, idx); err != nil {
		return fmt.Errorf("write layout: %w", err)
	}
	if err := os.Chmod(staging, 0o755); err != nil {
		return err
	}
	if err := os.RemoveAll(o.out); err != nil {
		return err
	}
	return os.Rename(staging, o.out)
}

// compile builds a static tagbump for linux/goarch into out.
func compile(o buildOptions, goarch, out string) error {
	pkg := "github.com/tagbump/tagbump/internal/cli"
	ldflags := fmt.Sprintf("-s -w -X %[1]s.version=%[2]s -X %[1]s.commit=%[3]s -X %[1]s.date=%[4]s",
		pkg, o.version, o.commit, o.created.Format(time.RFC3339))
	cmd := exec.Command(o.goCmd, "build", "-trimpath", "-ldflags", ldflags, "-o", out,
		"github.com/tagbump/tagbump/cmd/tagbump")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+goarch)
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build for linux/%s: %w", goarch, err)
	}
	return nil
}

// image builds the single-platform image around the binary at bin.
func image(o buildOptions, goarch, bin string, ca []byte) (v1.Image, error) {
	exe, err := os.ReadFile(bin)
	if err != nil {
		return nil, err
	}
	fs, err := rootfs(o.created, exe, ca)
	if err != nil {
		return nil, err
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(fs)), nil
	}, tarball.WithMediaType(types.OCILayer))
	if err != nil {
		return nil, err
	}
	img := mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON)
	img, err = mutate.Append(img, mutate.Addendum{
		Layer:   layer,
		History: v1.History{Created: v1.Time{Time: o.created}, CreatedBy: "scripts/image", Comment: "tagbump " + o.version},
	})
	if err != nil {
		return nil, err
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cfg = cfg.DeepCopy()
	cfg.OS, cfg.Architecture = "linux", goarch
	cfg.Created = v1.Time{Time: o.created}
	cfg.Config = v1.Config{
		User:       strconv.Itoa(uid) + ":" + strconv.Itoa(uid),
		Entrypoint: []string{"tagbump"},
		Env:        []string{pathEnv, "SSL_CERT_FILE=" + caPath},
		WorkingDir: "/home/" + userName,
		Labels: map[string]string{
			"org.opencontainers.image.title":    "tagbump",
			"org.opencontainers.image.source":   source,
			"org.opencontainers.image.version":  o.version,
			"org.opencontainers.image.revision": o.commit,
			"org.opencontainers.image.created":  o.created.Format(time.RFC3339),
		},
	}
	return mutate.ConfigFile(img, cfg)
}

// rootfs returns the layer's uncompressed tar.
func rootfs(mtime time.Time, exe, ca []byte) ([]byte, error) {
	passwd := fmt.Sprintf("root:x:0:0:root:/root:/sbin/nologin\n%[2]s:x:%[1]d:%[1]d:%[2]s:/home/%[2]s:/sbin/nologin\n", uid, userName)
	group := fmt.Sprintf("root:x:0:\n%[2]s:x:%[1]d:\n", uid, userName)
	entries := []struct {
		name  string
		mode  int64
		owner int
		data  []byte
		dir   bool
	}{
		{name: "etc/", mode: 0o755, dir: true},
		{name: "etc/passwd", mode: 0o644, data: []byte(passwd)},
		{name: "etc/group", mode: 0o644, data: []byte(group)},
		{name: "etc/ssl/", mode: 0o755, dir: true},
		{name: "etc/ssl/certs/", mode: 0o755, dir: true},
		{name: strings.TrimPrefix(caPath, "/"), mode: 0o644, data: ca},
		{name: "home/", mode: 0o755, dir: true},
		{name: "home/" + userName + "/", mode: 0o700, owner: uid, dir: true},
		{name: "tmp/", mode: 0o1777, dir: true},
		{name: "usr/", mode: 0o755, dir: true},
		{name: "usr/local/", mode: 0o755, dir: true},
		{name: "usr/local/bin/", mode: 0o755, dir: true},
		{name: strings.TrimPrefix(binPath, "/"), mode: 0o755, data: exe},
	}
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Mode: e.mode, Uid: e.owner, Gid: e.owner, ModTime: mtime, Format: tar.FormatPAX}
		if e.dir {
			h.Typeflag = tar.TypeDir
		} else {
			h.Typeflag, h.Size = tar.TypeReg, int64(len(e.data))
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
		if _, err := tw.Write(e.data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
