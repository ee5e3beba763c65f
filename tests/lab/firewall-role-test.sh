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
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"  # which also goes to the checkout's top, where the paths below start
firewalls=$top/tests/lib/firewalls.sh
state=${FIREWALL_TEST_STATE_DIR:-/tmp/linuxnet-netns-firewall-role-test}
modes=("$@")
[ ${#modes[@]} -gt 0 ] || modes=(host-gw vxlan)

# rules NAME: Docker's and the admin's rules on each host in $state/rules.NAME.HOST, counters left
# out, to compare byte for byte
rules() {
  dump "rules.$1" "for tool in iptables-save ip6tables-save; do echo == \$tool; \$tool | grep -v '^#' | sed -E 's/ \\[[0-9]+:[0-9]+\\]\$//'; done"
}

# the steps for one mode ($mode), on the fresh lab that run_modes (lib.sh) puts up and takes down
test_mode() {
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
  same_dumps "firewall none" rules.docker rules.none
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
  same_dumps "state absent" rules.docker rules.absent
  say "state absent: Docker's rules and policies on every host as before"
}

run_modes firewall-role-test "role docker_bridge on Docker's hosts"
