package attest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/tagbump/tagbump/pkg/registry"
)

// BundleMediaType is the artifact type of a Sigstore bundle attached to an
// image as a referrer (cosign v3, GitHub artifact attestations).
const BundleMediaType = "application/vnd.dev.sigstore.bundle.v0.3+json"

// emptyConfig is the OCI empty descriptor's media type, the config of an
// artifact manifest.
const emptyConfig = "application/vnd.oci.empty.v1+json"

// maxBlob bounds a bundle or payload read from a registry.
const maxBlob = 4 << 20

// candidate is one signature or attestation found for an image.
type candidate struct {
	format  string // "bundle" or "legacy"
	source  string // where it was found, for messages
	bundle  *bundle.Bundle
	payload []byte // legacy: the signed simple-signing payload
	err     error  // it could not be read
}

// find lists the bundles that refer to digest (referrers API, or the
// referrers tag schema where the registry has no such API) and the
// layers of the legacy sha256-<hex>.sig tag.
func find(ctx context.Context, c *registry.Client, digest string) ([]candidate, error) {
	repo := c.Repository()
	d := repo.Digest(digest)
	var out []candidate
	idx, err := remote.Referrers(d, c.RemoteOptions()...)
	if err != nil && !isNotFound(c, err) {
		return nil, c.Classify("referrers of "+d.String(), err)
	}
	if err == nil {
		im, err := idx.IndexManifest()
		if err != nil {
			return nil, fmt.Errorf("referrers of %s: %w", d, err)
		}
		for _, m := range im.Manifests {
			// Some registries (go-containerregistry's) give a manifest's
			// config media type as its artifact type, not the manifest's
			// artifactType field that cosign v3 sets: look into those.
			if m.ArtifactType != BundleMediaType && m.ArtifactType != "" && m.ArtifactType != emptyConfig {
				continue
			}
			if cd := readBundle(ctx, c, repo.Digest(m.Digest.String())); !errors.Is(cd.err, errNotBundle) || m.ArtifactType == BundleMediaType {
				out = append(out, cd)
			}
		}
	}
	t := repo.Tag(strings.Replace(digest, ":", "-", 1) + ".sig")
	legacy, err := readLegacy(c, t)
	if err != nil {
		if len(out) == 0 {
			return nil, err
		}
		// A bundle was found: let it decide; the legacy tag's failure
		// counts only if nothing verifies.
		legacy = []candidate{{format: "legacy", source: "tag " + t.TagStr(), err: err}}
	}
	return append(out, legacy...), nil
}

var errNotBundle = errors.New("no layer of media type " + BundleMediaType)

func isNotFound(c *registry.Client, err error) bool {
	var nf *registry.NotFoundError
	return errors.As(c.Classify("", err), &nf)
}

// readBundle reads the bundle layer of a referrer manifest.
func readBundle(_ context.Context, c *registry.Client, ref name.Digest) candidate {
	cd := candidate{format: "bundle", source: "referrer " + ref.DigestStr()}
	img, err := remote.Image(ref, c.RemoteOptions()...)
	if err != nil {
		cd.err = c.Classify(ref.String(), err)
		return cd
	}
	m, err := img.Manifest()
	if err != nil {
		cd.err = err
		return cd
	}
	for _, l := range m.Layers {
		if string(l.MediaType) != BundleMediaType {
			continue
		}
		b, err := readBlob(img, l.Digest)
		if err != nil {
			cd.err = c.Classify(ref.String(), err)
			return cd
		}
		cd.bundle, cd.err = parseBundle(b)
		return cd
	}
	cd.err = errNotBundle
	return cd
}

// parseBundle reads a Sigstore bundle in its JSON form.
func parseBundle(b []byte) (*bundle.Bundle, error) {
	var bb bundle.Bundle
	if err := bb.UnmarshalJSON(b); err != nil {
		return nil, fmt.Errorf("malformed bundle: %w", err)
	}
	return &bb, nil
}

// readLegacy reads the layers of cosign's legacy signature tag; a missing
// tag is no signature.
func readLegacy(c *registry.Client, t name.Tag) ([]candidate, error) {
	img, err := remote.Image(t, c.RemoteOptions()...)
	if err != nil {
		if isNotFound(c, err) {
			return nil, nil
		}
		return nil, c.Classify(t.String(), err)
	}
	m, err := img.Manifest()
	if err != nil {
		return []candidate{{format: "legacy", source: "tag " + t.TagStr(), err: err}}, nil
	}
	var out []candidate
	for i, l := range m.Layers {
		cd := candidate{format: "legacy", source: fmt.Sprintf("tag %s layer %d", t.TagStr(), i)}
		if string(l.MediaType) != SimpleSigningMediaType {
			continue
		}
		if cd.payload, err = readBlob(img, l.Digest); err != nil {
			cd.err = c.Classify(t.String(), err)
		} else {
			cd.bundle, cd.err = legacyBundle(cd.payload, l.Annotations)
		}
		out = append(out, cd)
	}
	return out, nil
}

func readBlob(img v1.Image, h v1.Hash) ([]byte, error) {
	l, err := img.LayerByDigest(h)
	if err != nil {
		return nil, err
	}
	rc, err := l.Compressed()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, maxBlob+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxBlob {
		return nil, fmt.Errorf("blob %s is larger than %d bytes", h, maxBlob)
	}
	return b, nil
}
