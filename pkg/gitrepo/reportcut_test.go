package gitrepo_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/tagbump/tagbump/internal/testenv"
	"github.com/tagbump/tagbump/pkg/gitrepo"
)

// TestPushReportCut: a report cut before its flush (the connection ended after "unpack ok",
// or after our ref's "ok"), or with a side-band error after "unpack ok":
// no status for our ref arrived, so it is a lost answer (ErrNetwork).
func TestPushReportCut(t *testing.T) {
	pkt := func(s string) string { return fmt.Sprintf("%04x%s", len(s)+4, s) }
	for _, tc := range []struct {
		name string
		body string
	}{
		{"unpack-ok-no-flush", pkt("\x01" + pkt("unpack ok\n"))},
		{"unpack-ok-no-flush-outer-flush", pkt("\x01"+pkt("unpack ok\n")) + "0000"},
		{"unpack-ok-then-cut-mid-pkt", pkt("\x01"+pkt("unpack ok\n")) + "0030\x01001"},
	} {
		for _, kind := range []testenv.FaultKind{testenv.FaultBodyAfter, testenv.FaultBody} {
			t.Run(tc.name+"/"+kind.String(), func(t *testing.T) {
				s := testenv.NewGitServer(t)
				dir := s.MustCreateRepo(t, "charts", seedFiles())
				_ = dir
				p, err := testenv.StartFaultProxy(s.Addr(), testenv.WithFaultRule(&testenv.FaultRule{
					Match: func(r *http.Request) bool {
						return r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/git-receive-pack")
					},
					Fault: testenv.Fault{Kind: kind, Body: []byte(tc.body)},
				}))
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { p.Close() })
				r := open(t, p.URL(s.URL("charts")))
				c := bump(t, r, "app/values.yaml", `"1.0.0"`, `"1.1.0"`)
				err = r.Push(context.Background(), c)
				if !errors.Is(err, gitrepo.ErrNetwork) {
					t.Errorf("Push: %v, want a lost answer (ErrNetwork)", err)
				}
			})
		}
	}
}
