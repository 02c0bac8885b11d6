package gitrepo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/protocol/packp"
	"github.com/go-git/go-git/v5/plumbing/storer"
	"github.com/go-git/go-git/v5/storage/memory"
)

// History pages: the first page of FileHistory is small (a deployment is
// usually recent), later pages grow fourfold up to historyMaxPage commits,
// which bounds the memory one page's trees take.
const (
	historyFirstPage = 64
	historyMaxPage   = 512
	// historyMaxDeepen bounds the pages of a deepened history (see
	// deepening): they stay on disk, and each request costs the server a
	// walk of the tip's tree, so they grow further.
	historyMaxDeepen = 2048
)

// ErrNoHistory means the server cannot send history at all: it lacks the
// shallow capability, which both a history without blobs (partial fetch)
// and a deepened one with full objects need.
var ErrNoHistory = errors.New("the server cannot send history (no shallow fetch)")

// Log returns up to n commits of the branch's first-parent history, newest
// first, starting with the tip. From a server it fetches them in one
// upload-pack request of depth n with the tree:0 filter: commits only, no
// trees and no blobs. From a server that cannot filter it deepens the
// snapshot's shallow history to n commits, with full objects (see
// deepening), unless the full fetch was that deep already (FetchFor).
func (s *Snapshot) Log(ctx context.Context, n int) ([]*object.Commit, error) {
	if n < 1 {
		return nil, nil
	}
	st := s.objects
	var d *deepening
	switch {
	case s.holdsCommits(n):
	case s.fullObjects():
		var err error
		if d, err = newDeepening(s); err != nil {
			return nil, err
		}
		defer d.close()
		if err := d.deepen(ctx, n); err != nil {
			return nil, s.repo.classify("read history of", err)
		}
		st = d.store()
	default:
		var err error
		if st, err = s.historyPage(ctx, s.tip, n, packp.FilterTreeDepth(0)); err != nil {
			return nil, s.repo.classify("read history of", err)
		}
	}
	var out []*object.Commit
	err := firstParents(st, s.tip, n, func(c *object.Commit) error {
		if d != nil {
			var err error
			if c, err = detached(st, c); err != nil {
				return err
			}
		}
		out = append(out, c)
		return nil
	})
	return out, err
}

// fullObjects reports whether history comes with full objects: the
// snapshot is from a full fetch (the server cannot filter).
func (s *Snapshot) fullObjects() bool { return s.repo.local == nil && !s.partial }

// PrefetchWithLog is Prefetch that also brings the newest depth commits
// of history (without trees), all in one upload-pack request, so that
// ReadFile of those paths and Log of up to depth commits then send no
// request of their own. It does nothing for a local clone or a snapshot
// from a full fetch. An error leaves the snapshot as it was: ReadFile and
// Log fetch as usual.
func (s *Snapshot) PrefetchWithLog(ctx context.Context, depth int, paths ...string) error {
	st, ok := s.objects.(*memory.Storage)
	if s.repo.local != nil || !s.partial || !ok {
		return nil
	}
	wants := []plumbing.Hash{s.tip}
	seen := map[plumbing.Hash]bool{}
	for _, p := range paths {
		p, err := cleanPath(p)
		if err != nil {
			continue
		}
		e, err := s.entry(p)
		if err != nil || !e.Mode.IsFile() || seen[e.Hash] {
			continue
		}
		seen[e.Hash] = true
		if _, err := st.EncodedObject(plumbing.BlobObject, e.Hash); err != nil {
			wants = append(wants, e.Hash)
		}
	}
	if s.holdsCommits(depth) {
		// FetchFor brought the history already.
		wants, depth = wants[1:], 0
		if len(wants) == 0 {
			return nil
		}
	}
	got := newCollected()
	if err := s.fetchMoreMax(ctx, got, wants, depth, packp.FilterTreeDepth(0), s.repo.o.maxFileSize); err != nil {
		return s.repo.classify("prefetch from", err)
	}
	for _, obj := range got.objects {
		switch obj.Type() {
		case plumbing.BlobObject:
			s.repo.stats.BlobsFetched++
		case plumbing.CommitObject:
		default:
			continue
		}
		s.repo.stats.ObjectsFetched++
		if _, err := st.SetEncodedObject(obj); err != nil {
			return err
		}
	}
	return nil
}

// holdsCommits reports whether the snapshot's storage already has n
// commits of first-parent history from the tip (or all of it).
func (s *Snapshot) holdsCommits(n int) bool {
	if s.repo.local != nil {
		return true
	}
	h := s.tip
	for i := 0; i < n; i++ {
		c, err := object.GetCommit(s.objects, h)
		if err != nil {
			return false
		}
		if len(c.ParentHashes) == 0 {
			return true
		}
		h = c.ParentHashes[0]
	}
	return true
}

// FileCommit is a commit of the first-parent history in which the blob at
// a path differs from the one in the commit's first parent.
type FileCommit struct {
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
// read the blobs with ReadBlobs. From a server that cannot filter, the
// pages are a shallow fetch deepened step by step, with full objects (see
// deepening); the blobs of the changes are kept for ReadBlobs.
func (s *Snapshot) FileHistory(ctx context.Context, p string, n, max int) ([]FileCommit, error) {
	h, err := s.FileHistories(ctx, []string{p}, n, max)
	if err != nil {
		return nil, err
	}
	p, _ = cleanPath(p)
	return h[p], nil
}

// FileHistories is FileHistory for several files in one walk of the
// history: the pages are fetched once for all of them, and the walk goes
// on until each file has n changes (or the root, or max commits). The
// result is keyed by each path as cleanPath writes it.
func (s *Snapshot) FileHistories(ctx context.Context, paths []string, n, max int) (map[string][]FileCommit, error) {
	// fileWalk is one file's state: the commit after the current one,
	// in walk order, and the file's blob there.
	type fileWalk struct {
		p         string
		w         *pathWalker
		out       []FileCommit
		newer     *object.Commit
		newerBlob plumbing.Hash
		onPage    bool // newer is decoded from the current page, not detached yet
		// all: the file's walk goes on to the root (or max) past n
		// changes, since the whole history is fetched (see wholeWalks).
		all bool
	}
	if out, ok := s.cachedHistories(paths, n, max); ok {
		return out, nil
	}
	var files []*fileWalk
	for _, p := range paths {
		p, err := cleanPath(p)
		if err != nil {
			return nil, err
		}
		if !slices.ContainsFunc(files, func(f *fileWalk) bool { return f.p == p }) {
			files = append(files, &fileWalk{p: p})
		}
	}
	// more reports whether f's walk goes on.
	more := func(f *fileWalk) bool { return len(f.out) < n || f.all && len(f.out) < wholeKeep(n) }
	done := func() bool {
		return !slices.ContainsFunc(files, more)
	}
	start, page, walked := s.tip, historyFirstPage, 0
	stop := errors.New("done")
	var d *deepening
	if s.fullObjects() {
		var err error
		if d, err = newDeepening(s); err != nil {
			return nil, err
		}
		defer d.close()
	}
	var whole *wholeHistory
	defer func() { whole.close() }()
	for !start.IsZero() && len(files) > 0 {
		if max > 0 {
			page = min(page, max-walked)
		}
		var st storer.EncodedObjectStorer
		var err error
		switch {
		case whole == nil && s.repo.local == nil && walked >= s.wholeAfter(d != nil) && (max == 0 || max-walked > historyMaxPage):
			var paths []string
			for _, f := range files {
				paths = append(paths, f.p)
			}
			restore := wholeMemoryLimit()
			defer restore()
			if whole, err = s.fetchWholeHistory(ctx, d, paths); err == nil {
				for _, f := range files {
					f.all = len(f.out) < n
				}
				st, page = whole.store, math.MaxInt
				if max > 0 {
					page = max - walked
				}
			}
		case d != nil:
			st, err = s.deepenedPage(ctx, d, start, walked, page)
		default:
			st, err = s.historyPage(ctx, start, page, packp.FilterBlobNone())
		}
		if err != nil {
			return nil, s.repo.classify("read history of", err)
		}
		for i, f := range files {
			f.w = newPathWalker(st, f.p)
			if whole != nil {
				f.w.index, f.w.path = whole.index, i
			}
		}
		next := plumbing.ZeroHash
		err = firstParents(st, start, page, func(c *object.Commit) error {
			walked++
			for _, f := range files {
				if !more(f) {
					continue
				}
				blob, err := f.w.blobAt(c)
				if err != nil {
					return err
				}
				if f.newer != nil && blob != f.newerBlob {
					kept := f.newer
					if f.onPage {
						if kept, err = detached(st, f.newer); err != nil {
							return err
						}
					}
					f.out = append(f.out, FileCommit{Commit: kept, Old: blob, New: f.newerBlob})
				}
				f.newer, f.newerBlob, f.onPage = c, blob, true
			}
			if done() {
				return stop
			}
			next = plumbing.ZeroHash
			if len(c.ParentHashes) > 0 {
				next = c.ParentHashes[0]
			}
			return nil
		})
		if errors.Is(err, stop) {
			break
		}
		if err != nil {
			return nil, err
		}
		if max > 0 && walked >= max {
			break
		}
		if whole != nil && !next.IsZero() {
			return nil, fmt.Errorf("history of %s: commit %s missing from the whole history", s.repo.display, short(next))
		}
		for _, f := range files {
			f.w = nil // the page goes before the next one comes
			if f.onPage {
				if f.newer, err = detached(st, f.newer); err != nil {
					return nil, err
				}
				f.onPage = false
			}
		}
		limit := historyMaxPage
		if d != nil {
			limit = historyMaxDeepen
		}
		start, page = next, min(4*page, limit)
		if start.IsZero() {
			// The root commit: it changed a file when it has it.
			for _, f := range files {
				if f.newer != nil && !f.newerBlob.IsZero() && more(f) {
					f.out = append(f.out, FileCommit{Commit: f.newer, New: f.newerBlob})
				}
			}
		}
	}
	out := make(map[string][]FileCommit, len(files))
	var blobs []plumbing.Hash
	for _, f := range files {
		out[f.p] = f.out[:min(n, len(f.out))]
		if f.all {
			s.cacheHistory(f.p, max, f.out, len(f.out) < wholeKeep(n))
		}
		for _, c := range f.out {
			blobs = append(blobs, c.Old, c.New)
		}
	}
	if d != nil {
		// The pages go: ReadBlobs finds the changes' blobs in the
		// snapshot.
		st := d.store()
		if whole != nil {
			st = whole.store
		}
		if err := d.keepBlobs(st, blobs); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// historyKey names a file's history in a Snapshot's cache of them.
type historyKey struct {
	path string
	max  int
}

// cachedHistories returns FileHistories' answer from the snapshot's cache
// when it holds every path's history down to the root (or max): a walk
// that fetched the whole history (wholeWalks) went on to the end of it,
// so that a later call asking for more changes, as a filter on them
// does (bump's deploymentsWithin), does not fetch it again.
func (s *Snapshot) cachedHistories(paths []string, n, max int) (map[string][]FileCommit, bool) {
	s.histMu.Lock()
	defer s.histMu.Unlock()
	out := make(map[string][]FileCommit, len(paths))
	for _, p := range paths {
		p, err := cleanPath(p)
		if err != nil {
			return nil, false
		}
		h, ok := s.histories[historyKey{p, max}]
		if !ok || !h.complete && n > len(h.changes) {
			return nil, false
		}
		out[p] = h.changes[:min(n, len(h.changes))]
	}
	return out, true
}

// cacheHistory keeps the history of p within max commits that a walk of
// the whole history read: complete when it reached the root (or max),
// else its newest changes only.
func (s *Snapshot) cacheHistory(p string, max int, h []FileCommit, complete bool) {
	s.histMu.Lock()
	defer s.histMu.Unlock()
	if s.histories == nil {
		s.histories = map[historyKey]cachedHistory{}
	}
	s.histories[historyKey{p, max}] = cachedHistory{changes: slices.Clip(h), complete: complete}
}

// cachedHistory is a file's history kept by cacheHistory.
type cachedHistory struct {
	changes  []FileCommit
	complete bool
}

// wholeKeep bounds how many changes a walk of the whole history keeps
// for later calls when n were asked for: as many as the next, larger
// question of bump's deploymentsWithin (4n). A file changed in every
// commit would otherwise keep every change's blobs in memory.
func wholeKeep(n int) int { return 4 * max(n, 1) }

// wholeAfter is how many commits FileHistories reads page by page before
// it fetches the rest of the history at once (fetchWholeHistory): with
// full objects (deepened pages, on disk) two pages, most often enough for
// a file deployed every few days; without blobs one, as a page of
// commits and trees is held in memory (a tree per commit: 20 MB for 256
// commits of a 2,000-chart repository) and the whole history is not.
func (s *Snapshot) wholeAfter(fullObjects bool) int {
	if fullObjects {
		return historyFirstPage * 5
	}
	return historyFirstPage
}

// wholeHistory is the whole history of a snapshot's tip, fetched in one
// request and spooled to a file.
type wholeHistory struct {
	dir   string
	pack  *spooledPack
	store storer.EncodedObjectStorer // the pack, over the snapshot's own objects
	index *pathIndex                 // the entries on the paths walked
}

func (w *wholeHistory) close() {
	if w == nil {
		return
	}
	w.pack.Close()
	os.RemoveAll(w.dir)
}

// wholeCache is the most a whole history's cache holds: a walk reads
// each tree once, a delta's base mostly just before it, and the trees
// are noted as they arrive (pathIndex).
const wholeCache = 2 << 20

// The limits of a whole history's fetch (wholeHistoryLimits): its trees
// inflate to far more than one tip's (20,000 commits of a 2,000-chart
// repository: 1.5 GB, 97,000 objects, none over 80 KB), but the pack
// never moves its own limits.
const (
	// wholeHistoryFactor: the whole history may inflate to this many
	// times --max-fetch-bytes (4 GiB by default). It is inflated and
	// hashed as it arrives, not held: the bound is on time, a zip bomb
	// fails after a few seconds.
	wholeHistoryFactor = 8
	// wholeObjectShare: no object of it, nor the result of a delta, may
	// take more than --max-fetch-bytes/wholeObjectShare (64 MiB by
	// default), checked before it is allocated.
	wholeObjectShare = 8
)

// wholeHistoryLimits returns the limits of a whole history's pack, from
// the fetch's (maxFetch, --max-fetch-bytes): wholeHistoryFactor times it
// in all, no object over maxFetch/wholeObjectShare, and no more objects
// than one fetch of maxFetch may hold (maxFetch/objectCost, 2 Mi by
// default: the index takes about 100 bytes an object).
func wholeHistoryLimits(maxFetch int64) packLimits {
	if maxFetch <= 0 {
		maxFetch = DefaultMaxFetchBytes
	}
	return packLimits{
		total:   min(maxFetch, math.MaxInt64/wholeHistoryFactor) * wholeHistoryFactor,
		object:  maxFetch / wholeObjectShare,
		objects: maxFetch / objectCost,
	}
}

// fetchWholeHistory fetches the whole history of the tip in one
// upload-pack request without depth, as git clone does: with full objects
// from a server that cannot filter (d, the pages read so far, is not nil
// then), commits and trees only (blob:none) from one that can. Paging on
// costs a request per page, and each makes the server walk the history
// down to the boundary; a request for everything lets it send the pack it
// has on disk. The pack goes to a file and its objects are read back
// through a cache bounded in bytes (spooledPack.indexOnly): memory holds
// its index, an entry per object, not its trees.
func (s *Snapshot) fetchWholeHistory(ctx context.Context, d *deepening, paths []string) (*wholeHistory, error) {
	r := s.repo
	tmp, err := r.tempDir()
	if err != nil {
		return nil, err
	}
	w := &wholeHistory{}
	if w.dir, err = os.MkdirTemp(tmp, "whole-"); err != nil {
		return nil, err
	}
	if w.pack, err = newSpooledPack(filepath.Join(w.dir, "pack")); err != nil {
		os.RemoveAll(w.dir)
		return nil, err
	}
	w.pack.indexOnly, w.pack.whole = true, true
	w.pack.cache = newByteLRU(wholeCache)
	if d != nil {
		d.cache.reset() // the pages' trees: the walk goes on in the whole
	}
	w.index = newPathIndex(paths)
	w.pack.seen = w.index.seen
	wants := []plumbing.Hash{s.tip}
	if d == nil {
		err = s.fetchMore(ctx, w.pack, wants, 0, packp.FilterBlobNone())
	} else {
		err = s.fetchFullHistory(ctx, w.pack)
	}
	if err == nil {
		if _, err = w.pack.EncodedObject(plumbing.CommitObject, s.tip); err != nil {
			err = fmt.Errorf("%w: tip commit %s missing from the history's pack", ErrRace, short(s.tip))
		}
	}
	if err != nil {
		w.close()
		return nil, err
	}
	w.store, w.pack.seen = w.pack, nil
	w.index.want = nil
	if d != nil {
		w.store = layered{w.pack, d.store()}
	}
	return w, nil
}

// fetchFullHistory is fetchWholeHistory's request to a server that cannot
// filter: the tip, all of it.
func (s *Snapshot) fetchFullHistory(ctx context.Context, st *spooledPack) error {
	r := s.repo
	ctx, cancel := r.opContext(ctx)
	defer cancel()
	sess, err := r.v2(ctx)
	if err == nil {
		return r.uploadPackV2(ctx, sess, fetchArgs{wants: []plumbing.Hash{s.tip}}, st)
	}
	if !errors.Is(err, errNoV2) {
		return err
	}
	adv, v0, err := r.advertise(ctx, false)
	if err != nil {
		return err
	}
	defer v0.Close()
	req := uploadRequest(adv.Capabilities)
	req.Wants = []plumbing.Hash{s.tip}
	err = r.uploadPack(ctx, v0, req, st)
	if err != nil && refusedPartial(err) {
		// "not our ref": the branch moved on since the snapshot.
		return fmt.Errorf("%w: the branch moved while its history was read: %w", ErrRace, err)
	}
	return err
}

// deepenedPage returns storage holding page commits of first-parent
// history from start, walked commits below the tip, from a snapshot with
// full objects: the snapshot itself when it holds them (a full fetch as
// deep as the rollback guard reads), else after deepening the history.
func (s *Snapshot) deepenedPage(ctx context.Context, d *deepening, start plumbing.Hash, walked, page int) (storer.EncodedObjectStorer, error) {
	if !d.holds(start, page) {
		if err := d.deepen(ctx, walked+page); err != nil {
			return nil, err
		}
		if _, ok := d.parents[start]; !ok {
			return nil, fmt.Errorf("history of %s: commit %s missing after deepening to %d commits", s.repo.display, short(start), walked+page)
		}
	}
	return d.store(), nil
}

// detached returns c, read from st, decoded again on storage that holds
// it alone: a commit decoded from a history page keeps the whole page,
// every tree of up to historyMaxPage commits, from the garbage collector.
// Its tree and parents are out of its reach; nothing reads them.
func detached(st storer.EncodedObjectStorer, c *object.Commit) (*object.Commit, error) {
	if c == nil {
		return nil, nil
	}
	o, err := st.EncodedObject(plumbing.CommitObject, c.Hash)
	if err != nil {
		return nil, err
	}
	own := memory.NewStorage()
	if _, err := own.SetEncodedObject(o); err != nil {
		return nil, err
	}
	return object.DecodeCommit(own, o)
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
		if s.kept[h] != nil {
			continue
		}
		if _, err := s.objects.EncodedObject(plumbing.BlobObject, h); err != nil {
			want = append(want, h)
		}
	}
	src := s.objects
	if len(want) > 0 && s.repo.local == nil {
		st := memory.NewStorage()
		if err := s.fetchMore(ctx, st, want, 0, ""); err != nil {
			return nil, s.repo.classify("read history of", err)
		}
		src = st
	}
	for h := range seen {
		obj, err := s.objects.EncodedObject(plumbing.BlobObject, h)
		if o := s.kept[h]; o != nil {
			obj, err = o, nil
		}
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
	if err := s.fetchMore(ctx, st, []plumbing.Hash{start}, depth, filter); err != nil {
		return nil, err
	}
	return st, nil
}

// fetchMore fetches objects beyond the snapshot: one upload-pack request
// for wants (depth 0: no depth limit) with filter ("" for none), its pack
// stored in st.
func (s *Snapshot) fetchMore(ctx context.Context, st storer.EncodedObjectStorer, wants []plumbing.Hash, depth int, filter packp.Filter) error {
	return s.fetchMoreMax(ctx, st, wants, depth, filter, 0)
}

// fetchMoreMax is fetchMore refusing a pack with a blob above maxBlob
// bytes (0: any size), as Prefetch does.
func (s *Snapshot) fetchMoreMax(ctx context.Context, st storer.EncodedObjectStorer, wants []plumbing.Hash, depth int, filter packp.Filter, maxBlob int64) error {
	r := s.repo
	caps := s.caps
	if caps == nil && s.partial {
		// A snapshot from the v2 path: its session serves the history too.
		return s.fetchMoreV2(ctx, st, wants, depth, filter, maxBlob)
	}
	if caps == nil && r.noPartial {
		// The fallback path, taken because the server refused a
		// filter or a want by id: a history page needs both.
		return fmt.Errorf("%s: %w", r.display, ErrNoHistory)
	}
	if caps == nil {
		// A snapshot from the fallback path: ask the server afresh.
		adv, sess, err := r.advertise(ctx, false)
		if err != nil {
			return err
		}
		sess.Close()
		caps = adv.Capabilities
	}
	if !supportsPartial(caps) {
		return fmt.Errorf("%s: %w", r.display, ErrNoHistory)
	}
	if !r.servesByHash(caps) {
		return fmt.Errorf("%s: %w: %w", r.display, ErrNoHistory, errTipsOnly)
	}
	ctx, cancel := r.opContext(ctx)
	defer cancel()
	err := r.uploadPackV0Max(ctx, caps, wants, depth, filter, st, maxBlob)
	if errors.Is(err, errNoPartial) {
		return fmt.Errorf("%s: %w: %w", r.display, ErrNoHistory, err)
	}
	return err
}

// fetchMoreV2 is fetchMore for a snapshot that a protocol v2 fetch made.
func (s *Snapshot) fetchMoreV2(ctx context.Context, st storer.EncodedObjectStorer, wants []plumbing.Hash, depth int, filter packp.Filter, maxBlob int64) error {
	r := s.repo
	ctx, cancel := r.opContext(ctx)
	defer cancel()
	sess, err := r.v2(ctx)
	if err == nil && depth > 0 {
		sess, err = r.v2ForDeepen(ctx)
	}
	if err != nil {
		return err
	}
	if !sess.caps.filter() {
		return fmt.Errorf("%s: %w", r.display, ErrNoHistory)
	}
	err = r.uploadPackV2(ctx, sess, fetchArgs{wants: wants, deepen: depth, filter: filter, maxBlob: maxBlob}, st)
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

// pathWalker finds the blob at one path in commit trees, reading each
// tree's raw entries for just the name it needs and skipping subtrees that
// did not change since the previous commit it looked at.
type pathWalker struct {
	st    storer.EncodedObjectStorer
	names []string
	// index, when not nil, holds entries noted as the pack arrived:
	// those of path number path are this walker's.
	index *pathIndex
	path  int
	// last holds, per level, the tree hash seen last and what it gave.
	last []struct{ tree, child plumbing.Hash }
}

func newPathWalker(st storer.EncodedObjectStorer, p string) *pathWalker {
	names := strings.Split(p, "/")
	return &pathWalker{st: st, names: names, last: make([]struct{ tree, child plumbing.Hash }, len(names))}
}

// blobAt returns the hash of the blob at the walker's path in c's tree,
// zero when there is none (or the path is not a file there).
func (w *pathWalker) blobAt(c *object.Commit) (plumbing.Hash, error) {
	h := c.TreeHash
	for i, name := range w.names {
		if w.last[i].tree == h && !h.IsZero() {
			h = w.last[i].child
			continue
		}
		var child plumbing.Hash
		var mode filemode.FileMode
		var err error
		if e, ok := w.index.entry(h, w.path, i); ok {
			child, mode = e.id, e.mode
		} else {
			child, mode, err = w.entry(h, name)
		}
		if err != nil {
			return plumbing.ZeroHash, fmt.Errorf("read tree of %s: %w", short(c.Hash), err)
		}
		last := i == len(w.names)-1
		if (!last && mode != filemode.Dir) || (last && !mode.IsFile()) {
			child = plumbing.ZeroHash
		}
		w.last[i].tree, w.last[i].child = h, child
		h = child
		if h.IsZero() {
			return h, nil
		}
	}
	return h, nil
}

// entry finds name in the raw tree tree.
func (w *pathWalker) entry(tree plumbing.Hash, name string) (plumbing.Hash, filemode.FileMode, error) {
	raw, err := objectContent(w.st, plumbing.TreeObject, tree)
	if err != nil {
		return plumbing.ZeroHash, 0, err
	}
	e, ok, err := rawEntryNamed(raw, name)
	if err != nil || !ok {
		return plumbing.ZeroHash, 0, err
	}
	return e.id(raw), e.mode, nil
}
