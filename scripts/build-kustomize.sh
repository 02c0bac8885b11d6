#!/usr/bin/env bash
# Builds the kustomize binary that --render-check's tests run, from
# Kustomize's Go module (sigs.k8s.io/kustomize/kustomize/v5), once: cached as
# ${TAGBUMP_CACHE:-~/.cache/tagbump}/kustomize-VERSION. Takes 1-3 minutes on
# 2 cores; does nothing when the binary is there.
set -euo pipefail
exec bash "$(dirname "$0")/build-gotool.sh" kustomize sigs.k8s.io/kustomize/kustomize/v5 "${KUSTOMIZE_VERSION:-5.7.1}"
