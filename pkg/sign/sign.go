// Package sign makes commit signatures the way git does: SSH signatures in
// the SSHSIG armored format with namespace "git" (git's gpg.format=ssh), and
// OpenPGP detached armored signatures (git's default). The signature goes
// into the commit's gpgsig header, which is what `git verify-commit` and the
// hosts' "Verified" badges check.
//
// A key is parsed from bytes held in memory: the package never writes a key
// to disk and never puts key material in an error.
package sign

import (
	"bytes"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"github.com/hiddeco/sshsig"
	"golang.org/x/crypto/ssh"
)

// Namespace is the SSHSIG namespace git uses for commit and tag signatures.
const Namespace = "git"

// Format is the kind of a signing key.
type Format string

// The key formats Parse recognises, named as git's gpg.format names them.
const (
	SSH     Format = "ssh"
	OpenPGP Format = "openpgp"
)

// Sentinel errors; the errors Parse returns wrap one of them.
var (
	// ErrBadKey means the bytes are not a private key tagbump can sign
	// with: not a key at all, a public key, or a key without a signing
	// capability.
	ErrBadKey = errors.New("not a usable signing key")
	// ErrPassphrase means the key is encrypted and the passphrase is
	// missing or wrong.
	ErrPassphrase = errors.New("the signing key's passphrase is missing or wrong")
)

// KeyError reports a key that cannot be used, with what to do about it. It
// never contains key material.
type KeyError struct {
	// Source names where the key came from (a file path, or the name of an
	// environment variable).
	Source string
	// Err is ErrBadKey or ErrPassphrase, possibly wrapping the parser's
	// reason.
	Err error
	// Hint says how to fix it.
	Hint string
}

func (e *KeyError) Error() string {
	return fmt.Sprintf("signing key %s: %v: %s", e.Source, e.Err, e.Hint)
}

func (e *KeyError) Unwrap() error { return e.Err }

// Key is a private key that signs commits. It implements go-git's Signer
// interface (Sign over the encoded commit without its signature).
type Key struct {
	format Format
	ssh    ssh.Signer
	pgp    *openpgp.Entity
	pgpCfg *packet.Config
}

// Parse reads a private key from key: an OpenSSH or PEM private key (as
// ssh-keygen writes it) or an armored OpenPGP private key block (as `gpg
// --export-secret-keys --armor` writes it). passphrase decrypts an
// encrypted key; it is ignored for a key that is not encrypted. source
// names the key in errors (a path or a variable name).
func Parse(source string, key, passphrase []byte) (*Key, error) {
	text := bytes.TrimSpace(key)
	switch {
	case bytes.Contains(text, []byte("-----BEGIN PGP PRIVATE KEY BLOCK-----")):
		return parseOpenPGP(source, text, passphrase)
	case bytes.Contains(text, []byte("-----BEGIN PGP PUBLIC KEY BLOCK-----")):
		return nil, &KeyError{source, ErrBadKey, "it is an OpenPGP public key: give the private key (gpg --export-secret-keys --armor KEYID)"}
	case bytes.HasPrefix(text, []byte("ssh-")) || bytes.HasPrefix(text, []byte("ecdsa-")) || bytes.HasPrefix(text, []byte("sk-")):
		return nil, &KeyError{source, ErrBadKey, "it is an SSH public key: give the private key file (without .pub)"}
	case bytes.Contains(text, []byte("PRIVATE KEY-----")):
		return parseSSH(source, text, passphrase)
	}
	return nil, &KeyError{source, ErrBadKey, "expected an SSH private key (-----BEGIN OPENSSH PRIVATE KEY-----) or an armored OpenPGP private key (-----BEGIN PGP PRIVATE KEY BLOCK-----)"}
}

func parseSSH(source string, key, passphrase []byte) (*Key, error) {
	s, err := ssh.ParsePrivateKey(key)
	var missing *ssh.PassphraseMissingError
	if errors.As(err, &missing) {
		if len(passphrase) == 0 {
			return nil, &KeyError{source, ErrPassphrase, "the key is encrypted: set TAGBUMP_SIGN_KEY_PASSPHRASE"}
		}
		s, err = ssh.ParsePrivateKeyWithPassphrase(key, passphrase)
		if errors.Is(err, x509.IncorrectPasswordError) {
			return nil, &KeyError{source, ErrPassphrase, "check TAGBUMP_SIGN_KEY_PASSPHRASE"}
		}
	}
	if err != nil {
		return nil, &KeyError{source, fmt.Errorf("%w: %s", ErrBadKey, keyReason(err)), "give an SSH private key as ssh-keygen writes it"}
	}
	return &Key{format: SSH, ssh: s}, nil
}

func parseOpenPGP(source string, key, passphrase []byte) (*Key, error) {
	list, err := openpgp.ReadArmoredKeyRing(bytes.NewReader(key))
	if err != nil {
		return nil, &KeyError{source, fmt.Errorf("%w: %s", ErrBadKey, keyReason(err)), "give an armored private key (gpg --export-secret-keys --armor KEYID)"}
	}
	var e *openpgp.Entity
	for _, cand := range list {
		if cand.PrivateKey != nil {
			e = cand
			break
		}
	}
	if e == nil {
		return nil, &KeyError{source, ErrBadKey, "the block holds no private key: export it with gpg --export-secret-keys --armor KEYID"}
	}
	if encrypted(e) {
		if len(passphrase) == 0 {
			return nil, &KeyError{source, ErrPassphrase, "the key is encrypted: set TAGBUMP_SIGN_KEY_PASSPHRASE"}
		}
		if err := e.DecryptPrivateKeys(passphrase); err != nil {
			return nil, &KeyError{source, ErrPassphrase, "check TAGBUMP_SIGN_KEY_PASSPHRASE"}
		}
	}
	sk, ok := e.SigningKey(time.Now())
	if !ok || sk.PrivateKey == nil || sk.PrivateKey.Dummy() {
		return nil, &KeyError{source, ErrBadKey, "the key has no valid signing (sub)key with its secret part: check that it is not expired or revoked"}
	}
	return &Key{format: OpenPGP, pgp: e}, nil
}

// encrypted reports whether any secret part of e is still encrypted.
func encrypted(e *openpgp.Entity) bool {
	if e.PrivateKey != nil && e.PrivateKey.Encrypted {
		return true
	}
	for _, s := range e.Subkeys {
		if s.PrivateKey != nil && s.PrivateKey.Encrypted {
			return true
		}
	}
	return false
}

// keyReason is a parser's error text, cut short: parsers do not echo key
// bytes, but a reason needs no more than a line.
func keyReason(err error) string {
	s := err.Error()
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		s = s[:i]
	}
	if len(s) > 120 {
		s = s[:120]
	}
	return s
}

// Format returns the key's kind.
func (k *Key) Format() Format { return k.format }

// Fingerprint identifies the public key without revealing anything secret:
// SHA256:… for SSH (as ssh-keygen -l prints it), the hex fingerprint of the
// signing key for OpenPGP.
func (k *Key) Fingerprint() string {
	if k.format == SSH {
		return ssh.FingerprintSHA256(k.ssh.PublicKey())
	}
	sk, _ := k.pgp.SigningKey(time.Now())
	return strings.ToUpper(fmt.Sprintf("%x", sk.PublicKey.Fingerprint))
}

// PublicKey returns the public half to register with a host or a
// verifier: an authorized_keys line for SSH, an armored public key block
// for OpenPGP.
func (k *Key) PublicKey() (string, error) {
	if k.format == SSH {
		return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(k.ssh.PublicKey()))), nil
	}
	var b bytes.Buffer
	w, err := armor.Encode(&b, openpgp.PublicKeyType, nil)
	if err != nil {
		return "", err
	}
	if err := k.pgp.Serialize(w); err != nil {
		return "", err
	}
	if err := w.Close(); err != nil {
		return "", err
	}
	return b.String(), nil
}

// Sign returns the armored signature of message, the commit encoded
// without its signature: an SSHSIG block (namespace "git", SHA-512, as
// git signs) or an OpenPGP detached signature.
func (k *Key) Sign(message io.Reader) ([]byte, error) {
	if k.format == SSH {
		sig, err := sshsig.Sign(message, k.ssh, sshsig.HashSHA512, Namespace)
		if err != nil {
			return nil, fmt.Errorf("sign: %w", err)
		}
		return sshsig.Armor(sig), nil
	}
	var b bytes.Buffer
	if err := openpgp.ArmoredDetachSign(&b, k.pgp, message, k.pgpCfg); err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	return b.Bytes(), nil
}
