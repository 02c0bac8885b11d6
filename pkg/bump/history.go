package bump

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/tagbump/tagbump/pkg/gitrepo"
	"github.com/tagbump/tagbump/pkg/imageref"
	edit "github.com/tagbump/tagbump/pkg/target"
	"github.com/tagbump/tagbump/pkg/values"
)

// DefaultHistoryLimit is how many deployments History lists when
// HistoryRequest.Limit is 0.
const DefaultHistoryLimit = 20

// Kinds of deployment in a history.
const (
	KindBump     = "bump"     // a tagbump bump
	KindRollback = "rollback" // a tagbump rollback (Rolls-Back trailer)
	KindPromote  = "promote"  // a tagbump promote (Promoted-From trailer)
	KindManual   = "manual"   // any other commit that changed an image
)

// HistoryRequest asks for the deployments of one chart and environment.
type HistoryRequest struct {
	Repo, Branch, Chart, Env string
	// ValuesFile is the path template of a values file; DefaultValuesFile
	// when empty.
	ValuesFile string
	// Limit is the most deployments listed; DefaultHistoryLimit when 0.
	Limit int
	// Pick narrows the deployments to some images of the file.
	Pick Pick
}

// Pick selects the images of a values file that a history or rollback is
// about, as bump's --image and --key select what it sets: the blocks that
// name one of Images' repositories (their tags are ignored), and the tag
// keys Keys (".image.tag", or a block's path, ".image"). Empty, it picks
// every image. Blocks are read over the chart's values.yaml as Helm merges
// them, so a values file that sets only a tag is known by the repository
// its values.yaml names.
type Pick struct {
	Images []imageref.Ref
	Keys   []string
	// Places are, in an Argo CD Application's manifest, the places Keys
	// name at the branch's tip (Places[i] is what Keys[i] names): each
	// version of the manifest is read there by what they are (the
	// Application by its name and namespace, a parameter by its name, a
	// key by its path), and the change is named by Keys[i]. AppPick sets
	// them.
	Places []edit.AppPlace
}

// picks reports whether p selects the change c. A key picks the change at
// that key, and of a values file those under it (".image" picks
// ".image.tag"); a key of a manifest's other document never.
func (p Pick) picks(c ImageChange) bool {
	if len(p.Images) == 0 && len(p.Keys) == 0 {
		return true
	}
	for _, im := range p.Images {
		if im.Matches(c.Name()) {
			return true
		}
	}
	for _, k := range p.Keys {
		if pp, err := values.ParsePath(k); err == nil {
			k = pp.String()
		}
		if c.Key == k {
			return true
		}
		// Under k: a values path goes on with "." or "["; a key of a
		// manifest place goes on with " " (the path inside helm.values
		// text, or another document), which is another place.
		if rest, ok := strings.CutPrefix(c.Key, k+"."); ok && !strings.Contains(rest, " ") && !strings.Contains(k, " ") {
			return true
		}
	}
	return false
}

// HistoryResult is the deployments of one values file, newest first.
type HistoryResult struct {
	Repo        string       `json:"repo"`
	Branch      string       `json:"branch"`
	File        string       `json:"file"`
	Deployments []Deployment `json:"deployments"`
}

// Deployment is a commit that changed an image's tag or digest in a values
// file.
type Deployment struct {
	Commit  string        `json:"commit"`
	Date    time.Time     `json:"date"`
	Author  string        `json:"author"`
	Subject string        `json:"subject"`
	Kind    string        `json:"kind"`
	Images  []ImageChange `json:"images"`
	// CIRun is the CI-Run trailer: the link to the pipeline run.
	CIRun string `json:"ci_run,omitempty"`
	// RollsBack and RolledBackTags are a rollback's trailers.
	RollsBack      []string `json:"rolls_back,omitempty"`
	RolledBackTags []string `json:"rolled_back_tags,omitempty"`
	// PromotedFrom is a promote's trailer: env@commit.
	PromotedFrom string `json:"promoted_from,omitempty"`
}

// ImageChange is one image's tag and digest before and after a deployment.
type ImageChange struct {
	Key        string `json:"key"`
	Registry   string `json:"registry,omitempty"`
	Repository string `json:"repository,omitempty"`
	Old        string `json:"old"`
	New        string `json:"new"`
	OldDigest  string `json:"old_digest,omitempty"`
	NewDigest  string `json:"new_digest,omitempty"`
	// OldRegistry and OldRepository are set when the deployment changed
	// the image's registry or repository: what the file named before.
	OldRegistry   string `json:"old_registry,omitempty"`
	OldRepository string `json:"old_repository,omitempty"`
	form          string // the image's values.Form*
}

// Name is the image's registry/repository as the values file writes it.
func (c ImageChange) Name() string {
	if c.Registry != "" {
		return c.Registry + "/" + c.Repository
	}
	return c.Repository
}

func (r *HistoryRequest) request() Request {
	return Request{Repo: r.Repo, Branch: r.Branch, Chart: r.Chart, Envs: []string{r.Env}, ValuesFile: r.ValuesFile}
}

// History lists the deployments of a chart's environment, newest first:
// the commits of the branch's first-parent history that changed an image
// tag or digest in its values file. It fetches commits and trees without
// blobs, then only the values file's blobs where they changed.
func History(ctx context.Context, hr HistoryRequest, opts ...Option) (*HistoryResult, error) {
	o := newOptions(opts)
	req := hr.request()
	if err := req.validateTarget(); err != nil {
		return nil, err
	}
	if hr.Limit < 0 {
		return nil, &InputError{"--limit", fmt.Sprint(hr.Limit), "use 1 or more"}
	}
	limit := hr.Limit
	if limit == 0 {
		limit = DefaultHistoryLimit
	}
	file, _ := req.valuesPath(hr.Env)
	repo, err := gitrepo.Open(ctx, req.Repo, o.git...)
	if err != nil {
		return nil, err
	}
	defer repo.Close()
	var transient int
	for {
		res, err := history(ctx, repo, &req, hr.Env, file, limit, hr.Pick)
		if err == nil {
			return res, nil
		}
		if err = o.pauseTransient(ctx, err, &transient); err != nil {
			return nil, err
		}
	}
}

func history(ctx context.Context, repo *gitrepo.Repo, req *Request, env, file string, limit int, pick Pick) (*HistoryResult, error) {
	var err error
	branch := req.Branch
	if branch == "" {
		if branch, err = repo.DefaultBranch(ctx); err != nil {
			return nil, err
		}
	}
	snap, err := repo.Fetch(ctx, branch)
	if err != nil {
		return nil, err
	}
	deps, err := deployments(ctx, snap, file, limit, pick)
	if err != nil {
		return nil, err
	}
	if len(deps) == 0 {
		// No deployments: say so when the file itself is missing.
		if _, err := snap.ReadFile(ctx, file); errors.Is(err, fs.ErrNotExist) {
			return nil, req.missingValuesFile(snap, env, err)
		}
	}
	return &HistoryResult{Repo: repo.URL(), Branch: branch, File: file, Deployments: deps}, nil
}

// deployments reads the newest n deployments of file from the snapshot's
// history. Commits that changed the file but no image (replicas, comments)
// are not deployments; when they crowd out deployments, it reads further.
func deployments(ctx context.Context, snap *gitrepo.Snapshot, file string, n int, pick Pick) ([]Deployment, error) {
	defaults, err := chartDefaults(ctx, snap, file)
	if err != nil {
		return nil, err
	}
	return deploymentsWithin(ctx, snap, file, n, 0, func(old, new []byte) []ImageChange {
		return slices.DeleteFunc(imageChanges(file, old, new, defaults, pick), func(c ImageChange) bool { return !pick.picks(c) })
	})
}

// chartDefaults returns the chart's values.yaml for file at the
// snapshot's tip (nil when there is none): history reads each version of
// file over it, as Helm would today.
func chartDefaults(ctx context.Context, snap *gitrepo.Snapshot, file string) ([]byte, error) {
	if defaultsPath(file) == file {
		return nil, nil
	}
	b, err := snap.ReadFile(ctx, defaultsPath(file))
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, gitrepo.ErrNotRegular) {
		return nil, nil
	}
	return b, err
}

// deploymentsWithin is deployments over at most maxCommits commits of
// history (0: all of it). A commit that moved an image back to a tag it
// had before, without saying so, is read as the rollback it is (see
// inferRollbacks).
func deploymentsWithin(ctx context.Context, snap *gitrepo.Snapshot, file string, n, maxCommits int, imagesOf func(old, new []byte) []ImageChange) ([]Deployment, error) {
	for want := max(2*n, 8); ; want *= 4 {
		changes, err := snap.FileHistory(ctx, file, want, maxCommits)
		if err != nil {
			return nil, err
		}
		var hashes []plumbing.Hash
		for _, c := range changes {
			hashes = append(hashes, c.Old, c.New)
		}
		blobs, err := snap.ReadBlobs(ctx, hashes)
		if err != nil {
			return nil, err
		}
		var out []Deployment
		for _, c := range changes {
			images := imagesOf(blobs[c.Old], blobs[c.New])
			if len(images) == 0 {
				continue
			}
			out = append(out, commitDeployments(c.Commit, file, images)...)
			if len(out) >= n {
				deps := inferRollbacks(out)
				for n < len(deps) && deps[n].Commit == deps[n-1].Commit {
					n++ // the deploys of one commit stay together
				}
				return deps[:n], nil
			}
		}
		if len(changes) < want {
			return inferRollbacks(out), nil // the whole history, or maxCommits, was read
		}
	}
}

// recentDeployments reads the deployments of each file within the newest
// maxCommits commits, for all files in one walk of the history and one
// request for their blobs; rollbacks are inferred as in deploymentsWithin.
func recentDeployments(ctx context.Context, snap *gitrepo.Snapshot, files []string, maxCommits int) (map[string][]Deployment, error) {
	hist, err := snap.FileHistories(ctx, files, maxCommits, maxCommits)
	if err != nil {
		return nil, err
	}
	var hashes []plumbing.Hash
	for _, changes := range hist {
		for _, c := range changes {
			hashes = append(hashes, c.Old, c.New)
		}
	}
	blobs, err := snap.ReadBlobs(ctx, hashes)
	if err != nil {
		return nil, err
	}
	out := map[string][]Deployment{}
	for file, changes := range hist {
		var deps []Deployment
		for _, c := range changes {
			if images := imageChanges(file, blobs[c.Old], blobs[c.New], nil, Pick{}); len(images) > 0 {
				deps = append(deps, commitDeployments(c.Commit, file, images)...)
			}
		}
		out[file] = inferRollbacks(deps)
	}
	return out, nil
}

// commitDeployments describes commit c from its message and its image changes
// in file: one deployment, or one per deployment of the message when
// tagbump's pull request carried several (each with its subject and its
// own trailers: a rollback of one service merged with a bump of another is
// a rollback and a bump).
func commitDeployments(c *object.Commit, file string, images []ImageChange) []Deployment {
	deploys, _ := parseDeploys(c.Message)
	var common, shared []Trailer // the run's trailers; the block's scoped ones
	for _, t := range trailers(c.Message) {
		if scoped(t) {
			shared = append(shared, t)
		} else {
			common = append(common, t)
		}
	}
	subject, _, _ := strings.Cut(c.Message, "\n")
	var out []Deployment
	group := map[int]int{} // the message's deployment → its index in out
	for _, im := range images {
		g := slices.IndexFunc(deploys, func(d pendingDeploy) bool {
			return slices.ContainsFunc(d.changes, func(fc FileChange) bool { return fc.File == file && fc.Key == im.Key })
		})
		if len(deploys) < 2 {
			g = -1 // one deployment: the commit's subject and trailers
		}
		i, ok := group[g]
		if !ok {
			d := deploymentOf(c, file, subject, append(slices.Clone(common), shared...))
			if g >= 0 {
				d = deploymentOf(c, file, deploys[g].subject, append(slices.Clone(common), deploys[g].trailers...))
			}
			i, group[g] = len(out), len(out)
			out = append(out, d)
		}
		out[i].Images = append(out[i].Images, im)
	}
	return out
}

// deploymentOf describes one deployment of commit c in file.
func deploymentOf(c *object.Commit, file, subject string, ts []Trailer) Deployment {
	d := Deployment{
		Commit: c.Hash.String(), Date: c.Author.When.UTC(), Author: c.Author.Name + " <" + c.Author.Email + ">",
		Subject: subject, Kind: KindManual,
	}
	for _, t := range ts {
		switch t.Key {
		case "CI-Run":
			d.CIRun = t.Value
		case "Rolls-Back":
			d.RollsBack = append(d.RollsBack, t.Value)
		case "Rolled-Back-Tag":
			d.RolledBackTags = append(d.RolledBackTags, t.Value)
		case "Promoted-From":
			d.PromotedFrom = t.Value
		}
	}
	switch {
	case len(d.RollsBack) > 0:
		d.Kind = KindRollback
	case d.PromotedFrom != "":
		d.Kind = KindPromote
	case strings.Contains(c.Message, "\n- "+file+" "):
		d.Kind = KindBump // the body lines tagbump writes for each value
	}
	return d
}

var trailerLine = regexp.MustCompile(`^([A-Za-z0-9][A-Za-z0-9-]*): (.+)$`)

// trailers returns the "Key: value" lines of a message's last paragraph.
func trailers(msg string) []Trailer {
	paras := strings.Split(strings.TrimRight(msg, "\n"), "\n\n")
	if len(paras) < 2 {
		return nil
	}
	var out []Trailer
	for _, line := range strings.Split(paras[len(paras)-1], "\n") {
		m := trailerLine.FindStringSubmatch(strings.TrimRight(line, "\r"))
		if m == nil {
			return nil // not a trailer block
		}
		out = append(out, Trailer{m[1], m[2]})
	}
	return out
}

// imageChanges compares the images of two versions of a values file, by
// the path of their tag: each image block, and .image.tag where no block
// covers it; of a kustomization or manifests, each place pkg/target edits,
// by its key. A version that is missing or not valid YAML has no images.
// Of an Application manifest, pick's places are read (see fileImages).
func imageChanges(file string, old, new, defaults []byte, pick Pick) []ImageChange {
	before := map[string]values.Image{}
	for _, im := range fileImages(file, old, defaults, pick) {
		before[im.TagPath] = im
	}
	var out []ImageChange
	for _, im := range fileImages(file, new, defaults, pick) {
		prev := before[im.TagPath]
		if prev.Tag == im.Tag && prev.Digest == im.Digest {
			continue
		}
		c := ImageChange{
			Key: im.TagPath, Registry: im.Registry, Repository: im.Repository,
			Old: prev.Tag, New: im.Tag, OldDigest: prev.Digest, NewDigest: im.Digest, form: im.Form,
		}
		if prev.Repository != "" && prev.Name() != im.Name() {
			c.OldRegistry, c.OldRepository = prev.Registry, prev.Repository
		}
		out = append(out, c)
	}
	return out
}

// fileImages lists a file's images in document order, with .image.tag as
// an image without repository when no block covers it. Of an Application
// manifest with pick's places, only those, found by what they are and
// named by pick's keys, whatever document or parameter index they are at
// in this version; else every image of the file, and the places pick's
// keys name where they hold a scalar that names no image (a tag whose
// repository the value files give), as bump --app writes them.
func fileImages(file string, src, defaults []byte, pick Pick) []values.Image {
	if src == nil {
		return nil
	}
	if kind, ok := editsTarget(file, src); ok {
		return targetImages(kind, src)
	}
	if edit.Detect(file, src) == edit.Application {
		if len(pick.Places) > 0 {
			var images []values.Image
			for i, b := range edit.ApplicationPlaces(src, pick.Places) {
				if b.Field != "" && i < len(pick.Keys) {
					images = append(images, blockImage(pick.Keys[i], b.Block))
				}
			}
			return images
		}
		images := applicationImages(src)
		for _, k := range pick.Keys {
			if slices.ContainsFunc(images, func(im values.Image) bool { return im.TagPath == k }) {
				continue
			}
			if b, ok := edit.ApplicationKeyBlock(src, k); ok {
				images = append(images, blockImage(k, b.Block))
			}
		}
		return images
	}
	images, err := values.FindImagesWithDefaults(src, defaults)
	if err != nil {
		images, err = values.FindImages(src)
	}
	if err != nil {
		return nil
	}
	for _, im := range images {
		if im.TagPath == ".image.tag" {
			return images
		}
	}
	if tag, err := values.Get(src, ".image.tag"); err == nil {
		images = append(images, values.Image{Path: ".image", TagPath: ".image.tag", Tag: tag, Form: "map"})
	}
	return images
}

// oldName is the image's registry/repository before the deployment.
func (c ImageChange) oldName() string {
	if c.OldRepository == "" {
		return c.Name()
	}
	if c.OldRegistry != "" {
		return c.OldRegistry + "/" + c.OldRepository
	}
	return c.OldRepository
}

// inferRollbacks marks as rollbacks the deployments of deps (newest first)
// that no message calls one but that moved an image back to the tag it
// had before newer deployments of it: a rollback merged through a pull
// request whose host wrote its own message, or one made by hand; tag and
// digest both must match. The deployments between are what it rolled
// back, and their tags are its rolled-back tags, as the trailers of
// tagbump's rollbacks say. tagbump's own bumps and promotes, and a commit
// that undoes a rollback, are deployments forward, whatever their tag.
func inferRollbacks(deps []Deployment) []Deployment {
	// Oldest first: whether an older deployment is a rollback is known
	// before a newer one is read against it.
	for i := len(deps) - 1; i >= 0; i-- {
		d := &deps[i]
		if d.Kind != KindManual {
			continue
		}
		var back []int // the images d moved back
		for k, c := range d.Images {
			if c.New == "" || c.New == c.Old {
				continue
			}
			var undone, tags []string
			for _, older := range deps[i+1:] {
				j := slices.IndexFunc(older.Images, func(o ImageChange) bool { return o.Key == c.Key })
				if j < 0 {
					continue
				}
				o := older.Images[j]
				undone = append(undone, older.Commit)
				if o.New != "" && o.New != c.New && !slices.Contains(tags, o.New) {
					tags = append(tags, o.New)
				}
				if o.Old == c.New && o.OldDigest == c.NewDigest {
					if older.Kind == KindRollback {
						// Undoing a rollback deploys again what
						// it took away: a deployment forward.
						break
					}
					back = append(back, k)
					d.RollsBack = appendNew(d.RollsBack, undone...)
					d.RolledBackTags = appendNew(d.RolledBackTags, tags...)
					break
				}
			}
		}
		if len(back) == 0 {
			continue
		}
		if len(back) < len(d.Images) {
			// A commit that moved one image back and another forward
			// (a merged pull request with a rollback and a bump) is a
			// rollback of the first and a deployment of the second.
			fwd := *d
			fwd.Images, fwd.RollsBack, fwd.RolledBackTags = nil, nil, nil
			var rb []ImageChange
			for k, c := range d.Images {
				if slices.Contains(back, k) {
					rb = append(rb, c)
				} else {
					fwd.Images = append(fwd.Images, c)
				}
			}
			d.Images = rb
			deps = slices.Insert(deps, i+1, fwd)
			d = &deps[i]
		}
		d.Kind = KindRollback
	}
	return deps
}

// appendNew appends the values of vs that s lacks.
func appendNew(s []string, vs ...string) []string {
	for _, v := range vs {
		if !slices.Contains(s, v) {
			s = append(s, v)
		}
	}
	return s
}
