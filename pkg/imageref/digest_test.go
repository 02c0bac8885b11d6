package imageref

import (
	"errors"
	"strings"
	"testing"
)

func TestValidateDigest(t *testing.T) {
	for _, d := range []string{"sha256:" + strings.Repeat("a", 64), "sha512:" + strings.Repeat("0", 128)} {
		if err := ValidateDigest(d); err != nil {
			t.Errorf("ValidateDigest(%q) = %v, want nil", d, err)
		}
	}
	for _, d := range []string{"", "sha256:abc", "sha256:" + strings.Repeat("A", 64), "md5:" + strings.Repeat("a", 32), strings.Repeat("a", 64), "sha512:" + strings.Repeat("a", 64)} {
		var e *Error
		if err := ValidateDigest(d); !errors.As(err, &e) || e.Input != d {
			t.Errorf("ValidateDigest(%q) = %v, want *Error naming it", d, err)
		}
	}
}
