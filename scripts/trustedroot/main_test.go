package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRefreshKeepsPublicGoodOnly: refreshing from sigstore-go v1.3.0's
// example root, which also lists GitHub's private timestamp authority (the
// last entry of the file), removes that authority and changes nothing else
// byte for byte, and says so in SOURCE; a root with only public-good's
// timestamp authority is copied unchanged.
func TestRefreshKeepsPublicGoodOnly(t *testing.T) {
	out := t.TempDir()
	in := filepath.Join("testdata", "sigstore-go-v1.3.0-trusted-root-public-good.json")
	if err := run(out, in, "sigstore-go v1.3.0 examples", "2026-07-30"); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(out, "trusted_root.json"))
	if err != nil {
		t.Fatal(err)
	}
	orig, err := os.ReadFile(in)
	if err != nil {
		t.Fatal(err)
	}
	const tsas = `"timestampAuthorities": `
	i := bytes.Index(orig, []byte(tsas))
	if want := string(orig[:i+len(tsas)]) + "[]\n}\n"; string(got) != want {
		t.Errorf("refreshed root is not the input without its timestamp authority:\n%s", got)
	}
	if bytes.Contains(got, []byte("GitHub")) {
		t.Error("GitHub's timestamp authority kept")
	}
	src, _ := os.ReadFile(filepath.Join(out, "SOURCE"))
	if want := "2026-07-30 sigstore-go v1.3.0 examples (timestamp authorities other than public-good's removed)\n"; string(src) != want {
		t.Errorf("SOURCE = %q, want %q", src, want)
	}

	// public-good's own timestamp authority stays, and the file is untouched.
	pg := strings.Replace(string(got), `"timestampAuthorities": []`, `"timestampAuthorities": [{"subject": {"organization": "sigstore.dev", "commonName": "sigstore-tsa-selfsigned"}, "uri": "https://timestamp.sigstore.dev/api/v1/timestamp"}]`, 1)
	b, dropped, err := publicGoodOnly([]byte(pg))
	if err != nil || len(dropped) != 0 || string(b) != pg {
		t.Errorf("public-good's timestamp authority: dropped %v, err %v, changed %v", dropped, err, string(b) != pg)
	}
}
