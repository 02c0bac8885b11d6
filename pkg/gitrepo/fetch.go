package gitrepo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/go-git/go-billy/v5/osfs"
	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/cache"
	"github.com/go-git/go-git/v5/plumbing/format/pktline"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/protocol/packp"
	"github.com/go-git/go-git/v5/plumbing/protocol/packp/capability"
	"github.com/go-git/go-git/v5/plumbing/protocol/packp/sideband"
	"github.com/go-git/go-git/v5/plumbing/storer"
	"github.com/go-git/go-git/v5/plumbing/transport"
	"github.com/go-git/go-git/v5/storage/filesystem"
	"github.com/go-git/go-git/v5/storage/memory"
)

// errNoPartial means the server cannot do what the partial fetch needs.
var errNoPartial = errors.New("server does not support partial fetch")

// DefaultBranch returns the branch the remote HEAD points at (for a local
// clone: the checked-out branch). It never returns "" without an error: a
// HEAD that names no branch is an error wrapping ErrNotFound. Over protocol
// v2 it also learns the branch's tip, which the next Fetch of that branch
// uses instead of asking again.
func (r *Repo) DefaultBranch(ctx context.Context) (string, error) {
	if r.local != nil {
		return r.localDefaultBranch()
	}
	ctx, cancel := r.opContext(ctx)
	defer cancel()
	s, refs, err := r.v2LsRefs(ctx, "HEAD")
	if err == nil {
		head, ok := refs["HEAD"]
		if b, found := strings.CutPrefix(head.target, "refs/heads/"); found && b != "" {
			r.fresh = &freshTip{branch: b, hash: head.hash}
			return b, nil
		}
		if head.target != "" {
			return "", fmt.Errorf("default branch of %s: %w: the remote HEAD points at %q, not a branch: pass the branch explicitly", r.display, ErrNotFound, head.target)
		}
		if !ok {
			// No HEAD commit: an empty repository, or HEAD names a
			// branch that does not exist.
			if branches, err := s.lsRefs(ctx, "refs/heads/"); err == nil && len(branches) == 0 {
				return "", r.classify("default branch of", transport.ErrEmptyRemoteRepository)
			}
		}
		return "", fmt.Errorf("default branch of %s: %w: the remote HEAD names no branch: pass the branch explicitly", r.display, ErrNotFound)
	}
	if !errors.Is(err, errNoV2) {
		return "", r.classify("default branch of", err)
	}
	adv, sess, err := r.advertise(ctx, true)
	if err != nil {
		return "", r.classify("default branch of", err)
	}
	sess.Close()
	for _, v := range adv.Capabilities.Get(capability.SymRef) {
		src, dst, found := strings.Cut(v, ":")
		if !found || src != "HEAD" {
			continue
		}
		if name, ok := strings.CutPrefix(dst, "refs/heads/"); ok && name != "" {
			return name, nil
		}
		// The server names HEAD's target, and it is no branch: a guess
		// from hashes below would pick a branch the server did not name.
		return "", fmt.Errorf("default branch of %s: %w: the remote HEAD points at %q, not a branch: pass the branch explicitly", r.display, ErrNotFound, dst)
	}
	// Old servers: find the branch whose hash equals HEAD's.
	if adv.Head != nil {
		for _, name := range []string{"main", "master"} {
			if h, ok := adv.References["refs/heads/"+name]; ok && h == *adv.Head {
				return name, nil
			}
		}
		for ref, h := range adv.References {
			if h == *adv.Head && strings.HasPrefix(ref, "refs/heads/") {
				return strings.TrimPrefix(ref, "refs/heads/"), nil
			}
		}
	}
	return "", fmt.Errorf("default branch of %s: %w: the remote HEAD names no branch: pass the branch explicitly", r.display, ErrNotFound)
}

// advertise returns the protocol v0 advertisement of upload-pack and a
// session to send the request on: the advertisement the v2 discovery got
// instead, when it was not used yet, else a new one.
func (r *Repo) advertise(ctx context.Context, keep bool) (*packp.AdvRefs, transport.UploadPackSession, error) {
	t, err := r.transport()
	if err != nil {
		return nil, nil, err
	}
	sess, err := t.NewUploadPackSession(r.ep, r.auth)
	if err != nil {
		return nil, nil, err
	}
	if adv := r.v0adv; adv != nil {
		// Over HTTP the session is stateless: its requests need no
		// advertisement of their own. DefaultBranch leaves the
		// advertisement to the Fetch that follows it.
		if !keep {
			r.v0adv = nil
		}
		return adv, sess, nil
	}
	adv, err := sess.AdvertisedReferencesContext(ctx)
	if err != nil {
		sess.Close()
		return nil, nil, err
	}
	return adv, sess, nil
}

// Snapshot is the tip of a branch as fetched: its commit and trees, and
// the blobs read so far.
type Snapshot struct {
	repo    *Repo
	branch  string
	tip     plumbing.Hash
	objects storer.EncodedObjectStorer
	partial bool             // blobs are fetched on demand
	gen     int              // Repo.seq of the full fetch whose directory holds objects (0: memory)
	caps    *capability.List // the v0 capabilities; nil for protocol v2
	// kept holds blobs that a history walk with full objects read (see
	// deepening), for ReadBlobs.
	kept map[plumbing.Hash]plumbing.EncodedObject
	// histories holds the file histories a walk of the whole history
	// read to the end (cachedHistories).
	histMu    sync.Mutex
	histories map[historyKey]cachedHistory
	// trees indexes large trees by entry name, built on the first lookup
	// (see Snapshot.lookup); a tree's hash names its content, so it holds
	// across refetches.
	treesMu sync.Mutex
	trees   map[plumbing.Hash]map[string]rawEntry
	// root is the tip's tree, once read (rootTree).
	root plumbing.Hash
}

// rootTree returns the tip commit's tree, decoding the commit once:
// reading thousands of files asks for it once a file.
func (s *Snapshot) rootTree() (plumbing.Hash, error) {
	s.treesMu.Lock()
	root := s.root
	s.treesMu.Unlock()
	if !root.IsZero() {
		return root, nil
	}
	c, err := object.GetCommit(s.objects, s.tip)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	s.treesMu.Lock()
	s.root = c.TreeHash
	s.treesMu.Unlock()
	return c.TreeHash, nil
}

// Tip returns the commit the branch pointed at when it was fetched.
func (s *Snapshot) Tip() plumbing.Hash { return s.tip }

// Branch returns the branch the snapshot was fetched from.
func (s *Snapshot) Branch() string { return s.branch }

// Fetch fetches the tip of branch: the commit and its trees, in one
// depth-1 request with the blob:none filter. It speaks protocol v2 where
// the server does (ls-refs, then fetch), else protocol v0 where the server
// filters and lets wants name any reachable object. Otherwise, and when the
// server refuses the filter, it falls back to a full depth-1 fetch of the
// branch into a fresh directory in the private temporary directory.
// Stats.Path tells which path it took. A full fetch replaces the directory
// of the previous one: the Snapshot it returned can no longer read files
// (ReadFile returns an error), so use the newest Snapshot only. An error
// wrapping ErrRace (e.g. objects the server no longer has: the branch moved
// mid-fetch) means fetch again, as after a lost push.
//
// Azure DevOps speaks protocol v2 and takes the same path (untested here
// against the real service); should it answer in v0, the fetch takes the
// full path with go-git's multi_ack workaround, as Azure refuses v0
// clients without multi_ack (TF401041).
func (r *Repo) Fetch(ctx context.Context, branch string) (*Snapshot, error) {
	return r.fetch(ctx, branch, nil)
}

// fetch is Fetch, and FetchFor when want is not nil.
func (r *Repo) fetch(ctx context.Context, branch string, want *fetchWant) (*Snapshot, error) {
	if r.local != nil {
		return r.fetchLocal(branch)
	}
	ctx, cancel := r.opContext(ctx)
	defer cancel()
	subject := "fetch"
	var s *v2Session
	var err error
	if f := r.fresh; r.v2sess == nil && (f == nil || f.branch != branch) {
		// The first contact: the branch's tip comes with the
		// capabilities (v2LsRefs).
		ref := plumbing.NewBranchReferenceName(branch).String()
		var refs map[string]remoteRef
		if s, refs, err = r.v2LsRefs(ctx, ref, "HEAD"); err == nil {
			if tip, ok := refs[ref]; ok {
				r.fresh = &freshTip{branch: branch, hash: tip.hash}
			}
		}
	} else {
		s, err = r.v2(ctx)
	}
	if err == nil {
		snap, err := r.fetchV2(ctx, s, branch, want)
		if err != nil {
			return nil, r.classify(subject, err)
		}
		return snap, nil
	}
	if !errors.Is(err, errNoV2) {
		return nil, r.classify(subject, err)
	}
	r.noV2Workarounds()
	if r.noPartial {
		// No advertisement needed: the full fetch makes its own.
		return r.fetchFullClassified(ctx, branch, want.fullDepth())
	}
	adv, sess, err := r.advertise(ctx, false)
	if err != nil {
		return nil, r.classify(subject, err)
	}
	defer sess.Close()
	ref := plumbing.NewBranchReferenceName(branch)
	tip, ok := adv.References[ref.String()]
	if !ok {
		return nil, r.classify(subject, r.branchNotFound(branch))
	}
	snap, err := r.fetchPartial(ctx, sess, adv, branch, tip)
	if err == nil {
		r.stats.Path = PathV0
		return snap, nil
	}
	if !errors.Is(err, errNoPartial) {
		return nil, r.classify(subject, err)
	}
	r.noPartial = true
	r.debug("partial fetch unavailable, falling back to a full fetch", "branch", branch, "reason", err.Error())
	return r.fetchFullClassified(ctx, branch, want.fullDepth())
}

func (r *Repo) fetchFullClassified(ctx context.Context, branch string, depth int) (*Snapshot, error) {
	snap, err := r.fetchFull(ctx, branch, depth)
	if err != nil {
		return nil, r.classify("fetch", err)
	}
	return snap, nil
}

func (r *Repo) branchNotFound(branch string) error {
	return fmt.Errorf("branch %q: %w: check --branch, or create the branch first", branch, ErrNotFound)
}

// noV2Workarounds prepares the v0 path for Azure DevOps, which refuses
// clients without multi_ack (TF401041): go-git's process-global workaround,
// and the full path only, as go-git fetches after the workaround are
// unreliable and the hand-built partial requests do not send multi_ack.
func (r *Repo) noV2Workarounds() {
	if isAzureDevOps(r.ep.Host) {
		enableMultiACKWorkaround()
		r.noPartial = true
	}
}

// v2Tip returns the tip of branch: the one DefaultBranch just learnt, else
// ls-refs'.
func (r *Repo) v2Tip(ctx context.Context, s *v2Session, branch string) (plumbing.Hash, error) {
	if f := r.fresh; f != nil {
		r.fresh = nil
		if f.branch == branch {
			return f.hash, nil
		}
	}
	ref := plumbing.NewBranchReferenceName(branch).String()
	refs, err := s.lsRefs(ctx, ref, "HEAD")
	if err != nil {
		r.dropV2()
		return plumbing.ZeroHash, err
	}
	got, ok := refs[ref]
	if !ok {
		if len(refs) == 0 {
			return plumbing.ZeroHash, transport.ErrEmptyRemoteRepository
		}
		return plumbing.ZeroHash, r.branchNotFound(branch)
	}
	return got.hash, nil
}

// fetchV2 is Fetch in protocol v2.
func (r *Repo) fetchV2(ctx context.Context, s *v2Session, branch string, want *fetchWant) (*Snapshot, error) {
	if !r.noPartial && !s.caps.filter() {
		r.noPartial = true
		r.debug("partial fetch unavailable, falling back to a full fetch", "branch", branch, "reason", "protocol v2 without the filter feature")
	}
	if r.noPartial {
		return r.fetchFull(ctx, branch, want.fullDepth())
	}
	tip, err := r.v2Tip(ctx, s, branch)
	if err != nil {
		return nil, err
	}
	if s, err = r.v2ForDeepen(ctx); err != nil {
		return nil, err
	}
	st := memory.NewStorage()
	trees := fetchArgs{wants: []plumbing.Hash{tip}, deepen: 1, filter: packp.FilterBlobNone()}
	var early *earlyFetch
	if want != nil && s.conn.stateless() {
		// A stateless session takes a second request while the first is
		// still being read.
		if early = startEarly(ctx, s, st, tip, want); early != nil {
			trees.observe = early.observe
		}
	}
	err = r.uploadPackV2(ctx, s, trees, st)
	if early != nil {
		early.join(r, err)
	}
	if err == nil {
		if _, err := st.EncodedObject(plumbing.CommitObject, tip); err != nil {
			return nil, fmt.Errorf("%w: tip commit %s missing from the pack", ErrRace, short(tip))
		}
		r.stats.Path = PathV2
		return &Snapshot{repo: r, branch: branch, tip: tip, objects: st, partial: true}, nil
	}
	if !errors.Is(err, errNoPartial) {
		return nil, err
	}
	r.noPartial = true
	r.debug("partial fetch unavailable, falling back to a full fetch", "branch", branch, "reason", err.Error())
	return r.fetchFull(ctx, branch, want.fullDepth())
}

func supportsPartial(caps *capability.List) bool {
	return caps.Supports(capability.Filter) && caps.Supports(capability.Shallow) &&
		(caps.Supports(capability.AllowReachableSHA1InWant) || caps.Supports(capability.AllowTipSHA1InWant))
}

// errTipsOnly says why a v0 server over a stateful connection cannot serve
// the partial path; see servesByHash.
var errTipsOnly = fmt.Errorf("%w: the server serves only ref tips by hash on this connection (allow-tip-sha1-in-want without allow-reachable-sha1-in-want), so it would refuse objects asked for by hash", errNoPartial)

// servesByHash reports whether a v0 server advertising caps serves wants
// of objects that are not ref tips (a file's blob, an older commit). git's
// upload-pack refuses them with allow-tip-sha1-in-want alone, unless the
// connection is stateless (smart HTTP), where it serves whatever is
// reachable from a ref instead. Asking anyway would cost two requests,
// and over SSH the refusal is often lost: the server closes before go-git
// reads its ERR line, which then looks like a cut connection.
func (r *Repo) servesByHash(caps *capability.List) bool {
	if caps.Supports(capability.AllowReachableSHA1InWant) {
		return true
	}
	return r.ep.Protocol == "http" || r.ep.Protocol == "https"
}

func (r *Repo) fetchPartial(ctx context.Context, sess transport.UploadPackSession, adv *packp.AdvRefs, branch string, tip plumbing.Hash) (*Snapshot, error) {
	if !supportsPartial(adv.Capabilities) {
		return nil, fmt.Errorf("%w: no filter, shallow or want-by-hash capability", errNoPartial)
	}
	if !r.servesByHash(adv.Capabilities) {
		return nil, errTipsOnly
	}
	req := uploadRequest(adv.Capabilities)
	req.Wants = []plumbing.Hash{tip}
	req.Depth = packp.DepthCommits(1)
	req.Filter = packp.FilterBlobNone()
	for _, c := range []capability.Capability{capability.Shallow, capability.Filter} {
		if adv.Capabilities.Supports(c) {
			if err := req.Capabilities.Set(c); err != nil {
				return nil, err
			}
		}
	}
	st := memory.NewStorage()
	if err := r.uploadPack(ctx, sess, req, st); err != nil {
		return nil, err
	}
	if _, err := st.EncodedObject(plumbing.CommitObject, tip); err != nil {
		return nil, fmt.Errorf("%w: tip commit missing from the pack", errNoPartial)
	}
	return &Snapshot{repo: r, branch: branch, tip: tip, objects: st, partial: true, caps: adv.Capabilities}, nil
}

// uploadRequest starts an upload-pack request for a server advertising
// caps: go-git's constructor asks for side-band-64k (else side-band) when
// advertised, so the pack and the server's messages arrive on separate
// bands (uploadPack demultiplexes them); no-progress keeps band 2 quiet.
func uploadRequest(caps *capability.List) *packp.UploadPackRequest {
	req := packp.NewUploadPackRequestFromCapabilities(caps)
	if caps.Supports(capability.NoProgress) {
		_ = req.Capabilities.Set(capability.NoProgress)
	}
	return req
}

// uploadPack sends req and stores the pack it gets back in st, read
// through the side-band demultiplexer when req asked for side-band.
func (r *Repo) uploadPack(ctx context.Context, sess transport.UploadPackSession, req *packp.UploadPackRequest, st storer.EncodedObjectStorer) error {
	return r.uploadPackMax(ctx, sess, req, st, 0)
}

// uploadPackMax is uploadPack for a pack whose blobs may be at most
// maxBlob bytes (0: any size).
func (r *Repo) uploadPackMax(ctx context.Context, sess transport.UploadPackSession, req *packp.UploadPackRequest, st storer.EncodedObjectStorer, maxBlob int64) error {
	r.stats.UploadPacks++
	resp, err := sess.UploadPack(ctx, req)
	if err != nil {
		return noPartialIfRefused(err)
	}
	defer resp.Close()
	var rd io.Reader = resp
	switch {
	case req.Capabilities.Supports(capability.Sideband64k):
		rd = sideband.NewDemuxer(sideband.Sideband64k, resp)
	case req.Capabilities.Supports(capability.Sideband):
		rd = sideband.NewDemuxer(sideband.Sideband, resp)
	}
	err = r.countFetched(st, func() error {
		return storePack(rd, st, nil, packLimits{total: r.o.maxFetchBytes, blob: maxBlob})
	})
	return noPartialIfRefused(err)
}

// countFetched runs fetch and, when st is memory storage, adds the objects
// and blobs that arrived to the stats.
func (r *Repo) countFetched(st storer.EncodedObjectStorer, fetch func() error) error {
	mem, _ := st.(*memory.Storage)
	var objects, blobs int
	if mem != nil {
		objects, blobs = len(mem.Objects), len(mem.Blobs)
	}
	if err := fetch(); err != nil {
		return err
	}
	if mem != nil {
		r.stats.ObjectsFetched += len(mem.Objects) - objects
		r.stats.BlobsFetched += len(mem.Blobs) - blobs
	}
	return nil
}

// refusedPartial reports whether err is the server's own refusal of a
// partial request: an ERR packet in which git's upload-pack says it does
// not serve a want by hash ("not our ref") or the filter. go-git passes an
// ERR packet on as *pktline.ErrorLine while reading the pack, and as text
// after decodeUploadPackPrefix while reading the answer's head. Anything
// else, a network error whose URL says "filter" included, is not: it must
// not switch the rest of the run to full fetches.
func refusedPartial(err error) bool {
	var el *pktline.ErrorLine
	if errors.As(err, &el) {
		return strings.Contains(el.Text, "not our ref") || strings.Contains(el.Text, "filter")
	}
	return serverSays(err, "not our ref") || serverSays(err, "filter")
}

// fetchBlobs fetches blobs by hash into the snapshot's memory storage, in
// one upload-pack request.
func (s *Snapshot) fetchBlobs(ctx context.Context, hashes ...plumbing.Hash) error {
	r := s.repo
	ctx, cancel := r.opContext(ctx)
	defer cancel()
	st := s.objects.(*memory.Storage)
	if s.caps == nil {
		sess, err := r.v2(ctx)
		if err != nil {
			return err
		}
		return r.uploadPackV2(ctx, sess, fetchArgs{wants: hashes, maxBlob: r.o.maxFileSize}, st)
	}
	return r.uploadPackV0Max(ctx, s.caps, hashes, 0, "", st, r.o.maxFileSize)
}

// uploadPackV0 sends one protocol v0 upload-pack request on a new session
// to a server advertising caps, for wants (depth 0: no depth limit) with
// filter ("": none), and stores the pack in st.
func (r *Repo) uploadPackV0(ctx context.Context, caps *capability.List, wants []plumbing.Hash, depth int, filter packp.Filter, st storer.EncodedObjectStorer) error {
	return r.uploadPackV0Max(ctx, caps, wants, depth, filter, st, 0)
}

// uploadPackV0Max is uploadPackV0 for a pack whose blobs may be at most
// maxBlob bytes (0: any size).
func (r *Repo) uploadPackV0Max(ctx context.Context, caps *capability.List, wants []plumbing.Hash, depth int, filter packp.Filter, st storer.EncodedObjectStorer, maxBlob int64) error {
	t, err := r.transport()
	if err != nil {
		return err
	}
	sess, err := t.NewUploadPackSession(r.ep, r.auth)
	if err != nil {
		return err
	}
	defer sess.Close()
	req := uploadRequest(caps)
	req.Wants = wants
	if depth > 0 {
		req.Depth = packp.DepthCommits(depth)
		if err := req.Capabilities.Set(capability.Shallow); err != nil {
			return err
		}
	}
	if filter != "" {
		req.Filter = filter
		if err := req.Capabilities.Set(capability.Filter); err != nil {
			return err
		}
	}
	return r.uploadPackMax(ctx, sess, req, st, maxBlob)
}

// fetchFull is the fallback: a fetch of the branch's newest depth commits
// (1 for a bump's files; the rollback guard's GuardDepth when the caller
// reads that history too, so that it costs no request of its own), no
// tags, no working tree; in protocol v2 where the server speaks it, into a
// spooled pack, else go-git's own fetch into filesystem storage.
func (r *Repo) fetchFull(ctx context.Context, branch string, depth int) (*Snapshot, error) {
	r.stats.Fallbacks++
	r.stats.Path = PathFull
	tmp, err := r.tempDir()
	if err != nil {
		return nil, err
	}
	r.seq++
	dir := filepath.Join(tmp, fmt.Sprintf("fetch-%d", r.seq))
	var st io.Closer
	var snap *Snapshot
	s, err := r.v2(ctx)
	switch {
	case err == nil:
		if err = os.Mkdir(dir, 0o700); err != nil {
			return nil, err
		}
		var sp *spooledPack
		if sp, err = newSpooledPack(filepath.Join(dir, "pack")); err == nil {
			st = sp
			snap, err = r.fetchFullV2(ctx, s, sp, branch, depth)
		}
	case errors.Is(err, errNoV2):
		r.noV2Workarounds()
		fs := filesystem.NewStorage(osfs.New(dir), cache.NewObjectLRUDefault())
		st = fs
		snap, err = r.fetchFullV0(ctx, fs, branch, depth)
	}
	if err != nil {
		if st != nil {
			st.Close()
		}
		os.RemoveAll(dir)
		return nil, err
	}
	r.dropFetchDir()
	r.fetchDir, r.fetchStore = dir, st
	return snap, nil
}

// dropFetchDir removes the directory of the previous full fetch; its
// Snapshot can no longer read files.
func (r *Repo) dropFetchDir() {
	if r.fetchDir == "" {
		return
	}
	r.fetchStore.Close()
	os.RemoveAll(r.fetchDir)
	r.fetchDir, r.fetchStore = "", nil
}

func (r *Repo) fetchFullV0(ctx context.Context, st *filesystem.Storage, branch string, depth int) (*Snapshot, error) {
	repo, err := git.Init(st, nil)
	if err != nil {
		return nil, err
	}
	if _, err := repo.CreateRemote(&config.RemoteConfig{Name: "origin", URLs: []string{r.display}}); err != nil {
		return nil, err
	}
	ref := plumbing.NewBranchReferenceName(branch)
	r.stats.UploadPacks++
	err = repo.FetchContext(ctx, &git.FetchOptions{
		RemoteName: "origin",
		RefSpecs:   []config.RefSpec{config.RefSpec(fmt.Sprintf("+%s:refs/remotes/origin/%s", ref, branch))},
		Depth:      max(depth, 1),
		Tags:       git.NoTags,
		Auth:       r.auth,
	})
	if nm := (git.NoMatchingRefSpecError{}); errors.As(err, &nm) {
		return nil, r.branchNotFound(branch)
	}
	if err != nil && !errors.Is(err, git.NoErrAlreadyUpToDate) {
		return nil, err
	}
	got, err := repo.Reference(plumbing.NewRemoteReferenceName("origin", branch), true)
	if err != nil {
		return nil, err
	}
	return &Snapshot{repo: r, branch: branch, tip: got.Hash(), objects: st, gen: r.seq}, nil
}

func (r *Repo) fetchFullV2(ctx context.Context, s *v2Session, st *spooledPack, branch string, depth int) (*Snapshot, error) {
	tip, err := r.v2Tip(ctx, s, branch)
	if err != nil {
		return nil, err
	}
	if err := r.uploadPackV2(ctx, s, fetchArgs{wants: []plumbing.Hash{tip}, deepen: max(depth, 1)}, st); err != nil {
		return nil, err
	}
	if _, err := st.EncodedObject(plumbing.CommitObject, tip); err != nil {
		return nil, fmt.Errorf("%w: tip commit %s missing from the pack", ErrRace, short(tip))
	}
	return &Snapshot{repo: r, branch: branch, tip: tip, objects: st, gen: r.seq}, nil
}
