package gitrepo

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"sort"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"
	"github.com/go-git/go-git/v5/storage/memory"
)

// cleanPath validates a repository path with CheckPath: relative,
// slash-separated, no empty, "." or ".." elements, nothing git reads as
// .git.
func cleanPath(p string) (string, error) {
	if err := CheckPath(p); err != nil {
		return "", err
	}
	return p, nil
}

// entry finds the tree entry at p (a clean path) in the snapshot's tip
// tree. It reads the trees on the path without decoding them: the root of
// a charts repository has an entry per chart.
func (s *Snapshot) entry(p string) (*object.TreeEntry, error) {
	tree, err := s.rootTree()
	if err != nil {
		return nil, err
	}
	left := p
	for {
		name, rest, nested := strings.Cut(left, "/")
		raw, err := objectContent(s.objects, plumbing.TreeObject, tree)
		if err != nil {
			return nil, err
		}
		e, ok, err := s.lookup(tree, raw, name)
		if err != nil {
			return nil, fmt.Errorf("read tree %s: %w", tree, err)
		}
		switch {
		case !ok || nested && e.mode != filemode.Dir:
			return nil, &fs.PathError{Op: "read", Path: p, Err: notFoundFile{}}
		case !nested:
			return &object.TreeEntry{Name: name, Mode: e.mode, Hash: e.id(raw)}, nil
		}
		tree, left = e.id(raw), rest
	}
}

// indexedTree is the size of an encoded tree (about 60 entries) from
// which lookup indexes it.
const indexedTree = 4 << 10

// lookup returns the entry named name of the tree h, encoded as raw. A
// small tree is scanned; a large one is indexed by name on its first
// lookup, so that reading many files of one directory (thousands of
// Application manifests under apps/) scans it once, not once a file.
func (s *Snapshot) lookup(h plumbing.Hash, raw []byte, name string) (rawEntry, bool, error) {
	if len(raw) < indexedTree {
		return rawEntryNamed(raw, name)
	}
	s.treesMu.Lock()
	defer s.treesMu.Unlock()
	idx, ok := s.trees[h]
	if !ok {
		all, err := rawEntries(raw, func([]byte) bool { return true })
		if err != nil {
			return rawEntry{}, false, err
		}
		idx = make(map[string]rawEntry, len(all))
		for _, e := range all {
			idx[e.name] = e
		}
		if s.trees == nil {
			s.trees = map[plumbing.Hash]map[string]rawEntry{}
		}
		s.trees[h] = idx
	}
	e, ok := idx[name]
	return e, ok, nil
}

// ReadFile returns the content of the regular file at path p in the tip
// commit. A symlink, submodule or directory is refused (ErrNotRegular); a
// missing file gives an error matching both fs.ErrNotExist and ErrNotFound;
// a file larger than the maximum size gives ErrTooLarge. On the partial
// path the blob is fetched by hash in one request; when the server refuses
// that, the snapshot is refetched in full, and if the branch moved
// meanwhile the tip's blob is out of reach: ReadFile returns an error
// wrapping ErrRace, as it does when the server's answer lacks the blob.
// Treat ErrRace as a lost race: Fetch again and redo the edit.
func (s *Snapshot) ReadFile(ctx context.Context, p string) ([]byte, error) {
	p, err := cleanPath(p)
	if err != nil {
		return nil, err
	}
	if s.gen != 0 && s.gen != s.repo.seq {
		return nil, fmt.Errorf("read %s: the snapshot of %s was replaced by a newer fetch: read from the newest snapshot", p, s.branch)
	}
	e, err := s.entry(p)
	if err != nil {
		return nil, err
	}
	if e.Mode != filemode.Regular && e.Mode != filemode.Executable && e.Mode != filemode.Deprecated {
		return nil, &fs.PathError{Op: "read", Path: p, Err: fmt.Errorf("%w (mode %s): point --values-file at the file itself", ErrNotRegular, e.Mode)}
	}
	obj, err := s.objects.EncodedObject(plumbing.BlobObject, e.Hash)
	if errors.Is(err, plumbing.ErrObjectNotFound) && s.partial {
		if ferr := s.fetchBlobs(ctx, e.Hash); ferr != nil {
			if !errors.Is(ferr, errNoPartial) {
				return nil, s.repo.classify("read "+p+" from", ferr)
			}
			if ferr := s.fallback(ctx, ferr); ferr != nil {
				return nil, ferr
			}
		}
		obj, err = s.objects.EncodedObject(plumbing.BlobObject, e.Hash)
		if errors.Is(err, plumbing.ErrObjectNotFound) {
			return nil, fmt.Errorf("read %s from %s: %w: the server did not send blob %s of %s", p, s.repo.display, ErrRace, short(e.Hash), short(s.tip))
		}
	}
	if err != nil {
		return nil, &fs.PathError{Op: "read", Path: p, Err: err}
	}
	if limit := s.repo.o.maxFileSize; limit > 0 && obj.Size() > limit {
		return nil, &fs.PathError{Op: "read", Path: p, Err: fmt.Errorf("%w: %d bytes, the limit is %d", ErrTooLarge, obj.Size(), limit)}
	}
	if o, ok := obj.(*packObject); ok {
		// A fetched object: its content at hand, copied once.
		return bytes.Clone(o.data), nil
	}
	rc, err := obj.Reader()
	if err != nil {
		return nil, &fs.PathError{Op: "read", Path: p, Err: err}
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		return nil, &fs.PathError{Op: "read", Path: p, Err: err}
	}
	return b, nil
}

// Commit is a new commit on top of a Snapshot's tip, not yet pushed.
type Commit struct {
	// Hash is the new commit's hash.
	Hash plumbing.Hash
	// Parent is the snapshot's tip.
	Parent plumbing.Hash
	// Branch is the branch the commit is meant for.
	Branch string
	// Files are the paths the commit changes.
	Files []string
	// Message is the commit message.
	Message string
	// Signed reports that the commit carries a signature (WithSigner).
	Signed bool

	objects *memory.Storage // only the new objects
	hashes  []plumbing.Hash
	old     map[string]plumbing.Hash // previous blob of each changed file (zero: new file)
	blobs   map[string]plumbing.Hash // new blob of each changed file
	// bases are the previous versions of new trees and blobs, which the
	// server has: the push sends the new ones as deltas against them.
	bases map[plumbing.Hash]deltaBase
}

// Commit creates a commit whose parent is the tip and whose tree is the
// tip's with files (path → content) written. Existing files keep their mode
// (regular or executable); new files are regular, new directories are
// created. Only the new blobs, the trees on their paths and the commit are
// created; nothing is sent until Push.
func (s *Snapshot) Commit(files map[string][]byte, msg string, author, committer object.Signature) (*Commit, error) {
	if len(files) == 0 {
		return nil, errors.New("commit: no files to write")
	}
	if author.Name == "" || author.Email == "" || committer.Name == "" || committer.Email == "" {
		return nil, errors.New("commit: author and committer need a name and an email, e.g. \"tagbump <tagbump@example.com>\"")
	}
	parent, err := object.GetCommit(s.objects, s.tip)
	if err != nil {
		return nil, fmt.Errorf("commit: read tip %s: %w", s.tip, err)
	}
	c := &Commit{Parent: s.tip, Branch: s.branch, objects: memory.NewStorage(), old: map[string]plumbing.Hash{}, blobs: map[string]plumbing.Hash{}, bases: map[plumbing.Hash]deltaBase{}}
	changes := map[string][]byte{}
	for p, b := range files {
		cp, err := cleanPath(p)
		if err != nil {
			return nil, fmt.Errorf("commit: %w", err)
		}
		changes[cp] = b
		c.Files = append(c.Files, cp)
	}
	sort.Strings(c.Files)
	root, err := c.writeTree(s.objects, parent.TreeHash, "", changes)
	if err != nil {
		return nil, fmt.Errorf("commit: %w", err)
	}
	commit := &object.Commit{
		Author: author, Committer: committer, Message: msg,
		TreeHash: root, ParentHashes: []plumbing.Hash{s.tip},
	}
	c.Message = msg
	if signer := s.repo.o.signer; signer != nil {
		if err := signCommit(signer, commit); err != nil {
			return nil, err
		}
		c.Signed = true
	}
	if c.Hash, err = c.store(commit); err != nil {
		return nil, fmt.Errorf("commit: %w", err)
	}
	return c, nil
}

// signCommit puts signer's signature of commit (encoded without one) in its
// gpgsig header, as git commit -S does.
func signCommit(signer Signer, commit *object.Commit) error {
	unsigned := &plumbing.MemoryObject{}
	if err := commit.EncodeWithoutSignature(unsigned); err != nil {
		return fmt.Errorf("commit: sign: %w", err)
	}
	rd, err := unsigned.Reader()
	if err != nil {
		return fmt.Errorf("commit: sign: %w", err)
	}
	sig, err := signer.Sign(rd)
	if err != nil {
		return fmt.Errorf("commit: sign: %w", err)
	}
	commit.PGPSignature = string(sig)
	return nil
}

// Content returns the new content the commit gives path p (one of Files).
func (c *Commit) Content(p string) ([]byte, error) {
	h, ok := c.blobs[p]
	if !ok {
		return nil, &fs.PathError{Op: "read", Path: p, Err: notFoundFile{}}
	}
	obj, err := c.objects.EncodedObject(plumbing.BlobObject, h)
	if err != nil {
		return nil, &fs.PathError{Op: "read", Path: p, Err: err}
	}
	rd, err := obj.Reader()
	if err != nil {
		return nil, &fs.PathError{Op: "read", Path: p, Err: err}
	}
	defer rd.Close()
	return io.ReadAll(rd)
}

type encoder interface {
	Encode(plumbing.EncodedObject) error
}

func (c *Commit) store(o encoder) (plumbing.Hash, error) {
	obj := c.objects.NewEncodedObject()
	if err := o.Encode(obj); err != nil {
		return plumbing.ZeroHash, err
	}
	return c.add(obj)
}

// add keeps obj among the commit's new objects, once: two new directories
// with the same content are the same tree and blobs, and a pack that holds
// an object twice is refused by servers that check pushed objects
// (receive.fsckObjects).
func (c *Commit) add(obj plumbing.EncodedObject) (plumbing.Hash, error) {
	h := obj.Hash()
	if _, err := c.objects.EncodedObject(plumbing.AnyObject, h); err == nil {
		return h, nil
	}
	h, err := c.objects.SetEncodedObject(obj)
	if err == nil {
		c.hashes = append(c.hashes, h)
	}
	return h, err
}

// writeTree returns the hash of the tree at dir (treeHash, zero for a new
// directory) with changes (paths relative to dir) applied.
func (c *Commit) writeTree(src storer.EncodedObjectStorer, treeHash plumbing.Hash, dir string, changes map[string][]byte) (plumbing.Hash, error) {
	files := map[string][]byte{}
	sub := map[string]map[string][]byte{}
	for p, b := range changes {
		name, rest, nested := strings.Cut(p, "/")
		if !nested {
			files[name] = b
			continue
		}
		if sub[name] == nil {
			sub[name] = map[string][]byte{}
		}
		sub[name][rest] = b
	}
	if treeHash.IsZero() {
		return c.rebuildTree(src, nil, dir, files, sub, nil)
	}
	raw, err := objectContent(src, plumbing.TreeObject, treeHash)
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("read tree %s: %w", dir, err)
	}
	if h, ok, err := c.spliceTree(src, raw, treeHash, dir, files, sub); ok || err != nil {
		return h, err
	}
	t := &object.Tree{}
	if err := t.Decode(&packObject{typ: plumbing.TreeObject, data: raw}); err != nil {
		return plumbing.ZeroHash, fmt.Errorf("read tree %s: %w", dir, err)
	}
	return c.rebuildTree(src, t.Entries, dir, files, sub, &deltaBase{treeHash, raw})
}

// spliceTree writes the tree whose encoding is raw with each file's blob
// and each subdirectory's tree replaced in place: a bump changes existing
// files, and a charts repository's root has an entry per chart, which
// this neither decodes, sorts nor encodes again. ok is false when a name
// is not an entry yet: the tree must be rebuilt.
func (c *Commit) spliceTree(src storer.EncodedObjectStorer, raw []byte, treeHash plumbing.Hash, dir string, files map[string][]byte, sub map[string]map[string][]byte) (plumbing.Hash, bool, error) {
	entries, err := rawEntries(raw, func(name []byte) bool {
		_, file := files[string(name)]
		_, tree := sub[string(name)]
		return file || tree
	})
	if err != nil {
		return plumbing.ZeroHash, false, fmt.Errorf("read tree %s: %w", dir, err)
	}
	found := map[string]rawEntry{}
	for _, e := range entries {
		found[e.name] = e
	}
	if len(found) != len(files)+len(sub) {
		return plumbing.ZeroHash, false, nil
	}
	out := slices.Clone(raw)
	for name, b := range files {
		e := found[name]
		h, err := c.writeFile(src, path.Join(dir, name), e.mode, e.id(raw), b)
		if err != nil {
			return plumbing.ZeroHash, false, err
		}
		copy(out[e.at:], h[:])
	}
	for name, ch := range sub {
		e := found[name]
		full := path.Join(dir, name)
		if e.mode != filemode.Dir {
			return plumbing.ZeroHash, false, notDir(full)
		}
		h, err := c.writeTree(src, e.id(raw), full, ch)
		if err != nil {
			return plumbing.ZeroHash, false, err
		}
		copy(out[e.at:], h[:])
	}
	h, err := c.add(&packObject{typ: plumbing.TreeObject, data: out, hash: plumbing.ComputeHash(plumbing.TreeObject, out)})
	if err == nil {
		c.bases[h] = deltaBase{treeHash, raw}
	}
	return h, true, err
}

// rebuildTree writes the tree of entries (nil for a new directory, whose
// base is nil too) with files and sub written, new names added.
func (c *Commit) rebuildTree(src storer.EncodedObjectStorer, entries []object.TreeEntry, dir string, files map[string][]byte, sub map[string]map[string][]byte, base *deltaBase) (plumbing.Hash, error) {
	index := map[string]int{}
	for i, e := range entries {
		index[e.Name] = i
	}
	for name, b := range files {
		full := path.Join(dir, name)
		i, ok := index[name]
		if !ok {
			h, err := c.writeFile(src, full, filemode.Regular, plumbing.ZeroHash, b)
			if err != nil {
				return plumbing.ZeroHash, err
			}
			entries = append(entries, object.TreeEntry{Name: name, Mode: filemode.Regular, Hash: h})
			index[name] = len(entries) - 1
			continue
		}
		h, err := c.writeFile(src, full, entries[i].Mode, entries[i].Hash, b)
		if err != nil {
			return plumbing.ZeroHash, err
		}
		entries[i].Hash = h
	}
	for name, ch := range sub {
		full := path.Join(dir, name)
		var old plumbing.Hash
		i, ok := index[name]
		if ok {
			if entries[i].Mode != filemode.Dir {
				return plumbing.ZeroHash, notDir(full)
			}
			old = entries[i].Hash
		}
		h, err := c.writeTree(src, old, full, ch)
		if err != nil {
			return plumbing.ZeroHash, err
		}
		if ok {
			entries[i].Hash = h
		} else {
			entries = append(entries, object.TreeEntry{Name: name, Mode: filemode.Dir, Hash: h})
			index[name] = len(entries) - 1
		}
	}
	sort.Sort(object.TreeEntrySorter(entries))
	h, err := c.store(&object.Tree{Entries: entries})
	if err == nil && base != nil {
		c.bases[h] = *base
	}
	return h, err
}

// writeFile stores b as the new blob of the file at full, whose entry has
// mode and blob old (zero: a new file), and returns its hash.
func (c *Commit) writeFile(src storer.EncodedObjectStorer, full string, mode filemode.FileMode, old plumbing.Hash, b []byte) (plumbing.Hash, error) {
	if mode != filemode.Regular && mode != filemode.Executable && mode != filemode.Deprecated {
		return plumbing.ZeroHash, &fs.PathError{Op: "write", Path: full, Err: fmt.Errorf("%w (mode %s)", ErrNotRegular, mode)}
	}
	h, err := c.add(&packObject{typ: plumbing.BlobObject, data: b, hash: plumbing.ComputeHash(plumbing.BlobObject, b)})
	if err != nil {
		return plumbing.ZeroHash, err
	}
	c.blobs[full] = h
	if !old.IsZero() {
		c.old[full] = old
		if base, err := objectContent(src, plumbing.BlobObject, old); err == nil {
			c.bases[h] = deltaBase{old, base}
		}
	}
	return h, nil
}

func notDir(full string) error {
	return &fs.PathError{Op: "write", Path: full, Err: fmt.Errorf("%w: not a directory", ErrNotRegular)}
}

// fallback replaces a partial snapshot whose blobs the server refuses to
// send by hash with a full depth-1 fetch of the same tip. If the branch
// moved meanwhile, the tip's blobs are out of reach: that is a race.
func (s *Snapshot) fallback(ctx context.Context, cause error) error {
	r := s.repo
	r.noPartial = true
	r.debug("fetching blobs by hash refused, falling back to a full depth-1 fetch", "branch", s.branch, "reason", cause.Error())
	ctx, cancel := r.opContext(ctx)
	defer cancel()
	full, err := r.fetchFull(ctx, s.branch, 1)
	if err != nil {
		return r.classify("fetch", err)
	}
	if full.tip != s.tip {
		return fmt.Errorf("fetch %s: %w: %s moved from %s to %s", r.display, ErrRace, s.branch, short(s.tip), short(full.tip))
	}
	s.objects, s.partial, s.gen = full.objects, false, full.gen
	return nil
}

// Prefetch fetches, in one request, the blobs of the regular files among
// paths that the snapshot does not hold yet, so that ReadFile on them
// needs no request of its own. Paths that do not exist, or are not regular
// files, are skipped: ReadFile reports them. Errors are those of ReadFile.
func (s *Snapshot) Prefetch(ctx context.Context, paths ...string) error {
	if !s.partial {
		return nil
	}
	var want []plumbing.Hash
	seen := make(map[plumbing.Hash]bool, len(paths))
	for _, p := range paths {
		p, err := cleanPath(p)
		if err != nil {
			continue
		}
		e, err := s.entry(p)
		regular := e != nil && (e.Mode == filemode.Regular || e.Mode == filemode.Executable || e.Mode == filemode.Deprecated)
		if err != nil || !regular || seen[e.Hash] {
			continue
		}
		seen[e.Hash] = true
		if _, err := s.objects.EncodedObject(plumbing.BlobObject, e.Hash); errors.Is(err, plumbing.ErrObjectNotFound) {
			want = append(want, e.Hash)
		}
	}
	if len(want) == 0 {
		return nil
	}
	if err := s.fetchBlobs(ctx, want...); err != nil {
		if !errors.Is(err, errNoPartial) {
			return s.repo.classify("read files from", err)
		}
		return s.fallback(ctx, err)
	}
	return nil
}
