#!/bin/bash
# Install the Debian/Ubuntu packages the real-server test tier needs
# (internal/testrig): Dovecot 2.3 IMAP + POP3 + LMTP, Postfix, and PostgreSQL's
# server binaries (the second state-store backend; testrig.RequirePostgres
# runs a private server per test binary, never the system cluster).
#
#   sudo scripts/install-mailstack.sh      # idempotent; exit 0 when usable
#
# - Installs only packages that are missing (never upgrades others).
# - Non-interactive: Postfix preseeded to "No configuration" (no main.cf is
#   written, nothing listens on :25).
# - Never starts system daemons: a temporary policy-rc.d (exit 101) is put in
#   place when none exists, so maintainer scripts cannot start Dovecot on
#   143/993 or Postfix on 25.
# - Waits for the dpkg lock (other apt runs) instead of failing.
# - Runs `apt-get update` only when the first install attempt fails.
# Not root, or not Debian/Ubuntu: prints one loud line and exits 0, and the
# real-server tests skip (under CI=true they fail instead).
set -euo pipefail

PKGS="dovecot-core dovecot-imapd dovecot-lmtpd dovecot-pop3d postfix postgresql"

have_all() {
  local f
  for f in /usr/sbin/dovecot /usr/bin/doveadm /usr/lib/dovecot/imap /usr/lib/dovecot/lmtp /usr/lib/dovecot/pop3 \
           /usr/sbin/postfix /usr/lib/postfix/sbin/master /usr/lib/postfix/sbin/smtpd; do
    [ -x "$f" ] || return 1
  done
  compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null || return 1
  compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || return 1
}

report() {
  echo "install-mailstack: ok: dovecot $(/usr/sbin/dovecot --version 2>/dev/null | cut -d' ' -f1), postfix $(/usr/sbin/postconf -d -h mail_version 2>/dev/null || echo '?'), postgresql $(ls /usr/lib/postgresql 2>/dev/null | sort -n | tail -1)"
}

if have_all; then
  report
  exit 0
fi
if [ "$(id -u)" != 0 ] || [ ! -f /etc/debian_version ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "install-mailstack: !!! dovecot/postfix missing and cannot install here (needs root on Debian/Ubuntu): real-server tests will be SKIPPED !!!" >&2
  exit 0
fi

export DEBIAN_FRONTEND=noninteractive
MISSING=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || MISSING="$MISSING $p"
done
echo "install-mailstack: installing:$MISSING"

debconf-set-selections <<'SEL'
postfix postfix/main_mailer_type select No configuration
postfix postfix/mailname string mail.example.test
SEL

CREATED_POLICY=0
cleanup() { if [ "$CREATED_POLICY" = 1 ]; then rm -f /usr/sbin/policy-rc.d; fi; }
trap cleanup EXIT
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\n# added by mailmcp install-mailstack.sh while installing\nexit 101\n' > /usr/sbin/policy-rc.d
  chmod 755 /usr/sbin/policy-rc.d
  CREATED_POLICY=1
fi

APT_OPTS=(-y -q --no-install-recommends -o DPkg::Lock::Timeout=300 -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold)
# shellcheck disable=SC2086
if ! apt-get install "${APT_OPTS[@]}" $MISSING; then
  apt-get update -q -o DPkg::Lock::Timeout=300
  # shellcheck disable=SC2086
  apt-get install "${APT_OPTS[@]}" $MISSING
fi

if ! have_all; then
  echo "install-mailstack: packages installed but a binary is still missing" >&2
  exit 1
fi
report
