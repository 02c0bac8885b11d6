package ci

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/url"
	"slices"
	"strings"
	"sync"
)

// Redacted is what a Redactor writes in place of a secret.
const Redacted = "***"

// MinSecretLen is the length below which a Redactor ignores a secret:
// hiding every "main" or "1234" would garble the output and hide nothing.
const MinSecretLen = 6

// Redactor hides secrets in text that leaves the process. Besides each
// secret itself it hides the forms a server or a library may give it
// back in: URL-escaped, JSON-escaped, escaped for a workflow command, and
// base64 at any alignment, so that the basic-auth header of user:secret
// (or :secret) is hidden whatever the user. A truncated excerpt that ends
// in the first characters of a secret and "…" loses them too.
//
// The zero Redactor, and one given no secret, hides nothing.
type Redactor struct {
	mu    sync.RWMutex
	forms []string // longest first
	r     *strings.Replacer
}

// NewRedactor returns a Redactor for secrets; those shorter than
// MinSecretLen are ignored.
func NewRedactor(secrets ...string) *Redactor {
	red := &Redactor{}
	red.Add(secrets...)
	return red
}

// Add hides more secrets from now on, in text and in the writers made
// before: credentials found while a command runs (a registry's, from
// Docker's config). Those shorter than MinSecretLen are ignored.
func (red *Redactor) Add(secrets ...string) {
	if red == nil {
		return
	}
	red.mu.Lock()
	defer red.mu.Unlock()
	forms := red.forms
	seen := map[string]bool{}
	for _, f := range forms {
		seen[f] = true
	}
	added := false
	add := func(f string) {
		if len(f) >= MinSecretLen && !seen[f] {
			seen[f] = true
			forms = append(forms, f)
			added = true
		}
	}
	for _, s := range secrets {
		if len(s) < MinSecretLen {
			continue
		}
		add(s)
		add(url.QueryEscape(s))
		add(url.PathEscape(s))
		add(githubData(s))
		add(azureData(s))
		if b, err := json.Marshal(s); err == nil {
			add(string(b[1 : len(b)-1]))
		}
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding} {
			for k := 0; k < 3; k++ {
				add(base64Core(enc, s, k))
			}
		}
	}
	if !added {
		return
	}
	// The longest form first, so that a secret inside a longer one
	// (its escaped form) does not leave the rest behind.
	slices.SortStableFunc(forms, func(a, b string) int { return len(b) - len(a) })
	pairs := make([]string, 0, 2*len(forms))
	for _, f := range forms {
		pairs = append(pairs, f, Redacted)
	}
	red.forms, red.r = forms, strings.NewReplacer(pairs...)
}

// base64Core returns the characters of the base64 of secret, written
// after k other bytes, that depend on secret's bytes only: they appear in
// the base64 of any text that holds secret k bytes (mod 3) from its start.
func base64Core(enc *base64.Encoding, secret string, k int) string {
	s := enc.EncodeToString(append(make([]byte, k), secret...))
	from, to := (8*k+5)/6, 8*(k+len(secret))/6
	if to-from < 8 {
		return ""
	}
	return s[from:to]
}

// Bytes is String for a byte slice.
func (r *Redactor) Bytes(b []byte) []byte { return []byte(r.String(string(b))) }

// String returns s with every secret hidden.
func (r *Redactor) String(s string) string {
	if r == nil {
		return s
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	if r.r == nil {
		return s
	}
	s = r.r.Replace(s)
	if !strings.Contains(s, "…") {
		return s
	}
	// A cut excerpt: "... Bearer canar…".
	parts := strings.Split(s, "…")
	for i := range parts[:len(parts)-1] {
		if n := r.prefixAtEnd(parts[i], 4); n > 0 {
			parts[i] = parts[i][:len(parts[i])-n] + Redacted
		}
	}
	return strings.Join(parts, "…")
}

// prefixAtEnd returns the length of the longest end of s, least bytes or
// more, that is the start of a form; 0 if there is none.
func (r *Redactor) prefixAtEnd(s string, least int) int {
	best := 0
	for _, f := range r.forms {
		for n := min(len(f)-1, len(s)); n >= max(least, best+1); n-- {
			if strings.HasSuffix(s, f[:n]) {
				best = n
				break
			}
		}
	}
	return best
}

// Writer returns w wrapped so that secrets written through it are
// hidden, or w itself when r hides nothing. A secret split across writes
// is caught too: the writer holds back an end of a write that could start
// a secret until the next write or Flush, so call Flush when done.
func (r *Redactor) Writer(w io.Writer) io.Writer {
	if r == nil {
		return w
	}
	return &redactWriter{r: r, w: w}
}

// Underlying returns the writer a Redactor's writer writes to, else w:
// whether output goes to a terminal is a property of that one.
func Underlying(w io.Writer) io.Writer {
	if rw, ok := w.(*redactWriter); ok {
		return rw.w
	}
	return w
}

// Flush writes what w holds back, if it is a Redactor's writer.
func Flush(w io.Writer) error {
	if rw, ok := w.(*redactWriter); ok {
		return rw.Flush()
	}
	return nil
}

// redactWriter is the writer that Redactor.Writer returns.
type redactWriter struct {
	r       *Redactor
	w       io.Writer
	pending string
}

func (rw *redactWriter) Write(p []byte) (int, error) {
	s := rw.r.String(rw.pending + string(p))
	rw.r.mu.RLock()
	hold := rw.r.prefixAtEnd(s, 1)
	rw.r.mu.RUnlock()
	rw.pending = s[len(s)-hold:]
	if out := s[:len(s)-hold]; out != "" {
		if _, err := io.WriteString(rw.w, out); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

// Flush writes what rw holds back.
func (rw *redactWriter) Flush() error {
	s := rw.pending
	rw.pending = ""
	if s == "" {
		return nil
	}
	_, err := io.WriteString(rw.w, s)
	return err
}
