package testenv

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"golang.org/x/crypto/ssh"
)

// SSHServer is an SSH server in the test's process on 127.0.0.1, for what
// OpenSSH cannot be made to do: answer a command with a hostile stream
// (Handler), or sit behind a proxy that goes silent (SilentProxy). By
// default it runs the git command a client asks for (git-upload-pack
// '/path', git-receive-pack '/path') with the git binary, passing
// GIT_PROTOCOL on as sshd with AcceptEnv GIT_PROTOCOL does.
type SSHServer struct {
	// Addr is host:port.
	Addr string
	// HostKey is the server's public host key.
	HostKey ssh.PublicKey
	// Handler, when set, answers exec requests instead of git: it gets the
	// command, the environment the client set and the channel, and
	// returns the exit status.
	Handler func(command string, env []string, ch ssh.Channel) uint32

	ln     net.Listener
	cfg    *ssh.ServerConfig
	logins atomic.Int64
	wg     sync.WaitGroup
	mu     sync.Mutex
	conns  []net.Conn
}

// NewSSHServer starts an in-process SSH server that lets key in; it stops
// in t.Cleanup. It also writes a known_hosts file for it and returns its
// path.
func NewSSHServer(t testing.TB, key *SSHKey) (*SSHServer, string) {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	host, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	want := key.Signer.PublicKey().Marshal()
	s := &SSHServer{HostKey: host.PublicKey()}
	s.cfg = &ssh.ServerConfig{PublicKeyCallback: func(_ ssh.ConnMetadata, k ssh.PublicKey) (*ssh.Permissions, error) {
		if string(k.Marshal()) != string(want) {
			return nil, errors.New("unknown key")
		}
		s.logins.Add(1)
		return nil, nil
	}}
	s.cfg.AddHostKey(host)
	if s.ln, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	s.Addr = s.ln.Addr().String()
	s.wg.Add(1)
	go s.serve()
	t.Cleanup(s.Close)
	return s, s.KnownHosts(t, s.Addr)
}

// KnownHosts writes a known_hosts file that vouches for the server's key
// at addr (its own, or a proxy's) and returns its path.
func (s *SSHServer) KnownHosts(t testing.TB, addr string) string {
	t.Helper()
	kh := filepath.Join(t.TempDir(), "known_hosts")
	if err := os.WriteFile(kh, []byte(knownHostsLine(addr, s.HostKey)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return kh
}

// URL returns ssh://git@ADDR/<path> for the bare repository at path.
func (s *SSHServer) URL(path string) string {
	return "ssh://git@" + s.Addr + filepath.ToSlash(path)
}

// Logins returns how many connections authenticated.
func (s *SSHServer) Logins() int { return int(s.logins.Load()) }

// Close stops the server and ends its connections.
func (s *SSHServer) Close() {
	s.ln.Close()
	s.mu.Lock()
	for _, c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

func (s *SSHServer) serve() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		s.conns = append(s.conns, c)
		s.mu.Unlock()
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.handle(c)
		}()
	}
}

func (s *SSHServer) handle(c net.Conn) {
	defer c.Close()
	_, chans, reqs, err := ssh.NewServerConn(c, s.cfg)
	if err != nil {
		return
	}
	// Global requests (keepalive@openssh.com) are refused, as OpenSSH
	// refuses what it does not know: an answer all the same.
	go ssh.DiscardRequests(reqs)
	for nc := range chans {
		if nc.ChannelType() != "session" {
			nc.Reject(ssh.UnknownChannelType, "sessions only")
			continue
		}
		ch, creqs, err := nc.Accept()
		if err != nil {
			continue
		}
		go s.session(ch, creqs)
	}
}

// session serves one session: env requests, then one exec.
func (s *SSHServer) session(ch ssh.Channel, reqs <-chan *ssh.Request) {
	defer ch.Close()
	var env []string
	for req := range reqs {
		switch req.Type {
		case "env":
			var kv struct{ Name, Value string }
			if ssh.Unmarshal(req.Payload, &kv) == nil && kv.Name == "GIT_PROTOCOL" {
				env = append(env, kv.Name+"="+kv.Value)
				req.Reply(true, nil)
				continue
			}
			req.Reply(false, nil)
		case "exec":
			var cmd struct{ Command string }
			if ssh.Unmarshal(req.Payload, &cmd) != nil {
				req.Reply(false, nil)
				continue
			}
			req.Reply(true, nil)
			go func() {
				for r := range reqs {
					if r.WantReply {
						r.Reply(false, nil)
					}
				}
			}()
			status := s.exec(cmd.Command, env, ch)
			ch.CloseWrite()
			var b [4]byte
			binary.BigEndian.PutUint32(b[:], status)
			ch.SendRequest("exit-status", false, b[:])
			return
		default:
			if req.WantReply {
				req.Reply(false, nil)
			}
		}
	}
}

func (s *SSHServer) exec(command string, env []string, ch ssh.Channel) uint32 {
	if s.Handler != nil {
		return s.Handler(command, env, ch)
	}
	service, arg, _ := strings.Cut(command, " ")
	if service != "git-upload-pack" && service != "git-receive-pack" {
		io.WriteString(ch.Stderr(), "unknown command "+service+"\n")
		return 127
	}
	cmd := exec.Command("git", strings.TrimPrefix(service, "git-"), strings.Trim(arg, "'"))
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = ch, ch, ch.Stderr()
	if err := cmd.Run(); err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return uint32(ee.ExitCode())
		}
		return 1
	}
	return 0
}

// SilentProxy is a TCP proxy on 127.0.0.1 that can go silent, as a NAT
// that forgot a connection: it keeps the sockets open and drops every
// byte, in both directions, without a reset.
type SilentProxy struct {
	upstream  string
	ln        net.Listener
	mu        sync.Mutex
	pairs     []*proxyPair
	silentNew bool
}

type proxyPair struct {
	client, server net.Conn
	silent         atomic.Bool
}

// NewSilentProxy starts a proxy to upstream (host:port); it stops in
// t.Cleanup.
func NewSilentProxy(t testing.TB, upstream string) *SilentProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &SilentProxy{upstream: upstream, ln: ln}
	go p.serve()
	t.Cleanup(p.Close)
	return p
}

// Addr returns the proxy's host:port.
func (p *SilentProxy) Addr() string { return p.ln.Addr().String() }

// Silence drops the traffic of every open connection from now on, and
// with newToo that of connections opened later as well.
func (p *SilentProxy) Silence(newToo bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, pp := range p.pairs {
		pp.silent.Store(true)
	}
	p.silentNew = newToo
}

// Close stops the proxy and closes every connection.
func (p *SilentProxy) Close() {
	p.ln.Close()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, pp := range p.pairs {
		pp.client.Close()
		pp.server.Close()
	}
}

func (p *SilentProxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		u, err := net.Dial("tcp", p.upstream)
		if err != nil {
			c.Close()
			continue
		}
		pp := &proxyPair{client: c, server: u}
		p.mu.Lock()
		pp.silent.Store(p.silentNew)
		p.pairs = append(p.pairs, pp)
		p.mu.Unlock()
		go pp.pipe(u, c)
		go pp.pipe(c, u)
	}
}

// pipe copies from src to dst until either ends, dropping what it reads
// while the pair is silent.
func (pp *proxyPair) pipe(dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 && !pp.silent.Load() {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			if !pp.silent.Load() {
				dst.Close()
			}
			return
		}
	}
}
