package imageref

import (
	"fmt"
	"math/big"
	"regexp"
	"strings"
)

// PolicyError reports a tag that is well formed but that the deployment
// policy refuses.
type PolicyError struct {
	Tag    string // the refused tag
	Reason string // why it is refused
	Fix    string // what to do instead
}

func (e *PolicyError) Error() string {
	return fmt.Sprintf("tag %q refused: %s: %s", e.Tag, e.Reason, e.Fix)
}

// Policy decides which tags may be deployed. The zero Policy refuses only
// "latest".
type Policy struct {
	// Pattern, when set, must match the tag; anchor it (^...$) to match
	// the whole tag.
	Pattern *regexp.Regexp
}

// Check returns a *PolicyError when tag may not be deployed: "latest" (in
// any case) always, and tags that do not match Pattern when it is set. It
// does not check the grammar: see ValidateTag.
func (p Policy) Check(tag string) error {
	if strings.EqualFold(tag, "latest") {
		return &PolicyError{Tag: tag, Reason: "latest is a moving tag", Fix: "deploy an immutable tag such as a version or build number"}
	}
	if p.Pattern != nil && !p.Pattern.MatchString(tag) {
		return &PolicyError{Tag: tag, Reason: fmt.Sprintf("does not match --tag-pattern %q", p.Pattern.String()), Fix: "use a tag that matches the pattern, or change the pattern"}
	}
	return nil
}

var (
	semverRe = regexp.MustCompile(`^v?(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+[0-9A-Za-z.-]+)?$`)
	buildRe  = regexp.MustCompile(`^(.*?)([0-9]+)$`)
)

// Compare orders two tags for the downgrade guard. Two semantic versions
// (with or without a "v" prefix) compare by semver precedence, build
// metadata ignored; two tags with the same prefix followed by a build number
// ("app-service-122", "app-service-123") compare by that number. cmp is -1,
// 0 or +1 as a is older than, as old as or newer than b; ok is false when
// the tags are not comparable, and cmp is then 0.
func Compare(a, b string) (cmp int, ok bool) {
	if ma, mb := semverRe.FindStringSubmatch(a), semverRe.FindStringSubmatch(b); ma != nil && mb != nil {
		for i := 1; i <= 3; i++ {
			if c := compareNumbers(ma[i], mb[i]); c != 0 {
				return c, true
			}
		}
		return comparePrerelease(ma[4], mb[4]), true
	}
	ma, mb := buildRe.FindStringSubmatch(a), buildRe.FindStringSubmatch(b)
	if ma == nil || mb == nil || ma[1] != mb[1] {
		return 0, false
	}
	return compareNumbers(ma[2], mb[2]), true
}

// compareNumbers compares two decimal digit strings of any length.
func compareNumbers(a, b string) int {
	x, _ := new(big.Int).SetString(a, 10)
	y, _ := new(big.Int).SetString(b, 10)
	return x.Cmp(y)
}

// comparePrerelease applies semver rule 11: no pre-release is newer than
// any pre-release; identifiers compare numerically when both are numeric,
// numeric ones are older than alphanumeric ones, and a shorter list is
// older when all its identifiers are equal.
func comparePrerelease(a, b string) int {
	switch {
	case a == b:
		return 0
	case a == "":
		return 1
	case b == "":
		return -1
	}
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(pa) && i < len(pb); i++ {
		na, nb := isNumber(pa[i]), isNumber(pb[i])
		var c int
		switch {
		case na && nb:
			c = compareNumbers(pa[i], pb[i])
		case na:
			c = -1
		case nb:
			c = 1
		default:
			c = strings.Compare(pa[i], pb[i])
		}
		if c != 0 {
			return c
		}
	}
	switch {
	case len(pa) < len(pb):
		return -1
	case len(pa) > len(pb):
		return 1
	}
	return 0
}

func isNumber(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}
