package gitrepo

import (
	"context"
	"errors"

	"github.com/go-git/go-git/v5/plumbing/protocol/packp/capability"
)

// ServerInfo is what a Git server says it can do, found without changing
// anything: for `tagbump doctor`.
type ServerInfo struct {
	// ProtocolV2 is true when the server speaks protocol v2.
	ProtocolV2 bool
	// Filter is true when it serves partial fetches (blob:none and
	// shallow), which a bump's history and file reads use; without it a
	// bump fetches the tip's whole content.
	Filter bool
	// WantsByID is true when it sends objects asked for by id.
	WantsByID bool
	// DefaultBranch is the branch HEAD names.
	DefaultBranch string
	// Push is nil when the server gave its receive-pack advertisement to
	// these credentials (it lets them push as far as it tells before a
	// push: a hook or branch rule may still refuse one), else the error,
	// classified as a push's is (ErrAuth, ErrNotFound, ...).
	Push error
}

// Path is the path a bump's fetch takes on this server: PathV2, PathV0
// or PathFull.
func (i *ServerInfo) Path() string {
	switch {
	case i.ProtocolV2 && i.Filter:
		return PathV2
	case !i.ProtocolV2 && i.Filter && i.WantsByID:
		return PathV0
	}
	return PathFull
}

// Check asks the server what it can do and whether these credentials may
// push. It sends a capability advertisement request and, over protocol
// v2, an ls-refs; then the receive-pack advertisement. Nothing is
// fetched or pushed. A local clone has nothing to report (nil, nil).
func (r *Repo) Check(ctx context.Context) (*ServerInfo, error) {
	if r.local != nil {
		return nil, nil
	}
	ctx, cancel := r.opContext(ctx)
	defer cancel()
	info := &ServerInfo{}
	s, err := r.v2(ctx)
	switch {
	case err == nil:
		info.ProtocolV2 = true
		info.Filter = s.caps.filter()
		info.WantsByID = true // protocol v2 fetch takes any reachable id
	case errors.Is(err, errNoV2):
		adv, sess, err := r.advertise(ctx, true)
		if err != nil {
			return nil, r.classify("read", err)
		}
		sess.Close()
		caps := adv.Capabilities
		info.Filter = caps.Supports(capability.Filter) && caps.Supports(capability.Shallow)
		info.WantsByID = (caps.Supports(capability.AllowReachableSHA1InWant) || caps.Supports(capability.AllowTipSHA1InWant)) && r.servesByHash(caps)
	default:
		return nil, r.classify("read", err)
	}
	if info.DefaultBranch, err = r.DefaultBranch(ctx); err != nil {
		return nil, err
	}
	sess, err := r.receivePackSession(ctx)
	if err == nil {
		r.stats.PushAdvertisements++
		_, err = sess.AdvertisedReferencesContext(ctx)
		sess.Close()
	}
	if err != nil {
		info.Push = r.classify("push to", err)
	}
	return info, nil
}
