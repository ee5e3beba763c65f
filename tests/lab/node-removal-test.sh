#!/usr/bin/env bash
# A host leaves the cluster: the role docker_bridge on a lab of 3 hosts, then h3 left out of the
# inventory and the role run again on h1 and h2, once per mode (default: vxlan, then host-gw).
#
#   tests/lab/node-removal-test.sh [MODE...]       e.g. tests/lab/node-removal-test.sh vxlan
#
# Each mode gets a fresh lab (state dir NODE_REMOVAL_STATE_DIR, default
# /tmp/linuxnet-netns-node-removal), taken down at the end, also on failure (KEEP_LAB=1 keeps it).
# Steps, each asserted on the hosts' real state:
#   1. converge the 3 hosts; traffic from h1 and h2 to h3's containers, so that their kernels
#      learn h3 (mode vxlan: flood entry, learnt MAC behind 198.18.0.13, neighbour 10.88.13.1)
#   2. h3 left out (an inventory of h1 and h2 only; h3's overlay down, as a host that is gone): the
#      run changes h1 and h2, a second run nothing
#   3. on h1 and h2 nothing points at h3: no route to 10.88.13.0/24 or via h3's addresses
#      (ip -j route), no FDB entry to 198.18.0.13 on vxlan-dbr0 (bridge -j fdb), no neighbour
#      entry of h3's overlay addresses 10.88.13.x (ip -j neigh)
#   4. h1 and h2 still talk: ping and TCP between their containers, both ways
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"  # which also goes to the checkout's top, where the paths below start
state=${NODE_REMOVAL_STATE_DIR:-/tmp/linuxnet-netns-node-removal}
modes=("$@")
[ ${#modes[@]} -gt 0 ] || modes=(vxlan host-gw)

# what HOST's kernel has that could point at another host: routes, FDB of the overlay, neighbours
# shellcheck disable=SC2016  # the host's shell expands them
pointers() {
  on "$1" 'echo "routes $(ip -j route show table all)"
           echo "fdb $(bridge -j fdb show dev vxlan-dbr0 2>/dev/null || echo [])"
           echo "neigh $(ip -j neigh show)"'
}
# pointing_at FILE: the entries of pointers' output that name h3 (underlay 198.18.0.13, subnet 10.88.13.0/24)
pointing_at_h3() {
  /usr/bin/python3 - "$1" <<'EOF'
import ipaddress, json, sys
H3_UNDERLAY = ipaddress.ip_address('198.18.0.13')
H3_SUBNET = ipaddress.ip_network('10.88.13.0/24')
def h3(value):
    try:
        network = ipaddress.ip_network(value, strict=False)
    except ValueError:
        return False
    return network.overlaps(H3_SUBNET) if network.version == 4 and network.prefixlen < 32 else \
        network.network_address == H3_UNDERLAY or network.network_address in H3_SUBNET
found = []
for line in open(sys.argv[1]):
    what, _, text = line.partition(' ')
    for entry in json.loads(text or '[]'):
        if what == 'routes' and (h3(entry.get('dst', '')) or h3(entry.get('gateway', ''))):
            found.append('route %s via %s dev %s' % (entry.get('dst'), entry.get('gateway'), entry.get('dev')))
        elif what == 'fdb' and h3(entry.get('dst', '')):
            found.append('fdb %s dst %s' % (entry.get('mac'), entry['dst']))
        # the underlay's own neighbour entry of 198.18.0.13 (on eth0) is the underlay's, not the overlay's
        elif what == 'neigh' and ipaddress.ip_address(entry['dst']) in H3_SUBNET:
            found.append('neighbour %s dev %s' % (entry['dst'], entry.get('dev')))
for line in found:
    print(line)
EOF
}

# the steps for one mode ($mode), on the fresh lab that run_modes (lib.sh) puts up and takes down
test_mode() {
  # local: every mode starts from the inventory of all three hosts; h3 is left out of it below
  local inventory=tests/lab/docker-bridge.ini
  # docker-bridge.ini without h3: the same group and variables, h1 and h2 only
  cat >"$state/without-h3.ini" <<'EOF'
[docker_hosts]
h1
h2

[docker_hosts:vars]
ansible_become=false
docker_bridge_containers=[{"name": "c1", "publish": ["8080:80"]}, {"name": "c2"}]
EOF

  expect_play "converge h1, h2, h3" "$state/converge.log" some
  local h3c1; h3c1=$(bare_address_of h3 c1)
  local host
  for host in h1 h2; do
    on "$host" "ip netns exec c1 ping -c2 -W2 $h3c1 >/dev/null" || fail "$host c1 cannot reach h3's c1 $h3c1 to begin with"
    pointers "$host" >"$state/before.$host"
    pointing_at_h3 "$state/before.$host" >"$state/before-h3.$host"
    say "before: $host points at h3 by $(wc -l <"$state/before-h3.$host") entries: $(paste -sd';' "$state/before-h3.$host")"
    grep -q '^route 10.88.13.0/24' "$state/before-h3.$host" || fail "before: $host has no route to h3's subnet"
    if [ "$mode" = vxlan ]; then
      grep -q '^fdb 00:00:00:00:00:00 dst 198.18.0.13' "$state/before-h3.$host" || fail "before: $host has no flood entry to h3"
      grep -q '^neighbour 10.88.13.1 ' "$state/before-h3.$host" || fail "before: $host has no neighbour entry of h3's gateway"
    fi
  done

  # h3 leaves as a decommissioned host does: it stops sending. A host that keeps sending over the
  # overlay is learnt again by the others (VXLAN learning), and its entries age out in 300 s.
  on h3 'ip link set vxlan-dbr0 down 2>/dev/null || true'
  inventory=$state/without-h3.ini
  expect_play "h3 left out of the inventory" "$state/without-h3.log" some
  expect_play "again without h3" "$state/without-h3-again.log" 0
  for host in h1 h2; do
    pointers "$host" >"$state/after.$host"
    pointing_at_h3 "$state/after.$host" >"$state/after-h3.$host"
    if [ -s "$state/after-h3.$host" ]; then
      fail "after: $host still points at h3: $(paste -sd';' "$state/after-h3.$host")"
    else
      say "after: nothing on $host points at h3"
    fi
  done

  local h1c1 h2c1 pid
  h1c1=$(bare_address_of h1 c1); h2c1=$(bare_address_of h2 c1)
  for pair in "h1 $h2c1 h2" "h2 $h1c1 h1"; do
    # shellcheck disable=SC2086
    set -- $pair
    pid=$(on "$3" "setsid ip netns exec c1 /usr/bin/python3 $peer_py serve 0.0.0.0 7000 </dev/null >/dev/null 2>&1 & echo \$!")
    sleep 0.5
    if on "$1" "ip netns exec c1 ping -c1 -W2 $2 >/dev/null" && \
       seen=$(on "$1" "ip netns exec c1 /usr/bin/python3 $peer_py ask $2 7000 5"); then
      say "$1 c1 -> $3 c1 $2: ping and TCP (the server saw $seen)"
    else
      fail "$1 c1 cannot reach $3 c1 $2 after h3 left"
    fi
    on "$3" "kill $pid" || true
  done
}

run_modes node-removal-test "node removal"
