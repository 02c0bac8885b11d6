package gitrepo

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/go-git/go-git/v5/plumbing/format/pktline"
	"github.com/go-git/go-git/v5/plumbing/protocol/packp"
	"github.com/go-git/go-git/v5/plumbing/protocol/packp/capability"
	"github.com/go-git/go-git/v5/plumbing/protocol/packp/sideband"
	"github.com/go-git/go-git/v5/plumbing/transport"
	gitssh "github.com/go-git/go-git/v5/plumbing/transport/ssh"
	"golang.org/x/crypto/ssh"
	"golang.org/x/net/proxy"
)

// One SSH connection per Repo: the protocol v2 upload-pack conversations
// and the pushes are sessions (channels) on it, so that a bump pays for
// one key exchange and one authentication, not one per command as a new
// connection per go-git session would. The v0 and full-fetch paths still
// go through go-git's own transport.

// The connection lives for the whole run, across race backoffs of
// minutes, and a NAT or firewall that drops an idle connection says nothing
// (Azure's SNAT forgets one after 4 idle minutes): a session opened on it
// then waits until the kernel gives up, a quarter of an hour. So it sends
// keepalives (keepalive@openssh.com, as OpenSSH's ServerAliveInterval),
// which keep such middleboxes from forgetting it and find it dead when
// they do; a connection not heard from lately is probed before use and
// replaced once when dead; and every request on it runs under the
// operation's context, which closes the connection when it ends (closing
// a session alone waits for the server's answer).

// Keepalive timing; variables for tests.
var (
	// sshKeepalive is how often an idle connection is probed, and how
	// long since the server was last heard from before a connection is
	// probed ahead of its next use.
	sshKeepalive = 30 * time.Second
	// sshProbeTimeout is how long the probe before a use may wait for
	// the server's answer; a keepalive in the background waits three
	// intervals, as it may queue behind a pack being sent.
	sshProbeTimeout = 15 * time.Second
)

// sshLink is the Repo's SSH connection.
type sshLink struct {
	c    *ssh.Client
	done chan struct{} // closed when the connection has ended
	mu   sync.Mutex
	seen time.Time // when the server last answered
}

func newSSHLink(c *ssh.Client) *sshLink {
	l := &sshLink{c: c, done: make(chan struct{}), seen: time.Now()}
	go func() {
		_ = c.Wait()
		close(l.done)
	}()
	go l.keepalive()
	return l
}

// alive records that the server answered.
func (l *sshLink) alive() {
	l.mu.Lock()
	l.seen = time.Now()
	l.mu.Unlock()
}

func (l *sshLink) quiet() time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	return time.Since(l.seen)
}

// close ends the connection and every session on it.
func (l *sshLink) close() { _ = l.c.Close() }

// dead reports whether the connection has ended.
func (l *sshLink) dead() bool {
	select {
	case <-l.done:
		return true
	default:
		return false
	}
}

// probe sends a keepalive and waits up to timeout for the answer (any
// answer: servers that do not know the request refuse it); without one,
// or when ctx ends first, it closes the connection.
func (l *sshLink) probe(ctx context.Context, timeout time.Duration) bool {
	answer := make(chan error, 1)
	go func() {
		_, _, err := l.c.SendRequest("keepalive@openssh.com", true, nil)
		answer <- err
	}()
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case err := <-answer:
		if err == nil {
			l.alive()
			return true
		}
	case <-t.C:
	case <-ctx.Done():
	case <-l.done:
	}
	l.close()
	return false
}

// keepalive probes the connection every sshKeepalive until it ends.
func (l *sshLink) keepalive() {
	t := time.NewTicker(sshKeepalive)
	defer t.Stop()
	for {
		select {
		case <-l.done:
			return
		case <-t.C:
			if !l.probe(context.Background(), 3*sshKeepalive) {
				return
			}
		}
	}
}

// during runs f with the connection closed if ctx ends first, and then
// returns ctx's error instead of f's.
func (l *sshLink) during(ctx context.Context, f func() error) error {
	stop := context.AfterFunc(ctx, l.close)
	defer stop()
	err := f()
	if err != nil && ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

// sshAlive reports whether the Repo's SSH connection is up: not ended,
// and heard from lately or answering a probe now.
func (r *Repo) sshAlive(ctx context.Context) bool {
	l := r.sshc
	if l == nil || l.dead() {
		return false
	}
	return l.quiet() < sshKeepalive || l.probe(ctx, sshProbeTimeout)
}

// sshConn returns the Repo's SSH connection, dialing it on first use.
func (r *Repo) sshConn(ctx context.Context) (*sshLink, error) {
	if r.sshc != nil {
		return r.sshc, nil
	}
	am, ok := r.auth.(gitssh.AuthMethod)
	if !ok {
		return nil, transport.ErrInvalidAuthMethod
	}
	cfg, err := am.ClientConfig()
	if err != nil {
		return nil, err
	}
	addr := r.sshHostPort()
	conn, err := proxy.Dial(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	cc, chans, reqs, err := ssh.NewClientConn(conn, addr, cfg)
	if err != nil {
		conn.Close()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, err
	}
	r.sshc = newSSHLink(ssh.NewClient(cc, chans, reqs))
	return r.sshc, nil
}

// sshSession opens a session on the Repo's connection, under ctx. A
// connection that died since its last use is replaced once.
func (r *Repo) sshSession(ctx context.Context) (*sshLink, *ssh.Session, error) {
	for try := 0; ; try++ {
		if try == 0 && r.sshc != nil && !r.sshAlive(ctx) {
			r.closeSSH()
		}
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		l, err := r.sshConn(ctx)
		if err != nil {
			return nil, nil, err
		}
		var s *ssh.Session
		err = l.during(ctx, func() (err error) {
			s, err = l.c.NewSession()
			return err
		})
		if err == nil || try == 1 || ctx.Err() != nil {
			return l, s, err
		}
		r.closeSSH()
	}
}

// closeSSH ends the Repo's SSH connection and every session on it.
func (r *Repo) closeSSH() {
	if r.sshc != nil {
		r.sshc.close()
		r.sshc = nil
	}
}

// sshCommand is a git command running in a session on the Repo's SSH
// connection.
type sshCommand struct {
	link   *sshLink
	sess   *ssh.Session
	stdin  io.WriteCloser
	out    *bufio.Reader
	errBuf *bytes.Buffer // the start of what the command wrote to stderr
}

// startSSH runs git's service (git-upload-pack, git-receive-pack) on the
// repository in a new session; with v2 it asks for protocol v2 first, and a
// server that will not pass GIT_PROTOCOL on gets errNoV2.
func (r *Repo) startSSH(ctx context.Context, service string, v2 bool) (*sshCommand, error) {
	link, sess, err := r.sshSession(ctx)
	if err != nil {
		return nil, err
	}
	var c *sshCommand
	err = link.during(ctx, func() (err error) {
		c, err = r.runSSH(link, sess, service, v2)
		return err
	})
	if err != nil {
		sess.Close()
		return nil, err
	}
	link.alive()
	return c, nil
}

// runSSH sets the session up and starts the command in it.
func (r *Repo) runSSH(link *sshLink, sess *ssh.Session, service string, v2 bool) (*sshCommand, error) {
	var err error
	if v2 {
		if err := sess.Setenv("GIT_PROTOCOL", "version=2"); err != nil {
			sess.Close()
			return nil, fmt.Errorf("%w: the ssh server refused GIT_PROTOCOL (no AcceptEnv GIT_PROTOCOL): %w", errNoV2, err)
		}
	}
	c := &sshCommand{link: link, sess: sess, errBuf: &bytes.Buffer{}}
	sess.Stderr = &limitedWriter{w: c.errBuf, n: 4 << 10}
	if c.stdin, err = sess.StdinPipe(); err != nil {
		sess.Close()
		return nil, err
	}
	out, err := sess.StdoutPipe()
	if err != nil {
		sess.Close()
		return nil, err
	}
	c.out = bufio.NewReaderSize(out, 64<<10)
	if err := sess.Start(service + " '" + r.ep.Path + "'"); err != nil {
		sess.Close()
		return nil, err
	}
	return c, nil
}

// abort ends the command and the connection it runs on: the way to stop
// a read that waits on a server that stopped answering.
func (c *sshCommand) abort() {
	c.sess.Close()
	c.link.close()
}

// capReader reads at most max bytes of what from r, then fails with
// ErrLimit.
type capReader struct {
	r         io.Reader
	what      string
	max, left int64
}

func newCapReader(r io.Reader, what string, max int64) *capReader {
	return &capReader{r: r, what: what, max: max, left: max}
}

func (c *capReader) Read(b []byte) (int, error) {
	if c.left <= 0 {
		return 0, fmt.Errorf("%w: the %s holds more than %d bytes", ErrLimit, c.what, c.max)
	}
	if int64(len(b)) > c.left {
		b = b[:c.left]
	}
	n, err := c.r.Read(b)
	c.left -= int64(n)
	return n, err
}

// remoteErr adds what the remote command wrote to stderr to err, and maps
// git's "does not appear to be a git repository" to go-git's sentinel.
func (c *sshCommand) remoteErr(err error) error {
	msg := strings.TrimSpace(c.errBuf.String())
	if msg == "" {
		return err
	}
	if strings.Contains(msg, "does not appear to be a git repository") || strings.Contains(msg, "not found") {
		return fmt.Errorf("%w: %s", transport.ErrRepositoryNotFound, msg)
	}
	return fmt.Errorf("%w: %s", err, msg)
}

// sshReceivePack is git-receive-pack on the Repo's SSH connection. It
// implements the part of transport.ReceivePackSession that push uses.
type sshReceivePack struct {
	*sshCommand
	adv  *packp.AdvRefs
	done bool // the request was sent: no flush on Close
}

func (r *Repo) newSSHReceivePack(ctx context.Context) (*sshReceivePack, error) {
	c, err := r.startSSH(ctx, "git-receive-pack", false)
	if err != nil {
		return nil, err
	}
	return &sshReceivePack{sshCommand: c}, nil
}

// AdvertisedReferencesContext reads receive-pack's advertisement (it has no
// protocol v2: the refs and capabilities come first on every connection).
func (s *sshReceivePack) AdvertisedReferencesContext(ctx context.Context) (*packp.AdvRefs, error) {
	if s.adv != nil {
		return s.adv, nil
	}
	stop := context.AfterFunc(ctx, s.abort)
	defer stop()
	adv := packp.NewAdvRefs()
	if err := adv.Decode(newCapReader(s.out, "receive-pack advertisement", maxAdvertisement)); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if errors.Is(err, ErrLimit) {
			return nil, err
		}
		if errors.Is(err, packp.ErrEmptyAdvRefs) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, s.remoteErr(fmt.Errorf("read the receive-pack advertisement: %w", io.ErrUnexpectedEOF))
		}
		return nil, s.remoteErr(err)
	}
	transport.FilterUnsupportedCapabilities(adv.Capabilities)
	s.adv = adv
	return adv, nil
}

// ReceivePack sends req and reads the report-status, demultiplexing the
// side-band into req.Progress when req asked for it.
func (s *sshReceivePack) ReceivePack(ctx context.Context, req *packp.ReferenceUpdateRequest) (*packp.ReportStatus, error) {
	if _, err := s.AdvertisedReferencesContext(ctx); err != nil {
		return nil, err
	}
	stop := context.AfterFunc(ctx, s.abort)
	defer stop()
	s.done = true
	if err := req.Encode(s.stdin); err != nil {
		return nil, s.ctxErr(ctx, s.remoteErr(fmt.Errorf("send the push: %w", err)))
	}
	if err := s.stdin.Close(); err != nil {
		return nil, s.ctxErr(ctx, s.remoteErr(fmt.Errorf("send the push: %w", err)))
	}
	if !req.Capabilities.Supports(capability.ReportStatus) {
		return nil, s.ctxErr(ctx, s.remoteErr(s.sess.Wait()))
	}
	var rd io.Reader = newCapReader(s.out, "push's report", maxAdvertisement)
	var d *sideband.Demuxer
	switch {
	case req.Capabilities.Supports(capability.Sideband64k):
		d = sideband.NewDemuxer(sideband.Sideband64k, rd)
	case req.Capabilities.Supports(capability.Sideband):
		d = sideband.NewDemuxer(sideband.Sideband, rd)
	}
	if d != nil {
		d.Progress = req.Progress
		rd = d
	}
	report := packp.NewReportStatus()
	if err := report.Decode(rd); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, s.ctxErr(ctx, s.remoteErr(fmt.Errorf("read the push's report: %w", err)))
	}
	return report, report.Error()
}

func (s *sshReceivePack) ctxErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

// Close ends the session; before a push it tells receive-pack, with a
// flush, that there is nothing to update, so that it exits cleanly.
func (s *sshReceivePack) Close() error {
	if !s.done {
		s.done = true
		_, _ = s.stdin.Write(pktline.FlushPkt)
		_ = s.stdin.Close()
	}
	return s.sess.Close()
}
