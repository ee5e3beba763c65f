# shellcheck shell=bash
# Kernel state after playbooks/seed-000-veth-into-process.yml (sourced by one.sh)
pid=$(pid_of seed000-container)
ns=/proc/$pid/ns/net
check "one stand-in container process" [ -n "$pid" ]
check "veth0 up with 172.16.0.1/16" up_with_addr "" veth0 172.16.0.1/16
check "veth0container in the process's namespace, up, 172.16.0.2/16" \
  up_with_addr "$ns" veth0container 172.16.0.2/16
check "no veth0container in the host" no_link "" veth0container
check "lo up inside" is_up "$ns" lo
check "default route inside via 172.16.0.1" default_via "$ns" 172.16.0.1
check "the process pings the host end" pings "$ns" 172.16.0.1
check "the host pings the process" pings "" 172.16.0.2
# The seed's last step: when the process exits, its namespace and both veth ends go.
kill "$pid"
for _ in $(seq 50); do no_link "" veth0 && break; sleep 0.1; done
check "veth0 gone after the process exited" no_link "" veth0
