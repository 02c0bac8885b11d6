package cli_test

import (
	"os"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/rogpeppe/go-internal/testscript"
	"github.com/tagbump/tagbump/internal/testenv"
)

func init() {
	scriptCmds["sigstore"] = cmdSigstore
	scriptSetups = append(scriptSetups, func(env *testscript.Env) error {
		env.Values[sigstoreKey{}] = &sigstoreHolder{}
		return nil
	})
}

// sigstoreKey finds the script's *sigstoreHolder in ts.Value.
type sigstoreKey struct{}

type sigstoreHolder struct{ s *testenv.Sigstore }

// cmdSigstore signs images with a private Sigstore instance (a test CA and
// an RFC 3161 timestamp authority on loopback):
//
//	sigstore start                                 writes trusted_root.json, sets $TRUSTED_ROOT
//	sigstore sign IMAGE SAN ISSUER [PREDICATE]     attaches a bundle (a signature, or an attestation of PREDICATE)
//	sigstore legacy IMAGE SAN ISSUER               writes the cosign .sig tag
//	sigstore tuf                                   serves trusted_root.json from a TUF repository: sets $TUF_URL, writes tuf-root.json
//
// IMAGE is registry/repository:tag; $REGISTRY_USER and $REGISTRY_PASSWORD
// authenticate when set.
func cmdSigstore(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 1 {
		ts.Fatalf("usage: sigstore start | sign IMAGE SAN ISSUER [PREDICATE] | legacy IMAGE SAN ISSUER")
	}
	if args[0] == "start" {
		s, err := testenv.NewSigstore()
		ts.Check(err)
		ts.Defer(s.Close)
		root, err := s.TrustedRoot()
		ts.Check(err)
		path := ts.MkAbs("trusted_root.json")
		ts.Check(os.WriteFile(path, root, 0o644))
		ts.Setenv("TRUSTED_ROOT", path)
		ts.Value(sigstoreKey{}).(*sigstoreHolder).s = s
		return
	}
	s := ts.Value(sigstoreKey{}).(*sigstoreHolder).s
	if args[0] == "tuf" && s != nil {
		root, err := s.TrustedRoot()
		ts.Check(err)
		repo, err := testenv.NewTUFRepository(map[string][]byte{"trusted_root.json": root})
		ts.Check(err)
		ts.Defer(repo.Close)
		ts.Check(os.WriteFile(ts.MkAbs("tuf-root.json"), repo.Root, 0o644))
		ts.Setenv("TUF_URL", repo.URL())
		return
	}
	if s == nil || len(args) < 4 {
		ts.Fatalf("usage: sigstore start first; sign|legacy IMAGE SAN ISSUER [PREDICATE]")
	}
	tag, err := name.NewTag(args[1], name.Insecure)
	ts.Check(err)
	opts := []remote.Option{}
	if u := ts.Getenv("REGISTRY_USER"); u != "" {
		opts = append(opts, remote.WithAuth(authn.FromConfig(authn.AuthConfig{Username: u, Password: ts.Getenv("REGISTRY_PASSWORD")})))
	}
	desc, err := remote.Head(tag, opts...)
	ts.Check(err)
	dig := tag.Context().Digest(desc.Digest.String())
	id := testenv.Identity{SAN: args[2], Issuer: args[3]}
	switch args[0] {
	case "sign":
		pred := "https://sigstore.dev/cosign/sign/v1"
		if len(args) > 4 {
			pred = args[4]
		}
		b, err := s.BundleDSSE(testenv.Statement(desc.Digest.String(), pred), id)
		ts.Check(err)
		_, err = testenv.PushBundle(dig, *desc, b, opts...)
		ts.Check(err)
	case "legacy":
		e, err := s.LegacyKeyless(testenv.SimpleSigningPayload(tag.Context().Name(), desc.Digest.String()), id)
		ts.Check(err)
		ts.Check(testenv.PushLegacy(dig, []testenv.SignedEntry{e}, opts...))
	default:
		ts.Fatalf("usage: sigstore start | sign IMAGE SAN ISSUER [PREDICATE] | legacy IMAGE SAN ISSUER")
	}
}
