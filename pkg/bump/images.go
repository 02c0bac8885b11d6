package bump

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/tagbump/tagbump/pkg/chart"
	"github.com/tagbump/tagbump/pkg/gitrepo"
	"github.com/tagbump/tagbump/pkg/imageref"
	"github.com/tagbump/tagbump/pkg/values"
)

// DefaultImagesMessage is the commit subject template when a bump sets
// several images and Request.Message is empty or DefaultMessage.
const DefaultImagesMessage = "chore({{.Env}}): update {{.Chart}} images to {{.Tags}}"

// planner makes the plan of one attempt on a snapshot: bump, rollback and
// promote differ only here, and share the loop in run.
type planner func(ctx context.Context, snap *gitrepo.Snapshot, req *Request) (*planned, error)

// imageEdit is one image to set: its tag and digest, in the blocks found by
// its repository, or at keys when given.
type imageEdit struct {
	ref    imageref.Ref
	digest string
	keys   []string
	// repository writes ref's repository into a string reference at
	// keys instead of keeping the file's: a rollback restoring an image
	// whose repository the undone deployment changed.
	repository bool
}

// fetch fetches the branch's tip for an attempt. A bump knows the files
// it reads, and the commits the rollback guard reads, before the tip's
// trees arrive: they are asked for as soon as the trees on their paths
// are in (FetchFor).
func (r *Request) fetch(ctx context.Context, repo *gitrepo.Repo, branch string) (*gitrepo.Snapshot, error) {
	if r.planner != nil {
		return repo.Fetch(ctx, branch)
	}
	depth := GuardDepth
	if r.AllowRolledBack {
		depth = 0
	}
	return repo.FetchFor(ctx, branch, depth, r.readPaths()...)
}

// makePlan plans one attempt: a rollback's or promote's planner, or the
// bump of the request's images checked against the rollback guard.
func (r *Request) makePlan(ctx context.Context, snap *gitrepo.Snapshot) (*planned, error) {
	if r.planner != nil {
		return r.planner(ctx, snap, r)
	}
	if len(r.Apps) > 0 {
		// The manifests in one request, with the guard's history and
		// the files of the chart the Application is likely named after.
		history := GuardDepth
		if r.AllowRolledBack {
			history = 0
		}
		if err := r.resolveApps(ctx, snap, history); err != nil {
			return nil, err
		}
	}
	if !r.AllowRolledBack {
		// The guard reads the last GuardDepth commits: fetch them with
		// the files in the one request that reading the files takes
		// anyway. On error, the reads fetch as usual.
		_ = snap.PrefetchWithLog(ctx, GuardDepth, r.readPaths()...)
	}
	p, err := plan(ctx, snap, r)
	if err != nil {
		return nil, err
	}
	p.images = r.imageNames()
	if p.outcome() != Changed || r.AllowRolledBack {
		return p, nil
	}
	return p, r.rollbackGuard(ctx, snap, p)
}

// report copies what only some plans know into res.
func (p *planned) report(res *Result) {
	if len(p.images) > 1 || (p.req != nil && len(p.images) > 0) {
		res.Images = p.images
	}
	if p.req != nil && len(p.images) > 0 {
		res.Image, res.Digest = p.images[0], p.req.digest
		res.Signature = cmp.Or(res.Signature, p.req.signature)
	}
	for _, w := range p.warnings {
		if !slices.Contains(res.Warnings, w) {
			res.Warnings = append(res.Warnings, w)
		}
	}
}

// resolveImages verifies or pushes each image of req as it asks, records
// the digests, and returns the first image's.
func resolveImages(ctx context.Context, req *Request, o *options) (string, error) {
	if len(req.Images) == 0 {
		return resolveImage(ctx, req, o)
	}
	if len(req.Keys) > 0 {
		return "", &InputError{"--key", strings.Join(req.Keys, ","), "ambiguous with more than one --image: each image's blocks are found by its repository"}
	}
	if req.PushFrom != "" {
		return "", &InputError{"--push-from", req.PushFrom, "pushes one image: push the others first, or run one bump per image"}
	}
	seen := map[string]bool{}
	for _, ref := range append([]imageref.Ref{req.Image}, req.Images...) {
		if ref.Tag == "" {
			return "", &InputError{"--image", ref.String(), "a tag is required"}
		}
		if seen[ref.Name()] {
			return "", &InputError{"--image", ref.String(), "the repository is given twice"}
		}
		seen[ref.Name()] = true
		one := *req
		one.Image = ref
		d, err := resolveImage(ctx, &one, o)
		if err != nil {
			return "", err
		}
		req.Trailers, req.signature = one.Trailers, cmp.Or(req.signature, one.signature)
		if req.WriteDigest && d == "" {
			return "", &InputError{"--digest", ref.String(), "no digest to write: verify the image or give it as REPO:TAG@sha256:..."}
		}
		req.more = append(req.more, imageEdit{ref: ref, digest: d})
	}
	if req.Message == "" || req.Message == DefaultMessage {
		req.Message = DefaultImagesMessage
	}
	return req.more[0].digest, nil
}

// editImages sets each image of req in one file's source: the request's
// own image, or each of its edits in turn.
func editImages(file, env string, src []byte, ch *chart.Chart, req *Request) ([]byte, []FileChange, error) {
	if len(req.more) == 0 {
		return editIn(file, env, src, ch, req)
	}
	var all []FileChange
	out := src
	for _, e := range req.more {
		one := *req
		one.Image, one.digest, one.Keys, one.more = e.ref, e.digest, e.keys, nil
		one.KeyOtherRepository, one.setRepository = e.repository, e.repository
		if req.soft {
			// The digest goes wherever the image has one: written, or
			// cleared when the edit has none, so that a pinned digest
			// never keeps deploying the image being replaced.
			one.WriteDigest = true
		}
		if len(e.keys) == 0 {
			if err := hasBlock(file, out, ch, e.ref); err != nil {
				return nil, nil, err
			}
		}
		o, changes, err := editIn(file, env, out, ch, &one)
		if err != nil {
			return nil, nil, err
		}
		out = o
		all = append(all, changes...)
	}
	return out, all, nil
}

// hasBlock checks that src has an image block for ref's repository: with
// several images, the .image.tag fallback would give every image one key.
func hasBlock(file string, src []byte, ch *chart.Chart, ref imageref.Ref) error {
	defaults, err := ch.Defaults()
	if err != nil {
		return err
	}
	images, err := values.FindImagesWithDefaults(src, defaults)
	if err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	for _, im := range images {
		if ref.Matches(im.Name()) {
			return nil
		}
	}
	return &NoTargetError{File: file, Repository: ref.Name(), Images: images}
}

// imageNames lists the images a request sets.
func (r *Request) imageNames() []string {
	if len(r.more) == 0 {
		return []string{r.Image.String()}
	}
	names := make([]string, len(r.more))
	for i, e := range r.more {
		names[i] = e.ref.String()
		if e.ref.Repository == "" {
			names[i] = strings.Join(e.keys, ",") + "=" + e.ref.Tag
		}
	}
	return names
}

// tagList is the message template's .Tags: the tag when all images share
// one, else "name:tag" of each image.
func (r *Request) tagList() string {
	if len(r.more) == 0 {
		return r.Image.Tag
	}
	var tags []string
	same := true
	for _, e := range r.more {
		same = same && e.ref.Tag == r.more[0].ref.Tag
		tags = append(tags, e.ref.Repository[strings.LastIndex(e.ref.Repository, "/")+1:]+":"+e.ref.Tag)
	}
	if same {
		return r.more[0].ref.Tag
	}
	return strings.Join(tags, ", ")
}

// digestTrailers are the Image-Digest trailers: the digest alone for one
// image, name@digest for each of several.
func (r *Request) digestTrailers() []Trailer {
	if len(r.more) == 0 {
		if r.digest == "" {
			return nil
		}
		return []Trailer{{"Image-Digest", r.digest}}
	}
	var out []Trailer
	for _, e := range r.more {
		if e.digest != "" {
			out = append(out, Trailer{"Image-Digest", e.ref.Name() + "@" + e.digest})
		}
	}
	return out
}
