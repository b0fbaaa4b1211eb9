#!/usr/bin/env bash
# Runs mailmcp's whole test suite: the fast in-process tier and the tier
# against real Dovecot and Postfix on loopback (installed here when missing,
# as root on Debian/Ubuntu; elsewhere that tier is skipped with one loud
# line, except under CI=true where a missing server fails the run).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-mailstack.sh
# Other IMAP servers for the conformance suite (internal/testrig/servers),
# built once into a cache directory; reruns are fast.
bash scripts/install-servers.sh

echo "== go vet"
go vet ./...
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then
  echo "gofmt would change:"; echo "$unformatted"; exit 1
fi

echo "== go mod tidy (go.mod and go.sum must already be tidy)"
# -diff prints what tidy would change and exits non-zero, touching nothing.
if ! go mod tidy -diff; then
  echo "go.mod/go.sum are not tidy: run go mod tidy and commit the result"; exit 1
fi

echo "== staticcheck"
# Pinned so every machine and CI reports the same checks; installed into
# GOBIN (or GOPATH/bin) by the module proxy when missing or of another version.
STATICCHECK_VERSION=v0.8.2
gobin=$(go env GOBIN); [ -n "$gobin" ] || gobin="$(go env GOPATH)/bin"
if ! "$gobin/staticcheck" -version 2>/dev/null | grep -q "${STATICCHECK_VERSION#v}"; then
  go install "honnef.co/go/tools/cmd/staticcheck@$STATICCHECK_VERSION"
fi
"$gobin/staticcheck" ./...

# --- TypeScript SDK client for the end-to-end test (cmd/mailmcp TestTypeScriptSDK).
# Pinned by scripts/e2e-ts/package-lock.json; without node the test skips
# loudly, and under CI=true it fails.
if command -v npm >/dev/null 2>&1; then
  echo "== npm ci (scripts/e2e-ts)"
  (cd scripts/e2e-ts && npm ci --no-audit --no-fund --loglevel=error)
else
  echo "!! node/npm not found: the TypeScript SDK end-to-end test will be skipped"
fi
# --- end TypeScript SDK client

# The real OpenClaw CLI (Node 24 from npm where the system node is older),
# for the test that the skill 'setup openclaw' writes is visible to the
# model (cmd/mailmcp TestOpenClawSeesSkill); cached after the first run.
bash scripts/install-openclaw.sh

echo "== go test -race"
# -count=1: never trust a cached pass for tests that talk to real servers.
go test -race -count=1 -timeout 12m ./... "$@"

echo "== go test -race, state on PostgreSQL"
# The packages built on the state store run again with it on PostgreSQL
# (internal/testrig/statetest), so both backends pass the same suites.
MAILMCP_TEST_STATE=postgres go test -race -count=1 -timeout 12m \
  ./internal/outbox/ ./internal/watch/ ./internal/policy/ ./internal/webhook/ ./internal/tools/ "$@"
