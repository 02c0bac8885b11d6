package cli

import (
	"time"

	"github.com/spf13/pflag"
	"github.com/tagbump/tagbump/pkg/bump"
	"github.com/tagbump/tagbump/pkg/render"
)

// renderFlags are --render-check and the renderer it runs.
type renderFlags struct {
	Check     bool
	Helm      string
	Kustomize string
}

func (f *renderFlags) register(fs *pflag.FlagSet) {
	fs.BoolVar(&f.Check, "render-check", false, "before committing, render what the edit deploys with and without it (helm template for a chart, kustomize build for a kustomization, plain manifests as they are), and refuse (exit 4) unless every container that ran the image runs the new one and nothing else changed")
	fs.StringVar(&f.Helm, "helm", "helm", "the helm binary --render-check runs (v3 or v4)")
	fs.StringVar(&f.Kustomize, "kustomize", "kustomize", "the kustomize binary --render-check runs for a kustomization (v5)")
}

// request is the bump.Request's Render: nil without --render-check.
// Each chart's check is bounded by timeout (--timeout).
func (f *renderFlags) request(timeout time.Duration) *bump.RenderCheck {
	if !f.Check {
		return nil
	}
	return &bump.RenderCheck{Helm: render.Helm{Bin: f.Helm}, Kustomize: render.Kustomize{Bin: f.Kustomize}, Timeout: timeout}
}
