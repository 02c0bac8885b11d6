package registry_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/tagbump/tagbump/internal/testenv"
	"github.com/tagbump/tagbump/pkg/registry"
)

// TestPushDetectsLostRace makes the registry accept a second writer's
// manifest for the same tag right after tagbump's PUT, as if another
// pipeline pushed at the same moment: Push must notice and refuse.
func TestPushDetectsLostRace(t *testing.T) {
	var rival []byte
	var rivalType string
	reg := startRegistry(t, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			h.ServeHTTP(w, req)
			if req.Method == http.MethodPut && strings.HasSuffix(req.URL.Path, "/manifests/race") && rival != nil {
				put := httptest.NewRequest(http.MethodPut, req.URL.Path, bytes.NewReader(rival))
				put.Header.Set("Content-Type", rivalType)
				h.ServeHTTP(httptest.NewRecorder(), put)
			}
		})
	})
	// The rival image is in the repository already, under another tag.
	img, _ := testenv.RandomImage(512, 1)
	other, _ := name.NewTag(reg.Host() + "/app:rival")
	if err := remote.Write(other, img); err != nil {
		t.Fatal(err)
	}
	rival, _ = img.RawManifest()
	mt, _ := img.MediaType()
	rivalType = string(mt)
	rd, _ := img.Digest()

	path, _ := tarball(t, 512, 1)
	_, err := registry.Push(context.Background(), path, ref(t, reg.Host()+"/app:race"), opts()...)
	if !isRefused(err) || !strings.Contains(err.Error(), "lost a race: another writer pushed digest "+rd.String()) {
		t.Errorf("Push = %v, want *RefusedError for a lost race", err)
	}
}

// TestPushRivalDuringUpload makes another writer push the tag while
// tagbump uploads its first blob, after tagbump's first HEAD found the tag
// absent: Push must refuse rather than overwrite the rival, and the rival
// must keep the tag.
func TestPushRivalDuringUpload(t *testing.T) {
	img, _ := testenv.RandomImage(512, 1)
	rival, _ := img.RawManifest()
	mt, _ := img.MediaType()
	rd, _ := img.Digest()
	var (
		armed atomic.Bool
		once  sync.Once
	)
	reg := startRegistry(t, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			if armed.Load() && strings.Contains(req.URL.Path, "/blobs/uploads/") && (req.Method == http.MethodPatch || req.Method == http.MethodPut) {
				once.Do(func() {
					put := httptest.NewRequest(http.MethodPut, "/v2/app/manifests/upload-race", bytes.NewReader(rival))
					put.Header.Set("Content-Type", string(mt))
					rec := httptest.NewRecorder()
					h.ServeHTTP(rec, put)
					if rec.Code != http.StatusCreated {
						t.Errorf("rival manifest PUT: %d %s", rec.Code, rec.Body)
					}
				})
			}
			h.ServeHTTP(w, req)
		})
	})
	// The rival's blobs are in the repository already, under another tag.
	other, _ := name.NewTag(reg.Host() + "/app:rival")
	if err := remote.Write(other, img); err != nil {
		t.Fatal(err)
	}
	armed.Store(true)

	path, _ := tarball(t, 512, 1)
	r := ref(t, reg.Host()+"/app:upload-race")
	_, err := registry.Push(context.Background(), path, r, opts()...)
	if !isRefused(err) || !strings.Contains(err.Error(), "during the upload: tag exists with digest "+rd.String()) {
		t.Errorf("Push = %v, want *RefusedError naming the rival digest %s", err, rd)
	}
	got, err := registry.Verify(context.Background(), r, opts()...)
	if err != nil || got.Digest != rd.String() {
		t.Errorf("after the race the tag holds %v, %v; want the rival %s", got, err, rd)
	}
}
