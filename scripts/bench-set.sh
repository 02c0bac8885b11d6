#!/usr/bin/env bash
# Times whole processes on a 2 MB values file (just under tagbump's size
# limit, gitrepo.DefaultMaxFileSize): `tagbump set` against
# mikefarah/yq v4.54.3 `yq -i` doing the same edit (the step tagbump
# replaces). Each run starts from a fresh copy; runs alternate between the
# two tools. Prints both medians (ms) and the ratio tagbump/yq.
# Usage: scripts/bench-set.sh [RUNS] (default 7, at least 5).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-7}
if [ "$runs" -lt 5 ]; then echo "bench-set: use at least 5 runs" >&2; exit 2; fi
bin=$PWD/.cache/bin
mkdir -p "$bin"
if [ ! -x "$bin/yq" ] || ! "$bin/yq" --version | grep -q 'v4.54.3'; then
  GOBIN=$bin go install github.com/mikefarah/yq/v4@v4.54.3
fi
CGO_ENABLED=0 go build -trimpath -o "$bin/tagbump" ./cmd/tagbump
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go run ./scripts/genvalues testdata/corpus $(((2 << 20) - (64 << 10))) "$tmp/values.yaml"
path=.app.image.tag # benchdata.TagPath

# Both tools make the edit; tagbump changes one line, yq many.
cp "$tmp/values.yaml" "$tmp/tb.yaml"; cp "$tmp/values.yaml" "$tmp/yq.yaml"
"$bin/tagbump" set --log-level error "$tmp/tb.yaml" "$path" v2.0.0
"$bin/yq" -i "$path = \"v2.0.0\"" "$tmp/yq.yaml"
[ "$("$bin/tagbump" get "$tmp/tb.yaml" "$path")" = v2.0.0 ] && [ "$("$bin/tagbump" get "$tmp/yq.yaml" "$path")" = v2.0.0 ]
tbl=$(diff "$tmp/values.yaml" "$tmp/tb.yaml" | grep -c '^<' || true)
yql=$(diff "$tmp/values.yaml" "$tmp/yq.yaml" | grep -c '^<' || true)
[ "$tbl" = 1 ] || { echo "bench-set: tagbump changed $tbl lines" >&2; exit 1; }

ms() { # ms CMD...: runs CMD on a fresh copy, prints elapsed milliseconds
  cp "$tmp/values.yaml" "$tmp/run.yaml"
  local t0 t1
  t0=$(date +%s%N)
  "$@" >/dev/null 2>&1
  t1=$(date +%s%N)
  echo $(((t1 - t0) / 1000000))
}
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : int((a[NR/2]+a[NR/2+1])/2)}'; }

: >"$tmp/tb"; : >"$tmp/yq"
for _ in $(seq "$runs"); do
  ms "$bin/tagbump" set --log-level error "$tmp/run.yaml" "$path" v2.0.0 >>"$tmp/tb"
  ms "$bin/yq" -i "$path = \"v2.0.0\"" "$tmp/run.yaml" >>"$tmp/yq"
done
tb=$(median <"$tmp/tb"); yq=$(median <"$tmp/yq")
size=$(wc -c <"$tmp/values.yaml")
echo "bench-set: $size bytes, $runs runs each: tagbump set median ${tb} ms, yq -i median ${yq} ms, ratio $(awk -v a="$tb" -v b="$yq" 'BEGIN {printf "%.2f", a / b}') (lines changed: tagbump $tbl, yq $yql)"
