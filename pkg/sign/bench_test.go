package sign_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"encoding/pem"
	"fmt"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"github.com/go-git/go-git/v5/plumbing/object"
	"golang.org/x/crypto/ssh"

	"github.com/tagbump/tagbump/internal/testenv"
	"github.com/tagbump/tagbump/pkg/gitrepo"
	"github.com/tagbump/tagbump/pkg/sign"
)

type benchKey struct {
	name       string
	key, pass  []byte
	parsedOnce *sign.Key
}

func sshBenchKey(b *testing.B, name string, priv crypto.PrivateKey, pass string) benchKey {
	var block *pem.Block
	var err error
	if pass == "" {
		block, err = ssh.MarshalPrivateKey(priv, "")
	} else {
		block, err = ssh.MarshalPrivateKeyWithPassphrase(priv, "", []byte(pass))
	}
	if err != nil {
		b.Fatal(err)
	}
	return benchKey{name: name, key: pem.EncodeToMemory(block), pass: []byte(pass)}
}

func pgpBenchKey(b *testing.B, name string, cfg *packet.Config, pass string) benchKey {
	e, err := openpgp.NewEntity("bench", "", "bench@example.invalid", cfg)
	if err != nil {
		b.Fatal(err)
	}
	var buf bytes.Buffer
	w, err := armor.Encode(&buf, openpgp.PrivateKeyType, nil)
	if err != nil {
		b.Fatal(err)
	}
	if pass != "" {
		if err := e.EncryptPrivateKeys([]byte(pass), nil); err != nil {
			b.Fatal(err)
		}
		err = e.SerializePrivateWithoutSigning(w, nil)
	} else {
		err = e.SerializePrivate(w, nil)
	}
	if err != nil {
		b.Fatal(err)
	}
	w.Close()
	return benchKey{name: name, key: buf.Bytes(), pass: []byte(pass)}
}

func benchKeys(b *testing.B) []benchKey {
	_, ed, _ := ed25519.GenerateKey(rand.Reader)
	rk, err := rsa.GenerateKey(rand.Reader, 3072)
	if err != nil {
		b.Fatal(err)
	}
	return []benchKey{
		sshBenchKey(b, "ssh-ed25519", ed, ""),
		sshBenchKey(b, "ssh-ed25519-encrypted", ed, "bench pass"),
		sshBenchKey(b, "ssh-rsa3072", rk, ""),
		pgpBenchKey(b, "openpgp-ed25519", &packet.Config{Algorithm: packet.PubKeyAlgoEdDSA}, ""),
		pgpBenchKey(b, "openpgp-ed25519-encrypted", &packet.Config{Algorithm: packet.PubKeyAlgoEdDSA}, "bench pass"),
		pgpBenchKey(b, "openpgp-rsa3072", &packet.Config{RSABits: 3072}, ""),
	}
}

// BenchmarkParse measures reading a key once per bump (an encrypted key
// includes its key derivation: bcrypt for OpenSSH, S2K for OpenPGP).
func BenchmarkParse(b *testing.B) {
	for _, k := range benchKeys(b) {
		b.Run(k.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if _, err := sign.Parse("bench", k.key, k.pass); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkSign measures one signature over a typical bump commit.
func BenchmarkSign(b *testing.B) {
	msg := bytes.Repeat([]byte("tree 0123456789abcdef0123456789abcdef01234567\n"), 8)
	for _, k := range benchKeys(b) {
		key, err := sign.Parse("bench", k.key, k.pass)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(k.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if _, err := key.Sign(bytes.NewReader(msg)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkSignedBump measures a whole bump (open, partial fetch, read,
// commit, push to the loopback git server; 300 charts) unsigned and signed,
// key parsing included: the difference is what signing adds per bump.
func BenchmarkSignedBump(b *testing.B) {
	keys := benchKeys(b)
	cases := append([]benchKey{{name: "unsigned"}}, keys[0], keys[1], keys[2], keys[3], keys[4], keys[5])
	s := testenv.NewGitServer(b)
	s.MustCreateRepo(b, "charts", testenv.ChartsFiles(300, 1))
	ctx := context.Background()
	path := "chart-0007/values-staging.yaml"
	n := 0
	for _, k := range cases {
		b.Run(k.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				var opts []gitrepo.Option
				if k.key != nil {
					key, err := sign.Parse("bench", k.key, k.pass)
					if err != nil {
						b.Fatal(err)
					}
					opts = append(opts, gitrepo.WithSigner(key))
				}
				r, err := gitrepo.Open(ctx, s.URL("charts"), opts...)
				if err != nil {
					b.Fatal(err)
				}
				snap, err := r.Fetch(ctx, "main")
				if err != nil {
					b.Fatal(err)
				}
				if _, err := snap.ReadFile(ctx, path); err != nil {
					b.Fatal(err)
				}
				n++
				who := object.Signature{Name: "bench", Email: "bench@example.invalid", When: time.Now()}
				c, err := snap.Commit(map[string][]byte{path: fmt.Appendf(nil, "image:\n  tag: \"%d\"\n", n)}, "chore(staging): bump", who, who)
				if err != nil {
					b.Fatal(err)
				}
				if err := r.Push(ctx, c); err != nil {
					b.Fatal(err)
				}
				r.Close()
			}
		})
	}
}
