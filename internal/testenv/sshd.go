package testenv

import (
	"bufio"
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

// SSHDPath is where Debian's openssh-server installs sshd.
const SSHDPath = "/usr/sbin/sshd"

// SSHD is an OpenSSH server on 127.0.0.1 that runs as the current user and
// serves the git repositories under a root directory.
type SSHD struct {
	// Addr is host:port of the server.
	Addr string
	// User is the login name clients use (the current user).
	User string
	// HostKey is the server's public host key.
	HostKey ssh.PublicKey

	gitRoot string
	cmd     *exec.Cmd
	stderr  *SyncBuffer
	once    sync.Once
	done    chan struct{}
}

// SSHDOption configures StartSSHD.
type SSHDOption func(*sshdOptions)

type sshdOptions struct {
	acceptEnv []string
}

// WithAcceptEnv lets clients set the environment variables names in their
// sessions (sshd's AcceptEnv), e.g. GIT_PROTOCOL, which git's own servers
// are configured with to speak protocol v2 over SSH. By default sshd
// accepts none, and git answers in protocol v0.
func WithAcceptEnv(names ...string) SSHDOption {
	return func(o *sshdOptions) { o.acceptEnv = append(o.acceptEnv, names...) }
}

// StartSSHD starts /usr/sbin/sshd -D with a config in dir, a new ed25519
// host key, authorizedKey (one authorized_keys line or an
// ssh.PublicKey.Marshal'ed-as-text key) as the only key allowed in, and
// StrictModes off. URL(repo) points into gitRoot.
func StartSSHD(dir string, authorizedKey []byte, gitRoot string, opts ...SSHDOption) (*SSHD, error) {
	var o sshdOptions
	for _, opt := range opts {
		opt(&o)
	}
	u, err := user.Current()
	if err != nil {
		return nil, fmt.Errorf("start sshd: %w", err)
	}
	if os.Geteuid() == 0 {
		// sshd refuses to start without its privilege separation directory.
		if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
			return nil, fmt.Errorf("start sshd: %w", err)
		}
	}
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("start sshd: %w", err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		return nil, fmt.Errorf("start sshd: %w", err)
	}
	hostKeyPath := filepath.Join(dir, "ssh_host_ed25519_key")
	if err := os.WriteFile(hostKeyPath, pem.EncodeToMemory(block), 0o600); err != nil {
		return nil, fmt.Errorf("start sshd: %w", err)
	}
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		return nil, fmt.Errorf("start sshd: %w", err)
	}
	authPath := filepath.Join(dir, "authorized_keys")
	if err := os.WriteFile(authPath, append(bytes.TrimSpace(authorizedKey), '\n'), 0o600); err != nil {
		return nil, fmt.Errorf("start sshd: %w", err)
	}
	port, err := freePort()
	if err != nil {
		return nil, fmt.Errorf("start sshd: %w", err)
	}
	cfg := strings.Join([]string{
		fmt.Sprintf("Port %d", port),
		"ListenAddress 127.0.0.1",
		"HostKey " + hostKeyPath,
		"PidFile " + filepath.Join(dir, "sshd.pid"),
		"AuthorizedKeysFile " + authPath,
		"StrictModes no",
		"UsePAM no",
		"PubkeyAuthentication yes",
		"PasswordAuthentication no",
		"KbdInteractiveAuthentication no",
		"PermitRootLogin prohibit-password",
		"AllowUsers " + u.Username,
		"LogLevel INFO", // for Logins; sshd logs each accepted key
	}, "\n") + "\n"
	if len(o.acceptEnv) > 0 {
		cfg += "AcceptEnv " + strings.Join(o.acceptEnv, " ") + "\n"
	}
	cfgPath := filepath.Join(dir, "sshd_config")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		return nil, fmt.Errorf("start sshd: %w", err)
	}
	s := &SSHD{
		Addr: fmt.Sprintf("127.0.0.1:%d", port), User: u.Username, HostKey: signer.PublicKey(),
		gitRoot: gitRoot, stderr: &SyncBuffer{}, done: make(chan struct{}),
	}
	s.cmd = exec.Command(SSHDPath, "-D", "-e", "-f", cfgPath)
	s.cmd.Stderr = s.stderr
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start sshd: %w", err)
	}
	go func() { s.cmd.Wait(); close(s.done) }()
	if err := s.waitReady(10 * time.Second); err != nil {
		s.Close()
		return nil, fmt.Errorf("start sshd: %w: %s", err, strings.TrimSpace(s.stderr.String()))
	}
	return s, nil
}

// Logins returns how many connections the server has authenticated so far.
func (s *SSHD) Logins() int {
	return strings.Count(s.stderr.String(), "Accepted publickey for ")
}

// SyncBuffer is a bytes.Buffer safe for concurrent use: a server's output
// goroutine writes while a test reads, or several writers share it.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *SyncBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *SyncBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func (s *SSHD) waitReady(max time.Duration) error {
	deadline := time.Now().Add(max)
	for time.Now().Before(deadline) {
		select {
		case <-s.done:
			return fmt.Errorf("sshd exited")
		default:
		}
		c, err := net.DialTimeout("tcp", s.Addr, time.Second)
		if err == nil {
			c.SetDeadline(time.Now().Add(2 * time.Second))
			line, _ := bufio.NewReader(c).ReadString('\n')
			c.Close()
			if strings.HasPrefix(line, "SSH-2.0") {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("sshd not ready after %s", max)
}

// HostKeyLine returns the known_hosts line for the server,
// "[127.0.0.1]:PORT ssh-ed25519 AAAA...".
func (s *SSHD) HostKeyLine() string {
	return knownHostsLine(s.Addr, s.HostKey)
}

func knownHostsLine(addr string, key ssh.PublicKey) string {
	host, port, _ := net.SplitHostPort(addr)
	h := host
	if port != "22" {
		h = "[" + host + "]:" + port
	}
	return h + " " + strings.TrimSpace(string(ssh.MarshalAuthorizedKey(key)))
}

// URL returns ssh://USER@127.0.0.1:PORT/<gitRoot>/<repo>.git.
func (s *SSHD) URL(repo string) string {
	p := filepath.ToSlash(filepath.Join(s.gitRoot, strings.TrimSuffix(repo, ".git")+".git"))
	return "ssh://" + s.User + "@" + s.Addr + p
}

// Close stops sshd. It is safe to call twice.
func (s *SSHD) Close() error {
	s.once.Do(func() {
		if s.cmd.Process != nil {
			s.cmd.Process.Kill()
			<-s.done
		}
	})
	return nil
}

// SSHKey is a client key pair written to files for tests.
type SSHKey struct {
	// Path is the private key file (OpenSSH format, mode 0600).
	Path string
	// Authorized is the public key as an authorized_keys line.
	Authorized []byte
	// Signer signs with the private key.
	Signer ssh.Signer
}

// NewSSHKey writes a new ed25519 private key to dir/name, encrypted with
// passphrase unless it is empty.
func NewSSHKey(dir, name, passphrase string) (*SSHKey, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	var block *pem.Block
	if passphrase == "" {
		block, err = ssh.MarshalPrivateKey(priv, "")
	} else {
		block, err = ssh.MarshalPrivateKeyWithPassphrase(priv, "", []byte(passphrase))
	}
	if err != nil {
		return nil, err
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, pem.EncodeToMemory(block), 0o600); err != nil {
		return nil, err
	}
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		return nil, err
	}
	return &SSHKey{Path: p, Authorized: ssh.MarshalAuthorizedKey(signer.PublicKey()), Signer: signer}, nil
}

// NewSSHD starts an sshd for a test that lets key in and serves gitRoot; it
// skips the test when sshd is missing (fails when CI=true) and stops the
// server in t.Cleanup. It also writes a known_hosts file and returns its path.
func NewSSHD(t testing.TB, key *SSHKey, gitRoot string, opts ...SSHDOption) (*SSHD, string) {
	t.Helper()
	RequireBinary(t, SSHDPath)
	dir := t.TempDir()
	s, err := StartSSHD(dir, key.Authorized, gitRoot, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	kh := filepath.Join(dir, "known_hosts")
	if err := os.WriteFile(kh, []byte(s.HostKeyLine()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return s, kh
}

// MismatchedKnownHosts writes a known_hosts file that names the server's
// address with another key, as after a man-in-the-middle or a rebuilt host,
// and returns its path.
func (s *SSHD) MismatchedKnownHosts(t testing.TB) string {
	t.Helper()
	other, err := NewSSHKey(t.TempDir(), "other", "")
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "known_hosts")
	host := strings.Fields(s.HostKeyLine())[0]
	if err := os.WriteFile(p, []byte(host+" "+string(other.Authorized)), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
