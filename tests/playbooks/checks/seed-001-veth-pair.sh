# shellcheck shell=bash
# Kernel state after playbooks/seed-001-veth-pair.yml (sourced by one.sh)
check "namespace nstest listed" eval 'ip netns list | grep -x "nstest.*"'
check "veth0s0 up with 192.168.11.100/24" up_with_addr "" veth0s0 192.168.11.100/24
check "veth0s1 in nstest, up, 192.168.11.101/24" up_with_addr nstest veth0s1 192.168.11.101/24
check "no veth0s1 in the host" no_link "" veth0s1
check "lo up in nstest" is_up nstest lo
check "nstest's default route via 192.168.11.100" default_via nstest 192.168.11.100
check "host pings nstest" pings "" 192.168.11.101
check "nstest pings host" pings nstest 192.168.11.100
