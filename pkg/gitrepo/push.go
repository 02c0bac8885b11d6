package gitrepo

import (
	"bytes"
	"compress/zlib"
	"context"
	"crypto/sha1"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/protocol/packp"
	"github.com/go-git/go-git/v5/plumbing/protocol/packp/capability"
	"github.com/go-git/go-git/v5/plumbing/transport"
)

// Push sends c's new objects and asks the server to move c.Branch from
// c.Parent to c.Hash, in one receive-pack request. It never forces: when
// the branch moved in the meantime the server's compare-and-swap fails and
// Push returns an error wrapping ErrRace. A hook or protected-branch refusal
// is a *RejectedError. For a local clone see the package documentation.
func (r *Repo) Push(ctx context.Context, c *Commit) error {
	if r.local != nil {
		return r.pushLocal(c)
	}
	return r.pushRef(ctx, c, c.Branch, c.Parent)
}

// pushRef pushes c to branch, which must be at old (zero: must not exist).
func (r *Repo) pushRef(ctx context.Context, c *Commit, branch string, old plumbing.Hash) error {
	ctx, cancel := r.opContext(ctx)
	defer cancel()
	err := r.push(ctx, c, branch, old)
	var rej *RejectedError
	if errors.As(err, &rej) {
		return err
	}
	return r.classify("push to", err)
}

func (r *Repo) push(ctx context.Context, c *Commit, branch string, old plumbing.Hash) error {
	sess, err := r.receivePackSession(ctx)
	if err != nil {
		return err
	}
	defer sess.Close()
	ref := plumbing.NewBranchReferenceName(branch)
	var caps *capability.List
	if (r.ep.Protocol == "http" || r.ep.Protocol == "https") && !r.pushAdvertise && branch == c.Branch && old == c.Parent && !old.IsZero() {
		// Smart HTTP is stateless: the push needs no advertisement. The
		// old tip is the one just fetched, and the server's
		// compare-and-swap on it catches a branch that moved since; the
		// capabilities are those every smart HTTP receive-pack has had
		// since git 1.6.6.
		caps = assumedReceivePackCaps()
	} else {
		r.stats.PushAdvertisements++
		adv, err := sess.AdvertisedReferencesContext(ctx)
		if err != nil {
			return err
		}
		cur, ok := adv.References[ref.String()]
		switch {
		case !ok && !old.IsZero() && branch == c.Branch:
			return fmt.Errorf("branch %q: %w", branch, ErrNotFound)
		case !ok && !old.IsZero():
			return fmt.Errorf("%w: %s was deleted, it was at %s", ErrRace, ref, short(old))
		case ok && old.IsZero():
			return fmt.Errorf("%w: %s was created meanwhile, at %s", ErrRace, ref, short(cur))
		case ok && cur != old && branch == c.Branch:
			return fmt.Errorf("%w: %s is at %s, the commit was made on %s", ErrRace, ref, short(cur), short(old))
		case ok && cur != old:
			return fmt.Errorf("%w: %s is at %s, expected %s", ErrRace, ref, short(cur), short(old))
		}
		caps = adv.Capabilities
	}
	req := packp.NewReferenceUpdateRequestFromCapabilities(caps)
	req.Commands = []*packp.Command{{Name: ref, Old: old, New: c.Hash}}
	var progress bytes.Buffer
	if caps.Supports(capability.Sideband64k) {
		_ = req.Capabilities.Set(capability.Sideband64k)
	} else if caps.Supports(capability.Sideband) {
		_ = req.Capabilities.Set(capability.Sideband)
	}
	req.Progress = &limitedWriter{w: &progress, n: 64 << 10}
	// A server that cannot complete a thin pack says so (gitprotocol-
	// capabilities, no-thin); git's receive-pack never has.
	pack, err := c.pack(!caps.Supports(capability.Capability("no-thin")))
	if err != nil {
		return err
	}
	req.Packfile = io.NopCloser(bytes.NewReader(pack))
	r.stats.ReceivePacks++
	r.stats.ObjectsPushed += len(c.hashes)
	report, err := sess.ReceivePack(ctx, req)
	if report != nil {
		if rerr := reportError(report, ref, progress.String()); rerr != nil {
			return rerr
		}
	}
	if err != nil && report == nil && reportCut(err) {
		// The pack went out and the report broke off before a status
		// for our ref (go-git says "missing flush" or EOF): a lost
		// answer, as for an empty one.
		return fmt.Errorf("%w: %w (%v)", ErrNetwork, errNoRefStatus, err)
	}
	if err == nil && report == nil && req.Capabilities.Supports(capability.ReportStatus) {
		// go-git returns neither report nor error when the answer's body is
		// empty (a proxy, a server cut short): the push may or may not
		// have landed, and only the next fetch can tell.
		return fmt.Errorf("%w: %w", ErrNetwork, errNoReport)
	}
	return err
}

// receivePackSession is what push needs of a receive-pack session: go-git's
// (transport.ReceivePackSession) or, over SSH, one on the Repo's shared
// connection.
type receivePackSession interface {
	AdvertisedReferencesContext(ctx context.Context) (*packp.AdvRefs, error)
	ReceivePack(ctx context.Context, req *packp.ReferenceUpdateRequest) (*packp.ReportStatus, error)
	Close() error
}

func (r *Repo) receivePackSession(ctx context.Context) (receivePackSession, error) {
	if r.ep.Protocol == "ssh" {
		return r.newSSHReceivePack(ctx)
	}
	t, err := r.transport()
	if err != nil {
		return nil, err
	}
	ep := r.ep
	if r.redirected != "" {
		// Where the fetch found the repository (followRedirect).
		if ep, err = transport.NewEndpoint(r.redirected); err != nil {
			return nil, err
		}
	}
	return t.NewReceivePackSession(ep, r.auth)
}

// assumedReceivePackCaps are the receive-pack capabilities an HTTP push
// relies on without an advertisement: report-status, side-band-64k and
// agent.
func assumedReceivePackCaps() *capability.List {
	caps := capability.NewList()
	_ = caps.Set(capability.ReportStatus)
	_ = caps.Set(capability.Sideband64k)
	_ = caps.Set(capability.Agent, capability.DefaultAgent())
	return caps
}

// errNoReport is a push answered without the report-status it asked for.
var errNoReport = errors.New("the server's answer to the push carried no report-status: it may or may not have landed")

// reportCut reports whether err is go-git's failure to decode a
// report-status that ended early: cut mid-line or before its flush.
func reportCut(err error) bool {
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return true
	}
	msg := err.Error()
	return strings.Contains(msg, "missing flush") || strings.Contains(msg, "malformed unpack status") || strings.Contains(msg, "malformed command status")
}

// errNoRefStatus is a report-status without a status for the pushed ref:
// "unpack ok" and a flush, or statuses for other refs only. git push says
// "remote failed to report status" here; the push may or may not have
// landed, as with no report at all.
var errNoRefStatus = errors.New("the server's report-status has no status for the pushed branch: it may or may not have landed")

// pack encodes exactly the commit's new objects as a version 2 pack
// (gitformat-pack), zlib at its fastest level. When thin, each new tree
// and blob that has a previous version is sent as a delta against it
// (REF_DELTA; the server has the base: it is in the parent's tree), as
// git push does by default: the new root tree of a charts repository
// has an entry per chart, and its delta is a few dozen bytes.
func (c *Commit) pack(thin bool) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteString("PACK")
	_ = binary.Write(&buf, binary.BigEndian, [2]uint32{2, uint32(len(c.hashes))})
	zw, err := zlib.NewWriterLevel(&buf, zlib.BestSpeed)
	if err != nil {
		return nil, fmt.Errorf("encode pack: %w", err)
	}
	for _, h := range c.hashes {
		data, err := objectContent(c.objects, plumbing.AnyObject, h)
		if err != nil {
			return nil, fmt.Errorf("encode pack: %w", err)
		}
		typ := c.objects.Objects[h].Type()
		if base, ok := c.bases[h]; ok && thin && base.id != h {
			if d := delta(base.data, data); d != nil {
				typ, data = plumbing.REFDeltaObject, d
			}
		}
		// type and size: 3 bits of type and 4 of size in the first byte,
		// 7 bits of size in each next one while the high bit is set
		size := uint64(len(data))
		b := byte(typ)<<4 | byte(size&0x0f)
		for size >>= 4; size > 0; size >>= 7 {
			buf.WriteByte(b | 0x80)
			b = byte(size & 0x7f)
		}
		buf.WriteByte(b)
		if typ == plumbing.REFDeltaObject {
			base := c.bases[h].id
			buf.Write(base[:])
		}
		zw.Reset(&buf)
		_, err = zw.Write(data)
		if err == nil {
			err = zw.Close()
		}
		if err != nil {
			return nil, fmt.Errorf("encode pack: %w", err)
		}
	}
	sum := sha1.Sum(buf.Bytes())
	buf.Write(sum[:])
	return buf.Bytes(), nil
}

// reportError maps the server's report-status for ref to ErrRace or a
// *RejectedError; hookOutput is what the hooks wrote to the sideband. A
// report without a status for ref is a lost answer (ErrNetwork): only the
// next fetch can tell whether the push landed.
func reportError(rs *packp.ReportStatus, ref plumbing.ReferenceName, hookOutput string) error {
	if rs.UnpackStatus != "ok" && rs.UnpackStatus != "" {
		return fmt.Errorf("server could not unpack the pushed objects: %s", rs.UnpackStatus)
	}
	i := slices.IndexFunc(rs.CommandStatuses, func(cs *packp.CommandStatus) bool { return cs.ReferenceName == ref })
	if i < 0 {
		return fmt.Errorf("%w: %w", ErrNetwork, errNoRefStatus)
	}
	cs := rs.CommandStatuses[i]
	switch {
	case cs.Status == "ok":
		return nil
	case isRaceStatus(cs.Status):
		return fmt.Errorf("%w: %s %s", ErrRace, cs.ReferenceName, cs.Status)
	}
	reason := cs.Status
	if lines := hookLines(hookOutput); lines != "" {
		reason += ": " + lines
	}
	return &RejectedError{Ref: cs.ReferenceName.String(), Reason: reason}
}

// hookLines joins the non-empty lines of the hook output.
func hookLines(s string) string {
	var out []string
	for _, l := range strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\r' }) {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return strings.Join(out, "; ")
}

type limitedWriter struct {
	w io.Writer
	n int
}

func (l *limitedWriter) Write(p []byte) (int, error) {
	if l.n <= 0 {
		return len(p), nil
	}
	q := p
	if len(q) > l.n {
		q = q[:l.n]
	}
	l.n -= len(q)
	_, err := l.w.Write(q)
	return len(p), err
}

func short(h plumbing.Hash) string { return h.String()[:12] }
