#!/usr/bin/env bash
# The bridge network survives a reboot, with a service in a container (issue 14), on real VMs:
#
#   1. tests/vm/vm.sh up 2; playbooks/docker-bridge.yml (mode vxlan) with containers c1 (publishes
#      8080:80), c2 and web, whose command is a small HTTP server on port 8000 (a systemd service
#      in web's namespace); the service answers from h2's c1, across the overlay
#   2. vm.sh reboot h1, and nothing else: the boot unit and the service are active; the
#      connectivity matrix inside every container (same host, across hosts, the internet
#      through NAT, the published port from outside) and the service across hosts again
#   3. the playbook again: changed=0 on both hosts
#   4. docker_bridge_state=absent, reboot h1: no namespace, link, nft table, unit or file of ours
#
#   tests/vm/reboot-test.sh [STATE_DIR]      (default /tmp/linuxnet-netns-vm-reboot)
#
# Every step says how long it took. The VMs are taken down at the end, also on failure.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
state=${1:-/tmp/linuxnet-netns-vm-reboot}
vm=tests/vm/vm.sh
started=$SECONDS
step_started=$SECONDS
step() {
  echo "reboot-test: $1 ($((SECONDS - step_started)) s)"
  step_started=$SECONDS
}
fail() {
  echo "reboot-test: FAILED: $*" >&2
  exit 1
}
finish() {
  local status=$? console
  if [ "$status" != 0 ]; then
    for console in "$state"/hosts/*/console.log; do
      [ -f "$console" ] && { echo "=== last lines of $console"; tail -15 "$console"; } >&2
    done
  fi
  "$vm" down "$state" >/dev/null 2>&1 || echo "reboot-test: vm.sh down failed" >&2
  exit "$status"
}
trap finish EXIT

"$vm" up 2 "$state"
step "two VMs up"
export VM_STATE_DIR=$state
on() {  # on HOST COMMAND...: a command on a VM, from the lab namespace
  local host=$1
  shift
  "$vm" exec ssh -F "$state/ssh_config" "$host" "$@"
}
# the service's program where a reboot keeps it (the checkout may be under /tmp, emptied at boot)
server_py=/usr/local/lib/linuxnet-netns-test/upstream.py
for host in h1 h2; do
  on "$host" "mkdir -p ${server_py%/*} && cat > $server_py" < tests/lab/upstream.py
done
server="/usr/bin/python3 $server_py serve 0.0.0.0 8000"
containers='[{"name": "c1", "publish": ["8080:80"]}, {"name": "c2"}, {"name": "web", "command": "'"$server"'"}]'
playbook() {  # playbook EXTRA_VARS_JSON: the docker-bridge playbook on the VMs; its output in $state/play.log
  "$vm" exec .venv/bin/ansible-playbook -i "$state/inventory.ini" -i tests/lab/docker-bridge.ini \
    -e docker_bridge_mode=vxlan -e "$1" playbooks/docker-bridge.yml > "$state/play.log" 2>&1 \
    || { tail -40 "$state/play.log" >&2; fail "the playbook failed"; }
}
changed_counts() {
  sed -n 's/^\(h[0-9]\) *: ok=[0-9]* *changed=\([0-9]*\).*/\1=\2/p' "$state/play.log" | sort | tr '\n' ' '
}
web_address() {
  on h1 /usr/bin/python3 -c "'import json; print(json.load(open(\"/etc/linuxnet-netns/docker_bridge.dbr0.json\"))[\"containers\"][\"web\"][\"address\"])'"
}
ask_service() {  # what web's service answers to h2's c1, across the overlay
  on h2 ip netns exec c1 /usr/bin/python3 -c "'
import socket, sys, time
deadline = time.time() + 60
while True:
    try:
        s = socket.create_connection((sys.argv[1], 8000), timeout=10)
        s.sendall(b\"GET / HTTP/1.0\\r\\n\\r\\n\")
        print(s.recv(4096).decode().strip().splitlines()[-1])
        break
    except OSError as exc:
        if time.time() > deadline:
            print(\"no answer: %s\" % exc)
            break
        time.sleep(1)
'" "$1"
}

playbook '{"docker_bridge_containers": '"$containers"'}'
step "converged: $(changed_counts)"
web=$(web_address)
c1_h2=$(on h2 ip -n c1 -4 -o addr show eth0 | awk '{print $4}' | cut -d/ -f1)
answer=$(ask_service "$web")
[ "$answer" = "you are $c1_h2" ] || fail "web's service on h1 answered h2's c1 ($c1_h2) with: $answer"
step "web's service on h1 ($web:8000) answers h2's c1 across the overlay: $answer"

"$vm" reboot h1 "$state"
step "h1 rebooted; no controller run since"
# ssh answers before the boot is done (under TCG the boot unit runs for a while): wait for the boot's end
booted=$(on h1 systemctl is-system-running --wait || true)
echo "reboot-test: h1's boot finished ($booted): $(on h1 systemctl show -p ExecMainStartTimestamp -p ExecMainExitTimestamp \
  linuxnet-netns-bridge-dbr0.service | tr '\n' ' ')"
on h1 systemctl is-active linuxnet-netns-bridge-dbr0.service 'linuxnet-netns-dbr0:web.service' \
  || { on h1 journalctl -b -u linuxnet-netns-bridge-dbr0 --no-pager | tail -20 >&2; fail "units not active after the reboot"; }
on h1 journalctl -b -u linuxnet-netns-bridge-dbr0 --no-pager -o cat | grep -q '"changed": true' \
  || fail "the boot unit's run is not in the journal"
echo "reboot-test: h1 booted with the network and the service: $(on h1 ip netns list | awk '{print $1}' | sort | tr '\n' ' ')"
"$vm" exec /usr/bin/python3 tests/lab/docker_bridge_matrix.py "$state" --mode vxlan --timeout 20 \
  || fail "the connectivity matrix after the reboot"
answer=$(ask_service "$web")
[ "$answer" = "you are $c1_h2" ] || fail "after the reboot, web's service answered: $answer"
step "after the reboot: the matrix passes, and web's service answers h2's c1: $answer"

playbook '{"docker_bridge_containers": '"$containers"'}'
[ "$(changed_counts)" = "h1=0 h2=0 " ] || fail "the playbook after the reboot changed something: $(changed_counts)"
step "the playbook after the reboot: $(changed_counts)"

playbook '{"docker_bridge_state": "absent", "docker_bridge_containers": []}'
step "absent: $(changed_counts)"
"$vm" reboot h1 "$state"
left=$(on h1 'ip netns list; ip -o link show dbr0 2>/dev/null; ip -o link show vx-dbr0 2>/dev/null;
              nft list table inet linuxnet_netns 2>/dev/null | head -1; ls /etc/systemd/system | grep linuxnet-netns;
              ls -d /var/lib/linuxnet-netns /etc/linuxnet-netns/docker_bridge.dbr0.* 2>/dev/null;
              systemctl list-units --all --no-legend "linuxnet-netns*" | grep .' || true)
[ -z "$left" ] || fail "after absent and a reboot, still there: $left"
step "after absent and a reboot: nothing of ours came back"
echo "reboot-test: passed in $((SECONDS - started)) s"
