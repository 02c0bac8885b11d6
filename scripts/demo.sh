#!/usr/bin/env bash
# The main job on an embedded default: a real bump against a git server and
# a registry on loopback (see scripts/demo/main.go).
set -euo pipefail
cd "$(dirname "$0")/.."
go run ./scripts/demo
