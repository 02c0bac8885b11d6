#!/usr/bin/env bash
# Builds the Gitea server the forge tests run against, from Gitea's Go
# module, once: the binary and the source tree it reads its locale files
# from (STATIC_ROOT_PATH) are cached under ${TAGBUMP_CACHE:-~/.cache/tagbump}
# as gitea-VERSION and gitea-src-VERSION. Takes 5-10 minutes on 2 cores;
# does nothing when the binary is there. Needs Go and a C compiler (sqlite).
set -euo pipefail
version=${GITEA_VERSION:-1.24.6}
cache=${TAGBUMP_CACHE:-$HOME/.cache/tagbump}
bin=$cache/gitea-$version
src=$cache/gitea-src-$version
if [ -x "$bin" ] && [ -d "$src/options/locale" ]; then
  exit 0
fi
mkdir -p "$cache"
if [ ! -f "$src/go.mod" ] || [ ! -d "$src/options/locale" ]; then
  dir=$(go mod download -json "code.gitea.io/gitea@v$version" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
  if [ -z "$dir" ]; then
    echo "build-gitea: go mod download code.gitea.io/gitea@v$version gave no directory" >&2
    exit 1
  fi
  rm -rf "$src.tmp" "$src"
  cp -r "$dir" "$src.tmp"
  chmod -R u+w "$src.tmp"
  mv "$src.tmp" "$src"
fi
echo "build-gitea: building Gitea $version (5-10 minutes)" >&2
(cd "$src" && go build -tags 'sqlite sqlite_unlock_notify' -o "$bin.tmp" .)
mv "$bin.tmp" "$bin"
