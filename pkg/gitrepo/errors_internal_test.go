package gitrepo

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5/plumbing/transport"
	gitssh "github.com/go-git/go-git/v5/plumbing/transport/ssh"
	"golang.org/x/crypto/ssh"
)

// TestAuthCause: the server's reason after an authentication error is
// kept when it is one short line (at most 200 bytes, no markup), else
// only go-git's own words remain.
func TestAuthCause(t *testing.T) {
	s := transport.ErrAuthorizationFailed
	for reason, want := range map[string]string{
		"token expired":          s.Error() + ": token expired",
		strings.Repeat("x", 200): s.Error() + ": " + strings.Repeat("x", 200),
		strings.Repeat("x", 201): s.Error(),
		"<html>denied</html>":    s.Error(),
		"line one\nline two":     s.Error(),
		"":                       s.Error(),
	} {
		if got := authCause(fmt.Errorf("%w: %s", s, reason)); got != want {
			t.Errorf("authCause with reason %.20q = %.60q, want %.60q", reason, got, want)
		}
	}
}

// TestSSHTimeoutAuth: the SSH connection gets the operation timeout, and
// none when the timeout is 0.
func TestSSHTimeoutAuth(t *testing.T) {
	for _, d := range []time.Duration{0, 7 * time.Second} {
		refuse := func(string, net.Addr, ssh.PublicKey) error { return errors.New("no host is known") }
		pw := &gitssh.Password{User: "git", Password: "x", HostKeyCallbackHelper: gitssh.HostKeyCallbackHelper{HostKeyCallback: refuse}}
		a := &sshTimeoutAuth{AuthMethod: pw, timeout: d}
		c, err := a.ClientConfig()
		if err != nil {
			t.Fatal(err)
		}
		if c.Timeout != d {
			t.Errorf("timeout %v: ClientConfig().Timeout = %v", d, c.Timeout)
		}
	}
}
