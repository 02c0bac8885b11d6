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
//	go run ./scripts/trustedroot -out pkg/attest/publicgood
//	go run ./scripts/trustedroot -out pkg/attest/publicgood -from trusted_root.json -origin "..."
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/tuf"
)

func main() {
	out := flag.String("out", ".", "directory to write trusted_root.json and SOURCE into")
	from := flag.String("from", "", "copy this trusted_root.json instead of fetching it through TUF")
	origin := flag.String("origin", "", "where the file came from, recorded in SOURCE (default: the TUF URL or -from's path)")
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
			origin = tuf.DefaultMirror + " (TUF)"
		}
	}
	if err != nil {
		return err
	}
	if _, err := root.NewTrustedRootFromJSON(data); err != nil {
		return fmt.Errorf("not a trusted root: %w", err)
	}
	if err := writeFile(filepath.Join(out, "trusted_root.json"), data); err != nil {
		return err
	}
	return writeFile(filepath.Join(out, "SOURCE"), []byte(date+" "+origin+"\n"))
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
