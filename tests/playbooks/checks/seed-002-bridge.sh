# shellcheck shell=bash
# Kernel state after playbooks/seed-002-bridge.yml (sourced by one.sh)
check "br0 is a bridge, up, 10.1.1.3/16" eval 'kind_is "" br0 bridge && is_up "" br0 && has_addr "" br0 10.1.1.3/16'
check "veth0 is a port of br0, without an address" eval 'master_is "" veth0 br0 && no_ipv4 "" veth0'
check "veth1 in blue, up, 10.1.1.1/16" up_with_addr blue veth1 10.1.1.1/16
check "blue's default route via 10.1.1.3" default_via blue 10.1.1.3
check "blue pings the bridge" pings blue 10.1.1.3
pid=$(pid_of seed002-http-server)
check "the web server runs in blue" same_netns "/proc/$pid/ns/net" /run/netns/blue
check "the host gets its page through br0" tcp_says "" 10.1.1.1 8000 "200 OK"
