#!/usr/bin/env bash
# Builds the cosign binary that pkg/attest's tests use to write real
# signatures (bundle and legacy .sig layouts), from cosign's Go module,
# once: cached as ${TAGBUMP_CACHE:-~/.cache/tagbump}/cosign-VERSION. A test
# tool, never a dependency of tagbump. Takes 2-5 minutes on 2 cores; does
# nothing when the binary is there.
set -euo pipefail
exec bash "$(dirname "$0")/build-gotool.sh" cosign github.com/sigstore/cosign/v3/cmd/cosign "${COSIGN_VERSION:-3.1.3}"
