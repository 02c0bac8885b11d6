package gitrepo

import (
	"testing"

	"github.com/go-git/go-git/v5/plumbing/protocol/packp/capability"
)

// The hand-built upload-pack requests ask for side-band-64k (else
// side-band) when the server offers it, and for no progress, so the
// demultiplexer in uploadPack is what reads the pack.
func TestUploadRequestSideband(t *testing.T) {
	for _, tc := range []struct {
		offered []capability.Capability
		want    capability.Capability
	}{
		{[]capability.Capability{capability.Sideband64k, capability.Sideband, capability.NoProgress}, capability.Sideband64k},
		{[]capability.Capability{capability.Sideband, capability.NoProgress}, capability.Sideband},
	} {
		caps := capability.NewList()
		for _, c := range tc.offered {
			if err := caps.Set(c); err != nil {
				t.Fatal(err)
			}
		}
		req := uploadRequest(caps)
		if !req.Capabilities.Supports(tc.want) || !req.Capabilities.Supports(capability.NoProgress) {
			t.Errorf("offered %v: request capabilities %s, want %s and no-progress", tc.offered, req.Capabilities, tc.want)
		}
		if tc.want == capability.Sideband64k && req.Capabilities.Supports(capability.Sideband) {
			t.Errorf("both side-band and side-band-64k requested: %s", req.Capabilities)
		}
	}
}
