package gitrepo

import (
	"fmt"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing/transport"
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
