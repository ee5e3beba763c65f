#!/usr/bin/env bash
# The role docker_bridge with dual stack (IPv4 + IPv6) on a lab of 3 hosts, once per mode
# (default: host-gw, then vxlan). Run it alone: it is heavy.
#
#   tests/lab/dualstack-test.sh [MODE...]
#
# Each mode gets a fresh lab (DUALSTACK_TEST_STATE_DIR, default /tmp/linuxnet-netns-dualstack-test),
# taken down at the end, also on failure (KEEP_LAB=1 keeps it). The hosts get IPv6 underlay
# addresses 2001:db8:18::1N/64 on eth0 (host-gw routes the peers' /64 via them; vxlan carries IPv6
# over the IPv4 overlay), the role carves each host's /64 from docker_bridge_cluster_cidr6
# fd00:88::/48. Steps, each asserted on the hosts' real state:
#   1. converge; a second run reports no change
#   2. every host's bridge and containers have their IPv6 address, the IPv6 default route, and
#      routes to the other hosts' /64
#   3. from every container: ping6 and TCP over IPv6 to every container of every host (the server
#      sees the sender's own address: not masqueraded between hosts), and the IPv4 matrix still passes
#   4. from every host: TCP over IPv6 to h1's published port (on its IPv6 underlay address)
#   5. h3 leaves (docker_bridge_state=absent for it): h1 and h2 drop their routes to its /64
#   6. state absent: no IPv6 address or route of the role is left
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"  # which also goes to the checkout's top, where the paths below start
state=${DUALSTACK_TEST_STATE_DIR:-/tmp/linuxnet-netns-dualstack-test}
modes=("$@")
[ ${#modes[@]} -gt 0 ] || modes=(host-gw vxlan)
# every play gets the hosts' IPv6 underlay addresses and the IPv6 cluster, both written by test_mode
play_options=(-i "$state/dualstack.ini" -e @"$state/dualstack.json")
underlay6() { echo "2001:db8:18::1${1#h}"; }

# the steps for one mode ($mode), on the fresh lab that run_modes (lib.sh) puts up and takes down
test_mode() {
  local host other c
  : >"$state/dualstack.ini"
  echo "[hosts]" >>"$state/dualstack.ini"
  for host in "${hosts[@]}"; do
    on "$host" "ip addr add $(underlay6 "$host")/64 dev eth0 nodad"
    echo "$host docker_bridge_underlay_address6=$(underlay6 "$host")" >>"$state/dualstack.ini"
  done
  cat >"$state/dualstack.json" <<'EOF'
{"docker_bridge_cluster_cidr6": "fd00:88::/48",
 "docker_bridge_containers": [{"name": "c1", "publish": ["8080:80", "8086:7000"]}, {"name": "c2"}]}
EOF
  expect_play "converge" "$state/converge.log" some
  expect_play "second run" "$state/second.log" 0

  # the /64 of host hN is numbered as its IPv4 subnet (198.18.0.1N -> 10.88.1N.0/24 -> fd00:88:0:1N-in-hex::/64)
  declare -A subnet6 addr6
  for host in "${hosts[@]}"; do
    subnet6[$host]=$(printf 'fd00:88:0:%x::' $((10 + ${host#h})))
    for c in c1 c2; do addr6[$host.$c]=$(bare_address_of "$host" "$c" -6); done
    local routes; routes=$(on "$host" "ip -6 route show; echo ==; ip -n c1 -6 route show; echo ==; ip -6 -o addr show dev dbr0 scope global")
    grep -q "^${subnet6[$host]}/64 dev dbr0" <<<"$routes" || fail "$host: no route to its own /64 on dbr0"
    grep -q "default via ${subnet6[$host]}1 dev eth0" <<<"$routes" || fail "$host: c1 has no IPv6 default route"
    grep -q "inet6 ${subnet6[$host]}1/64" <<<"$routes" || fail "$host: dbr0 has not ${subnet6[$host]}1/64"
    for other in "${hosts[@]}"; do
      [ "$other" = "$host" ] && continue
      local want
      want=$(printf 'fd00:88:0:%x::/64' $((10 + ${other#h})))
      if [ "$mode" = host-gw ]; then want="$want via $(underlay6 "$other") dev eth0"; else want="$want via ${want%::/64}::1 dev vxlan-dbr0"; fi
      grep -q "^$want" <<<"$routes" || fail "$host: no route '$want'"
    done
    for c in c1 c2; do
      case ${addr6[$host.$c]} in "${subnet6[$host]}"*) ;; *) fail "$host $c: IPv6 address '${addr6[$host.$c]}' not in ${subnet6[$host]}/64";; esac
    done
  done
  say "addresses and routes: $(for h in "${hosts[@]}"; do printf '%s c1 %s; ' "$h" "${addr6[$h.c1]}"; done)"

  # a server on [::]:7000 in every container, stopped by PID at the end
  declare -A pids
  for host in "${hosts[@]}"; do
    pids[$host]=$(on "$host" "for c in c1 c2; do setsid ip netns exec \$c /usr/bin/python3 $peer_py serve :: 7000 </dev/null >/dev/null 2>&1 & echo \$!; done" | tr '\n' ' ')
  done
  local tried=0 ok=0
  for host in "${hosts[@]}"; do
    for other in "${hosts[@]}"; do
      for c in c1 c2; do
        local target=${addr6[$other.$c]} seen
        [ "$other" = "$host" ] && [ "$c" = c1 ] && continue
        tried=$((tried + 1))
        if ! on "$host" "ip netns exec c1 ping -6 -c 1 -W 2 $target" >/dev/null; then
          fail "ping6 from $host c1 to $other $c ($target)"; continue
        fi
        seen=$(on "$host" "ip netns exec c1 /usr/bin/python3 $peer_py ask $target 7000 3" || true)
        if [ "$seen" = "${addr6[$host.c1]}" ]; then ok=$((ok + 1)); else
          fail "TCP over IPv6 from $host c1 to $other $c ($target): the server saw '$seen', not ${addr6[$host.c1]}"; fi
      done
    done
  done
  say "containers: ping6 and TCP over IPv6 $ok/$tried, the sender's own address seen across hosts"
  for host in "${hosts[@]}"; do
    local seen; seen=$(on "$host" "/usr/bin/python3 $peer_py ask $(underlay6 h1) 8086 3" || true)
    if [ "$host" = h1 ]; then
      [ -n "$seen" ] || fail "h1 to its own published port over IPv6: no answer"
    elif [ "$seen" != "$(underlay6 "$host")" ]; then
      fail "$host to h1's published port [$(underlay6 h1)]:8086: the server saw '$seen'"
    fi
  done
  say "published port over IPv6: h1's [$(underlay6 h1)]:8086 reached from every host"
  if matrix ipv4; then
    say "IPv4 matrix: $(tail -1 "$state/matrix.ipv4")"
  else fail "IPv4 matrix ($state/matrix.ipv4)"; tail -20 "$state/matrix.ipv4" >&2; fi
  for host in "${hosts[@]}"; do
    if [ -n "${pids[$host]// /}" ]; then on "$host" "kill ${pids[$host]}" || true; fi
  done

  # h3 leaves the cluster: the others drop their IPv6 routes to its /64
  sed -i 's/^h3 .*/& docker_bridge_state=absent/' "$state/dualstack.ini"
  expect_play "h3 removed from the cluster" "$state/remove-h3.log" some
  local gone; gone=$(printf 'fd00:88:0:%x::/64' 13)
  for host in h1 h2; do
    if on "$host" "ip -6 route show" | grep -q "^$gone"; then fail "$host still routes $gone after h3 left"; fi
  done
  on h3 "ip netns list; ip -6 addr show" | grep -q 'fd00:88\|c1' && fail "h3 keeps containers or IPv6 addresses after absent"
  say "h3 removed: h1 and h2 no longer route $gone, h3 is empty"

  expect_play "state absent" "$state/absent.log" some -e docker_bridge_state=absent
  for host in "${hosts[@]}"; do
    local left; left=$(on "$host" "ip -6 route show; ip -6 addr show; ip netns list")
    if grep -q 'fd00:88' <<<"$left"; then fail "$host: IPv6 of the role left after absent"; grep 'fd00:88' <<<"$left" >&2; fi
  done
  say "state absent: no IPv6 address or route of the role left"
}

run_modes dualstack-test "role docker_bridge, dual stack"
