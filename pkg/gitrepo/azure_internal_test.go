package gitrepo

import (
	"context"
	"sync"
	"testing"

	"github.com/go-git/go-git/v5/plumbing/protocol/packp/capability"
	"github.com/go-git/go-git/v5/plumbing/transport"
)

// Azure DevOps speaks protocol v2, so Open leaves it on the partial path
// and sets no workaround. Only when it answers in v0 does the fetch take
// the full path with go-git's multi_ack workaround: the hand-built v0
// partial requests would not send multi_ack and Azure answers TF401041.
// (No real Azure server runs here: this checks the decision, not Azure.)
func TestAzureDevOpsWorkaroundOnlyWithoutV2(t *testing.T) {
	saved := transport.UnsupportedCapabilities
	t.Cleanup(func() { transport.UnsupportedCapabilities = saved })
	transport.UnsupportedCapabilities = []capability.Capability{capability.MultiACK, capability.MultiACKDetailed, capability.ThinPack}
	multiACKOnce = sync.Once{}
	for _, tc := range []struct {
		url   string
		azure bool
	}{
		{"https://github.com/org/charts.git", false},
		{"https://dev.azure.com/org/proj/_git/charts", true},
		{"https://org@dev.azure.com/org/proj/_git/charts", true},
		{"https://org.visualstudio.com/proj/_git/charts", true},
	} {
		before := len(transport.UnsupportedCapabilities)
		r, err := Open(context.Background(), tc.url)
		if err != nil {
			t.Fatalf("Open(%s): %v", tc.url, err)
		}
		if r.noPartial || len(transport.UnsupportedCapabilities) != before {
			t.Errorf("Open(%s): noPartial = %v, unsupported %v: want the v2 partial path untouched", tc.url, r.noPartial, transport.UnsupportedCapabilities)
		}
		r.noV2Workarounds()
		if r.noPartial != tc.azure {
			t.Errorf("%s without v2: noPartial = %v, want %v", tc.url, r.noPartial, tc.azure)
		}
		r.Close()
	}
	if len(transport.UnsupportedCapabilities) != 1 || transport.UnsupportedCapabilities[0] != capability.ThinPack {
		t.Errorf("unsupported capabilities after Azure without v2: %v, want only thin-pack", transport.UnsupportedCapabilities)
	}
}
