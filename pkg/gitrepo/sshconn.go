package gitrepo

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

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

// sshConn returns the Repo's SSH connection, dialing it on first use.
func (r *Repo) sshConn(ctx context.Context) (*ssh.Client, error) {
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
		return nil, err
	}
	r.sshc = ssh.NewClient(cc, chans, reqs)
	return r.sshc, nil
}

// sshSession opens a session on the Repo's connection. A connection that
// died since its last use is replaced once.
func (r *Repo) sshSession(ctx context.Context) (*ssh.Session, error) {
	for try := 0; ; try++ {
		c, err := r.sshConn(ctx)
		if err != nil {
			return nil, err
		}
		s, err := c.NewSession()
		if err == nil || try == 1 || ctx.Err() != nil {
			return s, err
		}
		r.closeSSH()
	}
}

// closeSSH ends the Repo's SSH connection and every session on it.
func (r *Repo) closeSSH() {
	if r.sshc != nil {
		r.sshc.Close()
		r.sshc = nil
	}
}

// sshCommand is a git command running in a session on the Repo's SSH
// connection.
type sshCommand struct {
	sess   *ssh.Session
	stdin  io.WriteCloser
	out    *bufio.Reader
	errBuf *bytes.Buffer // the start of what the command wrote to stderr
}

// startSSH runs git's service (git-upload-pack, git-receive-pack) on the
// repository in a new session; with v2 it asks for protocol v2 first, and a
// server that will not pass GIT_PROTOCOL on gets errNoV2.
func (r *Repo) startSSH(ctx context.Context, service string, v2 bool) (*sshCommand, error) {
	sess, err := r.sshSession(ctx)
	if err != nil {
		return nil, err
	}
	if v2 {
		if err := sess.Setenv("GIT_PROTOCOL", "version=2"); err != nil {
			sess.Close()
			return nil, fmt.Errorf("%w: the ssh server refused GIT_PROTOCOL (no AcceptEnv GIT_PROTOCOL): %w", errNoV2, err)
		}
	}
	c := &sshCommand{sess: sess, errBuf: &bytes.Buffer{}}
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
	stop := context.AfterFunc(ctx, func() { s.sess.Close() })
	defer stop()
	adv := packp.NewAdvRefs()
	if err := adv.Decode(s.out); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
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
	stop := context.AfterFunc(ctx, func() { s.sess.Close() })
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
	var rd io.Reader = s.out
	var d *sideband.Demuxer
	switch {
	case req.Capabilities.Supports(capability.Sideband64k):
		d = sideband.NewDemuxer(sideband.Sideband64k, s.out)
	case req.Capabilities.Supports(capability.Sideband):
		d = sideband.NewDemuxer(sideband.Sideband, s.out)
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
