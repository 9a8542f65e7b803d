#!/usr/bin/env bash
# Installs what the test suite needs on a fresh Debian machine. Idempotent.
# As root it installs apt packages (tshark, iproute2, iputils-ping, unbound, nginx, dig) and makes sure /dev/net/tun exists;
# as a normal user it only reports what is missing (root-only tests then skip themselves).
# unbound is only a binary for the DNS tests (they start their own `unbound -d` on loopback ports): the Debian
# service is kept from starting on install and is disabled afterwards, so nothing holds port 53.
# nginx likewise is only a binary for the HTTP tests (they start `nginx -g 'daemon off;'` with their own config on
# loopback ports); its Debian service is kept from starting and disabled, so nothing holds port 80.
set -euo pipefail
need=()
command -v tshark >/dev/null 2>&1 || need+=(tshark)
command -v ip >/dev/null 2>&1 || need+=(iproute2)
command -v strace >/dev/null 2>&1 || need+=(strace)
command -v ping >/dev/null 2>&1 || need+=(iputils-ping)
command -v unbound >/dev/null 2>&1 || [ -x /usr/sbin/unbound ] || need+=(unbound)
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need+=(nginx)
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
  # The system-wide unbound and nginx services stay off (idempotent; each step tolerates a missing init system).
  disable_service() { # $1: init script name; the rest: systemd units
    local name=$1
    shift
    if [ -d /run/systemd/system ]; then
      systemctl disable --now "$@" >/dev/null 2>&1 || true
    else
      systemctl disable "$@" >/dev/null 2>&1 || true
      if [ -x "/etc/init.d/$name" ]; then
        "/etc/init.d/$name" stop >/dev/null 2>&1 || true
        update-rc.d "$name" disable >/dev/null 2>&1 || true
      fi
    fi
  }
  if [ -x /usr/sbin/unbound ]; then
    disable_service unbound unbound.service unbound-resolvconf.service
  fi
  if [ -x /usr/sbin/nginx ]; then
    disable_service nginx nginx.service
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
