#!/usr/bin/env bash
# Runs every Fuzz* target in the module for $1 each (0 = until stopped).
# A timed run bounds the minimisation of new inputs (default 60s): Go's
# fuzzer fails with "context deadline exceeded" when -fuzztime ends while it
# is still minimising one, or running a slow input: such a run, in which no
# input failed, is made once more.
set -euo pipefail
t=${1:-20s}
for pkg in $(go list ./...); do
  dir=$(go list -f '{{.Dir}}' "$pkg")
  for f in $(grep -hoE '^func (Fuzz[A-Za-z0-9_]+)' "$dir"/*_test.go 2>/dev/null | awk '{print $2}'); do
    echo "== $pkg $f"
    if [ "$t" = 0 ]; then go test -run '^$' -fuzz "^$f\$" "$pkg"; continue; fi
    log=$(mktemp)
    if ! go test -run '^$' -fuzz "^$f\$" -fuzztime "$t" -fuzzminimizetime 2s "$pkg" 2>&1 | tee "$log"; then
      # Go's fuzzer can also fail with "context deadline exceeded" when
      # -fuzztime ends while a worker runs a slow input: no input failed.
      # That (and only that) is run once more; a failing input never is.
      if grep -q 'context deadline exceeded' "$log" && ! grep -q 'Failing input written' "$log"; then
        echo "== $f: the run ended on the fuzzer's own deadline, no input failed; once more"
        go test -run '^$' -fuzz "^$f\$" -fuzztime "$t" -fuzzminimizetime 2s "$pkg"
      else
        rm -f "$log"; exit 1
      fi
    fi
    rm -f "$log"
  done
done
