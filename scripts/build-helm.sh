#!/usr/bin/env bash
# Builds the helm binary that --render-check's tests run, from Helm's Go
# module (helm.sh/helm/v4), once: cached as
# ${TAGBUMP_CACHE:-~/.cache/tagbump}/helm-VERSION. Takes 2-5 minutes on 2
# cores; does nothing when the binary is there.
set -euo pipefail
version=${HELM_VERSION:-4.3.2}
cache=${TAGBUMP_CACHE:-$HOME/.cache/tagbump}
bin=$cache/helm-$version
if [ -x "$bin" ]; then
  exit 0
fi
mkdir -p "$cache"
echo "build-helm: building helm $version (2-5 minutes)" >&2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
GOBIN=$tmp GOFLAGS=-mod=mod CGO_ENABLED=0 go install "helm.sh/helm/v4/cmd/helm@v$version"
mv "$tmp/helm" "$bin"
