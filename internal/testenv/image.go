package testenv

import (
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// RandomImage returns an image of layers random layers of size bytes each;
// every call gives a different digest.
func RandomImage(size int64, layers int64) (v1.Image, error) {
	return random.Image(size, layers)
}

// RandomIndex returns an index of two random images for linux/amd64 and
// linux/arm64.
func RandomIndex(size int64) (v1.ImageIndex, error) {
	var adds []mutate.IndexAddendum
	for _, arch := range []string{"amd64", "arm64"} {
		img, err := random.Image(size, 1)
		if err != nil {
			return nil, err
		}
		img, err = mutate.ConfigFile(img, &v1.ConfigFile{OS: "linux", Architecture: arch})
		if err != nil {
			return nil, err
		}
		adds = append(adds, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: arch}}})
	}
	return mutate.AppendManifests(empty.Index, adds...), nil
}

// WriteTarball writes img to path as a docker save tarball tagged ref.
func WriteTarball(path, ref string, img v1.Image) error {
	tag, err := name.NewTag(ref)
	if err != nil {
		return err
	}
	if err := tarball.WriteToFile(path, tag, img); err != nil {
		return fmt.Errorf("write tarball %s: %w", path, err)
	}
	return nil
}

// WriteLayout writes img to dir as an OCI image layout whose index.json
// lists the one image.
func WriteLayout(dir string, img v1.Image) error {
	p, err := layout.Write(dir, empty.Index)
	if err == nil {
		err = p.AppendImage(img)
	}
	if err != nil {
		return fmt.Errorf("write layout %s: %w", dir, err)
	}
	return nil
}

// WriteIndexLayout writes idx to dir as an OCI image layout whose
// index.json lists the index, as docker buildx does for a multi-platform
// build.
func WriteIndexLayout(dir string, idx v1.ImageIndex) error {
	p, err := layout.Write(dir, empty.Index)
	if err == nil {
		err = p.AppendIndex(idx)
	}
	if err != nil {
		return fmt.Errorf("write layout %s: %w", dir, err)
	}
	return nil
}
