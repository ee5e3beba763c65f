#!/usr/bin/env bash
# The role docker_bridge on a lab of 3 hosts that run Docker (issue 11), once per mode
# (default: host-gw, then vxlan).
#
#   tests/lab/firewall-role-test.sh [MODE...]
#
# Each mode gets a fresh lab (state dir FIREWALL_TEST_STATE_DIR, default
# /tmp/linuxnet-netns-firewall-role-test), taken down at the end, also on failure (KEEP_LAB=1 keeps it).
#   1. every host as Docker leaves it (tests/lib/firewalls.sh docker: iptables-nft, DOCKER-USER,
#      FORWARD policy DROP, br_netfilter on); in mode vxlan also an INPUT policy DROP that lets in
#      only ssh and replies, so the overlay's UDP port has to be opened too
#   2. docker_bridge_firewall=none: the play warns, naming DOCKER-USER, changes no iptables rule, and
#      the connectivity matrix fails (Docker's FORWARD drops it)
#   3. the default (auto): the matrix passes (same host, across hosts, the internet through NAT, the
#      published port); a second run changes nothing
#   4. state absent: every host's iptables and ip6tables rules and policies (counters left out) are
#      byte for byte as before step 2
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
lab=tests/lab/lab.sh
firewalls=$top/tests/lib/firewalls.sh
state=${FIREWALL_TEST_STATE_DIR:-/tmp/linuxnet-netns-firewall-role-test}
hosts=(h1 h2 h3)
modes=("$@")
[ ${#modes[@]} -gt 0 ] || modes=(host-gw vxlan)
failures=0
step_started=$SECONDS

say() { printf '%s [%3ds] %s\n' "--" $((SECONDS - step_started)) "$*"; }
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
in_lab() { LAB_STATE_DIR=$state "$lab" exec "$@"; }
on() { local host=$1; shift; in_lab ssh -F "$state/ssh_config" "$host" "$@"; }
play() {  # play LOG [ansible-playbook args...]
  local log=$1; shift
  in_lab env ANSIBLE_PIPELINING=1 ANSIBLE_NOCOLOR=1 .venv/bin/ansible-playbook \
    -i "$state/inventory.ini" -i tests/lab/docker-bridge.ini playbooks/docker-bridge.yml \
    -e docker_bridge_mode="$mode" "$@" >"$log" 2>&1
}
changed() { awk '/^h[0-9]+ +: ok=/ { split($4, c, "="); n += c[2] } END { print n + 0 }' "$1"; }
expect_play() {  # expect_play WHAT LOG CHANGED(any|0|some) [args...]
  local what=$1 log=$2 want=$3; shift 3
  if ! play "$log" "$@"; then fail "$what: the playbook failed (see $log)"; tail -30 "$log" >&2; return; fi
  local n; n=$(changed "$log")
  case $want in
    0) [ "$n" = 0 ] || fail "$what: changed=$n, expected 0 ($log)";;
    some) [ "$n" -gt 0 ] || fail "$what: changed=0, expected changes ($log)";;
  esac
  say "$what: ok (changed=$n)"
}
# Docker's and the admin's rules on each host, in a form to compare byte for byte
rules() {
  local host
  for host in "${hosts[@]}"; do
    on "$host" "for tool in iptables-save ip6tables-save; do echo == \$tool; \$tool | grep -v '^#' | sed -E 's/ \\[[0-9]+:[0-9]+\\]\$//'; done" \
      >"$state/rules.$1.$host"
  done
}
same_rules() {  # same_rules WHAT A B
  local host
  for host in "${hosts[@]}"; do
    if ! diff -u "$state/rules.$2.$host" "$state/rules.$3.$host" >"$state/rules-diff.$2.$3.$host"; then
      fail "$1: iptables of $host changed ($state/rules-diff.$2.$3.$host)"; head -20 "$state/rules-diff.$2.$3.$host" >&2
    fi
  done
}
matrix() { in_lab /usr/bin/python3 tests/lab/docker_bridge_matrix.py "$state" --mode "$mode" --publish c1:8080 >"$state/matrix.$1" 2>&1; }

finish() {
  local status=$?
  if [ "${KEEP_LAB:-0}" = 1 ]; then echo "lab left up in $state (KEEP_LAB=1)"; else "$lab" down "$state" >/dev/null || status=1; fi
  return $status
}

test_mode() {
  mode=$1
  step_started=$SECONDS
  echo "== role docker_bridge on Docker's hosts, mode $mode, lab in $state"
  "$lab" up 3 "$state" >/dev/null
  local host
  for host in "${hosts[@]}"; do
    on "$host" "$firewalls docker iptables"
    [ "$mode" != vxlan ] || on "$host" "$firewalls input-drop iptables"
  done
  rules docker

  expect_play "firewall none" "$state/none.log" some -e docker_bridge_firewall=none
  local warned
  warned=$(grep -c 'WARNING.*DOCKER-USER' "$state/none.log" || true)
  [ "$warned" -ge 3 ] || fail "firewall none: $warned warnings naming DOCKER-USER, expected one per host ($state/none.log)"
  rules none
  same_rules "firewall none" docker none
  if matrix none; then fail "firewall none: the matrix passed, Docker's FORWARD policy should drop it ($state/matrix.none)"
  else say "firewall none: the matrix fails, as Docker's FORWARD drops: $(tail -1 "$state/matrix.none")"; fi

  expect_play "firewall auto" "$state/auto.log" some
  if grep -q 'WARNING.*DOCKER-USER' "$state/auto.log"; then fail "firewall auto: still warns ($state/auto.log)"; fi
  expect_play "firewall auto again" "$state/auto-again.log" 0
  if matrix auto; then say "firewall auto: $(tail -1 "$state/matrix.auto")"
  else fail "firewall auto: the matrix ($state/matrix.auto)"; cat "$state/matrix.auto" >&2; fi
  rules auto
  for host in "${hosts[@]}"; do
    grep -q -- '-A DOCKER-USER -j LINUXNET-FORWARD' "$state/rules.auto.$host" \
      || fail "firewall auto: no jump from DOCKER-USER on $host ($state/rules.auto.$host)"
    if [ "$mode" = vxlan ]; then
      grep -Eq -- '^-A INPUT( .*)? -j LINUXNET-INPUT' "$state/rules.auto.$host" \
        || fail "firewall auto: no jump to LINUXNET-INPUT on $host, whose INPUT drops ($state/rules.auto.$host)"
    fi
  done

  expect_play "state absent" "$state/absent.log" some -e docker_bridge_state=absent
  rules absent
  same_rules "state absent" docker absent
  say "state absent: Docker's rules and policies on every host as before"
  finish
}

trap finish EXIT
for mode in "${modes[@]}"; do
  if [ -e "$state" ]; then echo "$state exists: a lab is up there (tests/lab/lab.sh down $state)" >&2; exit 1; fi
  test_mode "$mode"
done
trap - EXIT
if [ "$failures" != 0 ]; then echo "firewall-role-test: $failures failures" >&2; exit 1; fi
echo "firewall-role-test: all passed (${modes[*]})"
