package registry_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
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
