#!/usr/bin/env bash
# Installs what bench/ needs (Debian 12 "bookworm", run as root). Idempotent.
#
#  - Suricata 7 from bookworm-backports (bookworm itself ships 6.0), using the
#    same mirror URI as the machine's existing Debian sources.
#  - ndpiReader (libndpi-bin, Debian's nDPI 4.2).
#  - tools used by make-capture.sh to generate real traffic inside network
#    namespaces: nginx-light, curl, dnsutils (dig), dnsmasq, iputils-ping,
#    iproute2, ethtool, openssl, tcpdump; plus a C compiler for bench/replicate.c
#    and GNU time.
set -euo pipefail

die() { echo "deps.sh: error: $*" >&2; exit 1; }
log() { echo "deps.sh: $*" >&2; }

[ "$(id -u)" -eq 0 ] || die "must run as root (apt-get install)"
command -v apt-get >/dev/null || die "apt-get not found: this script targets Debian 12"

. /etc/os-release
[ "${VERSION_CODENAME:-}" = bookworm ] || log "warning: expected Debian bookworm, found '${VERSION_CODENAME:-unknown}'"

export DEBIAN_FRONTEND=noninteractive
BACKPORTS=/etc/apt/sources.list.d/backports.sources

# ---- 1. bookworm-backports on the same mirror as the existing Debian sources
find_debian_uri() {
    # deb822 files first: the URIs: line of the stanza whose Suites has "bookworm"
    local f uri
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        [ "$f" = "$BACKPORTS" ] && continue
        uri=$(awk '
            BEGIN { RS=""; FS="\n" }
            {
              u=""; s=0
              for (i = 1; i <= NF; i++) {
                if ($i ~ /^URIs:/)   { sub(/^URIs:[ \t]*/, "", $i); split($i, a, /[ \t]+/); u=a[1] }
                if ($i ~ /^Suites:/ && $i ~ /(^|[ \t])bookworm([ \t]|$)/) s=1
              }
              if (u != "" && s) { print u; exit }
            }' "$f")
        if [ -n "$uri" ]; then echo "$uri"; return 0; fi
    done
    # one-line format fallback
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -f "$f" ] || continue
        uri=$(awk '$1=="deb" { for (i=2;i<=NF;i++) if ($i !~ /^\[/ && $i !~ /\]$/) { u=$i; s=$(i+1); break }
                               if (s=="bookworm") { print u; exit } }' "$f")
        if [ -n "$uri" ]; then echo "$uri"; return 0; fi
    done
    return 1
}

if [ -e "$BACKPORTS" ]; then
    log "$BACKPORTS already present, leaving it alone"
elif grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
    log "a bookworm-backports source is already configured, not adding another"
else
    URI=$(find_debian_uri) || die "could not find the Debian mirror URI in /etc/apt/sources.list{,.d}"
    log "adding bookworm-backports from $URI"
    KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
    {
        echo "Types: deb"
        echo "URIs: $URI"
        echo "Suites: bookworm-backports"
        echo "Components: main"
        [ -f "$KEYRING" ] && echo "Signed-By: $KEYRING"
    } > "$BACKPORTS"
fi

log "apt-get update"
apt-get update -q >/dev/null || die "apt-get update failed"

# ---- 2. packages
log "installing suricata from bookworm-backports"
apt-get install -y -q -t bookworm-backports suricata >/dev/null \
    || die "apt-get install -t bookworm-backports suricata failed"

PKGS=(libndpi-bin tcpdump nginx-light curl iproute2 dnsutils dnsmasq
      iputils-ping ethtool openssl time gcc libc6-dev procps coreutils util-linux)
log "installing ${PKGS[*]}"
apt-get install -y -q --no-install-recommends "${PKGS[@]}" >/dev/null \
    || die "apt-get install failed"

# On systemd machines the package starts a system-wide suricata service, which
# would compete for the benchmark's core: stop it (nginx/dnsmasq services don't
# matter; make-capture.sh runs its own inside namespaces).
if command -v systemctl >/dev/null && [ -d /run/systemd/system ] \
        && systemctl is-active --quiet suricata 2>/dev/null; then
    log "stopping and disabling the system-wide suricata service (it would disturb the bench)"
    systemctl disable --now suricata >/dev/null 2>&1 || log "warning: could not stop suricata.service"
fi

# ---- 3. verify
V=$(suricata -V 2>&1 | head -1)
echo "$V"
echo "$V" | grep -Eq 'version 7\.' || die "suricata is not 7.x: $V"
command -v ndpiReader >/dev/null || die "ndpiReader not found after installing libndpi-bin"
echo "ndpiReader: $(dpkg-query -W -f='${Version}' libndpi-bin)"
for t in tcpdump nginx curl dig dnsmasq ping ip ethtool openssl cc taskset /usr/bin/time; do
    command -v "$t" >/dev/null || die "$t not found after install"
done
log "ok"
