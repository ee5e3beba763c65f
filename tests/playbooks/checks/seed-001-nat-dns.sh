# shellcheck shell=bash
# Kernel state after playbooks/seed-001-nat-dns.yml (sourced by one.sh)
check "forwarding on" grep -qx 1 /proc/sys/net/ipv4/ip_forward
check "masquerade 192.168.11.0/24 out of uplink0" \
  eval 'nft list table inet linuxnet_netns | grep "ip saddr 192.168.11.0/24 oifname \"uplink0\" masquerade"'
check "nstest's resolv.conf names 203.0.113.53" eval 'ip netns exec nstest cat /etc/resolv.conf | grep -x "nameserver 203.0.113.53"'
check "nstest resolves a name through NAT" eval 'ip netns exec nstest getent ahostsv4 anything.example.org | grep "^203.0.113.10 "'
check "the internet sees nstest as 203.0.113.1 (masqueraded)" tcp_says nstest 203.0.113.10 80 "you are 203.0.113.1"
check "by name too" tcp_says nstest www.example.com 80 "you are 203.0.113.1"
check "the internet has no route to 192.168.11.0/24 (only NAT gets nstest out)" \
  eval '! ip netns exec internet ip route get 192.168.11.101'
