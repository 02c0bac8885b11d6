// Command reliability sums the counters that the reliability tests write
// (one JSON object a line, see internal/cli/reliability_helpers_test.go)
// and prints the table of `make reliability`. It exits 1 when a commit was
// lost or duplicated, a secret leaked, a test failed or nothing was
// recorded.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
)

// counts is one line of the log.
type counts struct {
	Test             string `json:"test"`
	Scenarios        int    `json:"scenarios"`
	Faults           int64  `json:"faults"`
	BadInputs        int    `json:"bad_inputs"`
	CommitsLost      int    `json:"commits_lost"`
	DuplicateCommits int    `json:"duplicate_commits"`
	SecretsLeaked    int    `json:"secrets_leaked"`
	Failed           bool   `json:"failed"`
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: reliability LOGFILE")
		os.Exit(2)
	}
	f, err := os.Open(os.Args[1])
	if err != nil {
		fmt.Fprintf(os.Stderr, "reliability: %v: run the tests with TAGBUMP_RELIABILITY_LOG set (make reliability)\n", err)
		os.Exit(1)
	}
	defer f.Close()
	total, failed, err := sum(f)
	if err != nil {
		fmt.Fprintf(os.Stderr, "reliability: read %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
	print(os.Stdout, total, failed)
	if total.CommitsLost+total.DuplicateCommits+total.SecretsLeaked > 0 || len(failed) > 0 || total.Scenarios+total.BadInputs == 0 {
		os.Exit(1)
	}
}

func sum(r io.Reader) (total counts, failed []string, err error) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		var c counts
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			return total, nil, fmt.Errorf("line %q: %w", sc.Text(), err)
		}
		total.Scenarios += c.Scenarios
		total.Faults += c.Faults
		total.BadInputs += c.BadInputs
		total.CommitsLost += c.CommitsLost
		total.DuplicateCommits += c.DuplicateCommits
		total.SecretsLeaked += c.SecretsLeaked
		if c.Failed {
			failed = append(failed, c.Test)
		}
	}
	return total, failed, sc.Err()
}

func print(w io.Writer, t counts, failed []string) {
	row := func(name string, v any, must string) { fmt.Fprintf(w, "| %-20s | %7v | %-9s |\n", name, v, must) }
	fmt.Fprintln(w, "| reliability          |   count | must be   |")
	fmt.Fprintln(w, "|----------------------|---------|-----------|")
	row("scenarios run", t.Scenarios, "")
	row("faults injected", t.Faults, "")
	row("bad inputs tried", t.BadInputs, "")
	row("commits lost", t.CommitsLost, "0")
	row("duplicate commits", t.DuplicateCommits, "0")
	row("secrets leaked", t.SecretsLeaked, "0")
	for _, f := range failed {
		fmt.Fprintf(w, "FAILED: %s\n", f)
	}
}
