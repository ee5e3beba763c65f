#!/usr/bin/env bash
# The seeds' way (seed 001/002): one `ip` command per step, per container.
#
#   shell_baseline.sh up N     bridge, then N containers: namespace, veth to the bridge,
#                              address, eth0 and lo up, default route, resolv.conf
#   shell_baseline.sh down N   `ip netns del` per container (the veths go with them)
#
# Run it only inside tests/sandbox.sh. The names and addresses are the benchmark's
# (see benchmarks/topology.py, which gives the playbooks the same ones): past 1000 containers,
# the next 1000 go to bridge bench1 (10.201.0.1/16), and so on (a bridge holds 1024 ports).
set -euo pipefail
action=${1:?usage: $0 up|down N}
count=${2:?usage: $0 up|down N}
network_size=${BENCH_NETWORK_SIZE:-1000}  # as topology.NETWORK_SIZE

container_address() {  # container i (1-based) gets 10.200.0.2, 10.200.0.3, ... in a /16
  local host=$(( ($1 - 1) % network_size + 2 ))
  echo "10.$(( 200 + ($1 - 1) / network_size )).$(( host >> 8 )).$(( host & 255 ))/16"
}

case $action in
up)
  for i in $(seq 1 "$count"); do
    ns=c$i
    if [ $(( (i - 1) % network_size )) = 0 ]; then  # the first container of a network
      bridge=bench$(( (i - 1) / network_size ))
      gateway=10.$(( 200 + (i - 1) / network_size )).0.1
      ip link add "$bridge" type bridge
      ip addr add "$gateway/16" dev "$bridge"
      ip link set "$bridge" up
    fi
    ip netns add "$ns"
    ip link add "veth-c$i" type veth peer name eth0 netns "$ns"
    ip link set "veth-c$i" master "$bridge" up
    ip -n "$ns" addr add "$(container_address "$i")" dev eth0
    ip -n "$ns" link set eth0 up
    ip -n "$ns" link set lo up
    ip -n "$ns" route add default via "$gateway"
    mkdir -p "/etc/netns/$ns"
    echo "nameserver $gateway" > "/etc/netns/$ns/resolv.conf"
  done
  ;;
down)
  for i in $(seq 1 "$count"); do
    ip netns del "c$i"
  done
  ;;
*)
  echo "usage: $0 up|down N" >&2
  exit 2
  ;;
esac
