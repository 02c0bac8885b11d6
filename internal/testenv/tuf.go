package testenv

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/theupdateframework/go-tuf/v2/metadata"
)

// TUFRepository is a TUF repository served over HTTP on loopback, as
// Sigstore publishes its trusted root: root, timestamp, snapshot and
// targets metadata (consistent snapshots, one ed25519 key for every role)
// and hash-prefixed target files. Root is the initial root.json a client
// must be given.
type TUFRepository struct {
	Root []byte
	srv  *httptest.Server

	mu    sync.Mutex
	files map[string][]byte
}

// NewTUFRepository signs targets (name → content) into a new repository
// and serves it.
func NewTUFRepository(targets map[string][]byte) (*TUFRepository, error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	signer, err := signature.LoadSigner(priv, crypto.Hash(0))
	if err != nil {
		return nil, err
	}
	key, err := metadata.KeyFromPublicKey(pub)
	if err != nil {
		return nil, err
	}
	exp := time.Now().UTC().Add(24 * time.Hour)
	r := &TUFRepository{files: map[string][]byte{}}
	tg := metadata.Targets(exp)
	for name, data := range targets {
		tf, err := metadata.TargetFile().FromBytes(name, data, "sha256")
		if err != nil {
			return nil, err
		}
		tg.Signed.Targets[name] = tf
		sum := sha256.Sum256(data)
		r.files["targets/"+hex.EncodeToString(sum[:])+"."+name] = data
	}
	sn := metadata.Snapshot(exp)
	sn.Signed.Meta["targets.json"] = metadata.MetaFile(1)
	ts := metadata.Timestamp(exp)
	ts.Signed.Meta["snapshot.json"] = metadata.MetaFile(1)
	root := metadata.Root(exp)
	for _, role := range []string{metadata.ROOT, metadata.TARGETS, metadata.SNAPSHOT, metadata.TIMESTAMP} {
		if err := root.Signed.AddKey(key, role); err != nil {
			return nil, err
		}
	}
	sign := func(name string, m interface {
		Sign(signature.Signer) (*metadata.Signature, error)
		ToBytes(bool) ([]byte, error)
	}) error {
		if _, err := m.Sign(signer); err != nil {
			return err
		}
		b, err := m.ToBytes(false)
		r.files[name] = b
		return err
	}
	for _, s := range []struct {
		name string
		m    interface {
			Sign(signature.Signer) (*metadata.Signature, error)
			ToBytes(bool) ([]byte, error)
		}
	}{{"1.root.json", root}, {"1.targets.json", tg}, {"1.snapshot.json", sn}, {"timestamp.json", ts}} {
		if err := sign(s.name, s.m); err != nil {
			return nil, err
		}
	}
	r.Root = r.files["1.root.json"]
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	return r, nil
}

func (r *TUFRepository) serve(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	b, ok := r.files[strings.TrimPrefix(req.URL.Path, "/")]
	r.mu.Unlock()
	if !ok {
		http.NotFound(w, req)
		return
	}
	_, _ = w.Write(b)
}

// Tamper replaces a served target's content, keeping the metadata that
// names its old hash.
func (r *TUFRepository) Tamper(name string, data []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for k := range r.files {
		if strings.HasPrefix(k, "targets/") && strings.HasSuffix(k, "."+name) {
			r.files[k] = data
		}
	}
}

// URL is the repository's base URL.
func (r *TUFRepository) URL() string { return r.srv.URL }

// Close stops the server.
func (r *TUFRepository) Close() { r.srv.Close() }
