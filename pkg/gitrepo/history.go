package gitrepo

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/protocol/packp"
	"github.com/go-git/go-git/v5/plumbing/protocol/packp/capability"
	"github.com/go-git/go-git/v5/plumbing/storer"
	"github.com/go-git/go-git/v5/storage/memory"
)

// History pages: the first page of FileHistory is small (a deployment is
// usually recent), later pages double up to historyMaxPage commits, which
// bounds the memory one page's trees take.
const (
	historyFirstPage = 64
	historyMaxPage   = 1024
)

// ErrNoHistory means the server cannot send history without blobs (it
// lacks the filter, shallow or want-by-hash capabilities).
var ErrNoHistory = errors.New("the server cannot send history without blobs (partial fetch)")

// Log returns up to n commits of the branch's first-parent history, newest
// first, starting with the tip. From a server it fetches them in one
// upload-pack request of depth n with the tree:0 filter: commits only, no
// trees and no blobs.
func (s *Snapshot) Log(ctx context.Context, n int) ([]*object.Commit, error) {
	if n < 1 {
		return nil, nil
	}
	st, err := s.historyPage(ctx, s.tip, n, packp.FilterTreeDepth(0))
	if err != nil {
		return nil, s.repo.classify("read history of", err)
	}
	var out []*object.Commit
	err = firstParents(st, s.tip, n, func(c *object.Commit) error {
		out = append(out, c)
		return nil
	})
	return out, err
}

// FileChange is a commit of the first-parent history in which the blob at
// a path differs from the one in the commit's first parent.
type FileChange struct {
	Commit *object.Commit
	// Old and New are the file's blobs before and after the commit; zero
	// where the file did not exist.
	Old, New plumbing.Hash
}

// FileHistory returns the newest n commits of the branch's first-parent
// history that changed the file at p (added, modified or deleted it),
// newest first. It stops at the root commit or after max commits (0: no
// limit). From a server it fetches commits and trees without blobs
// (blob:none), in pages of growing depth, one upload-pack request each;
// read the blobs with ReadBlobs.
func (s *Snapshot) FileHistory(ctx context.Context, p string, n, max int) ([]FileChange, error) {
	p, err := cleanPath(p)
	if err != nil {
		return nil, err
	}
	var out []FileChange
	var newer *object.Commit // the commit after the current one, in walk order
	var newerBlob plumbing.Hash
	start, page, walked := s.tip, historyFirstPage, 0
	done := errors.New("done")
	for !start.IsZero() {
		if max > 0 {
			page = min(page, max-walked)
		}
		st, err := s.historyPage(ctx, start, page, packp.FilterBlobNone())
		if err != nil {
			return nil, s.repo.classify("read history of", err)
		}
		next := plumbing.ZeroHash
		err = firstParents(st, start, page, func(c *object.Commit) error {
			walked++
			blob, err := blobAt(st, c, p)
			if err != nil {
				return err
			}
			if newer != nil && blob != newerBlob {
				out = append(out, FileChange{Commit: newer, Old: blob, New: newerBlob})
			}
			newer, newerBlob = c, blob
			if len(out) >= n {
				return done
			}
			next = plumbing.ZeroHash
			if len(c.ParentHashes) > 0 {
				next = c.ParentHashes[0]
			}
			return nil
		})
		if errors.Is(err, done) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		if max > 0 && walked >= max {
			return out, nil
		}
		start, page = next, min(2*page, historyMaxPage)
	}
	// The root commit: it changed the file when it has it.
	if newer != nil && !newerBlob.IsZero() {
		out = append(out, FileChange{Commit: newer, New: newerBlob})
	}
	return out, nil
}

// ReadBlobs returns the content of each blob, fetched from a server in one
// upload-pack request. A zero hash reads as nil.
func (s *Snapshot) ReadBlobs(ctx context.Context, hashes []plumbing.Hash) (map[plumbing.Hash][]byte, error) {
	out := map[plumbing.Hash][]byte{}
	var want []plumbing.Hash
	seen := map[plumbing.Hash]bool{}
	for _, h := range hashes {
		if h.IsZero() || seen[h] {
			continue
		}
		seen[h] = true
		if _, err := s.objects.EncodedObject(plumbing.BlobObject, h); err != nil {
			want = append(want, h)
		}
	}
	src := s.objects
	if len(want) > 0 && s.repo.local == nil {
		st := memory.NewStorage()
		if err := s.fetchInto(ctx, st, want, 0, ""); err != nil {
			return nil, s.repo.classify("read history of", err)
		}
		src = st
	}
	for h := range seen {
		obj, err := s.objects.EncodedObject(plumbing.BlobObject, h)
		if errors.Is(err, plumbing.ErrObjectNotFound) {
			obj, err = src.EncodedObject(plumbing.BlobObject, h)
		}
		if err != nil {
			return nil, fmt.Errorf("read blob %s from %s: %w", short(h), s.repo.display, err)
		}
		if limit := s.repo.o.maxFileSize; limit > 0 && obj.Size() > limit {
			return nil, fmt.Errorf("read blob %s: %w: %d bytes, the limit is %d", short(h), ErrTooLarge, obj.Size(), limit)
		}
		rc, err := obj.Reader()
		if err != nil {
			return nil, err
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			return nil, err
		}
		out[h] = b
	}
	return out, nil
}

// historyPage returns storage holding up to depth commits of history from
// start (and what filter lets through). A local clone's own storage holds
// it all already.
func (s *Snapshot) historyPage(ctx context.Context, start plumbing.Hash, depth int, filter packp.Filter) (storer.EncodedObjectStorer, error) {
	if s.repo.local != nil {
		return s.objects, nil
	}
	st := memory.NewStorage()
	if err := s.fetchInto(ctx, st, []plumbing.Hash{start}, depth, filter); err != nil {
		return nil, err
	}
	return st, nil
}

// fetchInto sends one upload-pack request for wants (depth 0: no depth
// limit) with filter ("" for none) and stores the pack in st.
func (s *Snapshot) fetchInto(ctx context.Context, st *memory.Storage, wants []plumbing.Hash, depth int, filter packp.Filter) error {
	r := s.repo
	caps := s.caps
	if caps == nil {
		// A snapshot from the fallback path: ask the server afresh.
		adv, sess, err := r.advertise(ctx)
		if err != nil {
			return err
		}
		sess.Close()
		caps = adv.Capabilities
	}
	if !supportsPartial(caps) {
		return fmt.Errorf("%s: %w", r.display, ErrNoHistory)
	}
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
	err = r.uploadPack(ctx, sess, req, st)
	if errors.Is(err, errNoPartial) {
		return fmt.Errorf("%s: %w: %w", r.display, ErrNoHistory, err)
	}
	return err
}

// firstParents calls fn for up to n commits of the first-parent chain from
// start that st holds, newest first; it stops early when fn returns an
// error or a commit is missing (the page's shallow boundary).
func firstParents(st storer.EncodedObjectStorer, start plumbing.Hash, n int, fn func(*object.Commit) error) error {
	h := start
	for i := 0; i < n && !h.IsZero(); i++ {
		c, err := object.GetCommit(st, h)
		if errors.Is(err, plumbing.ErrObjectNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := fn(c); err != nil {
			return err
		}
		h = plumbing.ZeroHash
		if len(c.ParentHashes) > 0 {
			h = c.ParentHashes[0]
		}
	}
	return nil
}

// blobAt returns the hash of the blob at p in c's tree, zero when there is
// none (or p is not a file).
func blobAt(st storer.EncodedObjectStorer, c *object.Commit, p string) (plumbing.Hash, error) {
	t, err := object.GetTree(st, c.TreeHash)
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("read tree of %s: %w", short(c.Hash), err)
	}
	e, err := t.FindEntry(p)
	if errors.Is(err, object.ErrEntryNotFound) || errors.Is(err, object.ErrDirectoryNotFound) {
		return plumbing.ZeroHash, nil
	}
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("read tree of %s: %w", short(c.Hash), err)
	}
	if !e.Mode.IsFile() {
		return plumbing.ZeroHash, nil
	}
	return e.Hash, nil
}
