#!/usr/bin/env bash
# Install everything cardwatch needs to build, test and run its demo, from Debian 12 packages.
# Idempotent: packages already present are left alone; safe to run again.
set -euo pipefail

PKGS=(
    build-essential cmake pkg-config git
    libpcap-dev libndpi-dev liblmdb-dev libcmocka-dev libssl-dev libhyperscan-dev
    clang libclang-rt-14-dev
    tshark lmdb-utils time python3
    libndpi-bin tcpreplay iproute2 gnuplot-nox
)

missing=()
for p in "${PKGS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if ((${#missing[@]} == 0)); then
    echo "install-deps: all ${#PKGS[@]} packages already installed"
    exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "install-deps: run as root (need: ${missing[*]})" >&2; exit 1; }
    SUDO=sudo
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; answer for it.
echo "wireshark-common wireshark-common/install-setuid boolean false" | $SUDO debconf-set-selections
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
