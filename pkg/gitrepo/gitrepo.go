// Package gitrepo reads and writes one branch of a Git repository with
// go-git, without a git binary and without a working tree.
//
// A bump fetches the branch tip (depth 1, partial: commit and trees only),
// reads the file(s) it edits (one more request for just those blobs),
// builds a commit on the tip and pushes exactly the new objects with the
// command old tip → new commit. The server's compare-and-swap on the ref
// detects a lost race (ErrRace). Servers without partial-fetch support get
// a full depth-1 fetch into a private temporary directory instead.
//
// Repositories given as a local path (a developer's clone) are read and
// written in place: Push moves the local branch with a compare-and-swap,
// and when that branch is checked out it also updates the changed files in
// the work tree and the index, refusing (ErrDirty) when those files have
// uncommitted changes or a symlink on their path. The files are written
// before the branch moves, and put back when it cannot.
//
// The package never prints, never force-pushes and never puts credentials
// in URLs, errors or logs.
package gitrepo

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/protocol/packp"
	"github.com/go-git/go-git/v5/plumbing/protocol/packp/capability"
	"github.com/go-git/go-git/v5/plumbing/transport"
	"github.com/go-git/go-git/v5/plumbing/transport/client"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	gitssh "github.com/go-git/go-git/v5/plumbing/transport/ssh"
	"github.com/tagbump/tagbump/pkg/address"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
	"golang.org/x/crypto/ssh/knownhosts"
)

// DefaultHTTPUser is the user name sent with a token when WithHTTPAuth gets
// an empty user; servers that authenticate by token ignore it, but it must
// not be empty.
const DefaultHTTPUser = "x-access-token"

// DefaultMaxFileSize is the largest file ReadFile returns by default:
// 2 MiB, ten times the largest public values files (kube-prometheus-stack's
// values.yaml, 207 KB; argo-cd's, 179 KB; loki's, 145 KB).
const DefaultMaxFileSize = 2 << 20

// Option configures Open.
type Option func(*options)

type options struct {
	httpUser, httpToken string
	sshKey, sshPass     string
	knownHosts          []string
	timeout             time.Duration
	logger              *slog.Logger
	tempParent          string
	maxFileSize         int64
	maxFetchBytes       int64 // WithMaxFetchBytes (packread.go)
	signer              Signer
}

// WithHTTPAuth sends user and token with HTTP basic auth (never in the
// URL). An empty user becomes DefaultHTTPUser. By default HTTP requests are
// anonymous.
func WithHTTPAuth(user, token string) Option {
	return func(o *options) {
		if user == "" {
			user = DefaultHTTPUser
		}
		o.httpUser, o.httpToken = user, token
	}
}

// WithSSHKey authenticates SSH with the private key file at path,
// decrypted with passphrase when it is not empty. By default SSH uses the
// agent at $SSH_AUTH_SOCK.
func WithSSHKey(path, passphrase string) Option {
	return func(o *options) { o.sshKey, o.sshPass = path, passphrase }
}

// WithKnownHosts checks SSH host keys against the known_hosts file at path
// (repeatable). By default the files in $SSH_KNOWN_HOSTS, else
// ~/.ssh/known_hosts and /etc/ssh/ssh_known_hosts, are used. Host keys are
// always checked.
func WithKnownHosts(path string) Option {
	return func(o *options) { o.knownHosts = append(o.knownHosts, path) }
}

// WithTimeout bounds each network operation (a fetch, a blob read, a push).
// The default is 2 minutes; 0 means no limit beyond the context's.
func WithTimeout(d time.Duration) Option { return func(o *options) { o.timeout = d } }

// WithLogger receives debug lines (e.g. the fallback to a full fetch). The
// default discards them.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// WithTempDir creates the private temporary directory under parent instead
// of os.TempDir().
func WithTempDir(parent string) Option { return func(o *options) { o.tempParent = parent } }

// WithMaxFileSize sets the largest file ReadFile returns; the default is
// DefaultMaxFileSize (2 MiB).
func WithMaxFileSize(n int64) Option { return func(o *options) { o.maxFileSize = n } }

// Signer signs commits: Sign gets the commit encoded without its signature
// and returns the armored signature for its gpgsig header. It is go-git's
// Signer interface; *sign.Key implements it.
type Signer interface {
	Sign(message io.Reader) ([]byte, error)
}

// WithSigner signs every commit the Repo builds (Snapshot.Commit) with s.
// By default commits are not signed.
func WithSigner(s Signer) Option { return func(o *options) { o.signer = s } }

// Stats counts what a Repo exchanged with its server, so tests and
// benchmarks can check that a bump fetched only what it needed.
type Stats struct {
	// UploadPacks and ReceivePacks count pack requests sent.
	UploadPacks, ReceivePacks int
	// ObjectsFetched counts objects received by the partial fetch path,
	// BlobsFetched the blobs among them.
	ObjectsFetched, BlobsFetched int
	// ObjectsPushed counts objects sent.
	ObjectsPushed int
	// Fallbacks counts full fetches made because the server lacked partial
	// fetch support.
	Fallbacks int
	// Path is the path the latest Fetch took: PathV2, PathV0 or PathFull
	// ("" before the first Fetch, and for a local clone).
	Path string
	// PushAdvertisements counts receive-pack advertisements requested; an
	// HTTP push that trusts the tip just fetched skips it.
	PushAdvertisements int
	// EarlyLsRefs counts ls-refs answers used that were sent along with
	// the capabilities request (HTTP, protocol v2).
	EarlyLsRefs int
	// EarlyFetches counts FetchFor requests for files and history sent
	// while the tip's trees were still being read, and used.
	EarlyFetches int
}

// Repo is a remote repository (or a local clone) opened for fetching and
// pushing one branch at a time. It is not safe for concurrent use.
type Repo struct {
	o          options
	display    string // the URL without credentials, for errors and logs
	ep         *transport.Endpoint
	auth       transport.AuthMethod
	stripped   bool
	urlCreds   bool // the URL's credentials authenticate (no WithHTTPAuth)
	local      *git.Repository
	localPath  string
	tmp        string
	tmpOnce    sync.Once
	tmpErr     error
	seq        int
	fetchDir   string    // the newest full fetch's directory, removed by the next one
	fetchStore io.Closer // its storage
	stats      Stats
	hostKeyErr atomic.Pointer[HostKeyError] // recorded by the SSH host key callback
	noPartial  bool                         // the server refused a partial fetch once, or is Azure DevOps without v2
	agentConn  net.Conn                     // the ssh-agent connection, closed by Close
	v2sess     *v2Session                   // the protocol v2 conversation with upload-pack
	redirected string                       // where info/refs was redirected to (HTTP): the commands and the push go there
	sshc       *sshLink                     // the SSH connection that v2 and pushes share (sshconn.go)
	noV2       bool                         // the server answered in protocol v0
	v0adv      *packp.AdvRefs               // a v0 advertisement not used yet (HTTP discovery)
	fresh      *freshTip                    // the tip an ls-refs for the default branch just gave
	hc         *http.Client
	hcOnce     sync.Once
	// pushAdvertise asks for the receive-pack advertisement over HTTP too
	// (the behaviour before it was skipped), for the benchmark comparing
	// the two.
	pushAdvertise bool
}

// freshTip is a branch tip learnt by DefaultBranch, used by the next Fetch
// of that branch instead of asking again.
type freshTip struct {
	branch string
	hash   plumbing.Hash
}

// Open prepares access to repo: an http(s) URL, an ssh:// or scp-like
// (git@host:path) address, or the path of a local clone. Credentials in a
// URL are removed from it (see CredentialsStripped) and never shown. An
// http(s) URL's credentials authenticate when WithHTTPAuth gives no token,
// as git uses them (see CredentialsFromURL): a password with its user name,
// a token in the user part with DefaultHTTPUser. A token is never sent
// over plain http:// except to loopback (localhost, 127.0.0.0/8, ::1): Open
// refuses such an address with ErrBadAddress. Open does not contact the
// server.
func Open(ctx context.Context, repo string, opts ...Option) (*Repo, error) {
	o := options{timeout: 2 * time.Minute, maxFileSize: DefaultMaxFileSize}
	for _, opt := range opts {
		opt(&o)
	}
	if o.logger == nil {
		o.logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	r := &Repo{o: o}
	if isLocalPath(repo) {
		return r.openLocal(repo)
	}
	clean, stripped, err := stripCredentials(repo)
	if err != nil {
		return nil, err
	}
	r.display, r.stripped = clean, stripped
	if user, pass, ok := urlCredentials(repo); ok && stripped && o.httpToken == "" {
		o.httpUser, o.httpToken, r.urlCreds = user, pass, true
	}
	ep, err := transport.NewEndpoint(clean)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w: %w: use https://, ssh://, git@host:path or a local path", clean, ErrBadAddress, err)
	}
	r.ep = ep
	switch ep.Protocol {
	case "http", "https":
		if o.httpToken != "" && ep.Protocol == "http" && !address.IsLoopback(ep.Host) {
			return nil, fmt.Errorf("open %s: %w: the token would cross the network in clear text over http://: use https://", clean, ErrBadAddress)
		}
		if o.httpToken != "" {
			r.auth = &githttp.BasicAuth{Username: o.httpUser, Password: o.httpToken}
		}
	case "ssh":
		if r.auth, err = r.sshAuth(); err != nil {
			return nil, fmt.Errorf("open %s: %w", clean, err)
		}
	default:
		return nil, fmt.Errorf("open %s: %w: unsupported protocol %q: use https://, ssh://, git@host:path or a local path", clean, ErrBadAddress, ep.Protocol)
	}
	return r, nil
}

func isLocalPath(repo string) bool {
	if strings.Contains(repo, "://") {
		return false
	}
	if filepath.IsAbs(repo) || strings.HasPrefix(repo, ".") {
		return true
	}
	// scp-like addresses have a colon before any slash.
	i := strings.Index(repo, ":")
	return i < 0 || (strings.Contains(repo, "/") && strings.Index(repo, "/") < i)
}

// stripCredentials removes user info that carries a secret: everything for
// http(s), the password for ssh and scp-like addresses (the ssh user name
// is not a secret).
// stripped is true when a password was removed, or an http(s) user name
// that looks like a token (see tokenLike). Any other http(s) user name is
// dropped silently: Azure DevOps clone URLs carry the organisation there
// (https://org@dev.azure.com/...), and WithHTTPAuth gives the basic-auth
// user.
func stripCredentials(raw string) (clean string, stripped bool, err error) {
	if !strings.Contains(raw, "://") {
		// scp-like: user@host:path has no password part in Git's syntax,
		// but go-git takes everything before the '@' for the user name,
		// so "user:secret@host:path" would carry the secret along.
		user, rest, found := strings.Cut(raw, "@")
		if name, _, hasPass := strings.Cut(user, ":"); found && hasPass && !strings.Contains(user, "/") {
			return name + "@" + rest, true, nil
		}
		return raw, false, nil
	}
	u, err := address.Parse(raw) // its error names the URL redacted
	if err != nil {
		return "", false, fmt.Errorf("open repository: %w: %w", ErrBadAddress, err)
	}
	if u.User == nil {
		return raw, false, nil
	}
	_, hasPass := u.User.Password()
	switch u.Scheme {
	case "http", "https":
		stripped = hasPass || tokenLike(u.User.Username())
		u.User = nil
	default:
		if hasPass {
			u.User = url.User(u.User.Username())
			stripped = true
		}
	}
	return u.String(), stripped, nil
}

// URLCredentials returns the credentials the http(s) URL raw carries, as
// Open uses them when WithHTTPAuth gives no token (see CredentialsFromURL):
// user and password, or DefaultHTTPUser and a token given as the user.
func URLCredentials(raw string) (user, token string, ok bool) { return urlCredentials(raw) }

// urlCredentials returns the user name and token an http(s) URL carries:
// user and password, or DefaultHTTPUser and a token given as the user.
func urlCredentials(raw string) (user, token string, ok bool) {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil || u.Scheme != "http" && u.Scheme != "https" {
		return "", "", false
	}
	if pass, has := u.User.Password(); has && pass != "" {
		return cmp.Or(u.User.Username(), DefaultHTTPUser), pass, true
	}
	if name := u.User.Username(); tokenLike(name) {
		return DefaultHTTPUser, name, true
	}
	return "", "", false
}

// tokenLike reports whether an http(s) user name is a token rather than a
// name: a known token prefix (GitHub, GitLab) or 40 characters or more
// (GitHub's classic tokens, Azure DevOps personal access tokens).
func tokenLike(user string) bool {
	for _, p := range []string{"ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_", "glpat-", "gldt-", "glcbt-"} {
		if strings.HasPrefix(user, p) {
			return true
		}
	}
	return len(user) >= 40
}

// CredentialsStripped reports whether the repository URL carried
// credentials that Open removed; the caller should warn the user.
func (r *Repo) CredentialsStripped() bool { return r.stripped }

// CredentialsFromURL reports whether the credentials the repository URL
// carried authenticate the requests, because WithHTTPAuth gave no token.
func (r *Repo) CredentialsFromURL() bool { return r.urlCreds }

// URL returns the repository address without credentials.
func (r *Repo) URL() string { return r.display }

// Local reports whether the repository is a local clone, written in place.
func (r *Repo) Local() bool { return r.local != nil }

// Stats returns what the Repo exchanged with its server so far.
func (r *Repo) Stats() Stats { return r.stats }

func (r *Repo) debug(msg string, args ...any) {
	r.o.logger.Debug(msg, append([]any{"repo", r.display}, args...)...)
}

// tempDir creates the private temporary directory (mode 0700) on first use.
func (r *Repo) tempDir() (string, error) {
	r.tmpOnce.Do(func() {
		r.tmp, r.tmpErr = os.MkdirTemp(r.o.tempParent, "tagbump-git-") // mode 0700
	})
	return r.tmp, r.tmpErr
}

// TempDir returns the private temporary directory, or "" when none was
// needed yet.
func (r *Repo) TempDir() string { return r.tmp }

// Close removes the private temporary directory and closes the ssh-agent
// connection. It is safe to call twice.
func (r *Repo) Close() error {
	if r.v2sess != nil {
		r.v2sess.conn.close()
		r.v2sess = nil
	}
	r.closeSSH()
	if r.agentConn != nil {
		r.agentConn.Close()
		r.agentConn = nil
	}
	if r.tmp == "" {
		return nil
	}
	r.dropFetchDir()
	err := os.RemoveAll(r.tmp)
	r.tmp = ""
	return err
}

func (r *Repo) opContext(ctx context.Context) (context.Context, context.CancelFunc) {
	if r.o.timeout > 0 {
		return context.WithTimeout(ctx, r.o.timeout)
	}
	return context.WithCancel(ctx)
}

// transport returns go-git's transport for the repository; over HTTP it
// shares the Repo's connection pool with the protocol v2 requests.
func (r *Repo) transport() (transport.Transport, error) {
	if r.ep.Protocol == "http" || r.ep.Protocol == "https" {
		return githttp.NewClient(r.httpClient()), nil
	}
	return client.NewClient(r.ep)
}

// sshAuth builds the SSH auth method: a key file or the agent, host keys
// checked against known_hosts with matching HostKeyAlgorithms.
func (r *Repo) sshAuth() (transport.AuthMethod, error) {
	files := r.o.knownHosts
	db, err := gitssh.NewKnownHostsDb(files...)
	if err != nil {
		return nil, fmt.Errorf("read known_hosts: %w: pass --known-hosts FILE with the server's host key", err)
	}
	port := r.ep.Port
	if port == 0 {
		port = 22
	}
	hostPort := fmt.Sprintf("%s:%d", r.ep.Host, port)
	inner := db.HostKeyCallback()
	cb := func(hostname string, remote net.Addr, key ssh.PublicKey) error {
		err := inner(hostname, remote, key)
		if err != nil {
			var ke *knownhosts.KeyError
			if errors.As(err, &ke) {
				r.hostKeyErr.Store(&HostKeyError{Host: hostname, Unknown: len(ke.Want) == 0, Fingerprint: ssh.FingerprintSHA256(key)})
			}
		}
		return err
	}
	helper := gitssh.HostKeyCallbackHelper{HostKeyCallback: cb, HostKeyAlgorithms: db.HostKeyAlgorithms(hostPort)}
	user := r.ep.User
	if user == "" {
		user = "git"
	}
	var m gitssh.AuthMethod
	switch {
	case r.o.sshKey != "":
		pk, err := gitssh.NewPublicKeysFromFile(user, r.o.sshKey, r.o.sshPass)
		if err != nil {
			return nil, fmt.Errorf("read ssh key %s: %w: pass a readable private key file with --ssh-key", r.o.sshKey, err)
		}
		pk.HostKeyCallbackHelper = helper
		m = pk
	default:
		sock := os.Getenv("SSH_AUTH_SOCK")
		if sock == "" {
			return nil, fmt.Errorf("ssh auth: %w: no key given (--ssh-key FILE) and SSH_AUTH_SOCK is not set", ErrAuth)
		}
		conn, err := net.Dial("unix", sock)
		if err != nil {
			return nil, fmt.Errorf("ssh agent %s: %w", sock, err)
		}
		r.agentConn = conn
		ag := agent.NewClient(conn)
		m = &gitssh.PublicKeysCallback{User: user, Callback: ag.Signers, HostKeyCallbackHelper: helper}
	}
	return &sshTimeoutAuth{AuthMethod: m, timeout: r.o.timeout}, nil
}

// sshTimeoutAuth bounds the SSH dial and handshake, which go-git does not
// tie to the context.
type sshTimeoutAuth struct {
	gitssh.AuthMethod
	timeout time.Duration
}

func (a *sshTimeoutAuth) ClientConfig() (*ssh.ClientConfig, error) {
	c, err := a.AuthMethod.ClientConfig()
	if err == nil && a.timeout > 0 {
		c.Timeout = a.timeout
	}
	return c, err
}

var multiACKOnce sync.Once

func isAzureDevOps(host string) bool {
	host = strings.ToLower(host)
	return host == "dev.azure.com" || host == "ssh.dev.azure.com" || strings.HasSuffix(host, ".visualstudio.com")
}

// enableMultiACKWorkaround lets go-git talk to Azure DevOps, which refuses
// clients without multi_ack (TF401041). The list is process-global.
func enableMultiACKWorkaround() {
	multiACKOnce.Do(func() {
		transport.UnsupportedCapabilities = []capability.Capability{capability.ThinPack}
	})
}
