# shellcheck shell=bash
# Kernel state after playbooks/seed-003-nic-into-container.yml (sourced by one.sh)
pid=$(pid_of seed003-container)
ns=/proc/$pid/ns/net
check "eth1 in the container, up, 10.30.0.50/24" up_with_addr "$ns" eth1 10.30.0.50/24
check "docker's eth0 still there, 10.17.0.2/16" has_addr "$ns" eth0 10.17.0.2/16
check "peerA is a port of docker0" master_is "" peerA docker0
check "no eth1 on the host" no_link "" eth1
check "the neighbour on the LAN pings eth1" pings lan 10.30.0.50
check "the container pings docker0" pings "$ns" 10.17.0.1
