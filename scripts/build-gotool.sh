#!/usr/bin/env bash
# build-gotool.sh NAME MODULE/cmd/NAME VERSION: builds a test tool from its
# Go module once, cached as ${TAGBUMP_CACHE:-~/.cache/tagbump}/NAME-VERSION;
# does nothing when the binary is there. Used by build-helm.sh,
# build-kustomize.sh and build-cosign.sh.
set -euo pipefail
name=$1 pkg=$2 version=$3
cache=${TAGBUMP_CACHE:-$HOME/.cache/tagbump}
bin=$cache/$name-$version
if [ -x "$bin" ]; then
  exit 0
fi
mkdir -p "$cache"
echo "build-$name: building $name $version (2-5 minutes)" >&2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
GOBIN=$tmp GOFLAGS=-mod=mod CGO_ENABLED=0 go install "$pkg@v$version"
mv "$tmp/$name" "$bin"
