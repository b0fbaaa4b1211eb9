#!/usr/bin/env bash
# Runs mailmcp's whole test suite: the fast in-process tier and the tier
# against real Dovecot and Postfix on loopback (installed here when missing,
# as root on Debian/Ubuntu; elsewhere that tier is skipped with one loud
# line, except under CI=true where a missing server fails the run).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-mailstack.sh

echo "== go vet"
go vet ./...
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then
  echo "gofmt would change:"; echo "$unformatted"; exit 1
fi

echo "== go test -race"
# -count=1: never trust a cached pass for tests that talk to real servers.
go test -race -count=1 -timeout 12m ./... "$@"
