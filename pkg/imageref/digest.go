package imageref

// ValidateDigest reports whether d is a manifest digest tagbump accepts:
// sha256: followed by 64, or sha512: followed by 128, lower-case hex
// digits. Errors are *Error.
func ValidateDigest(d string) error {
	if digestRe.MatchString(d) {
		return nil
	}
	return &Error{What: "digest", Input: d, Problem: "not a sha256 or sha512 digest", Fix: "use sha256: followed by 64 lower-case hex digits (or sha512: followed by 128)"}
}
