#!/usr/bin/env bash
# make demo: build a lab of 3 simulated hosts, run the multi-host docker-bridge playbook against it
# (two containers per host, mode host-gw), run it again (it must change nothing), print the
# connectivity matrix measured inside the containers, and take the lab down again.
#
#   scripts/demo.sh                      the whole demo; the lab goes down at the end, also on failure
#   KEEP_LAB=1 scripts/demo.sh           leave the lab up to look around (then: make lab-down)
#   DEMO_MODE=vxlan scripts/demo.sh      the same over the VXLAN overlay
#   DEMO_HOSTS=vm scripts/demo.sh        on 2 Debian VMs (tests/vm/vm.sh: systemd, a real boot) instead:
#                                        slower (minutes under TCG), and web's service really runs
#
# Every host also gets a container "web" whose command, a small HTTP server on port 8000, is a
# systemd service in web's namespace (netns_bridge's containers[].command); on VMs the demo asks it
# from another host's container. The simulated hosts have no systemd: there the unit is shown.
# Needs root and what scripts/bootstrap.sh installs (make demo runs it first). Nothing changes in
# the machine's own network namespace: the lab lives in a sandbox (tests/lab/README.md).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
state=${DEMO_STATE_DIR:-/tmp/linuxnet-netns-demo}
mode=${DEMO_MODE:-host-gw}
hosts=${DEMO_HOSTS:-lab}
case $hosts in
  lab) lab=tests/lab/lab.sh; count=3 ;;
  vm) lab=tests/vm/vm.sh; count=2 ;;
  *) echo "DEMO_HOSTS is lab or vm" >&2; exit 2 ;;
esac
started=$SECONDS
server="/usr/bin/python3 $top/tests/lab/upstream.py serve 0.0.0.0 8000"
containers='[{"name": "c1", "publish": ["8080:80"]}, {"name": "c2"}, {"name": "web", "command": "'"$server"'"}]'

in_lab() { LAB_STATE_DIR=$state VM_STATE_DIR=$state "$lab" exec "$@"; }
on() { local host=$1; shift; in_lab ssh -F "$state/ssh_config" "$host" "$@"; }
playbook() {
  in_lab env ANSIBLE_PIPELINING=1 ANSIBLE_NOCOLOR=1 .venv/bin/ansible-playbook \
    -i "$state/inventory.ini" -i tests/lab/docker-bridge.ini playbooks/docker-bridge.yml \
    -e docker_bridge_mode="$mode" -e "{\"docker_bridge_containers\": $containers}"
}
# the sum of changed= over the hosts of a PLAY RECAP
changed_count() { awk '/^h[0-9]+ +: ok=/ { split($4, c, "="); n += c[2] } END { print n + 0 }' "$1"; }

finish() {
  local status=$?
  if [ "${KEEP_LAB:-0}" = 1 ]; then
    echo "The lab is still up (KEEP_LAB=1): LAB_STATE_DIR=$state $lab exec ssh -F $state/ssh_config h1"
    echo "Take it down with: make lab-down"
  else
    "$lab" down "$state" || status=1
  fi
  echo "demo took $((SECONDS - started)) s"
  exit $status
}

if [ -e "$state" ]; then
  echo "A lab is up in $state already (or a failed one left it): make lab-down first." >&2
  exit 1
fi
echo "== a lab of $count hosts ($hosts) in $state"
trap finish EXIT
"$lab" up "$count" "$state" >/dev/null

echo "== first run of playbooks/docker-bridge.yml (mode $mode, containers c1, c2 and web on each host)"
playbook | tee "$state/first-run.log"
echo "== second run"
playbook >"$state/second-run.log"
sed -n '/^PLAY RECAP/,$p' "$state/second-run.log"
second=$(changed_count "$state/second-run.log")

echo "== connectivity"
matrix=0
in_lab /usr/bin/python3 tests/lab/docker_bridge_matrix.py "$state" --mode "$mode" --publish c1:8080 || matrix=1

echo
echo "== a service in a container: web's HTTP server on h1, asked from c1 on h2"
service=0
if [ "$hosts" = vm ]; then
  web=$(on h1 /usr/bin/python3 -c "'import json; print(json.load(open(\"/etc/linuxnet-netns/docker_bridge.dbr0.json\"))[\"containers\"][\"web\"][\"address\"])'")
  on h1 systemctl --no-pager --lines=0 status 'linuxnet-netns-dbr0:web.service' | head -4
  answer=$(on h2 ip netns exec c1 /usr/bin/python3 -c "'
import socket, sys
s = socket.create_connection((sys.argv[1], 8000), timeout=20)
s.sendall(b\"GET / HTTP/1.0\\r\\n\\r\\n\")
print(s.recv(4096).decode().strip().splitlines()[-1])'" "$web") || service=1
  echo "c1 on h2 -> web on h1 ($web:8000): ${answer:-no answer}"
else
  echo "(simulated hosts have no systemd: the unit is written, and would run at boot; DEMO_HOSTS=vm runs it)"
  on h1 cat '/etc/systemd/system/linuxnet-netns-dbr0:web.service'
fi

echo
echo "second run: changed=$second (must be 0)"
[ "$second" = 0 ] && [ "$matrix" = 0 ] && [ "$service" = 0 ]
