package gitrepo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/go-git/go-billy/v5/osfs"
	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/cache"
	"github.com/go-git/go-git/v5/plumbing/format/packfile"
	"github.com/go-git/go-git/v5/plumbing/format/pktline"
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
// HEAD that names no branch is an error wrapping ErrNotFound.
func (r *Repo) DefaultBranch(ctx context.Context) (string, error) {
	if r.local != nil {
		return r.localDefaultBranch()
	}
	ctx, cancel := r.opContext(ctx)
	defer cancel()
	adv, sess, err := r.advertise(ctx)
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

func (r *Repo) advertise(ctx context.Context) (*packp.AdvRefs, transport.UploadPackSession, error) {
	t, err := r.transport()
	if err != nil {
		return nil, nil, err
	}
	sess, err := t.NewUploadPackSession(r.ep, r.auth)
	if err != nil {
		return nil, nil, err
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
	partial bool // blobs are fetched on demand
	gen     int  // Repo.seq of the full fetch whose directory holds objects (0: memory)
	caps    *capability.List
}

// Tip returns the commit the branch pointed at when it was fetched.
func (s *Snapshot) Tip() plumbing.Hash { return s.tip }

// Fetch fetches the tip of branch: one depth-1 upload-pack request with
// the blob:none filter, so only the commit and its trees arrive. When the
// server cannot filter, and always for Azure DevOps, it falls back to a full
// depth-1 fetch of the branch into fresh filesystem storage in the private
// temporary directory. A full fetch replaces the directory of the previous
// one: the Snapshot it returned can no longer read files (ReadFile returns
// an error), so use the newest Snapshot only. An error wrapping ErrRace
// (e.g. objects the server no longer has: the branch moved mid-fetch) means
// fetch again, as after a lost push.
func (r *Repo) Fetch(ctx context.Context, branch string) (*Snapshot, error) {
	if r.local != nil {
		return r.fetchLocal(branch)
	}
	ctx, cancel := r.opContext(ctx)
	defer cancel()
	subject := "fetch"
	adv, sess, err := r.advertise(ctx)
	if err != nil {
		return nil, r.classify(subject, err)
	}
	defer sess.Close()
	ref := plumbing.NewBranchReferenceName(branch)
	tip, ok := adv.References[ref.String()]
	if !ok {
		return nil, fmt.Errorf("fetch %s: branch %q: %w: check --branch, or create the branch first", r.display, branch, ErrNotFound)
	}
	if !r.noPartial {
		snap, err := r.fetchPartial(ctx, sess, adv, branch, tip)
		if err == nil {
			return snap, nil
		}
		if !errors.Is(err, errNoPartial) {
			return nil, r.classify(subject, err)
		}
		r.noPartial = true
		r.debug("partial fetch unavailable, falling back to a full depth-1 fetch", "branch", branch, "reason", err.Error())
	}
	snap, err := r.fetchFull(ctx, branch)
	if err != nil {
		return nil, r.classify(subject, err)
	}
	return snap, nil
}

func supportsPartial(caps *capability.List) bool {
	return caps.Supports(capability.Filter) && caps.Supports(capability.Shallow) &&
		(caps.Supports(capability.AllowReachableSHA1InWant) || caps.Supports(capability.AllowTipSHA1InWant))
}

func (r *Repo) fetchPartial(ctx context.Context, sess transport.UploadPackSession, adv *packp.AdvRefs, branch string, tip plumbing.Hash) (*Snapshot, error) {
	if !supportsPartial(adv.Capabilities) {
		return nil, fmt.Errorf("%w: no filter, shallow or want-by-hash capability", errNoPartial)
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
func (r *Repo) uploadPack(ctx context.Context, sess transport.UploadPackSession, req *packp.UploadPackRequest, st *memory.Storage) error {
	r.stats.UploadPacks++
	resp, err := sess.UploadPack(ctx, req)
	if err != nil {
		if refusedPartial(err) {
			return fmt.Errorf("%w: %w", errNoPartial, err)
		}
		return err
	}
	defer resp.Close()
	var rd io.Reader = resp
	switch {
	case req.Capabilities.Supports(capability.Sideband64k):
		rd = sideband.NewDemuxer(sideband.Sideband64k, resp)
	case req.Capabilities.Supports(capability.Sideband):
		rd = sideband.NewDemuxer(sideband.Sideband, resp)
	}
	before := len(st.Objects)
	blobsBefore := len(st.Blobs)
	if err := packfile.UpdateObjectStorage(st, rd); err != nil {
		if refusedPartial(err) {
			return fmt.Errorf("%w: %w", errNoPartial, err)
		}
		return err
	}
	r.stats.ObjectsFetched += len(st.Objects) - before
	r.stats.BlobsFetched += len(st.Blobs) - blobsBefore
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
	t, err := r.transport()
	if err != nil {
		return err
	}
	sess, err := t.NewUploadPackSession(r.ep, r.auth)
	if err != nil {
		return err
	}
	defer sess.Close()
	req := uploadRequest(s.caps)
	req.Wants = hashes
	return r.uploadPack(ctx, sess, req, s.objects.(*memory.Storage))
}

// fetchFull is the fallback: go-git's own depth-1 single-branch fetch into
// filesystem storage, no tags, no working tree.
func (r *Repo) fetchFull(ctx context.Context, branch string) (*Snapshot, error) {
	r.stats.Fallbacks++
	tmp, err := r.tempDir()
	if err != nil {
		return nil, err
	}
	r.seq++
	dir := filepath.Join(tmp, fmt.Sprintf("fetch-%d", r.seq))
	st := filesystem.NewStorage(osfs.New(dir), cache.NewObjectLRUDefault())
	snap, err := r.fetchFullInto(ctx, st, branch)
	if err != nil {
		st.Close()
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

func (r *Repo) fetchFullInto(ctx context.Context, st *filesystem.Storage, branch string) (*Snapshot, error) {
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
		Depth:      1,
		Tags:       git.NoTags,
		Auth:       r.auth,
	})
	if err != nil && !errors.Is(err, git.NoErrAlreadyUpToDate) {
		return nil, err
	}
	got, err := repo.Reference(plumbing.NewRemoteReferenceName("origin", branch), true)
	if err != nil {
		return nil, err
	}
	return &Snapshot{repo: r, branch: branch, tip: got.Hash(), objects: st, gen: r.seq}, nil
}
