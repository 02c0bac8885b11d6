package gitrepo

import (
	"context"
	"testing"

	"github.com/go-git/go-git/v5/plumbing/transport"
)

// Azure DevOps gets no partial fetch: fetchPartial would not send multi_ack
// and Azure answers TF401041, so every fetch takes the full path into fresh
// storage. Open decides this without contacting the server.
func TestAzureDevOpsNoPartial(t *testing.T) {
	saved := transport.UnsupportedCapabilities
	t.Cleanup(func() { transport.UnsupportedCapabilities = saved })
	for _, tc := range []struct {
		url   string
		azure bool
	}{
		{"https://dev.azure.com/org/proj/_git/charts", true},
		{"https://org@dev.azure.com/org/proj/_git/charts", true},
		{"https://org.visualstudio.com/proj/_git/charts", true},
		{"https://github.com/org/charts.git", false},
		{"https://evilvisualstudio.com/proj/_git/charts", false},
		{"https://visualstudio.com.evil.example/proj/_git/charts", false},
		{"https://notdev.azure.com/org/proj/_git/charts", false},
	} {
		r, err := Open(context.Background(), tc.url)
		if err != nil {
			t.Fatalf("Open(%s): %v", tc.url, err)
		}
		if r.noPartial != tc.azure {
			t.Errorf("Open(%s): noPartial = %v, want %v", tc.url, r.noPartial, tc.azure)
		}
		r.Close()
	}
}
