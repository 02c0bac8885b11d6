package cli_test

import (
	"strings"
	"testing"

	"github.com/tagbump/tagbump/internal/testenv"
)

// TestZipBombExit6: a server that answers the fetch with a zip bomb (one
// blob claiming a terabyte) fails the run at once with exit 6, the limit
// named, and is asked once, not retried; --max-fetch-bytes is bound to
// TAGBUMP_MAX_FETCH_BYTES.
func TestZipBombExit6(t *testing.T) {
	srv := testenv.NewGitServer(t)
	srv.MustCreateRepo(t, "charts", map[string]string{"app/values-prod.yaml": "image:\n  tag: \"1.0.0\"\n"})
	p := faultProxy(t, srv.Addr(), testenv.WithFaultRule(&testenv.FaultRule{
		Match: testenv.GitV2Command("fetch"),
		Fault: testenv.Fault{Kind: testenv.FaultZipBomb, Size: 1 << 40, Bytes: 256 << 10},
		Times: 1,
	}))
	url := p.URL(srv.URL("charts"))
	res := runTagbump(t, "history", "--repo", url, "--chart", "app", "--env", "prod")
	if res.code != 6 || !strings.Contains(res.stderr, "max-fetch-bytes") {
		t.Fatalf("history against a zip bomb: exit %d, stderr:\n%s\nwant exit 6 naming --max-fetch-bytes", res.code, res.stderr)
	}
	if n := p.FaultsOf(testenv.FaultZipBomb); n != 1 {
		t.Errorf("the bomb was fetched %d times, want once", n)
	}
	// A limit below what the real repository takes, from the environment.
	t.Setenv("TAGBUMP_MAX_FETCH_BYTES", "1000")
	res = runTagbump(t, "history", "--repo", url, "--chart", "app", "--env", "prod")
	if res.code != 6 || !strings.Contains(res.stderr, "1000 bytes") {
		t.Fatalf("history with TAGBUMP_MAX_FETCH_BYTES=1000: exit %d, stderr:\n%s\nwant exit 6 naming the limit", res.code, res.stderr)
	}
}
