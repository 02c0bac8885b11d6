package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/spf13/pflag"
	"github.com/tagbump/tagbump/internal/ci"
	"github.com/tagbump/tagbump/pkg/imageref"
	"github.com/tagbump/tagbump/pkg/registry"
)

// Environment variables with registry credentials. They are read here
// only, never exposed as flags, and never printed.
const (
	envRegistryUsername = "TAGBUMP_REGISTRY_USERNAME"
	envRegistryPassword = "TAGBUMP_REGISTRY_PASSWORD"
)

// registryFlags are the flags of every command that talks to a registry
// (verify, push, tag and bump).
type registryFlags struct {
	TagPattern string
	Insecure   []string
	Timeout    time.Duration
	Retries    int
	// Redactor learns the credentials the keychain gives out (set from
	// IOStreams.Redactor by each command).
	Redactor *ci.Redactor
}

// register adds the registry flags to fs.
func (f *registryFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.TagPattern, "tag-pattern", "", "refuse tags that do not match this regular expression (matched against the whole tag)")
	fs.StringArrayVar(&f.Insecure, "insecure-registry", nil, "allow plain HTTP to this registry host or host:port (repeatable); localhost and 127.0.0.0/8 always may")
	fs.DurationVar(&f.Timeout, "timeout", 30*time.Second, "fail a registry request that makes no progress for this long")
	fs.IntVar(&f.Retries, "retries", 3, "attempts per registry request, 1 = no retry (408, 429, 5xx, network errors and timeouts are retried; 401, 403 and 404 never)")
}

// policy returns the tag policy of the flags.
func (f *registryFlags) policy() (imageref.Policy, error) {
	if f.TagPattern == "" {
		return imageref.Policy{}, nil
	}
	re, err := regexp.Compile(`^(?:` + f.TagPattern + `)$`)
	if err != nil {
		return imageref.Policy{}, usageErr(fmt.Errorf("invalid --tag-pattern %q: %w: give a Go regular expression such as 'app-service-[0-9]+'", f.TagPattern, err))
	}
	return imageref.Policy{Pattern: re}, nil
}

// options returns the pkg/registry options of the flags, with credentials
// from the environment ahead of docker's and podman's config files.
func (f *registryFlags) options(hosts ...string) ([]registry.Option, error) {
	p, err := f.policy()
	if err != nil {
		return nil, err
	}
	kc, err := registryKeychain(hosts...)
	if err != nil {
		return nil, err
	}
	kc = redactingKeychain{kc, f.Redactor}
	if f.Timeout <= 0 {
		return nil, usageErr(fmt.Errorf("invalid --timeout %s: give a positive duration such as 30s", f.Timeout))
	}
	if f.Retries < 1 {
		return nil, usageErr(fmt.Errorf("invalid --retries %d: it counts attempts per registry request: give 1 or more (1 = no retry)", f.Retries))
	}
	return []registry.Option{
		registry.WithPolicy(p),
		registry.WithKeychain(kc),
		registry.WithInsecureRegistries(f.Insecure),
		registry.WithTimeout(f.Timeout),
		registry.WithRetry(f.Retries),
		registry.WithUserAgent("tagbump/" + userAgentVersion()),
	}, nil
}

func userAgentVersion() string {
	v, _, _ := buildInfo()
	return v
}

// redactingKeychain hides every credential kc gives out (from Docker's or
// podman's config, a credential helper, or the environment) in what
// tagbump writes from then on: a registry may echo them in an error.
type redactingKeychain struct {
	kc  authn.Keychain
	red *ci.Redactor
}

func (k redactingKeychain) Resolve(r authn.Resource) (authn.Authenticator, error) {
	a, err := k.kc.Resolve(r)
	if err != nil || k.red == nil {
		return a, err
	}
	if cfg, err := a.Authorization(); err == nil && cfg != nil {
		k.red.Add(cfg.Password, cfg.Auth, cfg.IdentityToken, cfg.RegistryToken)
		if cfg.Password != "" {
			k.red.Add(cfg.Username + ":" + cfg.Password)
		}
	}
	return a, nil
}

// envKeychain gives the credentials of TAGBUMP_REGISTRY_USERNAME and
// TAGBUMP_REGISTRY_PASSWORD to the registry of the command's image only: a
// reference naming another host never receives them.
type envKeychain struct {
	cfg   authn.AuthConfig
	hosts []string
}

func (k envKeychain) Resolve(r authn.Resource) (authn.Authenticator, error) {
	if !slices.Contains(k.hosts, r.RegistryStr()) {
		return authn.Anonymous, nil
	}
	return authn.FromConfig(k.cfg), nil
}

// registryKeychain returns the environment's credentials for the hosts of
// the command's images, when set, ahead of go-containerregistry's default
// keychain.
func registryKeychain(hosts ...string) (authn.Keychain, error) {
	user, pass := os.Getenv(envRegistryUsername), os.Getenv(envRegistryPassword)
	switch {
	case user == "" && pass == "":
		return authn.DefaultKeychain, nil
	case user == "" || pass == "":
		return nil, usageErr(errors.New("registry credentials: set both " + envRegistryUsername + " and " + envRegistryPassword + ", or neither"))
	}
	names := make([]string, len(hosts))
	for i, h := range hosts {
		names[i] = registryName(h)
	}
	return authn.NewMultiKeychain(envKeychain{cfg: authn.AuthConfig{Username: user, Password: pass}, hosts: names}, authn.DefaultKeychain), nil
}

// registryName is host as go-containerregistry names the registry in the
// resources it resolves: Docker Hub's docker.io is index.docker.io there.
func registryName(host string) string {
	r, err := name.NewRegistry(host)
	if err != nil {
		return host
	}
	return r.RegistryStr()
}

// setup checks --output, parses image and returns the registry options of
// the flags: the common start of verify, push and tag.
func (f *registryFlags) setup(out *outputFlag, image string) (imageref.Ref, []registry.Option, error) {
	return f.setupWith(out, image, imageref.Parse)
}

// setupWith is setup with parse in place of imageref.Parse.
func (f *registryFlags) setupWith(out *outputFlag, image string, parse func(string) (imageref.Ref, error)) (imageref.Ref, []registry.Option, error) {
	if err := out.check(); err != nil {
		return imageref.Ref{}, nil, err
	}
	ref, err := parse(image)
	if err != nil {
		return imageref.Ref{}, nil, usageErr(err)
	}
	opts, err := f.options(ref.Registry)
	return ref, opts, err
}

// parseImage parses a command-line image reference.
func parseImage(s string) (imageref.Ref, error) {
	r, err := imageref.Parse(s)
	if err != nil {
		return imageref.Ref{}, usageErr(err)
	}
	return r, nil
}

// outputFlag is --output text|json.
type outputFlag struct{ Format string }

func (o *outputFlag) register(fs *pflag.FlagSet) {
	fs.StringVarP(&o.Format, "output", "o", "text", "output format: text or json")
}

func (o *outputFlag) check() error {
	if o.Format != "text" && o.Format != "json" {
		return usageErr(fmt.Errorf("invalid --output %q: use text or json", o.Format))
	}
	return nil
}

// print writes v as indented JSON, or text followed by a newline.
func (o *outputFlag) print(w io.Writer, text string, v any) error {
	if o.Format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
	_, err := fmt.Fprintln(w, text)
	return err
}
