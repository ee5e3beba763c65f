#!/usr/bin/env bash
# Install what the demo and the tests need on a fresh Debian machine (run as root).
# Idempotent: a second run installs nothing new.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

apt_packages=(python3 python3-venv python3-pyroute2 iproute2 nftables iptables
              openssh-server openssh-client iputils-ping procps util-linux make git
              shellcheck   # without it ansible-test sanity skips its check of the shell scripts
              # make bench: CNI's reference plugins (/usr/lib/cni), the peer it is measured against;
              # strace for its system call counts (benchmarks/run.py --strace)
              containernetworking-plugins strace
              # tests/vm: the image is built with debootstrap and mke2fs, booted by qemu
              qemu-system-x86 qemu-utils debootstrap debian-archive-keyring e2fsprogs)
missing=()
for pkg in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep 'install ok installed' >/dev/null || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "bootstrap: installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Other owners of a firewall, which the netns_firewall tests run inside a sandbox only. The machine
# itself must not start them: firewalld's package starts and enables its service on install.
firewall_missing=()
for pkg in firewalld ufw dbus; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep 'install ok installed' >/dev/null || firewall_missing+=("$pkg")
done
if [ ${#firewall_missing[@]} -gt 0 ]; then
  echo "bootstrap: installing ${firewall_missing[*]} (services not started)"
  [ ${#missing[@]} -gt 0 ] || apt-get update -qq
  made_policy=
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d && made_policy=1
  fi
  installed=0
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${firewall_missing[@]}" >/dev/null \
    || installed=$?
  [ -z "$made_policy" ] || rm -f /usr/sbin/policy-rc.d
  [ "$installed" -eq 0 ] || exit "$installed"
  if [ -d /run/systemd/system ] && [[ " ${firewall_missing[*]} " == *" firewalld "* ]]; then
    systemctl disable --now firewalld >/dev/null 2>&1 || true
  fi
fi

stamp=.venv/.requirements
if [ ! -x .venv/bin/python ] || ! cmp -s tests/requirements.txt "$stamp"; then
  echo "bootstrap: creating .venv"
  /usr/bin/python3 -m venv .venv
  .venv/bin/pip install -q --disable-pip-version-check -r tests/requirements.txt
  cp tests/requirements.txt "$stamp"
fi

# The collection must be importable as ansible_collections.linuxnet.netns.
mkdir -p .build/collections/ansible_collections/linuxnet
ln -sfn ../../../.. .build/collections/ansible_collections/linuxnet/netns
