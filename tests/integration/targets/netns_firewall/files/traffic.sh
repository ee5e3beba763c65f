#!/usr/bin/env bash
# Copyright (c) linuxnet.netns contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Servers and traffic for the netns_firewall target (inside tests/sandbox.sh only).
#
#   traffic.sh outside                   the "internet": namespace inet, 203.0.113.10/24 behind the
#                                        host's up0 203.0.113.1/24, with a server on port 7000
#   traffic.sh serve NETNS PORT          a peer.py server in NETNS (PID kept in $TRAFFIC_DIR)
#   traffic.sh stop NETNS                stop it (by the PID this script started)
#   traffic.sh check TIMEOUT CHECK...    try each CHECK at once, print one JSON object
#                                        {CHECK: what the server saw as the client, or "fail"}
# CHECKs: SRC>ADDRESS:PORT (TCP from namespace SRC, "host" for the host itself) and
#         SRC>ADDRESS (one ping). The servers answer with the client address they see.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
peer_py=$here/../../netns_nat/files/peer.py
dir=${TRAFFIC_DIR:?TRAFFIC_DIR: a directory for the servers PID files}
mkdir -p "$dir"

in_netns() {  # in_netns NETNS|host CMD...
  local netns=$1; shift
  if [ "$netns" = host ]; then "$@"; else ip netns exec "$netns" "$@"; fi
}

serve() {
  local netns=$1 port=$2
  nohup ip netns exec "$netns" /usr/bin/python3 "$peer_py" serve 0.0.0.0 "$port" > /dev/null 2>&1 &
  echo $! > "$dir/$netns.pid"
  # listening before anyone asks: a refused connection is retried by peer.py, a dropped one is not
  local _
  for _ in $(seq 50); do
    ip netns exec "$netns" ss -Hltn "sport = :$port" | grep -q LISTEN && return 0
    sleep 0.05
  done
  echo "server in $netns on port $port did not start" >&2
  exit 1
}

stop() {
  local pidfile=$dir/$1.pid pid state _
  [ -s "$pidfile" ] || return 0
  pid=$(cat "$pidfile")
  kill "$pid" 2>/dev/null || true
  # gone, or a zombie: the sandbox's PID 1 (ansible-playbook) reaps orphans only now and then
  for _ in $(seq 50); do
    state=$(awk '{ print $3 }' "/proc/$pid/stat" 2>/dev/null || true)
    if [ -z "$state" ] || [ "$state" = Z ]; then break; fi
    sleep 0.05
  done
  rm -f "$pidfile"
}

outside() {
  ip netns add inet
  ip link add up0 type veth peer name up1 netns inet
  ip link set up0 addrgenmode none
  ip -n inet link set up1 addrgenmode none
  ip addr add 203.0.113.1/24 dev up0
  ip link set up0 up
  ip -n inet link set lo up
  ip -n inet addr add 203.0.113.10/24 dev up1
  ip -n inet link set up1 up
  serve inet 7000
}

check_one() {  # prints the answer, or fail
  local timeout=$1 spec=$2 src target address port
  src=${spec%%>*}
  target=${spec#*>}
  if [[ $target == *:* ]]; then
    address=${target%:*}
    port=${target##*:}
    in_netns "$src" /usr/bin/python3 "$peer_py" ask "$address" "$port" "$timeout" 2>/dev/null || echo fail
  elif in_netns "$src" ping -n -c 1 -W "${timeout%.*}" "$target" > /dev/null 2>&1; then
    echo ok
  else
    echo fail
  fi
}

check() {
  local timeout=$1 spec i=0
  shift
  local out
  out=$(mktemp -d)
  for spec in "$@"; do
    check_one "$timeout" "$spec" > "$out/$i" &
    i=$((i + 1))
  done
  wait
  i=0
  for spec in "$@"; do
    printf '%s\n%s\n' "$spec" "$(cat "$out/$i")"
    i=$((i + 1))
  done | /usr/bin/python3 -c 'import json, sys
lines = sys.stdin.read().split("\n")
print(json.dumps(dict(zip(lines[0::2], lines[1::2])), sort_keys=True))'
  rm -rf "$out"
}

command=$1
shift
case $command in
  outside) outside ;;
  serve) serve "$@" ;;
  stop) stop "$@" ;;
  check) check "$@" ;;
  *) sed -n '/^#   traffic.sh/,/^set -e/p' "$0" | sed '$d' >&2; exit 2 ;;
esac
