#!/usr/bin/env bash
# Installs what the test suite needs on a fresh Debian machine: git (for
# git http-backend), OpenSSH's sshd and ssh-keygen, the distribution registry
# and GnuPG (commit signatures are checked with git verify-commit); builds
# Gitea, helm, kustomize and cosign (test tools) into the cache.
set -euo pipefail
need=()
command -v git >/dev/null || need+=(git)
command -v sshd >/dev/null || [ -x /usr/sbin/sshd ] || need+=(openssh-server)
command -v docker-registry >/dev/null || need+=(docker-registry)
command -v gpg >/dev/null || need+=(gnupg)
command -v ssh-keygen >/dev/null || need+=(openssh-client)
if [ ${#need[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
# Gitea, built once from its Go module and cached (5-10 minutes): the forge
# tests run a real Gitea server. Building needs a C compiler for sqlite.
if ! command -v gcc >/dev/null; then
  sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends gcc libc6-dev
fi
bash "$(dirname "$0")/build-gitea.sh"
bash "$(dirname "$0")/build-helm.sh"
bash "$(dirname "$0")/build-kustomize.sh"
bash "$(dirname "$0")/build-cosign.sh"
