package forge

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// CommitRequest is a commit for a host to make on a branch through its API
// instead of a git push: the host builds, signs and stores it.
type CommitRequest struct {
	// Repository is "owner/name".
	Repository string
	// Branch is the branch name, without refs/heads/.
	Branch string
	// ExpectedHead is the commit the change was planned on: the host
	// refuses the commit (ErrBranchMoved) when the branch is elsewhere.
	ExpectedHead string
	// Message is the whole commit message: the first line is the subject.
	Message string
	// Files are the new contents of the changed files, by path.
	Files map[string][]byte
}

// CommitCreator makes commits through a host's API.
type CommitCreator interface {
	// CreateCommit makes req's commit and returns its hash.
	CreateCommit(ctx context.Context, req CommitRequest) (string, error)
}

// RefUpdater moves refs through a host's API, several at once and all or
// none, each guarded by the value it is expected to have.
type RefUpdater interface {
	// UpdateRefs applies updates to the refs of repository ("owner/name")
	// atomically. A refused update wraps ErrRefUpdate.
	UpdateRefs(ctx context.Context, repository string, updates ...RefUpdate) error
}

// ErrBranchMoved means the branch is no longer at ExpectedHead: another
// commit landed first. Fetch again, redo the change and retry. The other
// errors of API commits wrap ErrAuth, ErrPermission, ErrNotFound or
// ErrServer (the commit may or may not have been made).
var ErrBranchMoved = errors.New("the branch moved since it was read")

// APIError is an error the host's API answered with.
type APIError struct {
	// Host is the API host.
	Host string
	// Status is the HTTP status code.
	Status int
	// Type is the error's type as the API names it (GitHub GraphQL:
	// FORBIDDEN, NOT_FOUND, STALE_DATA, ...), when it has one.
	Type string
	// Message is the API's message.
	Message string
	// Hint says what to do about it.
	Hint string
	// Kind is the sentinel the error matches with errors.Is, or nil.
	Kind error
}

func (e *APIError) Error() string {
	var s string
	if e.Status != 0 && e.Status != 200 {
		s = fmt.Sprintf("HTTP %d: ", e.Status)
	}
	if e.Type != "" {
		s += e.Type + ": "
	}
	s += e.Message
	if e.Hint != "" {
		s += ": " + e.Hint
	}
	return s
}

// Is makes errors.Is(err, ErrNoWriteAccess) and the other sentinels work.
func (e *APIError) Is(target error) bool { return e.Kind != nil && target == e.Kind }

// RateLimitError is a request the host refused for its rate limit, at a
// point where waiting for the reset would not fit the time allowed.
type RateLimitError struct {
	Host string
	// Reset is when the host accepts requests again (zero when unknown).
	Reset time.Time
	// Secondary is true for a secondary (abuse) limit.
	Secondary bool
	// Limit is the longest wait that was allowed.
	Limit time.Duration
}

func (e *RateLimitError) Error() string {
	kind := "rate limit"
	if e.Secondary {
		kind = "secondary rate limit"
	}
	if e.Reset.IsZero() {
		return fmt.Sprintf("%s exceeded: retry later", kind)
	}
	return fmt.Sprintf("%s exceeded until %s, later than --timeout (%s) allows waiting: retry after the reset or raise --timeout",
		kind, e.Reset.UTC().Format(time.RFC3339), e.Limit)
}
