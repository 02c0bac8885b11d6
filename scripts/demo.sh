#!/usr/bin/env bash
# The main job on an embedded default: a dry-run edit of a values file.
set -euo pipefail
cd "$(dirname "$0")/.."
go run ./cmd/tagbump set --dry-run testdata/values/demo-values.yaml .image.tag app-service-124
