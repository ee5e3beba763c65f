#!/usr/bin/env bash
# make demo: build a lab of 3 simulated hosts, run the multi-host docker-bridge playbook against it
# (two containers per host, mode host-gw), run it again (it must change nothing), print the
# connectivity matrix measured inside the containers, and take the lab down again.
#
#   scripts/demo.sh                      the whole demo; the lab goes down at the end, also on failure
#   KEEP_LAB=1 scripts/demo.sh           leave the lab up to look around (then: make lab-down)
#   DEMO_MODE=vxlan scripts/demo.sh      the same over the VXLAN overlay
#
# Needs root and what scripts/bootstrap.sh installs (make demo runs it first). Nothing changes in
# the machine's own network namespace: the lab lives in a sandbox (tests/lab/README.md).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
state=${DEMO_STATE_DIR:-/tmp/linuxnet-netns-demo}
mode=${DEMO_MODE:-host-gw}
lab=tests/lab/lab.sh
started=$SECONDS

in_lab() { LAB_STATE_DIR=$state "$lab" exec "$@"; }
playbook() {
  in_lab env ANSIBLE_PIPELINING=1 ANSIBLE_NOCOLOR=1 .venv/bin/ansible-playbook \
    -i "$state/inventory.ini" -i tests/lab/docker-bridge.ini playbooks/docker-bridge.yml \
    -e docker_bridge_mode="$mode"
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
echo "== a lab of 3 hosts in $state"
trap finish EXIT
"$lab" up 3 "$state" >/dev/null

echo "== first run of playbooks/docker-bridge.yml (mode $mode, containers c1 and c2 on each host)"
playbook | tee "$state/first-run.log"
echo "== second run"
playbook >"$state/second-run.log"
sed -n '/^PLAY RECAP/,$p' "$state/second-run.log"
second=$(changed_count "$state/second-run.log")

echo "== connectivity"
matrix=0
in_lab /usr/bin/python3 tests/lab/docker_bridge_matrix.py "$state" --mode "$mode" --publish c1:8080 || matrix=1

echo
echo "second run: changed=$second (must be 0)"
[ "$second" = 0 ] && [ "$matrix" = 0 ]
