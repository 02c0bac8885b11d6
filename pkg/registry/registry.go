// Package registry verifies, pushes and tags images in an OCI registry
// with go-containerregistry, under tagbump's rule that a tag never moves.
//
// The distribution API has no compare-and-swap for tags: "refuse to move a
// tag" is a HEAD before the PUT and another HEAD after it. A writer that
// pushes the same tag between the two can still win; Push and Tag detect
// that afterwards and report it as a *RefusedError. The package prints
// nothing and returns typed errors: *NotFoundError, *RefusedError,
// *AuthError, *NetworkError, *InsecureError, *SourceError, and
// *imageref.Error or *imageref.PolicyError for a tag refused before any
// request.
package registry

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/tagbump/tagbump/pkg/imageref"
)

// Descriptor describes a tagged manifest in a registry.
type Descriptor struct {
	// Image is registry/repository:tag@digest.
	Image     string `json:"image"`
	Tag       string `json:"tag"`
	Digest    string `json:"digest"`
	MediaType string `json:"mediaType"`
	// Platforms lists os/architecture[/variant] of an index's manifests.
	Platforms []string `json:"platforms,omitempty"`
}

// session holds what one operation needs: options, the transport stack
// and the puller and pusher built on it.
type session struct {
	o         *options
	host      string
	target    name.Tag // the tag of the reference the session was made for
	anonymous bool
	ropts     []remote.Option
	puller    *remote.Puller
	release   func()
}

func newSession(ctx context.Context, ref imageref.Ref, o *options) (*session, error) {
	s := &session{o: o, host: ref.Registry}
	var err error
	if s.target, err = s.tag(ref); err != nil {
		return nil, err
	}
	repo := s.target.Repository
	auth, err := authn.Resolve(ctx, o.keychain, repo)
	if err != nil {
		return nil, fmt.Errorf("credentials for %s: %w", ref.Registry, err)
	}
	s.anonymous = auth == authn.Anonymous
	base, release := o.baseTransport()
	s.release = release
	var rt = base
	rt = &schemeGuard{inner: rt, allowed: o.plainHTTPAllowed}
	rt = &stallTimeout{inner: rt, d: o.timeout}
	s.ropts = []remote.Option{
		remote.WithContext(ctx),
		remote.WithAuth(auth),
		remote.WithTransport(rt),
		remote.WithUserAgent(o.userAgent),
		remote.WithRetryBackoff(remote.Backoff{Duration: o.backoff, Factor: 2, Jitter: 1, Steps: o.attempts}),
		remote.WithRetryStatusCodes(408, 429, 500, 502, 503, 504),
		remote.WithRetryPredicate(func(err error) bool { return ctx.Err() == nil && retryable(err) }),
	}
	s.puller, err = remote.NewPuller(s.ropts...)
	if err != nil {
		release()
		return nil, err
	}
	return s, nil
}

func (s *session) close() { s.release() }

func (s *session) nameOpts(ref imageref.Ref) []name.Option {
	opts := []name.Option{name.StrictValidation}
	if s.o.plainHTTPAllowed(ref.Registry) {
		opts = append(opts, name.Insecure)
	}
	return opts
}

func (s *session) tag(ref imageref.Ref) (name.Tag, error) {
	return name.NewTag(ref.Name()+":"+ref.Tag, s.nameOpts(ref)...)
}

func (s *session) digest(ref imageref.Ref) (name.Digest, error) {
	return name.NewDigest(ref.Name()+"@"+ref.Digest, s.nameOpts(ref)...)
}

// head returns the descriptor that r names, by a HEAD request, falling
// back to GET when the HEAD answer lacks Docker-Content-Digest or is a
// 401/403 whose reason only a body could tell. A missing manifest is a
// *NotFoundError.
func (s *session) head(ctx context.Context, r name.Reference) (*v1.Descriptor, error) {
	d, err := s.puller.Head(ctx, r)
	if err == nil {
		return d, nil
	}
	var ne net.Error
	if ctx.Err() != nil || errors.As(err, &ne) || isStatus(err, 404, 408, 429, 500, 502, 503, 504) {
		return nil, s.classify(r.String(), err)
	}
	g, err := s.puller.Get(ctx, r)
	if err != nil {
		return nil, s.classify(r.String(), err)
	}
	return &g.Descriptor, nil
}

func checkTag(tag string, o *options) error {
	if err := imageref.ValidateTag(tag); err != nil {
		return err
	}
	return o.policy.Check(tag)
}

// Verify checks that ref's tag is well formed and allowed by the policy,
// that the registry has it and, when ref.Digest or WithExpectDigest is
// set, that it points to that digest. On the happy path for a single image
// it makes two requests after authentication: the /v2/ ping and a HEAD of
// the manifest; an index costs one GET more, for its platforms.
func Verify(ctx context.Context, ref imageref.Ref, opts ...Option) (*Descriptor, error) {
	o := makeOptions(opts)
	d, err := verify(ctx, ref, o)
	if err != nil {
		return nil, fmt.Errorf("verify %s: %w", ref, err)
	}
	return d, nil
}

func verify(ctx context.Context, ref imageref.Ref, o *options) (*Descriptor, error) {
	if err := checkTag(ref.Tag, o); err != nil {
		return nil, err
	}
	s, err := newSession(ctx, ref, o)
	if err != nil {
		return nil, err
	}
	defer s.close()
	t := s.target
	d, err := s.head(ctx, t)
	if err != nil {
		return nil, err
	}
	for _, want := range []string{ref.Digest, o.expectDigest} {
		if want != "" && want != d.Digest.String() {
			return nil, &RefusedError{Ref: ref.WithTag(ref.Tag).String(), Reason: fmt.Sprintf("tag points to %s, expected %s", d.Digest, want), Fix: "the tag was overwritten or the expected digest is wrong: check which build pushed it"}
		}
	}
	out := &Descriptor{Image: ref.WithTag(ref.Tag).String() + "@" + d.Digest.String(), Tag: ref.Tag, Digest: d.Digest.String(), MediaType: string(d.MediaType)}
	if d.MediaType.IsIndex() {
		g, err := s.puller.Get(ctx, t)
		if err != nil {
			return nil, s.classify(t.String(), err)
		}
		if out.Platforms, err = platforms(g.Manifest); err != nil {
			return nil, fmt.Errorf("read index %s: %w", g.Digest, err)
		}
	}
	return out, nil
}

func platforms(manifest []byte) ([]string, error) {
	im, err := v1.ParseIndexManifest(bytes.NewReader(manifest))
	if err != nil {
		return nil, err
	}
	var ps []string
	for _, m := range im.Manifests {
		if m.Platform != nil {
			ps = append(ps, m.Platform.String())
		}
	}
	return ps, nil
}

// guardTag decides whether the tag t may be written with digest want: it
// returns done=true when the tag already holds want, a *RefusedError when
// it holds another digest, and done=false when it is absent.
func (s *session) guardTag(ctx context.Context, t name.Tag, want v1.Hash) (done bool, err error) {
	d, err := s.head(ctx, t)
	var nf *NotFoundError
	switch {
	case errors.As(err, &nf):
		return false, nil
	case err != nil:
		return false, err
	case d.Digest == want:
		return true, nil
	}
	return false, &RefusedError{Ref: t.String(), Reason: fmt.Sprintf("tag exists with digest %s, not %s", d.Digest, want), Fix: "tags are immutable: push under a new tag"}
}

// confirm checks after a write that t holds want, to detect another writer
// that pushed the same tag in the meantime.
func (s *session) confirm(ctx context.Context, t name.Tag, want v1.Hash) error {
	d, err := s.head(ctx, t)
	if err != nil {
		return fmt.Errorf("check after write: %w", err)
	}
	if d.Digest != want {
		return &RefusedError{Ref: t.String(), Reason: fmt.Sprintf("lost a race: another writer pushed digest %s to the tag while tagbump pushed %s", d.Digest, want), Fix: "registries have no compare-and-swap for tags: find out which pipeline pushed the same tag"}
	}
	return nil
}

func (s *session) pusher(extra ...remote.Option) (*remote.Pusher, error) {
	return remote.NewPusher(append(append([]remote.Option{}, s.ropts...), extra...)...)
}

// Tag adds newTag to the manifest that src names (by digest when
// src.Digest is set, otherwise by tag) with a manifest PUT only: no layer
// moves. src may have a digest and no tag (see imageref.ParseSource); when
// it has both, its tag must point to its digest, or Tag returns a
// *RefusedError and writes nothing. newTag absent: it is written; present
// with the same digest: nothing is written; present with another digest:
// *RefusedError.
func Tag(ctx context.Context, src imageref.Ref, newTag string, opts ...Option) (*Descriptor, error) {
	o := makeOptions(opts)
	dst := src.WithTag(newTag)
	d, err := tag(ctx, src, dst, o)
	if err != nil {
		return nil, fmt.Errorf("tag %s as %s: %w", src, newTag, err)
	}
	return d, nil
}

func tag(ctx context.Context, src, dst imageref.Ref, o *options) (*Descriptor, error) {
	if err := checkTag(dst.Tag, o); err != nil {
		return nil, err
	}
	// The session is made for dst: src may have no tag.
	s, err := newSession(ctx, dst, o)
	if err != nil {
		return nil, err
	}
	defer s.close()
	var from name.Reference
	if src.Digest != "" {
		from, err = s.digest(src)
	} else {
		from, err = s.tag(src)
	}
	if err != nil {
		return nil, err
	}
	if src.Tag != "" && src.Digest != "" {
		if err := s.sourceAgrees(ctx, src); err != nil {
			return nil, err
		}
	}
	desc, err := s.puller.Get(ctx, from)
	if err != nil {
		return nil, s.classify(from.String(), err)
	}
	t, err := s.tag(dst)
	if err != nil {
		return nil, err
	}
	out := &Descriptor{Image: dst.String() + "@" + desc.Digest.String(), Tag: dst.Tag, Digest: desc.Digest.String(), MediaType: string(desc.MediaType)}
	if desc.MediaType.IsIndex() {
		out.Platforms, _ = platforms(desc.Manifest)
	}
	done, err := s.guardTag(ctx, t, desc.Digest)
	if err != nil || done {
		return out, err
	}
	p, err := s.pusher()
	if err != nil {
		return nil, err
	}
	if err := p.Put(ctx, t, desc); err != nil {
		return nil, s.classify(t.String(), err)
	}
	return out, s.confirm(ctx, t, desc.Digest)
}

// sourceAgrees checks that the tag of src points to the digest of src.
func (s *session) sourceAgrees(ctx context.Context, src imageref.Ref) error {
	t, err := s.tag(src)
	if err != nil {
		return err
	}
	d, err := s.head(ctx, t)
	if err != nil {
		return err
	}
	if d.Digest.String() != src.Digest {
		return &RefusedError{Ref: t.String(), Reason: fmt.Sprintf("tag points to %s, not %s", d.Digest, src.Digest), Fix: "name the source by its tag or by its digest alone, or check which build pushed the tag"}
	}
	return nil
}
