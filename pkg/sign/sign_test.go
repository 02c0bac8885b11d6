package sign_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/tagbump/tagbump/internal/testenv"
	"github.com/tagbump/tagbump/pkg/gitrepo"
	"github.com/tagbump/tagbump/pkg/sign"
)

// sshKeygen makes a key with OpenSSH's own ssh-keygen, as a user would.
func sshKeygen(t *testing.T, typ, passphrase string) (priv []byte, pub string) {
	t.Helper()
	testenv.RequireBinary(t, "ssh-keygen")
	p := filepath.Join(t.TempDir(), "id_"+typ)
	// -a 1: one KDF round for an encrypted key, so tests do not spend a
	// second in bcrypt on every parse.
	args := []string{"-q", "-t", typ, "-N", passphrase, "-a", "1", "-C", "signer@example.invalid", "-f", p}
	if typ == "rsa" {
		args = append(args, "-b", "2048")
	}
	if out, err := exec.Command("ssh-keygen", args...).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v: %s", err, out)
	}
	priv, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	pubb, err := os.ReadFile(p + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	return priv, strings.TrimSpace(string(pubb))
}

var (
	gpgMu   sync.Mutex
	gpgKeys = map[string]*testenv.GPGKey{}
)

// gpgKey makes (once per test binary) a GnuPG key for email.
func gpgKey(t *testing.T, email, passphrase string) *testenv.GPGKey {
	t.Helper()
	gpgMu.Lock()
	defer gpgMu.Unlock()
	if k, ok := gpgKeys[email+"\x00"+passphrase]; ok {
		return k
	}
	k := testenv.NewGPGKey(t, email, passphrase)
	gpgKeys[email+"\x00"+passphrase] = k
	return k
}

// signedCommit pushes one commit signed with key to a fresh repository on
// a real git server and returns the bare repository's directory and the
// commit's hash.
func signedCommit(t *testing.T, key gitrepo.Signer) (string, string) {
	t.Helper()
	srv := testenv.NewGitServer(t)
	dir := srv.MustCreateRepo(t, "charts", map[string]string{"app/values-staging.yaml": "image:\n  tag: 1.0.0\n"})
	ctx := context.Background()
	var opts []gitrepo.Option
	if key != nil {
		opts = append(opts, gitrepo.WithSigner(key))
	}
	r, err := gitrepo.Open(ctx, srv.URL("charts"), opts...)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	snap, err := r.Fetch(ctx, "main")
	if err != nil {
		t.Fatal(err)
	}
	who := object.Signature{Name: "tagbump", Email: "signer@example.invalid", When: time.Now()}
	c, err := snap.Commit(map[string][]byte{"app/values-staging.yaml": []byte("image:\n  tag: 1.1.0\n")}, "chore(staging): update app image to 1.1.0\n", who, who)
	if err != nil {
		t.Fatal(err)
	}
	if c.Signed != (key != nil) {
		t.Errorf("Commit.Signed = %v with signer %v", c.Signed, key != nil)
	}
	if err := r.Push(ctx, c); err != nil {
		t.Fatal(err)
	}
	if got := testenv.MustGit(t, dir, "rev-parse", "main"); got != c.Hash.String() {
		t.Fatalf("main = %s, pushed %s", got, c.Hash)
	}
	return dir, c.Hash.String()
}

// TestSignedCommitsVerifyWithGit signs with keys made by ssh-keygen and gpg,
// pushes to a real git server and checks the commit with git verify-commit:
// a good signature verifies, the same commit with a changed message does
// not, and neither does the commit for a verifier that does not trust the
// key.
func TestSignedCommitsVerifyWithGit(t *testing.T) {
	type keyCase struct {
		name       string
		key, pass  []byte
		ssh        string // public key line
		pgp        []byte // armored public key
		wantFormat sign.Format
	}
	var cases []keyCase
	priv, pub := sshKeygen(t, "ed25519", "s3cret pass")
	cases = append(cases, keyCase{"ssh-ed25519-encrypted", priv, []byte("s3cret pass"), pub, nil, sign.SSH})
	priv, pub = sshKeygen(t, "rsa", "")
	cases = append(cases, keyCase{"ssh-rsa", priv, nil, pub, nil, sign.SSH})
	priv, pub = sshKeygen(t, "ecdsa", "")
	cases = append(cases, keyCase{"ssh-ecdsa", priv, nil, pub, nil, sign.SSH})
	g := gpgKey(t, "signer@example.invalid", "pgp pass")
	cases = append(cases, keyCase{"openpgp-encrypted", g.Secret, []byte("pgp pass"), "", g.Public, sign.OpenPGP})
	g2 := gpgKey(t, "other@example.invalid", "")
	cases = append(cases, keyCase{"openpgp", g2.Secret, nil, "", g2.Public, sign.OpenPGP})

	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			key, err := sign.Parse("test key", tc.key, tc.pass)
			if err != nil {
				t.Fatal(err)
			}
			if key.Format() != tc.wantFormat {
				t.Errorf("format %s, want %s", key.Format(), tc.wantFormat)
			}
			dir, hash := signedCommit(t, key)
			raw := testenv.MustGit(t, dir, "cat-file", "commit", hash)
			wantArmor := map[sign.Format]string{sign.SSH: "gpgsig -----BEGIN SSH SIGNATURE-----", sign.OpenPGP: "gpgsig -----BEGIN PGP SIGNATURE-----"}[tc.wantFormat]
			if !strings.Contains(raw, wantArmor) {
				t.Fatalf("commit has no %q header:\n%s", wantArmor, raw)
			}

			var trusted, stranger *testenv.Verifier
			if tc.ssh != "" {
				trusted = testenv.NewVerifier(t, []string{tc.ssh}, nil)
				_, other := sshKeygen(t, "ed25519", "")
				stranger = testenv.NewVerifier(t, []string{other}, nil)
				if got, _ := key.PublicKey(); got != strings.Join(strings.Fields(tc.ssh)[:2], " ") {
					t.Errorf("PublicKey() = %q, want the key of %q", got, tc.ssh)
				}
			} else {
				trusted = testenv.NewVerifier(t, nil, [][]byte{tc.pgp})
				stranger = testenv.NewVerifier(t, nil, [][]byte{gpgKey(t, "stranger@example.invalid", "").Public})
			}
			if out, err := trusted.VerifyCommit(dir, hash); err != nil {
				t.Fatalf("git verify-commit %s: %v\n%s\n%s", hash, err, out, raw)
			}
			forged, err := testenv.TamperCommit(dir, hash, "Deploy-Also: prod")
			if err != nil {
				t.Fatal(err)
			}
			if out, err := trusted.VerifyCommit(dir, forged); err == nil {
				t.Errorf("a tampered copy of the commit verified:\n%s", out)
			}
			if out, err := stranger.VerifyCommit(dir, hash); err == nil {
				t.Errorf("the commit verified against a key that did not sign it:\n%s", out)
			}
		})
	}

	t.Run("unsigned", func(t *testing.T) {
		_, pub := sshKeygen(t, "ed25519", "")
		dir, hash := signedCommit(t, nil)
		if out, err := testenv.NewVerifier(t, []string{pub}, nil).VerifyCommit(dir, hash); err == nil {
			t.Errorf("an unsigned commit verified:\n%s", out)
		}
	})
}

// TestParseRefuses checks that unusable keys get an error that names the
// problem and the fix, and never repeats the key.
func TestParseRefuses(t *testing.T) {
	encSSH, pubSSH := sshKeygen(t, "ed25519", "right")
	const right = "pgp pass"
	g := gpgKey(t, "signer@example.invalid", "pgp pass")
	cases := []struct {
		name       string
		key, pass  []byte
		want       error
		wantInText string
	}{
		{"ssh missing passphrase", encSSH, nil, sign.ErrPassphrase, "TAGBUMP_SIGN_KEY_PASSPHRASE"},
		{"ssh wrong passphrase", encSSH, []byte("wrong"), sign.ErrPassphrase, "TAGBUMP_SIGN_KEY_PASSPHRASE"},
		{"ssh public key", []byte(pubSSH), nil, sign.ErrBadKey, "public key"},
		{"pgp missing passphrase", g.Secret, nil, sign.ErrPassphrase, "TAGBUMP_SIGN_KEY_PASSPHRASE"},
		{"pgp wrong passphrase", g.Secret, []byte("wrong"), sign.ErrPassphrase, "TAGBUMP_SIGN_KEY_PASSPHRASE"},
		{"pgp public key", g.Public, nil, sign.ErrBadKey, "public key"},
		{"garbage", []byte("not a key at all"), nil, sign.ErrBadKey, "expected an SSH private key"},
		{"truncated pgp", g.Secret[:len(g.Secret)/2], []byte(right), sign.ErrBadKey, "armored private key"},
		{"truncated ssh", append([]byte("-----BEGIN OPENSSH PRIVATE KEY-----\n"), encSSH[40:80]...), nil, sign.ErrBadKey, "SSH private key"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := sign.Parse("TAGBUMP_SIGN_KEY", tc.key, tc.pass)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Parse: %v, want %v", err, tc.want)
			}
			var ke *sign.KeyError
			if !errors.As(err, &ke) || ke.Source != "TAGBUMP_SIGN_KEY" {
				t.Errorf("Parse: %T %v, want a *KeyError naming the source", err, err)
			}
			msg := err.Error()
			if !strings.Contains(msg, tc.wantInText) {
				t.Errorf("error %q does not say %q", msg, tc.wantInText)
			}
			for _, line := range bytes.Split(tc.key, []byte("\n")) {
				if l := bytes.TrimSpace(line); len(l) > 20 && !bytes.HasPrefix(l, []byte("-----")) && strings.Contains(msg, string(l)) {
					t.Errorf("error repeats key material: %q", msg)
				}
			}
		})
	}
}
