package gitrepo_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/tagbump/tagbump/internal/testenv"
	"github.com/tagbump/tagbump/pkg/gitrepo"
)

// A remote HEAD that names no branch is an error, not the branch "".
func TestDefaultBranchEmptySymref(t *testing.T) {
	r := open(t, testenv.NewEmptyHeadServer(t))
	b, err := r.DefaultBranch(context.Background())
	if err == nil || b != "" {
		t.Fatalf("DefaultBranch = %q, %v; want an error", b, err)
	}
	if !errors.Is(err, gitrepo.ErrNotFound) || !strings.Contains(err.Error(), "pass the branch") {
		t.Errorf("DefaultBranch: %v, want ErrNotFound saying to pass the branch", err)
	}
}
