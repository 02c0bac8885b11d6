package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"github.com/tagbump/tagbump/pkg/attest"
	"github.com/tagbump/tagbump/pkg/bump"
)

// signatureFlags are the Sigstore flags of verify, bump and promote.
type signatureFlags struct {
	Require          bool
	Identity         string
	IdentityRegexp   string
	Issuer           string
	IssuerRegexp     string
	GitHubRepository string
	GitHubRef        string
	Extensions       []string
	Key              string
	TrustedRoot      string
	TUFURL, TUFRoot  string
	Attestations     []string
}

func (f *signatureFlags) register(fs *pflag.FlagSet) {
	fs.BoolVar(&f.Require, "require-signature", false, "refuse the image (exit 4) unless its digest carries a Sigstore signature (bundle referrer or cosign .sig tag) that satisfies the identity policy or --signature-key; the policy flags alone check nothing")
	fs.StringVar(&f.Identity, "certificate-identity", "", "the signing certificate's identity (SAN), e.g. https://github.com/org/app/.github/workflows/build.yml@refs/heads/main")
	fs.StringVar(&f.IdentityRegexp, "certificate-identity-regexp", "", "regular expression the whole certificate identity (SAN) must match")
	fs.StringVar(&f.Issuer, "certificate-oidc-issuer", "", "the certificate's OIDC issuer, e.g. https://token.actions.githubusercontent.com")
	fs.StringVar(&f.IssuerRegexp, "certificate-oidc-issuer-regexp", "", "regular expression the whole OIDC issuer must match")
	fs.StringVar(&f.GitHubRepository, "certificate-github-repository", "", "pin the certificate's source repository (org/app, Fulcio extension 1.3.6.1.4.1.57264.1.12)")
	fs.StringVar(&f.GitHubRef, "certificate-github-ref", "", "pin the certificate's source ref, e.g. refs/heads/main (Fulcio extension 1.3.6.1.4.1.57264.1.14)")
	fs.StringArrayVar(&f.Extensions, "certificate-extension", nil, "pin a certificate extension: OID=VALUE (repeatable)")
	fs.StringVar(&f.Key, "signature-key", "", "PEM public key file the signature must verify with (cosign sign --key), instead of a certificate identity")
	fs.StringVar(&f.TrustedRoot, "trusted-root", "", "trusted_root.json, or the JSON lines of gh attestation trusted-root (the root whose Fulcio CA issued the certificate is used), for keyless signatures (default: the Sigstore public-good root embedded in this build, see tagbump version)")
	fs.StringVar(&f.TUFURL, "tuf-url", "", "fetch the trusted root from this TUF repository (a network call on every run, which must finish within --timeout; https://tuf-repo-cdn.sigstore.dev for Sigstore's public good) instead of the embedded one; not with --trusted-root")
	fs.StringVar(&f.TUFRoot, "tuf-root", "", "the TUF repository's initial root.json, which verifies what --tuf-url serves (not needed for Sigstore's public-good repository, whose root is built in)")
	fs.StringArrayVar(&f.Attestations, "require-attestation", nil, "require a DSSE in-toto attestation of this predicate type (slsa-provenance or a URI) for the image's digest, under the same policy (repeatable)")
}

// set reports whether any signature flag asks for a check.
func (f *signatureFlags) set() bool { return f.Require || len(f.Attestations) > 0 }

// check returns the signature check of the flags, nil when none is asked
// for. Errors are usage errors (exit 2): a check without an identity or a
// key, unreadable files, bad expressions. A --tuf-url fetch ends with ctx
// and takes at most timeout (the command's --timeout).
func (f *signatureFlags) check(ctx context.Context, timeout time.Duration) (*bump.SignatureCheck, error) {
	// A policy alone checks nothing: CI may set it for every step in the
	// environment (TAGBUMP_CERTIFICATE_IDENTITY) and require it where needed.
	if !f.set() {
		return nil, nil
	}
	p := attest.Policy{
		Identity: f.Identity, IdentityRegexp: f.IdentityRegexp, Issuer: f.Issuer, IssuerRegexp: f.IssuerRegexp,
		GitHubRepository: f.GitHubRepository, GitHubRef: f.GitHubRef, Attestations: f.Attestations,
	}
	for _, e := range f.Extensions {
		oid, v, ok := strings.Cut(e, "=")
		if !ok || oid == "" {
			return nil, usageErr(fmt.Errorf("invalid --certificate-extension %q: give OID=VALUE", e))
		}
		if p.Extensions == nil {
			p.Extensions = map[string]string{}
		}
		p.Extensions[oid] = v
	}
	var err error
	if f.Key != "" {
		if p.Key, err = os.ReadFile(f.Key); err != nil {
			return nil, usageErr(fmt.Errorf("--signature-key: %w", err))
		}
	}
	if f.TrustedRoot != "" {
		if p.TrustedRoot, err = os.ReadFile(f.TrustedRoot); err != nil {
			return nil, usageErr(fmt.Errorf("--trusted-root: %w", err))
		}
	}
	if f.TUFURL != "" {
		if err := f.fetchRoot(ctx, timeout, &p); err != nil {
			return nil, err
		}
	} else if f.TUFRoot != "" {
		return nil, usageErr(errors.New("--tuf-root needs --tuf-url: it verifies that TUF repository"))
	}
	c, err := attest.Compile(p)
	if err != nil {
		return nil, usageErr(err)
	}
	return &bump.SignatureCheck{Policy: c, RequireSignature: f.Require}, nil
}

// fetchRoot sets p's trusted root from --tuf-url, verified from --tuf-root;
// TUF metadata is cached under the user's cache directory. The fetch
// ends with ctx and takes at most timeout.
func (f *signatureFlags) fetchRoot(ctx context.Context, timeout time.Duration, p *attest.Policy) error {
	if f.TrustedRoot != "" {
		return usageErr(errors.New("give --trusted-root or --tuf-url, not both"))
	}
	var tufRoot []byte
	if f.TUFRoot != "" {
		var err error
		if tufRoot, err = os.ReadFile(f.TUFRoot); err != nil {
			return usageErr(fmt.Errorf("--tuf-root: %w", err))
		}
	}
	if len(tufRoot) == 0 && strings.TrimRight(f.TUFURL, "/") != attest.PublicGoodTUF {
		return usageErr(fmt.Errorf("--tuf-url %s needs --tuf-root, the repository's initial root.json (only Sigstore's public-good root is built in)", f.TUFURL))
	}
	// A cache that cannot be made (no home directory in a CI container)
	// becomes a temporary one: the root is fetched anyway.
	dir, err := os.UserCacheDir()
	if err == nil {
		dir = filepath.Join(dir, "tagbump", "tuf")
		err = os.MkdirAll(dir, 0o700)
	}
	if err != nil {
		if dir, err = os.MkdirTemp("", "tagbump-tuf-"); err != nil {
			return err
		}
		defer os.RemoveAll(dir)
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	b, err := attest.FetchTrustedRoot(ctx, f.TUFURL, tufRoot, dir)
	if err != nil {
		return err
	}
	p.TrustedRoot = b
	p.PublicGood = strings.TrimRight(f.TUFURL, "/") == attest.PublicGoodTUF
	return nil
}
