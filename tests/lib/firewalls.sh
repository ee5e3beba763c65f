#!/usr/bin/env bash
# Copyright (c) linuxnet.netns contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Set a sandbox's host up the way other owners of the firewall leave a real one, for the tests
# of issue 11. Only ever inside tests/sandbox.sh or a lab host (own network and mount namespaces):
# every command refuses anywhere else. firewalld, ufw, state and reset also need `isolate` first
# (not on a lab host: its sshd needs the /run that isolate hides; docker, plain, input-drop do not).
#
#   firewalls.sh isolate                  tmpfs on /run (keeps /run/netns) and /var/log; overlays on
#                                         /etc/firewalld, /etc/ufw, /etc/default, /etc/systemd/system
#   firewalls.sh docker [iptables|iptables-legacy]   Docker's chains, FORWARD policy DROP, br_netfilter on
#   firewalls.sh plain  [iptables|iptables-legacy]   FORWARD policy DROP, nothing else
#   firewalls.sh input-drop [iptables|iptables-legacy] INPUT policy DROP but for lo, replies and ssh
#   firewalls.sh firewalld-start | firewalld-stop | firewalld-restart
#   firewalls.sh firewalld-enable         as systemd with firewalld enabled: /run/systemd/system, the
#                                         unit's link in multi-user.target.wants (both sandbox-only)
#   firewalls.sh ufw-enable               DEFAULT_FORWARD_POLICY=DROP, INPUT DROP, no sysctl changes
#   firewalls.sh state [permanent]        everything the owners keep, counters and dates left out;
#                                         permanent: firewalld's permanent configuration as listed, not its files
#   firewalls.sh reset                    back to a host with no firewall (stops firewalld, ufw rules gone)
set -euo pipefail

state_dir=/run/linuxnet-firewalls

# Never the machine's own network namespace: the kernel shows these sysctls only in the initial
# one (as setup_netns_sandbox checks); and the sandbox or lab host mounts a /run/netns of its own.
refuse_outside_sandbox() {
  local sysctl initial=
  for sysctl in devconf_inherit_init_net fb_tunnels_only_for_init_net netdev_max_backlog; do
    [ ! -e "/proc/sys/net/core/$sysctl" ] || initial=1
  done
  if [ -n "$initial" ] || ! mountpoint -q /run/netns; then
    echo "firewalls.sh: not inside a sandbox (tests/sandbox.sh); refusing" >&2
    exit 3
  fi
}

require_isolated() {
  refuse_outside_sandbox
  [ -e "$state_dir/isolated" ] || { echo "firewalls.sh: run 'isolate' first" >&2; exit 3; }
}

overlay() {  # overlay DIR: writes to DIR go to an upper directory on the sandbox's /run
  local name
  name=$(echo "$1" | tr / _)
  mkdir -p "$state_dir/overlay/$name/upper" "$state_dir/overlay/$name/work"
  mount -t overlay overlay -o "lowerdir=$1,upperdir=$state_dir/overlay/$name/upper,workdir=$state_dir/overlay/$name/work" "$1"
}

isolate() {
  refuse_outside_sandbox
  [ -e "$state_dir/isolated" ] && return 0
  if [ -n "$(ls -A /run/netns)" ]; then
    echo "firewalls.sh: isolate before any named namespace exists (it remounts /run/netns)" >&2
    exit 3
  fi
  # firewalld, dbus and ufw write /run/firewalld, /run/dbus, /run/ufw.lock: a /run of the sandbox's own
  mount -t tmpfs -o mode=0755 tmpfs /run
  mkdir -p /run/netns /run/lock "$state_dir"
  mount -t tmpfs -o mode=0755 tmpfs /run/netns
  mount -t tmpfs -o mode=0755 tmpfs /var/log
  overlay /etc/firewalld
  overlay /etc/ufw
  overlay /etc/default
  overlay /etc/systemd/system
  # br_netfilter's defaults as this kernel gives a new namespace (1 here), for reset
  sysctl -n net.bridge.bridge-nf-call-iptables net.bridge.bridge-nf-call-ip6tables > "$state_dir/br_netfilter"
  touch "$state_dir/isolated"
}

iptables_docker() {
  local ipt=${1:-iptables}
  "$ipt" -N DOCKER-USER
  "$ipt" -A DOCKER-USER -j RETURN
  "$ipt" -N DOCKER
  "$ipt" -A FORWARD -j DOCKER-USER
  "$ipt" -P FORWARD DROP
  sysctl -qw net.bridge.bridge-nf-call-iptables=1
}

iptables_plain() {
  "${1:-iptables}" -P FORWARD DROP
}

# a host whose admin lets in only ssh and replies (for an overlay's UDP port, which must be opened)
iptables_input_drop() {
  local ipt=${1:-iptables}
  "$ipt" -A INPUT -i lo -j ACCEPT
  "$ipt" -A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
  "$ipt" -A INPUT -p tcp --dport 22 -j ACCEPT
  "$ipt" -P INPUT DROP
}

firewalld_running() {
  [ -s "$state_dir/firewalld.pid" ] && kill -0 "$(cat "$state_dir/firewalld.pid")" 2>/dev/null
}

firewalld_start() {
  if ! [ -S /run/dbus/system_bus_socket ]; then
    mkdir -p /run/dbus
    dbus-daemon --system --fork --print-pid > "$state_dir/dbus.pid"
  fi
  firewalld_running && return 0
  # its own log: firewalld --nofork still writes /var/log/firewalld (a tmpfs here)
  setsid firewalld --nofork --nopid > "$state_dir/firewalld.out" 2>&1 < /dev/null &
  echo $! > "$state_dir/firewalld.pid"
  local _
  for _ in $(seq 300); do
    if [ "$(firewall-cmd --state 2>/dev/null)" = running ]; then return 0; fi
    firewalld_running || break
    sleep 0.1
  done
  echo "firewalld did not start:" >&2
  cat "$state_dir/firewalld.out" /var/log/firewalld 2>/dev/null >&2 || true
  exit 1
}

firewalld_stop() {  # kills the firewalld this script started (by its PID), waits for it to go
  firewalld_running || return 0
  local pid _
  pid=$(cat "$state_dir/firewalld.pid")
  kill "$pid"
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  rm -f "$state_dir/firewalld.pid"
}

# a systemd host on which firewalld is enabled (starts at boot) but not running now
firewalld_enable() {
  mkdir -p /run/systemd/system /etc/systemd/system/multi-user.target.wants
  ln -sfn /lib/systemd/system/firewalld.service /etc/systemd/system/multi-user.target.wants/firewalld.service
}

ufw_enable() {
  # no sysctl changes: ufw's sysctl.conf holds some settings that are not per network namespace
  : > /etc/ufw/sysctl-none.conf
  sed -i -e 's/^DEFAULT_FORWARD_POLICY=.*/DEFAULT_FORWARD_POLICY="DROP"/' \
         -e 's/^DEFAULT_INPUT_POLICY=.*/DEFAULT_INPUT_POLICY="DROP"/' \
         -e 's|^IPT_SYSCTL=.*|IPT_SYSCTL=/etc/ufw/sysctl-none.conf|' /etc/default/ufw
  ufw --force enable > /dev/null
  # the first enable leaves ip6tables' ufw6-user-limit chains empty; ufw's next reload (any rule
  # change) fills them: settle here, as on a host where ufw has been running a while
  ufw reload > /dev/null
}

# What the other owners keep, in a form to compare byte for byte: comments (dates) and chain
# counters dropped. The module's own nft table is left out (tests look for it themselves).
state() {
  local tool
  for tool in iptables-nft ip6tables-nft iptables-legacy ip6tables-legacy; do
    echo "== $tool-save"
    "$tool-save" 2>/dev/null | grep -v '^#' | sed -E 's/ \[[0-9]+:[0-9]+\]$//' || true
  done
  echo "== nft tables (but the module's own)"
  nft list tables | { grep -vx 'table inet linuxnet_netns' || true; } | sort
  echo "== sysctl"
  sysctl net.bridge.bridge-nf-call-iptables net.bridge.bridge-nf-call-ip6tables 2>/dev/null || true
  if firewalld_running; then
    echo "== firewalld runtime zones"
    firewall-cmd --list-all-zones
    echo "== firewalld runtime policies"
    firewall-cmd --list-all-policies
  fi
  if [ "${1:-}" = permanent ]; then
    # as firewalld reads it: firewall-offline-cmd's first write copies the default zone's file
    # from /usr/lib/firewalld into /etc/firewalld unchanged, which the files would count
    echo "== firewalld permanent zones"
    firewall-offline-cmd --list-all-zones
    echo "== firewalld permanent policies"
    firewall-offline-cmd --list-all-policies
  else
    # the permanent configuration is what its files say (firewall-cmd --permanent and
    # firewall-offline-cmd read them, at 0.3 s a call); the *.xml.old backups it leaves are not read
    echo "== firewalld permanent configuration"
    find /etc/firewalld -name '*.xml' -type f -print0 | sort -z | xargs -0r sha256sum
  fi
  if command -v ufw > /dev/null; then
    echo "== ufw"
    # not `status verbose`: its "routed" default follows ip_forward, which the networks set
    ufw status numbered
    # what ufw loads at its next start: its rules files, minus ufw's comment lines
    grep -hv '^#' /etc/ufw/user.rules /etc/ufw/user6.rules 2>/dev/null || true
  fi
}

reset() {
  firewalld_stop
  local tool table names
  if command -v ufw > /dev/null && grep -q '^ENABLED=yes' /etc/ufw/ufw.conf 2>/dev/null; then
    ufw --force disable > /dev/null
  fi
  # legacy tables cannot be deleted once made: empty the ones there are, make none
  for tool in iptables-legacy ip6tables-legacy; do
    names=/proc/net/ip_tables_names
    [ "$tool" = iptables-legacy ] || names=/proc/net/ip6_tables_names
    while read -r table; do
      "$tool" -t "$table" -F
      "$tool" -t "$table" -X
      if [ "$table" = filter ]; then "$tool" -P FORWARD ACCEPT; "$tool" -P INPUT ACCEPT; fi
    done < <(cat "$names" 2>/dev/null)
  done
  # nft, iptables-nft's tables with it: the sandbox's own (this netns was made by tests/sandbox.sh)
  nft flush ruleset
  local defaults
  mapfile -t defaults < "$state_dir/br_netfilter"
  sysctl -qw net.bridge.bridge-nf-call-iptables="${defaults[0]}" net.bridge.bridge-nf-call-ip6tables="${defaults[1]}"
  if [ -e "$state_dir/isolated" ]; then
    umount /etc/firewalld /etc/ufw /etc/default /etc/systemd/system
    rm -rf "$state_dir/overlay" /run/systemd
    overlay /etc/firewalld
    overlay /etc/ufw
    overlay /etc/default
    overlay /etc/systemd/system
  fi
}

command=${1:-}
shift || true
case $command in
  isolate) isolate ;;
  docker) refuse_outside_sandbox; iptables_docker "$@" ;;
  plain) refuse_outside_sandbox; iptables_plain "$@" ;;
  input-drop) refuse_outside_sandbox; iptables_input_drop "$@" ;;
  firewalld-start) require_isolated; firewalld_start ;;
  firewalld-stop) require_isolated; firewalld_stop ;;
  firewalld-restart) require_isolated; firewalld_stop; firewalld_start ;;
  firewalld-enable) require_isolated; firewalld_enable ;;
  ufw-enable) require_isolated; ufw_enable ;;
  state) require_isolated; state "$@" ;;
  reset) require_isolated; reset ;;
  *) sed -n '/^#   firewalls.sh/,/^set -e/p' "$0" | sed '$d' >&2; exit 2 ;;
esac
