package registry

import (
	"context"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/tagbump/tagbump/pkg/imageref"
)

// Client reads one repository under the same rules as Verify:
// credentials, transport, per-request timeout, retries and the plain-HTTP
// rule of the options. Other packages (pkg/attest) use it to read what a
// registry holds next to an image without building their own client.
type Client struct{ s *session }

// Open returns a Client for the repository of ref. ref must have a tag;
// the tag policy is not applied. Close releases it.
func Open(ctx context.Context, ref imageref.Ref, opts ...Option) (*Client, error) {
	o := makeOptions(opts)
	s, err := newSession(ctx, ref, o)
	if err != nil {
		return nil, err
	}
	return &Client{s: s}, nil
}

// Close releases the client's transport.
func (c *Client) Close() { c.s.close() }

// Repository is the repository the client was opened for.
func (c *Client) Repository() name.Repository { return c.s.target.Repository }

// RemoteOptions are the go-containerregistry options of the client: its
// context, authentication, transport and retry rules.
func (c *Client) RemoteOptions() []remote.Option { return c.s.ropts }

// Classify turns an error of go-containerregistry into one of this
// package's typed errors (*NotFoundError, *AuthError, *NetworkError), as
// Verify does; ref names what was looked up.
func (c *Client) Classify(ref string, err error) error { return c.s.classify(ref, err) }
