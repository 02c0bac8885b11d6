package main

import (
	"bytes"
	"fmt"
	"strings"
)

// words are the kind of words Helm values comments use; made-up words from
// syllables are mixed in so that files do not share long runs of text.
var words = strings.Fields(`the a an of to for and or if is are be by on in with when this that
it not set enabled disabled default value values chart template templates pod pods container
containers image images tag tags registry repository pull policy secret secrets service account
annotations labels selector node affinity tolerations resources limits requests cpu memory port
ports ingress host hosts path paths tls certificate configmap volume volumes mount mounts probe
liveness readiness startup timeout seconds period threshold replicas replica autoscaling metrics
server client controller webhook operator deployment statefulset daemonset job cronjob namespace
cluster role binding rbac create name fullname override overrides extra args env environment
variables variable security context user group run as root filesystem read only privileged
capabilities drop add priority class scheduler topology spread constraints update strategy rolling
max surge unavailable revision history limit log level format json text debug info warn error
prometheus monitor scrape interval endpoint endpoints relabel rules alert alerts dashboard grafana
storage persistence claim size access mode modes retain delete backup restore database cache redis
postgres kafka queue worker workers api gateway proxy upstream downstream header headers cookie
session token oauth oidc issuer audience scope scopes should will can may must see more details
https docs example use used using only also here see below above note from where which`)

var syllables = strings.Fields(`ka ri to mun sel ver dax lo pri qua nex tor fi gel hum bra zon vi
ope lan cer tis mo dru pha sta ken yor wel ix ul ark bel cyn dor esk fal gri`)

func (g *generator) word() string {
	if g.rng.IntN(6) == 0 {
		var b strings.Builder
		for range 2 + g.rng.IntN(2) {
			b.WriteString(syllables[g.rng.IntN(len(syllables))])
		}
		return b.String()
	}
	return words[g.rng.IntN(len(words))]
}

func (g *generator) sentence(min, max int) string {
	n := min + g.rng.IntN(max-min+1)
	parts := make([]string, n)
	for i := range parts {
		parts[i] = g.word()
	}
	s := strings.Join(parts, " ")
	return strings.ToUpper(s[:1]) + s[1:] + "."
}

// key returns a camelCase key of one to three words.
func (g *generator) key() string {
	n := 1 + g.rng.IntN(3)
	var b strings.Builder
	for i := range n {
		w := g.word()
		if w == "a" || w == "an" {
			w = "x" + w
		}
		if i > 0 {
			w = strings.ToUpper(w[:1]) + w[1:]
		}
		b.WriteString(w)
	}
	return b.String()
}

func (g *generator) scalar() string {
	switch g.rng.IntN(10) {
	case 0:
		return "true"
	case 1:
		return "false"
	case 2:
		return fmt.Sprint(g.rng.IntN(65536))
	case 3:
		return fmt.Sprintf("%dm", 10*(1+g.rng.IntN(200)))
	case 4:
		return fmt.Sprintf("%dMi", 16*(1+g.rng.IntN(256)))
	case 5:
		return fmt.Sprintf("%ds", 1+g.rng.IntN(600))
	case 6:
		return `""`
	case 7:
		return "{}"
	case 8:
		return fmt.Sprintf("%q", g.word()+"-"+g.word())
	default:
		return g.word() + "." + g.word() + ".svc"
	}
}

// comment writes one to n comment lines in one of the styles real charts
// use (#, ## and the helm-docs "# --").
func (g *generator) comment(b *bytes.Buffer, indent string, n int) {
	style := []string{"# ", "## ", "# -- "}[g.rng.IntN(3)]
	for i := range 1 + g.rng.IntN(n) {
		if i > 0 && style == "# -- " {
			style = "# "
		}
		fmt.Fprintf(b, "%s%s%s\n", indent, style, g.sentence(4, 14))
	}
}

// section writes a top-level key with nested settings, comments and
// commented-out examples.
func (g *generator) section(b *bytes.Buffer, depth int, indent string) {
	g.comment(b, indent, 4)
	fmt.Fprintf(b, "%s%s:\n", indent, g.key())
	inner := indent + "  "
	for range 2 + g.rng.IntN(6) {
		switch r := g.rng.IntN(10); {
		case r < 2 && depth < 3:
			g.section(b, depth+1, inner)
		case r < 3:
			fmt.Fprintf(b, "%s# %s: %s\n", inner, g.key(), g.scalar())
		case r < 4:
			fmt.Fprintf(b, "%s%s:\n", inner, g.key())
			for range 1 + g.rng.IntN(3) {
				fmt.Fprintf(b, "%s  - %s\n", inner, g.scalar())
			}
		default:
			if g.rng.IntN(2) == 0 {
				g.comment(b, inner, 2)
			}
			fmt.Fprintf(b, "%s%s: %s\n", inner, g.key(), g.scalar())
		}
	}
	b.WriteByte('\n')
}

// newFile creates chart's values.yaml (env "") or values-<env>.yaml.
func (g *generator) newFile(chart, env string) *file {
	f := &file{tag: g.tag(), replicas: 1 + g.rng.IntN(6)}
	var b bytes.Buffer
	sections := 1 + g.rng.IntN(2)
	if env == "" {
		f.path = chart + "/values.yaml"
		fmt.Fprintf(&b, "# Default values for %s.\n# This is a YAML-formatted file.\n", chart)
		fmt.Fprintf(&b, "# %s\n\n", g.sentence(6, 16))
		sections = 5 + g.rng.IntN(13)
	} else {
		f.path = chart + "/values-" + env + ".yaml"
		fmt.Fprintf(&b, "# %s overrides for %s.\n# %s\n\n", env, chart, g.sentence(6, 16))
	}
	before := g.rng.IntN(sections/3 + 1)
	for range before {
		g.section(&b, 0, "")
	}
	g.comment(&b, "", 2)
	b.WriteString("image:\n")
	g.comment(&b, "  ", 2)
	fmt.Fprintf(&b, "  repository: registry.example.com/%s\n", chart)
	if g.rng.IntN(2) == 0 {
		b.WriteString("  pullPolicy: IfNotPresent\n")
	}
	b.WriteString("  # -- Overrides the image tag whose default is the chart appVersion.\n  tag: ")
	f.head = bytes.Clone(b.Bytes())
	b.Reset()
	b.WriteString("\n\n")
	g.comment(&b, "", 2)
	b.WriteString("replicaCount: ")
	f.mid = bytes.Clone(b.Bytes())
	b.Reset()
	b.WriteString("\n\n")
	for range sections - before {
		g.section(&b, 0, "")
	}
	f.tail = bytes.Clone(b.Bytes())
	return f
}
