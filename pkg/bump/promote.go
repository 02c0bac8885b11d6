package bump

import (
	"cmp"
	"context"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/tagbump/tagbump/pkg/argocd"
	"github.com/tagbump/tagbump/pkg/attest"
	"github.com/tagbump/tagbump/pkg/chart"
	"github.com/tagbump/tagbump/pkg/gitrepo"
	"github.com/tagbump/tagbump/pkg/imageref"
	"github.com/tagbump/tagbump/pkg/registry"
	edit "github.com/tagbump/tagbump/pkg/target"
	"github.com/tagbump/tagbump/pkg/values"
)

// PromoteMessage is the commit subject template of a promote; {{.From}}
// is the source environment.
const PromoteMessage = "chore({{.Env}}): promote {{.Chart}} from {{.From}} at {{.Tags}}"

// PromoteRequest asks to copy what one environment runs into another.
type PromoteRequest struct {
	// Request names the repository, branch, chart, the target
	// environment (Envs, exactly one), the values file, Verify,
	// AllowDowngrade, the commit's author and trailers, MaxAttempts,
	// DryRun and NoPush. Its image fields are not used.
	Request
	// From is the source environment.
	From string
	// FromFile, when set, is the source's values file, instead of the
	// one the template makes of From (the source Application's, with
	// --from-app).
	FromFile string
}

// NothingToPromoteError reports a source file with no image block whose
// repository the target file has.
type NothingToPromoteError struct {
	From, To string // the two values files
}

func (e *NothingToPromoteError) Error() string {
	return fmt.Sprintf("promote %s to %s: no image block of the first has its repository in the second: check --from, --to and --chart", e.From, e.To)
}

// Promote copies into the target environment's values file, for each image
// block of the source file whose repository the target file also has, the
// tag and (where the source has one) the digest. With Verify each image is
// checked in its registry first, and a tag that no longer points at the
// source's digest is refused (a *registry.RefusedError). The downgrade
// guard applies as in a bump. The commit carries a Promoted-From trailer,
// source-env@commit. The rollback guard applies as in a bump: a tag that a
// rollback took away from the target is refused unless AllowRolledBack.
func Promote(ctx context.Context, pr PromoteRequest, opts ...Option) (*Result, error) {
	o := newOptions(opts)
	if err := pr.validateTarget(); err != nil {
		return nil, err
	}
	if len(pr.Envs) != 1 {
		return nil, &InputError{"--to", strings.Join(pr.Envs, ","), "a promote takes exactly one target environment"}
	}
	if !safeName.MatchString(pr.From) {
		return nil, &InputError{"--from", pr.From, "use letters, digits, '.', '_' and '-' (at most 63, no path separators or spaces)"}
	}
	if pr.From == pr.Envs[0] {
		return nil, &InputError{"--from", pr.From, "is also the target: promote to another environment"}
	}
	if _, err := pr.valuesPath(pr.From); err != nil {
		return nil, err
	}
	req := pr.Request
	verified := map[string]verifiedImage{} // image → digest and signature, across attempts
	req.planner = func(ctx context.Context, snap *gitrepo.Snapshot, req *Request) (*planned, error) {
		return pr.plan(ctx, snap, req, &o, verified)
	}
	return run(ctx, req, o)
}

// plan reads both files at the snapshot, verifies the images to copy and
// plans setting them in the target file.
func (pr *PromoteRequest) plan(ctx context.Context, snap *gitrepo.Snapshot, req *Request, o *options, verified map[string]verifiedImage) (*planned, error) {
	srcFile, _ := req.valuesPath(pr.From)
	if pr.FromFile != "" {
		srcFile = pr.FromFile
	}
	dstFile, _ := req.valuesPath(req.Envs[0])
	srcImages, err := readImages(ctx, snap, srcFile, pr.From)
	if err != nil {
		return nil, err
	}
	dstImages, err := readImages(ctx, snap, dstFile, req.Envs[0])
	if err != nil {
		return nil, err
	}
	derived := *req
	derived.planner, derived.soft, derived.Keys, derived.more = nil, true, nil, nil
	// An image only the source environment renders (a feature switched
	// on there) is skipped, not a reason to refuse the others.
	derived.skipDisabled = true
	derived.Message = strings.ReplaceAll(PromoteMessage, "{{.From}}", pr.From)
	derived.Trailers = append([]Trailer{{"Promoted-From", pr.From + "@" + snap.Tip().String()}}, req.Trailers...)
	var names []string
	for _, s := range srcImages {
		i := slices.IndexFunc(dstImages, func(d values.Image) bool { return imageref.SameRepository(d.Name(), s.Name()) })
		// A tag only in the chart's values is no deployment of the source
		// environment: there is nothing to promote.
		if i < 0 || s.Tag == "" || s.TagFromDefaults() || slices.Contains(names, s.Name()) {
			continue
		}
		names = append(names, s.Name())
		d := dstImages[i]
		e := imageEdit{ref: imageref.Ref{Registry: d.Registry, Repository: d.Repository, Tag: s.Tag}, digest: s.Digest}
		if req.Verify {
			v, err := verifyPromoted(ctx, s, verified, req.Signature, o)
			if err != nil {
				return nil, err
			}
			e.digest = v.digest
			if v.signature != nil {
				derived.signature = cmp.Or(derived.signature, v.signature)
				derived.Trailers = append(derived.Trailers, signatureTrailers(v.signature)...)
			}
		} else if req.Signature != nil {
			return nil, &InputError{"--require-signature", s.Name(), "needs the images verified: drop --no-verify"}
		}
		derived.more = append(derived.more, e)
	}
	if len(derived.more) == 0 {
		return nil, &NothingToPromoteError{From: srcFile, To: dstFile}
	}
	derived.Image, derived.digest = derived.more[0].ref, derived.more[0].digest
	p, err := plan(ctx, snap, &derived)
	if err != nil {
		return nil, err
	}
	p.req, p.images = &derived, derived.imageNames()
	if p.outcome() == Changed && !req.AllowRolledBack {
		// What staging runs may be what a rollback took away from prod.
		if err := derived.rollbackGuard(ctx, snap, p); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// readImages reads a values file at the snapshot and lists its image
// blocks; env names the environment (or Application) it stands for.
func readImages(ctx context.Context, snap *gitrepo.Snapshot, file, env string) ([]values.Image, error) {
	src, err := snap.ReadFile(ctx, file)
	if err != nil {
		return nil, err
	}
	if kind, ok := editsTarget(file, src); ok {
		return nil, valuesOnly(file, kind)
	}
	if err := promotable(file, env, src); err != nil {
		return nil, err
	}
	ch, err := chart.Load(ctx, snapSource{snap}, path.Dir(file))
	if err != nil {
		return nil, err
	}
	if defaultsPath(file) == file {
		ch.Values = nil
	}
	defaults, err := ch.Defaults()
	if err != nil {
		return nil, err
	}
	images, err := values.FindImagesWithDefaults(src, defaults)
	if err != nil {
		return nil, fmt.Errorf("%s (over the chart's values): %w", file, err)
	}
	return images, nil
}

// promotable refuses a promote from or to an Application's manifest
// that sets images inside helm.values text or past the file's first
// document: promote reads and writes the file's Helm values paths, which
// reach neither.
func promotable(file, env string, src []byte) error {
	if edit.Detect(file, src) != edit.Application {
		return nil
	}
	for _, b := range edit.FileApplicationImages(src) {
		if b.Field == edit.FieldValues || b.Doc > 0 {
			return &argocd.AppError{App: env, Problem: argocd.ProblemUnsupported, Reason: fmt.Sprintf(
				"its manifest %s sets an image at %s: promote does not read inside helm.values text or past the file's first document; "+
					"promote with bump --app --image REPO:TAG, or move the image into valuesObject or a parameter", file, b.Key())}
		}
	}
	return nil
}

// verifiedImage is what verifyPromoted found for an image.
type verifiedImage struct {
	digest    string
	signature *attest.Result
}

// verifyPromoted checks the source image in its registry (once per image
// across attempts) and returns its digest: a source digest the tag no
// longer points at is refused. With sc it also checks the image's
// signature and attestations.
func verifyPromoted(ctx context.Context, s values.Image, verified map[string]verifiedImage, sc *SignatureCheck, o *options) (verifiedImage, error) {
	name := s.Name() + ":" + s.Tag
	if s.Digest != "" {
		name += "@" + s.Digest
	}
	if v, ok := verified[name]; ok {
		return v, nil
	}
	ref, err := imageref.Parse(name)
	if err != nil {
		return verifiedImage{}, fmt.Errorf("promote %s: %w (or promote with --no-verify)", name, err)
	}
	desc, err := registry.Verify(ctx, ref, o.registry...)
	if err != nil {
		return verifiedImage{}, err
	}
	o.logger.Info("image verified", "image", desc.Image)
	v := verifiedImage{digest: cmp.Or(s.Digest, desc.Digest)}
	if sc != nil {
		if v.signature, err = checkSignature(ctx, sc, ref, v.digest, o); err != nil {
			return verifiedImage{}, err
		}
	}
	verified[name] = v
	return v, nil
}
