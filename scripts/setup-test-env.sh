#!/usr/bin/env bash
# Installs what the test suite needs on a fresh Debian machine. Idempotent.
# As root it installs apt packages (tshark, iproute2, iputils-ping) and makes sure /dev/net/tun exists;
# as a normal user it only reports what is missing (root-only tests then skip themselves).
set -euo pipefail
need=()
command -v tshark >/dev/null 2>&1 || need+=(tshark)
command -v ip >/dev/null 2>&1 || need+=(iproute2)
command -v strace >/dev/null 2>&1 || need+=(strace)
command -v ping >/dev/null 2>&1 || need+=(iputils-ping)
if [ "$(id -u)" -eq 0 ]; then
  if [ ${#need[@]} -gt 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections || true
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  fi
  if [ ! -c /dev/net/tun ]; then
    mkdir -p /dev/net
    mknod /dev/net/tun c 10 200
    chmod 0666 /dev/net/tun
  fi
else
  if [ ${#need[@]} -gt 0 ]; then
    echo "note: not root; missing ${need[*]} (tests that need them will skip)" >&2
  fi
fi
