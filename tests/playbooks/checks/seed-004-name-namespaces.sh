# shellcheck shell=bash
# Kernel state after playbooks/seed-004-name-namespaces.yml (sourced by one.sh)
for name in ns1 ns2 b63ec59b3d9e ns100; do
  check "namespace $name listed" eval "ip netns list | grep '^$name\\b'"
done
check "ns100 is the nginx container's namespace" same_netns /run/netns/ns100 "/proc/$(pid_of seed004-nginx)/ns/net"
check "b63ec59b3d9e is the pod's namespace" same_netns /run/netns/b63ec59b3d9e "/proc/$(pid_of seed004-pod)/ns/net"
check "the process that made ns2 has exited" eval '! pid_of seed004-ns2-maker'
check "ns2 outlives it, with no process in it" eval '! ip netns pids ns2 | grep . && ip netns exec ns2 true'
check "ns2 is none of the others" eval '! same_netns /run/netns/ns2 /run/netns/ns1 && ! same_netns /run/netns/ns2 /run/netns/ns100'
