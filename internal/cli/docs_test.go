package cli

import (
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestExitCodesDocumented checks docs/reference/exit-codes.md against the
// code: each exit code has a row in the first table, each code the help
// text lists has one, and the table of JSON kinds maps each code's
// ExitKind to that code. A code added here and not there fails.
func TestExitCodesDocumented(t *testing.T) {
	b, err := os.ReadFile("../../docs/reference/exit-codes.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	rows := map[int]string{}  // code → meaning, from the first table
	kinds := map[string]int{} // kind → code, from the kind table
	row := regexp.MustCompile("(?m)^\\| (\\d+) \\| (.+) \\|$")
	kindRow := regexp.MustCompile("(?m)^\\| `([a-z_]+)` \\| (\\d+) \\|$")
	for _, m := range row.FindAllStringSubmatch(doc, -1) {
		code, _ := strconv.Atoi(m[1])
		if _, dup := rows[code]; dup {
			t.Errorf("exit code %d has two rows", code)
		}
		rows[code] = m[2]
	}
	for _, m := range kindRow.FindAllStringSubmatch(doc, -1) {
		kinds[m[1]], _ = strconv.Atoi(m[2])
	}
	codes := []int{ExitOK, ExitError, ExitUsage, ExitNotFound, ExitRefused, ExitAuth, ExitNetwork, ExitConflict, ExitRejected, ExitFailed, ExitCanceled}
	for _, code := range codes {
		if strings.TrimSpace(rows[code]) == "" {
			t.Errorf("exit code %d has no row in docs/reference/exit-codes.md", code)
		}
		if code == ExitOK {
			continue
		}
		kind := ExitKind(code)
		if got, ok := kinds[kind]; !ok || got != code {
			t.Errorf("kind %q: the doc says %d (listed %v), the code %d", kind, got, ok, code)
		}
	}
	help := regexp.MustCompile(`(?m)^  (\d+) `)
	for _, m := range help.FindAllStringSubmatch(exitCodeHelp, -1) {
		code, _ := strconv.Atoi(m[1])
		if _, ok := rows[code]; !ok {
			t.Errorf("exit code %d is in the help text but not in docs/reference/exit-codes.md", code)
		}
	}
	if len(rows) != len(codes) {
		t.Errorf("docs/reference/exit-codes.md has %d codes, the code %d: %v", len(rows), len(codes), rows)
	}
}
