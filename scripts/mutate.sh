#!/usr/bin/env bash
# mutate runs gremlins (mutation testing) over the packages whose tests are
# meant to catch broken code, one package at a time, and prints the test
# efficacy (killed / (killed + lived) covered mutants) of each.
#
# Usage: scripts/mutate.sh [PACKAGE...]   (default: the packages below)
# Env:   GREMLINS   the gremlins command (default: go run, pinned version)
#        MUTATE_OUT directory for the per-package JSON and log (default .cache/mutate)
#        MUTATE_WORKERS, MUTATE_TIMEOUT_COEFFICIENT  passed to gremlins
# Tests run with -short (GOFLAGS): pkg/values's corpus test then edits a
# sample of the corpus, as gremlins runs the tests once per mutant.
set -euo pipefail
cd "$(dirname "$0")/.."
GREMLINS=${GREMLINS:-go run github.com/go-gremlins/gremlins/cmd/gremlins@v0.6.0}
out=${MUTATE_OUT:-.cache/mutate}
workers=${MUTATE_WORKERS:-1}
coef=${MUTATE_TIMEOUT_COEFFICIENT:-10}
pkgs=("$@")
[ ${#pkgs[@]} -gt 0 ] || pkgs=(pkg/values pkg/imageref internal/ci pkg/bump pkg/gitrepo)
mkdir -p "$out"
export GOFLAGS="${GOFLAGS:+$GOFLAGS }-short"
summary=()
for p in "${pkgs[@]}"; do
  p=${p#./}
  name=${p//\//_}
  start=$(date +%s)
  echo "== gremlins ./$p (log: $out/$name.log)"
  rc=0
  $GREMLINS unleash --workers "$workers" --timeout-coefficient "$coef" -o "$out/$name.json" "./$p" >"$out/$name.log" 2>&1 || rc=$?
  secs=$(( $(date +%s) - start ))
  grep -E '^\s*(LIVED|TIMED OUT)' "$out/$name.log" || true
  line=$(printf '%-14s %s  (%ds)' "$p" "$(grep -E 'Killed:|Test efficacy' "$out/$name.log" | tr -s ' \n' ' ')" "$secs")
  [ $rc -eq 0 ] || line="$line  gremlins exit $rc"
  summary+=("$line")
done
echo
echo "Mutation testing (efficacy = killed / (killed + lived) of covered mutants):"
printf '%s\n' "${summary[@]}"
