#!/usr/bin/env bash
# Runs every Fuzz* target in the module for $1 each (0 = until stopped).
# A timed run bounds the minimisation of new inputs (default 60s): Go's
# fuzzer fails with "context deadline exceeded" when -fuzztime ends while it
# is still minimising one.
set -euo pipefail
t=${1:-20s}
for pkg in $(go list ./...); do
  dir=$(go list -f '{{.Dir}}' "$pkg")
  for f in $(grep -hoE '^func (Fuzz[A-Za-z0-9_]+)' "$dir"/*_test.go 2>/dev/null | awk '{print $2}'); do
    echo "== $pkg $f"
    if [ "$t" = 0 ]; then go test -run '^$' -fuzz "^$f\$" "$pkg"; else go test -run '^$' -fuzz "^$f\$" -fuzztime "$t" -fuzzminimizetime 2s "$pkg"; fi
  done
done
