package registry

import (
	"context"
	"errors"
	"fmt"
	"os"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/tagbump/tagbump/pkg/imageref"
)

// PushResult is the outcome of a Push.
type PushResult struct {
	Descriptor
	// Pushed is false when the tag already held the same digest and
	// nothing was written.
	Pushed bool `json:"pushed"`
	// Layers is the number of layers of the image or images.
	Layers int `json:"layers"`
}

// source is what Push writes: an image or an index.
type source struct {
	taggable  remote.Taggable
	digest    v1.Hash
	mediaType string
	platforms []string
	layers    int
}

// Push pushes the image at from, a docker save tarball (one image) or an
// OCI image layout directory, under ref's tag. A layout whose index.json
// lists one manifest pushes that image or index; one that lists several
// pushes index.json itself as an index. The tag absent: the image is
// pushed, skipping blobs the registry already has; present with the same
// digest: nothing is written and Pushed is false; present with another
// digest: *RefusedError and the registry is unchanged. Blobs and manifest
// are uploaded by digest first; the tag is HEADed again and only then
// written, so that a rival push of the tag during the upload gives a
// *RefusedError instead of being overwritten. A HEAD after the tag PUT
// detects a writer that slipped in between the two.
func Push(ctx context.Context, from string, ref imageref.Ref, opts ...Option) (*PushResult, error) {
	o := makeOptions(opts)
	r, err := push(ctx, from, ref, o)
	if err != nil {
		return nil, fmt.Errorf("push %s to %s: %w", from, ref.WithTag(ref.Tag), err)
	}
	return r, nil
}

func push(ctx context.Context, from string, ref imageref.Ref, o *options) (*PushResult, error) {
	if err := checkTag(ref.Tag, o); err != nil {
		return nil, err
	}
	src, err := loadSource(from)
	if err != nil {
		return nil, err
	}
	if ref.Digest != "" && ref.Digest != src.digest.String() {
		return nil, &RefusedError{Ref: ref.String(), Reason: fmt.Sprintf("%s has digest %s", from, src.digest), Fix: "push the image that the reference names, or drop the digest"}
	}
	s, err := newSession(ctx, ref, o)
	if err != nil {
		return nil, err
	}
	defer s.close()
	t := s.target
	res := &PushResult{
		Descriptor: Descriptor{Image: ref.WithTag(ref.Tag).String() + "@" + src.digest.String(), Tag: ref.Tag, Digest: src.digest.String(), MediaType: src.mediaType, Platforms: src.platforms},
		Layers:     src.layers,
	}
	done, err := s.guardTag(ctx, t, src.digest)
	if err != nil || done {
		return res, err
	}
	var extra []remote.Option
	var updates chan v1.Update
	var total int64
	drained := make(chan struct{})
	if o.progress != nil {
		updates = make(chan v1.Update, 64)
		extra = append(extra, remote.WithProgress(updates))
		go func() {
			defer close(drained)
			for u := range updates {
				if u.Error == nil {
					total = u.Total
					o.progress(Progress{Complete: u.Complete, Total: u.Total, Layers: src.layers})
				}
			}
		}()
	} else {
		close(drained)
	}
	// Upload the blobs and the manifest by digest first: the tag is
	// written only after a second HEAD, right before its PUT, so a rival
	// push during the upload is seen rather than overwritten.
	byDigest := t.Repository.Digest(src.digest.String())
	p, err := s.pusher(extra...)
	if err == nil {
		err = p.Push(ctx, byDigest, src.taggable)
	}
	if updates != nil {
		close(updates)
	}
	<-drained
	if err != nil {
		return nil, s.classify(byDigest.String(), err)
	}
	if o.progress != nil {
		// go-containerregistry does not count a read that ends with
		// io.EOF: report the end itself.
		o.progress(Progress{Complete: total, Total: total, Layers: src.layers})
	}
	res.Pushed = true
	done, err = s.guardTag(ctx, t, src.digest)
	if re := (*RefusedError)(nil); errors.As(err, &re) {
		re.Reason = "another writer pushed the tag during the upload: " + re.Reason
		re.Fix = "registries have no compare-and-swap for tags: find out which pipeline pushed the same tag"
	}
	if err != nil {
		return nil, err
	}
	if !done {
		// A pusher without progress: the first one's channel is closed.
		tp, err := s.pusher()
		if err == nil {
			err = tp.Put(ctx, t, src.taggable)
		}
		if err != nil {
			return nil, s.classify(t.String(), err)
		}
	}
	return res, s.confirm(ctx, t, src.digest)
}

// loadSource reads a docker save tarball or an OCI layout directory.
func loadSource(path string) (*source, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, &SourceError{Path: path, Err: err}
	}
	var src *source
	if fi.IsDir() {
		src, err = fromLayout(path)
	} else {
		var img v1.Image
		img, err = tarball.ImageFromPath(path, nil)
		if err == nil {
			src, err = fromImage(img)
		}
	}
	if err != nil {
		return nil, &SourceError{Path: path, Err: err}
	}
	return src, nil
}

func fromLayout(path string) (*source, error) {
	root, err := layout.ImageIndexFromPath(path)
	if err != nil {
		return nil, err
	}
	im, err := root.IndexManifest()
	if err != nil {
		return nil, err
	}
	switch {
	case len(im.Manifests) == 0:
		return nil, errors.New("index.json lists no manifest")
	case len(im.Manifests) > 1:
		return fromIndex(root)
	}
	m := im.Manifests[0]
	switch {
	case m.MediaType.IsIndex():
		idx, err := root.ImageIndex(m.Digest)
		if err != nil {
			return nil, err
		}
		return fromIndex(idx)
	case m.MediaType.IsImage():
		img, err := root.Image(m.Digest)
		if err != nil {
			return nil, err
		}
		return fromImage(img)
	}
	return nil, fmt.Errorf("index.json lists a manifest of media type %q, not an image or index", m.MediaType)
}

func fromImage(img v1.Image) (*source, error) {
	d, err := img.Digest()
	if err != nil {
		return nil, err
	}
	mt, err := img.MediaType()
	if err != nil {
		return nil, err
	}
	ls, err := img.Layers()
	if err != nil {
		return nil, err
	}
	return &source{taggable: img, digest: d, mediaType: string(mt), layers: len(ls)}, nil
}

func fromIndex(idx v1.ImageIndex) (*source, error) {
	d, err := idx.Digest()
	if err != nil {
		return nil, err
	}
	mt, err := idx.MediaType()
	if err != nil {
		return nil, err
	}
	raw, err := idx.RawManifest()
	if err != nil {
		return nil, err
	}
	ps, err := platforms(raw)
	if err != nil {
		return nil, err
	}
	im, err := idx.IndexManifest()
	if err != nil {
		return nil, err
	}
	src := &source{taggable: idx, digest: d, mediaType: string(mt), platforms: ps}
	for _, m := range im.Manifests {
		if !m.MediaType.IsImage() {
			continue
		}
		img, err := idx.Image(m.Digest)
		if err != nil {
			return nil, err
		}
		ls, err := img.Layers()
		if err != nil {
			return nil, err
		}
		src.layers += len(ls)
	}
	return src, nil
}
