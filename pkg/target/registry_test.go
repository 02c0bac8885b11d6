package target_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/tagbump/tagbump/pkg/target"
)

// A container running acme/app runs Docker Hub's image, not ghcr.io's.
func TestManifestOtherRegistry(t *testing.T) {
	src := []byte(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
        - name: app
          image: acme/app:1.0
`)
	out, ch, err := target.SetManifest(src, ref("ghcr.io/acme/app", "2.0", ""))
	if !errors.Is(err, target.ErrNoImage) {
		t.Errorf("SetManifest(ghcr.io/acme/app:2.0) = %q, %+v, %v; want ErrNoImage (the container runs docker.io/acme/app)", out, ch, err)
	}
}

// An entry named acme/app is Docker Hub's image: a bump of
// ghcr.io/acme/app leaves it alone (and adds the image's own entry).
func TestKustomizeOtherRegistry(t *testing.T) {
	src := []byte(`resources:
  - deployment.yaml
images:
  - name: acme/app
    newTag: "1.0"
`)
	out, ch, err := target.SetKustomize(src, ref("ghcr.io/acme/app", "2.0", ""), nil)
	if err == nil && !strings.HasPrefix(string(out), string(src)) {
		t.Errorf("SetKustomize(ghcr.io/acme/app:2.0) = %q, %+v: the entry of docker.io/acme/app changed", out, ch)
	}
}

// An entry named acme/app would deploy docker.io/acme/app.
func TestKustomizeAppendOtherRegistry(t *testing.T) {
	src := []byte("resources:\n- deployment.yaml\n")
	// name as the resources spell it (setKustomization's spellings finds acme/app)
	out, ch, err := target.SetKustomize(src, ref("ghcr.io/acme/app", "2.0", ""), []string{"acme/app"})
	if err == nil {
		t.Errorf("SetKustomize appended %q (%+v): the entry deploys docker.io/acme/app:2.0, not ghcr.io/acme/app:2.0", out, ch)
	}
}
