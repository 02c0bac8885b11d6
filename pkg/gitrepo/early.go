package gitrepo

import (
	"bytes"
	"context"
	"slices"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/protocol/packp"
	"github.com/go-git/go-git/v5/storage/memory"
)

// FetchFor is Fetch for a reader of the files at paths that also wants
// the newest depth commits (0: none), as PrefetchWithLog fetches them
// afterwards. Over HTTP in protocol v2 the request for them does not wait
// for the tip's trees to be read: it goes out as soon as the trees on the
// paths have arrived, while the rest of them, an entry per chart, is
// still being read. The snapshot then holds the blobs and the commits, so
// ReadFile, Prefetch, PrefetchWithLog and Log send no request of their
// own. Elsewhere, or when that request fails, it is Fetch.
func (r *Repo) FetchFor(ctx context.Context, branch string, depth int, paths ...string) (*Snapshot, error) {
	return r.fetch(ctx, branch, &fetchWant{paths: paths, depth: depth})
}

// fetchWant is what a fetch of the tip's trees may fetch early.
type fetchWant struct {
	paths []string
	depth int
}

// fullDepth is the depth of a full fetch for w: the commits it wants,
// which a server that cannot filter sends in the same request as the tip
// (their trees and blobs too, as git clone --depth does).
func (w *fetchWant) fullDepth() int {
	if w == nil {
		return 1
	}
	return max(w.depth, 1)
}

// earlyFetch follows the tip's trees as they are stored and, once the
// paths it walks have reached their blobs, sends the request for those
// blobs and the history, on the same stateless session (over HTTP: a
// connection of its own).
type earlyFetch struct {
	sess  *v2Session
	st    *memory.Storage // where the trees are stored
	tip   plumbing.Hash
	depth int
	// await lists the walks that wait for an object (the tip commit, a
	// tree); open counts the walks not at their end yet.
	await map[plumbing.Hash][]*pathWalk
	open  int
	blobs []plumbing.Hash

	ctx    context.Context
	cancel context.CancelFunc
	done   chan error // nil until the request is sent
	got    *memory.Storage
}

// pathWalk is a path on its way down the trees: rest is what is left of
// it below the object it waits for.
type pathWalk struct{ rest string }

// startEarly returns the early fetch for want, or nil when there is
// nothing to walk.
func startEarly(ctx context.Context, sess *v2Session, st *memory.Storage, tip plumbing.Hash, want *fetchWant) *earlyFetch {
	e := &earlyFetch{sess: sess, st: st, tip: tip, depth: want.depth, await: map[plumbing.Hash][]*pathWalk{}}
	for _, p := range want.paths {
		if p, err := cleanPath(p); err == nil {
			e.open++
			e.wait(tip, &pathWalk{rest: p})
		}
	}
	if e.open == 0 {
		return nil
	}
	e.ctx, e.cancel = context.WithCancel(ctx)
	return e
}

// wait makes w wait for the object h, or goes on at once when it is
// stored already (a pack need not send a tree after its parent).
func (e *earlyFetch) wait(h plumbing.Hash, w *pathWalk) {
	if o, err := e.st.EncodedObject(plumbing.AnyObject, h); err == nil {
		e.step(o, w)
		return
	}
	e.await[h] = append(e.await[h], w)
}

// observe is called with each object stored from the trees' pack.
func (e *earlyFetch) observe(o plumbing.EncodedObject) {
	ws, ok := e.await[o.Hash()]
	if !ok {
		return
	}
	delete(e.await, o.Hash())
	for _, w := range ws {
		e.step(o, w)
	}
	if e.open == 0 && e.done == nil {
		e.send()
	}
}

// step moves w past o: from the tip commit to its tree, from a tree to the
// entry of the path's next name. A walk ends at a file's blob, or where
// the path does not go on (ReadFile reports that later).
func (e *earlyFetch) step(o plumbing.EncodedObject, w *pathWalk) {
	data, err := objectContent(e.st, o.Type(), o.Hash())
	if err != nil {
		e.open--
		return
	}
	switch o.Type() {
	case plumbing.CommitObject:
		line, _, _ := bytes.Cut(data, []byte("\n"))
		tree, ok := bytes.CutPrefix(line, []byte("tree "))
		if !ok || len(tree) != 40 {
			e.open--
			return
		}
		e.wait(plumbing.NewHash(string(tree)), w)
	case plumbing.TreeObject:
		name, rest, nested := strings.Cut(w.rest, "/")
		en, ok, err := rawEntryNamed(data, name)
		switch {
		case err != nil || !ok:
			e.open--
		case nested && en.mode == filemode.Dir:
			w.rest = rest
			e.wait(en.id(data), w)
		case !nested && en.mode.IsFile():
			if id := en.id(data); !slices.Contains(e.blobs, id) {
				e.blobs = append(e.blobs, id)
			}
			e.open--
		default:
			e.open--
		}
	default:
		e.open--
	}
}

// send sends the request for the blobs and the history.
func (e *earlyFetch) send() {
	wants := slices.Clone(e.blobs)
	a := fetchArgs{}
	if e.depth > 0 {
		wants = append(wants, e.tip)
		a.deepen, a.filter = e.depth, packp.FilterTreeDepth(0)
	}
	if len(wants) == 0 {
		return
	}
	a.wants = wants
	e.got, e.done = memory.NewStorage(), make(chan error, 1)
	go func() { e.done <- e.sess.fetch(e.ctx, a, e.got) }()
}

// join waits for the request, if it was sent, and stores what it brought
// with the trees; treesErr is the trees fetch's own outcome. On any error
// nothing is stored: the reads fetch as usual.
func (e *earlyFetch) join(r *Repo, treesErr error) {
	defer e.cancel()
	if e.done == nil {
		return
	}
	if treesErr != nil {
		e.cancel()
	}
	err := <-e.done
	r.stats.UploadPacks++
	if err != nil && treesErr == nil {
		r.debug("the early request for files and history failed: the reads fetch them", "error", err.Error())
	}
	if err != nil || treesErr != nil {
		return
	}
	r.stats.EarlyFetches++
	r.stats.ObjectsFetched += len(e.got.Objects)
	r.stats.BlobsFetched += len(e.got.Blobs)
	for _, objs := range []map[plumbing.Hash]plumbing.EncodedObject{e.got.Commits, e.got.Blobs} {
		for _, o := range objs {
			_, _ = e.st.SetEncodedObject(o) // a commit or a blob: always stored
		}
	}
}
