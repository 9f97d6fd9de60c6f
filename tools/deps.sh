#!/bin/bash
# Install the Debian packages periscope needs to build, test and run its demo,
# only those missing. Debian 12 (bookworm). Needs root (or sudo) only when
# something is missing.
set -eu
PACKAGES=(
    # build
    gcc make libc6-dev libpcap-dev libsqlite3-dev zlib1g-dev libdeflate-dev libssl-dev sqlite3
    libcurl4-openssl-dev
    # tests: sanitizers, valgrind, fuzzing
    clang libclang-rt-14-dev valgrind python3 time cppcheck clang-format
    # tests: captures made with real tools in network namespaces
    python3-scapy iproute2 tcpdump nginx-light dnsmasq-base bind9-dnsutils curl
    iputils-ping ethtool openssh-client dropbear-bin
    # tests: the ClickHouse sink against a real server (18.16 on Debian 12: ~10 MB)
    clickhouse-server clickhouse-client
    # dns_tunnel: registered domains; tests/gen/tunnels.sh: the tunnel tools
    publicsuffix iodine dns2tcp ptunnel-ng
    # tests/report: the HTML report in a headless browser
    chromium
)
missing=()
for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
        missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "deps: installing ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "deps: run as root to install: ${missing[*]}" >&2; exit 1; }
    sudo=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
