package gitrepo

// A small Git protocol v2 client for upload-pack (gitprotocol-v2), over
// smart HTTP (the Git-Protocol: version=2 header) and SSH (the
// GIT_PROTOCOL=version=2 environment variable). go-git v5 has no v2
// client; its pktline encoder, side-band demultiplexer and packfile
// parser do the encoding and the pack, this file the conversation:
// capability advertisement, ls-refs, fetch. go-git v6 has a v2 client, but
// v6 is a pre-release whose transport, storage and plumbing APIs all
// changed; moving the whole package (push, commit building, local clones)
// onto it for the sake of three commands would trade a few hundred lines
// for an unstable dependency.
//
// Why v2: in protocol v0 a want may name only what the server advertises
// (ref tips) unless it is configured with allow-tip-sha1-in-want or
// allow-reachable-sha1-in-want, which default git servers are not. In v2 a
// want may name any object, so the blob of the edited file can be fetched
// by id from any server that speaks v2 and filters.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/protocol/packp"
	"github.com/go-git/go-git/v5/plumbing/protocol/packp/capability"
	"github.com/go-git/go-git/v5/plumbing/protocol/packp/sideband"
	"github.com/go-git/go-git/v5/plumbing/storer"
	"github.com/go-git/go-git/v5/plumbing/transport"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	gitssh "github.com/go-git/go-git/v5/plumbing/transport/ssh"
)

// Fetch paths, as Stats.Path reports the latest one.
const (
	// PathV2 is protocol v2: ls-refs, a depth-1 fetch with the blob:none
	// filter, then the blobs read by id.
	PathV2 = "v2"
	// PathV0 is the same in protocol v0, on servers that filter and
	// advertise allow-tip-sha1-in-want or allow-reachable-sha1-in-want.
	PathV0 = "v0"
	// PathFull is a depth-1 fetch of the whole tip, for servers that
	// cannot filter or refuse wants by id.
	PathFull = "full"
)

// v2Caps is what upload-pack advertised in protocol v2.
type v2Caps struct {
	objectFormat string          // object-format=..., "" when not advertised
	lsRefs       bool            // ls-refs
	fetch        map[string]bool // the features of fetch=...
}

// filter reports whether the server filters (fetch=... filter) and
// shallows (fetch=... shallow): what the partial path needs.
func (c *v2Caps) filter() bool { return c.fetch["filter"] && c.fetch["shallow"] }

func parseV2Caps(lines []string) (*v2Caps, error) {
	c := &v2Caps{fetch: map[string]bool{}}
	hasFetch := false
	for _, l := range lines {
		key, val, _ := strings.Cut(l, "=")
		switch key {
		case "object-format":
			c.objectFormat = val
		case "ls-refs":
			c.lsRefs = true
		case "fetch":
			hasFetch = true
			for _, f := range strings.Fields(val) {
				c.fetch[f] = true
			}
		}
	}
	if !c.lsRefs || !hasFetch {
		return nil, errors.New("protocol v2: the server offers no ls-refs or fetch command")
	}
	if c.objectFormat != "" && c.objectFormat != "sha1" {
		return nil, fmt.Errorf("protocol v2: object format %s is not supported, only sha1", c.objectFormat)
	}
	return c, nil
}

// requestCaps are the capability lines every command sends.
func (c *v2Caps) requestCaps() []string {
	caps := []string{"agent=" + capability.DefaultAgent()}
	if c.objectFormat != "" {
		caps = append(caps, "object-format="+c.objectFormat)
	}
	return caps
}

// v2Conn carries protocol v2 commands to upload-pack.
type v2Conn interface {
	// do sends one command and returns its answer. The caller reads the
	// answer to its end (the final flush) and closes it.
	do(ctx context.Context, req []byte) (io.ReadCloser, error)
	// stateless reports whether each command is a request of its own
	// (HTTP), so that the conversation survives a failed command.
	stateless() bool
	close()
}

// v2Session is a protocol v2 conversation: the connection and what the
// server advertised on it.
type v2Session struct {
	conn v2Conn
	caps *v2Caps
	// deepened is set once a fetch with deepen went over a stateful
	// connection: git's upload-pack keeps the shallow boundary it
	// computed for the rest of the process, and answers a later deepen
	// on the same connection with the whole history.
	deepened bool
	// maxFetch bounds what each fetched pack inflates to
	// (WithMaxFetchBytes; 0: the default).
	maxFetch int64
}

// errNoV2 means the server answered in protocol v0.
var errNoV2 = errors.New("server does not speak protocol v2")

// v2 returns the protocol v2 session, starting it on first use: for HTTP
// one GET of info/refs with the Git-Protocol header, for SSH a connection
// that asks for GIT_PROTOCOL=version=2. It returns errNoV2 when the server
// answers in v0; for HTTP the v0 advertisement it sent instead is kept in
// r.v0adv for the v0 path.
func (r *Repo) v2(ctx context.Context) (*v2Session, error) {
	if r.v2sess != nil && !r.v2sess.conn.stateless() && !r.sshAlive(ctx) {
		// The SSH connection died while idle: start again on a new one.
		r.dropV2()
	}
	if r.v2sess != nil {
		return r.v2sess, nil
	}
	if r.noV2 {
		return nil, errNoV2
	}
	var s *v2Session
	var err error
	switch r.ep.Protocol {
	case "http", "https":
		s, err = r.discoverHTTP(ctx)
	case "ssh":
		s, err = r.discoverSSH(ctx)
	default:
		err = errNoV2
	}
	if errors.Is(err, errNoV2) {
		r.noV2 = true
	}
	if err != nil {
		return nil, err
	}
	s.maxFetch = r.o.maxFetchBytes
	r.v2sess = s
	return s, nil
}

// dropV2 ends a conversation that failed mid-command: an SSH stream is in
// an unknown state after that. HTTP sessions are kept.
func (r *Repo) dropV2() {
	if r.v2sess != nil && !r.v2sess.conn.stateless() {
		r.v2sess.conn.close()
		r.v2sess = nil
	}
}

// v2ForDeepen returns a session on which a fetch with deepen gets what it
// asks: a new one when a deepen already went over the current stateful
// connection (see v2Session.deepened).
func (r *Repo) v2ForDeepen(ctx context.Context) (*v2Session, error) {
	if r.v2sess != nil && r.v2sess.deepened {
		r.dropV2()
	}
	return r.v2(ctx)
}

// v2LsRefs returns the protocol v2 session and the refs whose names start
// with one of prefixes. When the session is still to be started over HTTP,
// the ls-refs request goes out together with the GET of the capabilities,
// on a second connection: both answers arrive after one round trip
// instead of two. If the server turns out to answer in v0 (git before
// 2.18, or a proxy that drops the Git-Protocol header), the early answer,
// an error, is dropped: such a server sees one request it cannot parse.
func (r *Repo) v2LsRefs(ctx context.Context, prefixes ...string) (*v2Session, map[string]remoteRef, error) {
	if r.v2sess != nil || r.noV2 || (r.ep.Protocol != "http" && r.ep.Protocol != "https") {
		s, err := r.v2(ctx)
		if err != nil {
			return nil, nil, err
		}
		refs, err := s.lsRefs(ctx, prefixes...)
		if err != nil {
			r.dropV2()
			return nil, nil, err
		}
		return s, refs, nil
	}
	type answer struct {
		refs map[string]remoteRef
		err  error
	}
	base := r.httpBase()
	early := &v2Session{conn: &httpV2{r: r, base: base}, caps: &v2Caps{}}
	ch := make(chan answer, 1)
	ectx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		refs, err := early.lsRefs(ectx, prefixes...)
		ch <- answer{refs, err}
	}()
	s, err := r.v2(ctx)
	if err != nil {
		cancel()
		<-ch
		return nil, nil, err
	}
	a := <-ch
	switch {
	case s.conn.(*httpV2).base != base:
		// info/refs was redirected: ask where the commands go now.
	case a.err != nil:
		return nil, nil, a.err
	default:
		r.stats.EarlyLsRefs++
		return s, a.refs, nil
	}
	refs, err := s.lsRefs(ctx, prefixes...)
	if err != nil {
		return nil, nil, err
	}
	return s, refs, nil
}

// remoteRef is one line of an ls-refs answer.
type remoteRef struct {
	hash   plumbing.Hash
	target string // symref-target, for symbolic refs
}

// lsRefs lists the refs whose names start with one of prefixes, with the
// targets of symbolic refs.
func (s *v2Session) lsRefs(ctx context.Context, prefixes ...string) (map[string]remoteRef, error) {
	args := []string{"symrefs"}
	for _, p := range prefixes {
		args = append(args, "ref-prefix "+p)
	}
	body, err := s.conn.do(ctx, v2Request("ls-refs", s.caps.requestCaps(), args))
	if err != nil {
		return nil, err
	}
	defer body.Close()
	p := newPktReader(body)
	p.limit("ls-refs answer", maxAdvertisement)
	refs := map[string]remoteRef{}
	for {
		kind, l, err := p.line()
		if err != nil {
			return nil, fmt.Errorf("ls-refs: %w", err)
		}
		if kind == pktFlush {
			return refs, nil
		}
		if kind != pktData {
			return nil, fmt.Errorf("ls-refs: unexpected packet %d", kind)
		}
		f := strings.Fields(l)
		if len(f) < 2 || !plumbing.IsHash(f[0]) {
			return nil, fmt.Errorf("ls-refs: malformed line %q", l)
		}
		ref := remoteRef{hash: plumbing.NewHash(f[0])}
		for _, attr := range f[2:] {
			if t, ok := strings.CutPrefix(attr, "symref-target:"); ok {
				ref.target = t
			}
		}
		refs[f[1]] = ref
	}
}

// fetchArgs are the arguments of one fetch command.
type fetchArgs struct {
	wants  []plumbing.Hash
	deepen int          // 0: no deepen
	filter packp.Filter // "": none
	// haves and shallows deepen a shallow history, as git fetch
	// --deepen does: the commits the client has (everything reachable
	// from them down to its shallow boundary), and that boundary, the
	// commits it has without their parents.
	haves, shallows []plumbing.Hash
	// thin asks for a thin pack: deltas against objects the haves hold,
	// which the storage must resolve (spooledPack.outside).
	thin bool
	// observe, when not nil, sees each object of a pack read into memory
	// as soon as it is stored.
	observe func(plumbing.EncodedObject)
	// maxBlob, when above 0, is the largest blob the pack may hold: a
	// fetch of files, each at most WithMaxFileSize.
	maxBlob int64
}

// fetch sends a fetch command with done (no negotiation: the client has
// nothing, or names all it has in haves) and stores the pack of the answer in st.
func (s *v2Session) fetch(ctx context.Context, a fetchArgs, st storer.EncodedObjectStorer) error {
	var args []string
	for _, w := range a.wants {
		args = append(args, "want "+w.String())
	}
	for _, h := range a.shallows {
		args = append(args, "shallow "+h.String())
	}
	if a.deepen > 0 {
		args = append(args, "deepen "+strconv.Itoa(a.deepen))
		s.deepened = !s.conn.stateless()
	}
	if a.filter != "" {
		args = append(args, "filter "+string(a.filter))
	}
	for _, h := range a.haves {
		args = append(args, "have "+h.String())
	}
	if a.thin {
		args = append(args, "thin-pack")
	}
	args = append(args, "ofs-delta", "no-progress", "done")
	body, err := s.conn.do(ctx, v2Request("fetch", s.caps.requestCaps(), args))
	if err != nil {
		return err
	}
	defer body.Close()
	p := newPktReader(body)
	p.limit("fetch answer before the pack", maxAdvertisement)
	// Sections (gitprotocol-v2, fetch output): acknowledgments,
	// shallow-info, wanted-refs and packfile-uris, each ended by a
	// delimiter, then packfile, ended by a flush. Only packfile matters
	// here: the shallow boundary is the tip's parents, which no one reads.
	for {
		kind, l, err := p.line()
		if err != nil {
			return fmt.Errorf("fetch: %w", err)
		}
		if kind != pktData {
			return fmt.Errorf("fetch: unexpected packet %d before the pack", kind)
		}
		if l == "packfile" {
			break
		}
		if err := skipSection(p); err != nil {
			return fmt.Errorf("fetch: section %s: %w", l, err)
		}
	}
	demux := &eofOnce{r: sideband.NewDemuxer(sideband.Sideband64k, p.r)}
	if err := storePack(demux, st, a.observe, packLimits{total: s.maxFetch, blob: a.maxBlob}); err != nil {
		return fmt.Errorf("fetch: %w", err)
	}
	// The pack ends before the section does: read up to the flush, so an
	// SSH stream is ready for the next command. Nothing but the flush
	// should follow; a server that goes on is cut short.
	if n, err := io.Copy(io.Discard, io.LimitReader(demux, maxAfterPack+1)); err != nil {
		return fmt.Errorf("fetch: %w", err)
	} else if n > maxAfterPack {
		return fmt.Errorf("fetch: %w: more than %d bytes follow the pack", ErrLimit, maxAfterPack)
	}
	return nil
}

// maxAfterPack is the most a fetch answer may hold after its pack.
const maxAfterPack = 64 << 10

// eofOnce keeps the end of a pack section: the demultiplexer reports the
// section's flush as io.EOF once and would read on into the next answer.
type eofOnce struct {
	r   io.Reader
	eof bool
}

func (e *eofOnce) Read(b []byte) (int, error) {
	if e.eof {
		return 0, io.EOF
	}
	n, err := e.r.Read(b)
	e.eof = err == io.EOF
	return n, err
}

// skipSection reads the lines of a section up to its delimiter.
func skipSection(p *pktReader) error {
	for {
		kind, _, err := p.next()
		switch {
		case err != nil:
			return err
		case kind == pktDelim:
			return nil
		case kind != pktData:
			return fmt.Errorf("unexpected packet %d", kind)
		}
	}
}

// uploadPackV2 sends one protocol v2 fetch command on s and stores the
// pack in st, as uploadPack does for protocol v0.
func (r *Repo) uploadPackV2(ctx context.Context, s *v2Session, a fetchArgs, st storer.EncodedObjectStorer) error {
	r.stats.UploadPacks++
	err := r.countFetched(st, func() error { return s.fetch(ctx, a, st) })
	if err != nil {
		r.dropV2()
		return noPartialIfRefused(err)
	}
	return nil
}

// noPartialIfRefused marks the refusals that a full fetch gets past (see
// refusedPartial) as errNoPartial.
func noPartialIfRefused(err error) error {
	if err != nil && refusedPartial(err) {
		return fmt.Errorf("%w: %w", errNoPartial, err)
	}
	return err
}

// httpV2 sends each command as a POST to git-upload-pack.
type httpV2 struct {
	r    *Repo
	base string
}

func (h *httpV2) stateless() bool { return true }
func (h *httpV2) close()          {}

func (h *httpV2) do(ctx context.Context, body []byte) (io.ReadCloser, error) {
	res, err := h.r.httpDo(ctx, http.MethodPost, h.base+"/git-upload-pack", body, true)
	if err != nil {
		return nil, err
	}
	return drainCloser{res.Body}, nil
}

// drainCloser reads what is left of an answer (little: an answer is read
// to its final flush) before closing it, so that the connection goes back
// to the pool rather than a new TCP and TLS handshake for the next request.
type drainCloser struct{ io.ReadCloser }

func (d drainCloser) Close() error {
	_, _ = io.Copy(io.Discard, io.LimitReader(d.ReadCloser, 64<<10))
	return d.ReadCloser.Close()
}

// httpClient returns the HTTP client of the Repo: one connection pool for
// every request it makes.
func (r *Repo) httpClient() *http.Client {
	r.hcOnce.Do(func() {
		t := boundedErrors{http.DefaultTransport.(*http.Transport).Clone()}
		r.hc = &http.Client{Transport: t, CheckRedirect: r.checkRedirect}
	})
	return r.hc
}

// errorBodyLimit bounds what is read of an answer other than 2xx: its text
// goes only into an error message, and go-git reads such a body whole.
const errorBodyLimit = 64 << 10

// boundedErrors is a transport whose answers other than 2xx have their
// body cut at errorBodyLimit: a server cannot fill memory with an error.
type boundedErrors struct{ http.RoundTripper }

func (b boundedErrors) RoundTrip(req *http.Request) (*http.Response, error) {
	res, err := b.RoundTripper.RoundTrip(req)
	if err == nil && res.Body != nil && (res.StatusCode < 200 || res.StatusCode > 299) {
		res.Body = limitedBody{io.LimitReader(res.Body, errorBodyLimit), res.Body}
	}
	return res, err
}

// limitedBody reads through a limit and closes the whole body.
type limitedBody struct {
	io.Reader
	io.Closer
}

// httpDo sends a smart HTTP request with the credentials, and for v2 the
// Git-Protocol header. An answer other than 2xx becomes go-git's error for
// it, so classify reads it as it reads go-git's own.
func (r *Repo) httpDo(ctx context.Context, method, url string, body []byte, v2 bool) (*http.Response, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return nil, err
	}
	req.Header.Set("User-Agent", capability.DefaultAgent())
	if v2 {
		req.Header.Set("Git-Protocol", "version=2")
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/x-git-upload-pack-request")
		req.Header.Set("Accept", "application/x-git-upload-pack-result")
	} else {
		req.Header.Set("Accept", "*/*")
		req.Header.Set("Pragma", "no-cache")
	}
	if ba, ok := r.auth.(*githttp.BasicAuth); ok {
		ba.SetAuth(req) // the same credentials as go-git's requests
	}
	res, err := r.httpClient().Do(req)
	if err != nil {
		return nil, err
	}
	if err := githttp.NewErr(res); err != nil {
		return nil, err
	}
	return res, nil
}

// httpBase is the repository's URL that the smart HTTP paths
// (info/refs, git-upload-pack) go under, before any redirect.
func (r *Repo) httpBase() string { return strings.TrimSuffix(r.ep.String(), "/") }

// checkRedirect is the HTTP client's redirect policy. Credentials go only
// to the origin they were given for, or to the same host upgraded from
// http to https: a redirect elsewhere is refused rather than followed
// without them, which would fail with a confusing 401.
func (r *Repo) checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= 10 {
		return errors.New("stopped after 10 redirects")
	}
	u := req.URL
	from, err := url.Parse(r.httpBase())
	if err != nil || r.auth == nil || origin(u) == origin(from) {
		return err
	}
	if from.Scheme == "http" && u.Scheme == "https" && u.Hostname() == from.Hostname() {
		return nil
	}
	return fmt.Errorf("%w: %s redirects to %s://%s, and tagbump sends credentials only to the host they are for: use the new URL", ErrBadAddress, r.display, u.Scheme, u.Host)
}

// origin is u's scheme, host and port, the default port spelled out.
func origin(u *url.URL) string {
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	return u.Scheme + "://" + net.JoinHostPort(strings.ToLower(u.Hostname()), port)
}

// maxAdvertisement bounds the info/refs answer read into memory, and over
// every transport the capabilities, an ls-refs answer and the sections of
// a fetch answer before its pack: 64 MiB, where the refs of the largest
// public repositories (hundreds of thousands of tags and pull request
// refs) take a few tens.
const maxAdvertisement = 64 << 20

// discoverHTTP asks info/refs for protocol v2. A server that answers in v0
// gets errNoV2, and its advertisement is kept in r.v0adv.
func (r *Repo) discoverHTTP(ctx context.Context) (*v2Session, error) {
	base := r.httpBase()
	res, err := r.httpDo(ctx, http.MethodGet, base+"/info/refs?service=git-upload-pack", nil, true)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	// Follow a redirect of the first request, as git does: the commands
	// and the push go where info/refs was found.
	if u := res.Request.URL; u != nil {
		if b, ok := strings.CutSuffix(u.Scheme+"://"+u.Host+u.EscapedPath(), "/info/refs"); ok && b != base {
			base, r.redirected = b, b
		}
	}
	adv, err := io.ReadAll(io.LimitReader(res.Body, maxAdvertisement+1))
	if err != nil {
		return nil, err
	}
	if len(adv) > maxAdvertisement {
		return nil, fmt.Errorf("%w: the info/refs answer holds more than %d bytes", ErrLimit, maxAdvertisement)
	}
	p := newPktReader(bytes.NewReader(adv))
	kind, l, err := p.line()
	if err == nil && kind == pktData && strings.HasPrefix(l, "# service=") {
		if kind, _, err = p.line(); err == nil && kind == pktFlush {
			kind, l, err = p.line()
		}
	}
	if err != nil || kind != pktData || l != "version 2" {
		ar := packp.NewAdvRefs()
		if err := ar.Decode(bytes.NewReader(adv)); err != nil {
			if errors.Is(err, packp.ErrEmptyAdvRefs) {
				return nil, transport.ErrEmptyRemoteRepository
			}
			return nil, err
		}
		if ar.IsEmpty() {
			return nil, transport.ErrEmptyRemoteRepository
		}
		transport.FilterUnsupportedCapabilities(ar.Capabilities)
		r.v0adv = ar
		return nil, errNoV2
	}
	caps, err := readCaps(p)
	if err != nil {
		return nil, err
	}
	return &v2Session{conn: &httpV2{r: r, base: base}, caps: caps}, nil
}

// readCaps reads capability lines up to the flush that ends them.
func readCaps(p *pktReader) (*v2Caps, error) {
	var lines []string
	for {
		kind, l, err := p.line()
		if err != nil {
			return nil, fmt.Errorf("protocol v2 capabilities: %w", err)
		}
		if kind == pktFlush {
			return parseV2Caps(lines)
		}
		lines = append(lines, l)
	}
}

// sshV2 is an upload-pack process on the SSH server, kept open for every
// command of a bump.
type sshV2 struct {
	*sshCommand
	once sync.Once
}

func (c *sshV2) stateless() bool { return false }

func (c *sshV2) close() {
	c.once.Do(func() {
		c.stdin.Close()
		c.sess.Close()
	})
}

func (c *sshV2) do(ctx context.Context, body []byte) (io.ReadCloser, error) {
	if _, err := c.stdin.Write(body); err != nil {
		return nil, c.remoteErr(err)
	}
	// Reads block on the stream: end the connection when ctx ends (a
	// session's close waits for the server, which may never answer).
	stop := context.AfterFunc(ctx, c.abort)
	return &sshAnswer{c: c, stop: stop, ctx: ctx}, nil
}

// sshAnswer reads one command's answer from the shared stream.
type sshAnswer struct {
	c    *sshV2
	stop func() bool
	ctx  context.Context
}

func (a *sshAnswer) Read(b []byte) (int, error) {
	n, err := a.c.out.Read(b)
	if err != nil && a.ctx.Err() != nil {
		err = a.ctx.Err()
	} else if err == io.EOF {
		err = a.c.remoteErr(io.ErrUnexpectedEOF)
	}
	return n, err
}

func (a *sshAnswer) Close() error {
	if a.stop() {
		a.c.link.alive()
	}
	return nil
}

// sshHostPort is the address to dial, with the port and host name from
// ~/.ssh/config as go-git reads them.
func (r *Repo) sshHostPort() string {
	host, port := r.ep.Host, r.ep.Port
	if cfg := gitssh.DefaultSSHConfig; cfg != nil {
		if h := cfg.Get(r.ep.Host, "Hostname"); h != "" {
			host = h
		}
		if p, err := strconv.Atoi(cfg.Get(r.ep.Host, "Port")); err == nil && p > 0 && r.ep.Port == 0 {
			port = p
		}
	}
	if port == 0 {
		port = 22
	}
	return net.JoinHostPort(host, strconv.Itoa(port))
}

// discoverSSH starts git-upload-pack over SSH with GIT_PROTOCOL=version=2.
// A server that does not pass the variable on (sshd without AcceptEnv
// GIT_PROTOCOL) or answers in v0 gets errNoV2.
func (r *Repo) discoverSSH(ctx context.Context) (*v2Session, error) {
	cmd, err := r.startSSH(ctx, "git-upload-pack", true)
	if err != nil {
		return nil, err
	}
	c := &sshV2{sshCommand: cmd}
	// Reads block on the stream: end the connection when ctx ends.
	stop := context.AfterFunc(ctx, c.abort)
	defer stop()
	p := newPktReader(c.out)
	p.limit("capability advertisement", maxAdvertisement)
	kind, l, err := p.line()
	if err != nil {
		c.close()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, c.remoteErr(err)
	}
	if kind != pktData || l != "version 2" {
		c.close()
		return nil, fmt.Errorf("%w: the ssh server answered in protocol v0", errNoV2)
	}
	caps, err := readCaps(p)
	if err != nil {
		c.close()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, err
	}
	return &v2Session{conn: c, caps: caps}, nil
}
