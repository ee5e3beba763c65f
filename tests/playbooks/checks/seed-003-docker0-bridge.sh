# shellcheck shell=bash
# Kernel state after playbooks/seed-003-docker0-bridge.yml (sourced by one.sh)
check "lxcbr0 is a bridge, up, 192.168.10.1/24" \
  eval 'kind_is "" lxcbr0 bridge && is_up "" lxcbr0 && has_addr "" lxcbr0 192.168.10.1/24'
check "STP off on lxcbr0" eval 'ip -j -d link show dev lxcbr0 | json_true "data[0][\"linkinfo\"][\"info_data\"][\"stp_state\"] == 0"'
check "lxcbr0.1 is a port of lxcbr0" master_is "" lxcbr0.1 lxcbr0
check "eth0 in ns1, up, 192.168.10.11/24" up_with_addr ns1 eth0 192.168.10.11/24
check "lo up in ns1" is_up ns1 lo
check "ns1's default route via 192.168.10.1" default_via ns1 192.168.10.1
check "ns1 pings the bridge" pings ns1 192.168.10.1
check "ns1 sees its own resolv.conf" eval 'ip netns exec ns1 cat /etc/resolv.conf | grep -x "nameserver 8.8.8.8"'
