# shellcheck shell=bash
# Kernel state after playbooks/seed-001-move-back.yml (sourced by one.sh)
# requires: seed-001-veth-pair.yml
check "nstest is gone" eval '! ip netns list | grep "^nstest"'
check "veth0s1 back in the default namespace" has_link "" veth0s1
check "veth0s1 lost its address in the move" no_ipv4 "" veth0s1
check "veth0s0 and veth0s1 are still one pair" eval 'ip -j link show dev veth0s1 | json_true "data[0][\"link\"] == \"veth0s0\""'
check "veth0s0 kept its address" has_addr "" veth0s0 192.168.11.100/24
