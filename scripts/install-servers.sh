#!/bin/bash
# Install the other IMAP servers the conformance suite runs against
# (internal/testrig/servers) beside the Dovecot tier of
# scripts/install-mailstack.sh. So far: mox (maddy and Cyrus are to follow,
# issue 16).
#
#   scripts/install-servers.sh       # idempotent; fast when already built
#
# Everything lands under one stable cache directory, $MAILMCP_SERVERS
# (default ${XDG_CACHE_HOME:-$HOME/.cache}/mailmcp/servers):
#   bin/mox         mox, built from the Go module proxy at $MOX_VERSION in a
#                   throwaway module (the proxy refuses @latest for mox)
# A version stamp beside each build makes reruns skip the build.
# Without Go, mox is reported MISSING; the tests skip it, except under
# CI=true where they fail.
set -euo pipefail

MOX_VERSION=v0.0.15
DIR=${MAILMCP_SERVERS:-${XDG_CACHE_HOME:-$HOME/.cache}/mailmcp/servers}
mkdir -p "$DIR/bin"
STATUS=()

stamp_ok() { [ -x "$1" ] && [ "$(cat "$1.version" 2>/dev/null)" = "$2" ]; }

build_mox() {
  local bin=$DIR/bin/mox
  if stamp_ok "$bin" "$MOX_VERSION"; then STATUS+=("mox $MOX_VERSION (cached)"); return; fi
  local tmp; tmp=$(mktemp -d)
  # The module proxy refuses @latest for mox: pin the version in a throwaway module.
  ( cd "$tmp" && go mod init moxbuild >/dev/null 2>&1 &&
    go get "github.com/mjl-/mox@$MOX_VERSION" >/dev/null 2>&1 &&
    CGO_ENABLED=0 go build -o "$bin" github.com/mjl-/mox )
  rm -rf "$tmp"
  echo "$MOX_VERSION" > "$bin.version"
  STATUS+=("mox $MOX_VERSION (built)")
}

if command -v go >/dev/null 2>&1; then
  build_mox
else
  STATUS+=("mox MISSING (no go)")
fi

echo "install-servers: $DIR: $(IFS=';'; echo "${STATUS[*]}")"
