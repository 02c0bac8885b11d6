// Command trustedroot refreshes the Sigstore public-good trusted root that
// tagbump embeds (pkg/attest/publicgood): it writes trusted_root.json and
// SOURCE (the date and origin shown by `tagbump version`).
//
// By default it fetches trusted_root.json through Sigstore's TUF
// repository (https://tuf-repo-cdn.sigstore.dev), verified with the TUF
// root embedded in sigstore-go, which is what `go generate
// ./pkg/attest/publicgood` runs in CI. With -from it copies a file
// instead (e.g. `gh attestation trusted-root` output's first line saved
// to a file, or sigstore-go's examples/trusted-root-public-good.json),
// after checking that it parses as a trusted root.
//
// Either way it keeps only public-good's timestamp authorities (those
// under sigstore.dev): sigstore-go's example file, for one, also lists
// GitHub's private one, which keyless verification with the embedded
// root must not trust. The rest of the file is kept byte for byte.
//
//	go run ./scripts/trustedroot -out pkg/attest/publicgood
//	go run ./scripts/trustedroot -out pkg/attest/publicgood -from trusted_root.json -origin "..."
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/tuf"
)

func main() {
	out := flag.String("out", ".", "directory to write trusted_root.json and SOURCE into")
	from := flag.String("from", "", "copy this trusted_root.json instead of fetching it through TUF")
	origin := flag.String("origin", "", "where the file came from, recorded in SOURCE (default: the TUF URL or -from's name)")
	date := flag.String("date", time.Now().UTC().Format(time.DateOnly), "date recorded in SOURCE (YYYY-MM-DD)")
	flag.Parse()
	if err := run(*out, *from, *origin, *date); err != nil {
		fmt.Fprintln(os.Stderr, "trustedroot:", err)
		os.Exit(1)
	}
}

func run(out, from, origin, date string) error {
	if _, err := time.Parse(time.DateOnly, date); err != nil {
		return fmt.Errorf("-date %q: %w", date, err)
	}
	var data []byte
	var err error
	if from != "" {
		data, err = os.ReadFile(from)
		if origin == "" {
			origin = filepath.Base(from)
		}
	} else {
		data, err = fetch()
		if origin == "" {
			origin = "Sigstore public-good root from " + tuf.DefaultMirror + " (TUF)"
		}
	}
	if err != nil {
		return err
	}
	var dropped []string
	if data, dropped, err = publicGoodOnly(data); err != nil {
		return err
	}
	if len(dropped) > 0 {
		fmt.Fprintf(os.Stderr, "trustedroot: removed timestamp authorities not of public-good: %s\n", strings.Join(dropped, "; "))
		origin += " (timestamp authorities other than public-good's removed)"
	}
	if _, err := root.NewTrustedRootFromJSON(data); err != nil {
		return fmt.Errorf("not a trusted root: %w", err)
	}
	if err := writeFile(filepath.Join(out, "trusted_root.json"), data); err != nil {
		return err
	}
	return writeFile(filepath.Join(out, "SOURCE"), []byte(date+" "+origin+"\n"))
}

// publicGoodOnly removes from the trusted root data the timestamp
// authorities that are not Sigstore public-good's (URI under sigstore.dev,
// or organization sigstore.dev), and returns their subjects. Data without
// such an entry is returned as is; otherwise the top-level keys keep their
// order and the file is indented by two spaces, as Sigstore writes it.
func publicGoodOnly(data []byte) ([]byte, []string, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, nil, fmt.Errorf("not a trusted root: no JSON object")
	}
	type field struct {
		key string
		val json.RawMessage
	}
	var fields []field
	var dropped []string
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, nil, fmt.Errorf("not a trusted root: %w", err)
		}
		f := field{key: t.(string)}
		if err := dec.Decode(&f.val); err != nil {
			return nil, nil, fmt.Errorf("not a trusted root: %s: %w", f.key, err)
		}
		if f.key == "timestampAuthorities" {
			var tsas []json.RawMessage
			if err := json.Unmarshal(f.val, &tsas); err != nil {
				return nil, nil, fmt.Errorf("not a trusted root: %s: %w", f.key, err)
			}
			kept := []json.RawMessage{}
			for _, raw := range tsas {
				var tsa struct {
					URI     string
					Subject struct{ Organization, CommonName string }
				}
				if err := json.Unmarshal(raw, &tsa); err != nil {
					return nil, nil, fmt.Errorf("not a trusted root: %s: %w", f.key, err)
				}
				u, _ := url.Parse(tsa.URI)
				if tsa.Subject.Organization == "sigstore.dev" || u != nil && (u.Hostname() == "sigstore.dev" || strings.HasSuffix(u.Hostname(), ".sigstore.dev")) {
					kept = append(kept, raw)
					continue
				}
				dropped = append(dropped, fmt.Sprintf("%s / %s %s", tsa.Subject.Organization, tsa.Subject.CommonName, tsa.URI))
			}
			if f.val, err = json.Marshal(kept); err != nil {
				return nil, nil, err
			}
		}
		fields = append(fields, f)
	}
	if len(dropped) == 0 {
		return data, nil, nil
	}
	var compact bytes.Buffer
	compact.WriteByte('{')
	for i, f := range fields {
		if i > 0 {
			compact.WriteByte(',')
		}
		k, _ := json.Marshal(f.key)
		compact.Write(k)
		compact.WriteByte(':')
		compact.Write(f.val)
	}
	compact.WriteByte('}')
	var out bytes.Buffer
	if err := json.Indent(&out, compact.Bytes(), "", "  "); err != nil {
		return nil, nil, err
	}
	out.WriteByte('\n')
	return out.Bytes(), dropped, nil
}

// fetch gets trusted_root.json from the public-good TUF repository, with
// a throw-away cache so that nothing stale is reused.
func fetch() ([]byte, error) {
	dir, err := os.MkdirTemp("", "tuf-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	opts := tuf.DefaultOptions().WithCachePath(dir).WithCacheValidity(tuf.NoCache)
	c, err := tuf.New(opts)
	if err != nil {
		return nil, fmt.Errorf("TUF client: %w", err)
	}
	return c.GetTarget("trusted_root.json")
}

// writeFile replaces path atomically.
func writeFile(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".trustedroot-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
