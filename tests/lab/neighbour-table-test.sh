#!/usr/bin/env bash
# The lab's share of the machine's one IPv4 neighbour table: the role docker_bridge in mode vxlan on
# a lab of 6 hosts, 3 containers each (state dir NEIGHBOUR_TEST_STATE_DIR, default
# /tmp/linuxnet-netns-neighbours; taken down at the end, also on failure; KEEP_LAB=1 keeps it).
#
#   tests/lab/neighbour-table-test.sh
#
# Every network namespace of the machine learns into one ARP table, whose limit (gc_thresh3, 1024)
# only the machine's own namespace may set. A vxlan host floods its overlay's broadcasts to every
# peer, so with a learnt underlay every host learnt every other one: 40 hosts filled the table, and
# a host whose table is full does not answer ARP (issue 18: h1's c1 could not reach h40's c25).
# lab.sh therefore makes the underlay's neighbours permanent, which the limit does not count.
# Steps, each asserted on the kernel's state:
#   converge, then every host's c1 pings h1's c1 and the last host's c3, across the overlay; then
#   1. the underlay is static: each host's eth0 has the MAC lab.sh derives from its address, and a
#      permanent entry of the gateway and of every other host with theirs; br0 in the lab namespace
#      one of every host
#   2. the pings were answered
#   3. after that traffic no host, and not the lab namespace, has learnt an underlay neighbour: the
#      learnt entries are the overlay's and the containers' only (counted, and printed per host)
#   4. a rerun changes nothing
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"  # which also goes to the checkout's top, where the paths below start
state=${NEIGHBOUR_TEST_STATE_DIR:-/tmp/linuxnet-netns-neighbours}
modes=(vxlan)
hosts=(h1 h2 h3 h4 h5 h6)
last=${hosts[-1]}
containers='{"docker_bridge_containers": [{"name": "c1"}, {"name": "c2"}, {"name": "c3"}]}'

# shellcheck disable=SC2086  # split on the dots
mac_of() { local IFS=.; set -- $1; printf '02:00:%02x:%02x:%02x:%02x' "$@"; }
# what the table has learnt (not permanent) on the underlay device DEV: "ADDRESS STATE" lines
learnt_on() { grep -v -e PERMANENT -e NOARP | awk -v dev="$1" '$3 == dev { print $1, $NF }' || true; }
# arp_cache's table_fulls, summed over the CPUs: how often the machine's table refused an entry
table_fulls() {
  /usr/bin/python3 -c 'rows = [line.split() for line in open("/proc/net/stat/arp_cache")]
print(sum(int(row[rows[0].index("table_fulls")], 16) for row in rows[1:]))'
}

# what HOST's kernel says, one ssh: its underlay address and MAC, its permanent underlay entries,
# the pings of its c1 to each ADDRESS, then every IPv4 neighbour entry of the host and its containers
observe() {  # observe HOST ADDRESS...
  local host=$1; shift
  # shellcheck disable=SC2016  # the host's shell expands them
  on "$host" 'echo "address $(ip -4 -o addr show dev eth0 | awk "{ print \$4 }" | cut -d/ -f1)"
              echo "mac $(cat /sys/class/net/eth0/address)"
              ip -4 neigh show dev eth0 nud permanent | sed "s/^/permanent /"
              for address in '"$*"'; do
                if ip netns exec c1 ping -c2 -i0.2 -W3 "$address" >/dev/null; then echo "ping $address ok"
                else echo "ping $address FAILED"; fi
              done
              ip -4 neigh show nud all | sed "s/^/neigh host /"
              for ns in $(ip netns list | cut -d" " -f1); do
                ip -n "$ns" -4 neigh show nud all | sed "s/^/neigh $ns /"
              done'
}

test_mode() {
  local fulls_before host address mac other to_first to_last learnt count total=0 failures_before=$failures
  fulls_before=$(table_fulls)
  expect_play "converge" "$state/converge.log" some -f "${#hosts[@]}" -e "$containers"
  to_first=$(bare_address_of h1 c1); to_last=$(bare_address_of "$last" c3)
  for host in "${hosts[@]}"; do observe "$host" "$to_first" "$to_last" >"$state/observed.$host"; done

  # 1. the underlay's addresses, MACs and permanent entries, as lab.sh makes them
  in_lab ip -4 neigh show dev br0 nud permanent >"$state/permanent.lab"
  for host in "${hosts[@]}"; do
    address=$(awk '$1 == "address" { print $2 }' "$state/observed.$host")
    mac=$(mac_of "$address")
    grep -qx "mac $mac" "$state/observed.$host" || fail "$host: eth0's MAC is not $mac"
    grep -q "^$address lladdr $mac PERMANENT" "$state/permanent.lab" ||
      fail "the lab's br0 has no permanent entry of $host ($address)"
    for other in "${hosts[@]}" lab; do
      [ "$other" != "$host" ] || continue
      if [ "$other" = lab ]; then other=198.18.0.1; else other=198.18.0.$((10 + ${other#h})); fi
      grep -q "^permanent $other lladdr $(mac_of "$other") PERMANENT" "$state/observed.$host" ||
        fail "$host: no permanent entry of $other on eth0"
    done
  done
  [ "$failures" != "$failures_before" ] ||
    say "underlay: ${#hosts[@]} hosts and the gateway with fixed MACs and permanent entries of each other"

  # 2. the overlay carries traffic from every host to h1 and to the last host
  if grep -h 'FAILED$' "$state"/observed.h*; then
    fail "some containers' pings across the overlay failed (above)"
  else
    say "every host's c1 pings h1's c1 $to_first and $last's c3 $to_last"
  fi

  # 3. nothing learnt on the underlay; what was learnt elsewhere, per host
  learnt=$(in_lab ip -4 neigh show nud all | learnt_on br0)
  [ -z "$learnt" ] || fail "the lab namespace learnt underlay neighbours: $(paste -sd';' <<<"$learnt")"
  for host in "${hosts[@]}"; do
    # the host's own eth0 only (a container's eth0 is its end of a veth on the host's bridge)
    learnt=$(sed -n 's/^neigh host //p' "$state/observed.$host" | learnt_on eth0)
    count=$(grep '^neigh ' "$state/observed.$host" | grep -v -c -e PERMANENT -e NOARP || true)
    total=$((total + count))
    if [ -n "$learnt" ]; then
      fail "$host learnt underlay neighbours: $(paste -sd';' <<<"$learnt")"
    else
      say "$host: $count learnt IPv4 neighbours (overlay, bridge, containers), none on the underlay"
    fi
  done
  say "the lab holds $total learnt entries of the machine's table, which was full $(($(table_fulls) - fulls_before))" \
    "times during this test (any lab's, any namespace's)"

  # 4.
  expect_play "rerun" "$state/rerun.log" 0 -f "${#hosts[@]}" -e "$containers"
}

run_modes neighbour-table-test "the lab's share of the machine's neighbour table"
