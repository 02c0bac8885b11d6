package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// GPGKey is an OpenPGP key made by GnuPG itself in a private GNUPGHOME.
type GPGKey struct {
	// Secret is the armored private key, as `gpg --export-secret-keys
	// --armor` writes it (encrypted when made with a passphrase).
	Secret []byte
	// Public is the armored public key.
	Public []byte
	// Fingerprint is the primary key's fingerprint.
	Fingerprint string
	// Email is the key's user ID email.
	Email string
}

// NewGPGKey makes an ed25519 signing key with gpg in a temporary GNUPGHOME
// (removed, its agent stopped, at the end of t) and exports it. An empty
// passphrase leaves the key unencrypted.
func NewGPGKey(t testing.TB, email, passphrase string) *GPGKey {
	t.Helper()
	RequireBinary(t, "gpg")
	home := gpgHome(t)
	pass := []string{"--pinentry-mode", "loopback", "--passphrase", passphrase}
	if _, err := gpg(home, nil, append(pass, "--quick-gen-key", "tagbump test <"+email+">", "ed25519", "sign", "never")...); err != nil {
		t.Fatal(err)
	}
	out, err := gpg(home, nil, "--with-colons", "--list-secret-keys", email)
	if err != nil {
		t.Fatal(err)
	}
	k := &GPGKey{Email: email}
	for _, l := range strings.Split(out, "\n") {
		if f := strings.Split(l, ":"); f[0] == "fpr" && len(f) > 9 {
			k.Fingerprint = f[9]
			break
		}
	}
	sec, err := gpg(home, nil, append(pass, "--armor", "--export-secret-keys", email)...)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := gpg(home, nil, "--armor", "--export", email)
	if err != nil {
		t.Fatal(err)
	}
	k.Secret, k.Public = []byte(sec), []byte(pub)
	return k
}

// gpgHome returns a new GNUPGHOME with a short path (gpg-agent's socket
// path must fit in a sockaddr), cleaned up with its agent at the end of t.
func gpgHome(t testing.TB) string {
	t.Helper()
	home, err := os.MkdirTemp("", "gpg")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd := exec.Command("gpgconf", "--kill", "all")
		cmd.Env = append(os.Environ(), "GNUPGHOME="+home)
		_ = cmd.Run()
		os.RemoveAll(home)
	})
	return home
}

func gpg(home string, stdin []byte, args ...string) (string, error) {
	cmd := exec.Command("gpg", append([]string{"--batch", "--no-tty", "--quiet"}, args...)...)
	cmd.Env = append(os.Environ(), "GNUPGHOME="+home)
	if stdin != nil {
		cmd.Stdin = strings.NewReader(string(stdin))
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("gpg %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return string(out), nil
}

// Verifier checks commit signatures with git verify-commit, as a server or
// a reviewer would: SSH signatures against an allowed signers file, OpenPGP
// signatures against a GNUPGHOME holding the imported public keys.
type Verifier struct {
	// AllowedSigners is the gpg.ssh.allowedSignersFile.
	AllowedSigners string
	// GNUPGHome is the GNUPGHOME holding the trusted public keys.
	GNUPGHome string
}

// NewVerifier returns a Verifier that trusts the SSH public keys
// sshKeys (authorized_keys lines) and the armored OpenPGP public keys
// pgpKeys.
func NewVerifier(t testing.TB, sshKeys []string, pgpKeys [][]byte) *Verifier {
	t.Helper()
	v := &Verifier{AllowedSigners: filepath.Join(t.TempDir(), "allowed_signers")}
	var b strings.Builder
	for _, k := range sshKeys {
		fmt.Fprintf(&b, "signer@example.invalid namespaces=\"git\" %s\n", strings.TrimSpace(k))
	}
	if err := os.WriteFile(v.AllowedSigners, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if len(pgpKeys) > 0 {
		RequireBinary(t, "gpg")
		v.GNUPGHome = gpgHome(t)
		for _, k := range pgpKeys {
			if _, err := gpg(v.GNUPGHome, k, "--import"); err != nil {
				t.Fatal(err)
			}
		}
	}
	return v
}

// Config returns the git -c arguments that point git at the verifier's
// trust: use them before verify-commit.
func (v *Verifier) Config() []string {
	return []string{"-c", "gpg.ssh.allowedSignersFile=" + v.AllowedSigners}
}

// Env returns the environment git verify-commit needs (GNUPGHOME).
func (v *Verifier) Env() []string {
	if v.GNUPGHome == "" {
		return nil
	}
	return []string{"GNUPGHOME=" + v.GNUPGHome}
}

// VerifyCommit runs git verify-commit on rev in the repository at dir and
// returns its error (nil for a good signature by a trusted key) with git's
// output.
func (v *Verifier) VerifyCommit(dir, rev string) (string, error) {
	cmd := exec.Command("git", append(v.Config(), "verify-commit", "-v", rev)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null")
	cmd.Env = append(cmd.Env, v.Env()...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// RequireSignedHook returns a pre-receive hook script that refuses any
// pushed commit whose signature git verify-commit does not accept with the
// verifier's trust, as a host's "require signed commits" rule does.
func (v *Verifier) RequireSignedHook() string {
	env := ""
	if v.GNUPGHome != "" {
		env = "GNUPGHOME=" + shellQuote(v.GNUPGHome) + " "
	}
	return `#!/bin/sh
zero=0000000000000000000000000000000000000000
while read old new ref; do
  [ "$new" = "$zero" ] && continue
  if [ "$old" = "$zero" ]; then range="$new"; else range="$old..$new"; fi
  for c in $(git rev-list "$range"); do
    if ! ` + env + `git -c gpg.ssh.allowedSignersFile=` + shellQuote(v.AllowedSigners) + ` verify-commit "$c" >/dev/null 2>&1; then
      echo "commit $c has no valid signature: signed commits are required on $ref"
      exit 1
    fi
  done
done
`
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// TamperCommit writes into the repository at dir a copy of commit rev whose
// message has extra appended, keeping its signature header, and returns the
// copy's hash: a forged commit that verification must refuse.
func TamperCommit(dir, rev, extra string) (string, error) {
	raw, err := Git(dir, "cat-file", "commit", rev)
	if err != nil {
		return "", err
	}
	return gitEnv(dir, nil, []byte(raw+"\n"+extra+"\n"), "hash-object", "-t", "commit", "-w", "--stdin")
}
