package testenv

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// pktLine is one pkt-line (gitprotocol-common).
func pktLine(s string) string { return fmt.Sprintf("%04x%s", len(s)+4, s) }

// NewEmptyHeadServer starts an HTTP server that answers only the
// smart-HTTP ref advertisement (gitprotocol-http, "Smart Clients") of a
// repository whose HEAD symref names no branch ("symref=HEAD:refs/heads/")
// and returns the repository's URL. No real server is known to answer
// this way; it stands for a broken one. The server stops when t ends.
func NewEmptyHeadServer(t testing.TB) string {
	const tip = "5b1c0a8a1f6e4c2e8d3b9a7f6e5d4c3b2a190817"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasSuffix(r.URL.Path, "/info/refs") || r.URL.Query().Get("service") != "git-upload-pack" {
			http.Error(w, "not found", http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Type", "application/x-git-upload-pack-advertisement")
		fmt.Fprint(w, pktLine("# service=git-upload-pack\n")+"0000"+
			pktLine(tip+" HEAD\x00symref=HEAD:refs/heads/ side-band-64k ofs-delta\n")+
			pktLine(tip+" refs/heads/other\n")+"0000")
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/charts.git"
}
