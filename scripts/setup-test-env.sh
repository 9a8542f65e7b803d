#!/usr/bin/env bash
# Installs what the test suite needs on a fresh Debian machine. Idempotent.
# As root it installs apt packages (tshark, iproute2, iputils-ping, unbound, dig) and makes sure /dev/net/tun exists;
# as a normal user it only reports what is missing (root-only tests then skip themselves).
# unbound is only a binary for the DNS tests (they start their own `unbound -d` on loopback ports): the Debian
# service is kept from starting on install and is disabled afterwards, so nothing holds port 53.
set -euo pipefail
need=()
command -v tshark >/dev/null 2>&1 || need+=(tshark)
command -v ip >/dev/null 2>&1 || need+=(iproute2)
command -v strace >/dev/null 2>&1 || need+=(strace)
command -v ping >/dev/null 2>&1 || need+=(iputils-ping)
command -v unbound >/dev/null 2>&1 || [ -x /usr/sbin/unbound ] || need+=(unbound)
command -v dig >/dev/null 2>&1 || need+=(dnsutils) # manual checks only; no test uses dig
if [ "$(id -u)" -eq 0 ]; then
  if [ ${#need[@]} -gt 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections || true
    apt-get update -qq
    # Keep package scripts from starting services (unbound would bind port 53): a policy-rc.d that denies
    # every start, only for the duration of the install and only when the machine has none of its own.
    policy=/usr/sbin/policy-rc.d
    if [ ! -e "$policy" ]; then
      printf '#!/bin/sh\nexit 101\n' >"$policy"
      chmod 0755 "$policy"
      trap 'rm -f "$policy"' EXIT
      apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
      rm -f "$policy"
      trap - EXIT
    else
      apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
    fi
  fi
  if [ -x /usr/sbin/unbound ]; then
    # The system-wide unbound service stays off (idempotent; each step tolerates a missing init system).
    if [ -d /run/systemd/system ]; then
      systemctl disable --now unbound.service unbound-resolvconf.service >/dev/null 2>&1 || true
    else
      systemctl disable unbound.service unbound-resolvconf.service >/dev/null 2>&1 || true
      if [ -x /etc/init.d/unbound ]; then
        /etc/init.d/unbound stop >/dev/null 2>&1 || true
        update-rc.d unbound disable >/dev/null 2>&1 || true
      fi
    fi
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
