package gitrepo

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/format/pktline"
	"github.com/go-git/go-git/v5/plumbing/protocol/packp/capability"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	"github.com/tagbump/tagbump/internal/testenv"
)

// TestGoGitDecodeFailureWording pins the one go-git wording that
// classification still reads: a real git upload-pack refuses a want it does
// not serve by hash with an ERR packet, and go-git reports it as text
// behind decodeUploadPackPrefix. If go-git changes that, this test fails
// (and refusedPartial would stop falling back to a full fetch).
func TestGoGitDecodeFailureWording(t *testing.T) {
	root := t.TempDir()
	dir, err := testenv.CreateBareRepo(filepath.Join(root, "charts.git"), map[string]string{"a.yaml": "a: 1\n"})
	if err != nil {
		t.Fatal(err)
	}
	testenv.MustGit(t, dir, "config", "uploadpack.allowAnySHA1InWant", "false")
	testenv.MustGit(t, dir, "config", "uploadpack.allowTipSHA1InWant", "true")
	blob := testenv.MustGit(t, dir, "rev-parse", "main:a.yaml")
	key, err := testenv.NewSSHKey(t.TempDir(), "id", "")
	if err != nil {
		t.Fatal(err)
	}
	sshd, knownHosts := testenv.NewSSHD(t, key, root)
	r, err := Open(context.Background(), sshd.URL("charts"), WithSSHKey(key.Path, ""), WithKnownHosts(knownHosts))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	ctx := context.Background()
	adv, sess, err := r.advertise(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	req := uploadRequest(adv.Capabilities)
	req.Wants = []plumbing.Hash{plumbing.NewHash(blob)}
	_, err = sess.UploadPack(ctx, req)
	// go-git races the server here: when upload-pack has sent its ERR
	// and closed before go-git writes "done", the write fails first
	// ("sending done message: EOF") and the ERR is never read. That is
	// go-git's, not the wording this test pins, so try again on a new
	// session until the ERR is read (it is, most of the time).
	for try := 0; try < 20 && err != nil && strings.HasPrefix(err.Error(), "sending done message: "); try++ {
		sess.Close()
		if adv, sess, err = r.advertise(ctx, false); err != nil {
			t.Fatal(err)
		}
		_, err = sess.UploadPack(ctx, req)
	}
	defer sess.Close()
	if err == nil {
		t.Fatal("the server served a blob by hash that it must refuse")
	}
	if !strings.HasPrefix(err.Error(), decodeUploadPackPrefix) || !strings.Contains(err.Error(), "not our ref") {
		t.Errorf("go-git's error = %q, want it to start with %q and carry the server's \"not our ref\"", err, decodeUploadPackPrefix)
	}
	if !refusedPartial(err) {
		t.Errorf("refusedPartial(%q) = false", err)
	}
	if !supportsPartial(adv.Capabilities) || !adv.Capabilities.Supports(capability.AllowTipSHA1InWant) {
		t.Errorf("the server does not offer what the partial path needs: %s", adv.Capabilities)
	}
}

// TestClassifyTyped checks that classification reads the HTTP status
// inside go-git's *plumbing.UnexpectedError by type: 5xx and 429 are
// transient, other statuses are not.
func TestClassifyTyped(t *testing.T) {
	r := &Repo{display: "https://git.example.com/charts.git"}
	for _, tc := range []struct {
		status int
		want   error
	}{{503, ErrNetwork}, {500, ErrNetwork}, {429, ErrNetwork}, {400, nil}, {418, nil}} {
		u, _ := url.Parse("https://git.example.com/charts.git/info/refs")
		resp := &http.Response{StatusCode: tc.status, Request: &http.Request{URL: u}}
		err := r.classify("fetch", plumbing.NewUnexpectedError(&githttp.Err{Response: resp}))
		if got := errors.Is(err, ErrNetwork); got != (tc.want != nil) {
			t.Errorf("status %d: %v; wraps ErrNetwork %v, want %v", tc.status, err, got, tc.want != nil)
		}
	}
}

// A network error whose text happens to contain "filter" (here, in the
// repository's URL) is not the server refusing a filter.
func TestRefusedPartialNotByURL(t *testing.T) {
	err := plumbing.NewUnexpectedError(errors.New(`Post "http://127.0.0.1:1/filter-charts.git/git-upload-pack": read: connection reset by peer`))
	if refusedPartial(err) {
		t.Errorf("refusedPartial(%q) = true, want false", err)
	}
	if !refusedPartial(errors.New(decodeUploadPackPrefix + "upload-pack: not our ref 0123")) {
		t.Error("refusedPartial of go-git's decoding failure with \"not our ref\" = false")
	}
	// An ERR packet while the pack is read is a refusal of the partial
	// request only when it says so.
	if !refusedPartial(fmt.Errorf("read pack: %w", &pktline.ErrorLine{Text: "upload-pack: not our ref 0123"})) {
		t.Error("refusedPartial of an ERR packet \"not our ref\" = false")
	}
	if refusedPartial(fmt.Errorf("read pack: %w", &pktline.ErrorLine{Text: "access denied or repository not exported"})) {
		t.Error("refusedPartial of an ERR packet that refuses access = true, want false")
	}
}
