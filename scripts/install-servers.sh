#!/bin/bash
# Install the other IMAP servers the conformance suite runs against
# (internal/testrig/servers) beside the Dovecot tier of
# scripts/install-mailstack.sh: mox, maddy and Cyrus IMAP (issue 16).
#
#   scripts/install-servers.sh       # idempotent; fast when already built
#
# Everything lands under one stable cache directory, $MAILMCP_SERVERS
# (default ${XDG_CACHE_HOME:-$HOME/.cache}/mailmcp/servers):
#   bin/mox         mox, built from the Go module proxy at $MOX_VERSION in a
#                   throwaway module (the proxy refuses @latest for mox)
#   bin/maddy       maddy, built inside a copy of its module (fetched through
#                   the Go module proxy) so that its go.mod replace lines apply
#   cyrus/          Debian's cyrus-imapd package unpacked with dpkg -x (its
#                   imapd, idled, ...), never installed: it conflicts with
#                   dovecot-imapd, and apt would remove Dovecot's imap. Its
#                   dependencies cyrus-common (master, ctl_cyrusdb, lmtpd)
#                   and sasl2-bin (saslpasswd2) are installed with apt, after
#                   a dry run shows apt would remove nothing.
# Dovecot's /usr/lib/dovecot/imap is checked to be present afterwards.
# A version stamp beside each build makes reruns skip the build.
# Without Go (mox, maddy) or without root on Debian (Cyrus) a server is
# reported MISSING; the tests skip it, except under CI=true where they fail.
set -euo pipefail

MOX_VERSION=v0.0.15
MADDY_VERSION=v0.8.1
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

build_maddy() {
  local bin=$DIR/bin/maddy
  if stamp_ok "$bin" "$MADDY_VERSION"; then STATUS+=("maddy $MADDY_VERSION (cached)"); return; fi
  # maddy's go.mod replaces go-imap, go-smtp and libdns-gandi with its own
  # forks; replace lines only apply in the main module, so build inside a
  # writable copy of the module instead of with `go install`.
  local src
  src=$(go mod download -json "github.com/foxcpp/maddy@$MADDY_VERSION" |
    sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  [ -d "$src" ] || { STATUS+=("maddy MISSING (module download failed)"); return; }
  local tmp; tmp=$(mktemp -d)
  cp -r "$src" "$tmp/maddy" && chmod -R u+w "$tmp/maddy"
  # cgo for mattn/go-sqlite3, which its sql_table (the credentials table)
  # needs under the driver name "sqlite3".
  ( cd "$tmp/maddy" && go build -trimpath -o "$bin" ./cmd/maddy )
  rm -rf "$tmp"
  echo "$MADDY_VERSION" > "$bin.version"
  STATUS+=("maddy $MADDY_VERSION (built)")
}

DOVECOT_IMAP=/usr/lib/dovecot/imap
CYRUS_DEPS="cyrus-common sasl2-bin"
DOVECOT_BEFORE=0
if [ -x "$DOVECOT_IMAP" ]; then DOVECOT_BEFORE=1; fi

# apt_install installs Debian packages without starting their daemons (a
# temporary policy-rc.d, as scripts/install-mailstack.sh does), after a
# dry run shows that apt would remove nothing.
apt_install() {
  local removed
  removed=$(apt-get install -s --no-install-recommends "$@" 2>/dev/null | grep '^Remv' || true)
  if [ -n "$removed" ]; then
    echo "install-servers: !!! installing $* would remove packages, refusing:" >&2
    echo "$removed" >&2
    return 1
  fi
  local created=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\n# added by mailmcp install-servers.sh while installing\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    created=1
  fi
  local opts=(-y -q --no-install-recommends -o DPkg::Lock::Timeout=300
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold)
  local rc=0
  DEBIAN_FRONTEND=noninteractive apt-get install "${opts[@]}" "$@" ||
    { apt-get update -q -o DPkg::Lock::Timeout=300 &&
      DEBIAN_FRONTEND=noninteractive apt-get install "${opts[@]}" "$@"; } || rc=$?
  if [ "$created" = 1 ]; then rm -f /usr/sbin/policy-rc.d; fi
  return $rc
}

install_cyrus() {
  local root=$DIR/cyrus stamp=$DIR/cyrus/version
  local have_deps=1
  [ -x /usr/lib/cyrus/bin/master ] && [ -x /usr/sbin/saslpasswd2 ] || have_deps=0
  if [ "$have_deps" = 1 ] && [ -x "$root/usr/lib/cyrus/bin/imapd" ] &&
     [ "$(cat "$stamp" 2>/dev/null)" = "$(dpkg-query -W -f='${Version}' cyrus-common 2>/dev/null)" ]; then
    STATUS+=("cyrus $(cat "$stamp") (cached)"); return
  fi
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    STATUS+=("cyrus MISSING (needs root on Debian/Ubuntu)"); return
  fi
  if [ "$have_deps" = 0 ]; then
    # shellcheck disable=SC2086
    apt_install $CYRUS_DEPS || { STATUS+=("cyrus MISSING (apt failed)"); return; }
  fi
  local ver; ver=$(dpkg-query -W -f='${Version}' cyrus-common)
  local tmp; tmp=$(mktemp -d); chown _apt "$tmp" 2>/dev/null || true
  # Never `apt-get install cyrus-imapd`: it conflicts with dovecot-imapd.
  ( cd "$tmp" && apt-get download -q "cyrus-imapd=$ver" >/dev/null ) ||
    { rm -rf "$tmp"; STATUS+=("cyrus MISSING (apt-get download cyrus-imapd=$ver failed)"); return; }
  rm -rf "$root"; mkdir -p "$root"
  dpkg -x "$tmp"/cyrus-imapd_*.deb "$root"
  rm -rf "$tmp"
  echo "$ver" > "$stamp"
  STATUS+=("cyrus $ver (unpacked)")
}

if command -v go >/dev/null 2>&1; then
  build_mox
  build_maddy
else
  STATUS+=("mox MISSING (no go)" "maddy MISSING (no go)")
fi
if [ -f /etc/debian_version ]; then
  install_cyrus
else
  STATUS+=("cyrus MISSING (not Debian/Ubuntu)")
fi
if [ "$DOVECOT_BEFORE" = 1 ] && [ ! -x "$DOVECOT_IMAP" ]; then
  echo "install-servers: !!! $DOVECOT_IMAP is gone: the Dovecot tier is broken (reinstall dovecot-imapd) !!!" >&2
  exit 1
fi

echo "install-servers: $DIR: $(IFS=';'; echo "${STATUS[*]}")"
