#!/usr/bin/env bash
# Builds the helm binary that --render-check's tests run, from Helm's Go
# module (helm.sh/helm/v4), once: cached as
# ${TAGBUMP_CACHE:-~/.cache/tagbump}/helm-VERSION. Takes 2-5 minutes on 2
# cores; does nothing when the binary is there.
set -euo pipefail
exec bash "$(dirname "$0")/build-gotool.sh" helm helm.sh/helm/v4/cmd/helm "${HELM_VERSION:-4.3.2}"
