#!/usr/bin/env bash
# The seed playbooks and the role with every other supported ansible-core release as the
# controller (meta/runtime.yml: requires_ansible >=2.17); the other suites run on .venv's 2.19.
# Each core runs in its venv .build/venv-X.Y (tests/lib/venv.sh: core_venv) on the Python its
# controller needs: Debian's 3.11 for 2.17 and 2.18, pyenv's 3.12 for 2.20, 3.13 for 2.21. The
# managed host's Python is Debian's /usr/bin/python3 (its pyroute2 0.7.2) under 2.17 and 2.18, and
# the venv's own Python (3.12, 3.13; pyroute2 from PyPI) under 2.20 and 2.21, so the modules also
# run on the newer Pythons. A core whose Python is missing here is reported as skipped, by name.
# On 2.20 and 2.21 integration targets also run through `ansible-test integration`
# (tests/integration/ansible-test.sh: each target in a sandbox): one target each by default
# (veth on 2.20 with Python 3.12, netns_addr on 2.21 with 3.13), or with TARGETS=groups a CI group
# each so that every target runs once on a newer Python (ci/posix/1 on 2.20, ci/posix/2 on 2.21);
# tests/integration/run.sh runs them all on 2.19 with both pyroute2 versions.
#
# Per core: every seed playbook twice in a sandbox with its kernel state checked
# (tests/playbooks/run.sh), then the role docker_bridge on a lab of 3 hosts (mode host-gw):
# converge, a second run with changed=0, the connectivity matrix inside the containers, state
# absent and again with changed=0, and the lab down (lab.sh checks the machine is as before).
# Two cores run side by side (JOBS), each with its own sandboxes and lab.
#
#   tests/controllers.sh                     2.17, 2.18, 2.20 and 2.21
#   CORES="2.21.5" tests/controllers.sh      one core
#   PARTS=role tests/controllers.sh          only the role (or PARTS=playbooks, PARTS=integration)
#   TARGETS=groups tests/controllers.sh      the whole CI groups through ansible-test (default: one target each)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
# shellcheck source=tests/lib/venv.sh
source tests/lib/venv.sh
default_cores=()
for core in "${supported_cores[@]}"; do
  [ "${core%.*}" = 2.19 ] || default_cores+=("$core")  # .venv's: every other suite runs on it
done
cores=${CORES:-${default_cores[*]}}
parts=${PARTS:-"playbooks role integration"}
# In make test, one target per newer core proves the ansible-test path on Python 3.12 and 3.13
# (the whole CI groups took 19 and 25 min here: TARGETS=groups runs them); tests/integration/run.sh
# runs every target on 2.19 with both pyroute2 versions anyway.
if [ "${TARGETS:-one}" = groups ]; then
  declare -A integration_group=([2.20]=ci/posix/1/ [2.21]=ci/posix/2/)
else
  declare -A integration_group=([2.20]=veth [2.21]=netns_addr)
fi
jobs=${JOBS:-2}
# each run's logs in a directory of its own (two people may run this in one checkout at once);
# the newest run's is also tests/output/controllers
mkdir -p "$top/tests/output"
output=$(mktemp -d "$top/tests/output/controllers.XXXXXX")
ln -sfn "$(basename "$output")" "$top/tests/output/controllers"
lab=tests/lab/lab.sh

changed_count() { awk '/^h[0-9]+ +: ok=/ { split($4, c, "="); n += c[2] } END { print n + 0 }' "$1"; }

# role CORE VENV PYTHON: the docker-bridge playbook on a fresh lab with that controller and host
# Python; status 0 when every step did what it must.
role() {
  local core=$1 venv=$2 python=$3 state=/tmp/linuxnet-netns-controllers-${1%.*} status=0 n
  if [ -e "$state" ]; then echo "$state exists: a lab is up there ($lab down $state)"; return 1; fi
  "$lab" up 3 "$state" >"$output/$core.lab-up.log" 2>&1 || { cat "$output/$core.lab-up.log"; return 1; }
  play() {  # play LOG EXPECTED(some|0) [ansible-playbook args...]
    local log=$output/$core.role-$1.log want=$2
    shift 2
    if ! LAB_STATE_DIR=$state "$lab" exec env ANSIBLE_PIPELINING=1 ANSIBLE_NOCOLOR=1 \
         "$venv/bin/ansible-playbook" -i "$state/inventory.ini" -i tests/lab/docker-bridge.ini \
         -e ansible_python_interpreter="$python" playbooks/docker-bridge.yml "$@" >"$log" 2>&1; then
      echo "FAIL: the playbook failed ($log)"; tail -20 "$log"; return 1
    fi
    n=$(changed_count "$log")
    if { [ "$want" = 0 ] && [ "$n" != 0 ]; } || { [ "$want" = some ] && [ "$n" = 0 ]; }; then
      echo "FAIL: changed=$n, expected $want ($log)"; return 1
    fi
    echo "ok: changed=$n ($log)"
  }
  echo "-- converge"; play converge some || status=1
  echo "-- second run"; play second 0 || status=1
  echo "-- connectivity"
  LAB_STATE_DIR=$state "$lab" exec /usr/bin/python3 tests/lab/docker_bridge_matrix.py "$state" \
    --mode host-gw --publish c1:8080 >"$output/$core.matrix.log" 2>&1 || status=1
  tail -1 "$output/$core.matrix.log"
  echo "-- state absent"; play absent some -e docker_bridge_state=absent || status=1
  echo "-- state absent again"; play absent-again 0 -e docker_bridge_state=absent || status=1
  "$lab" down "$state" >"$output/$core.lab-down.log" 2>&1 || { echo "FAIL: lab down"; cat "$output/$core.lab-down.log"; status=1; }
  return $status
}

# one_core CORE: its parts, verdicts to $output/CORE.results ("passed|failed|skipped PART@CORE [why]")
one_core() {
  local core=$1 venv python part status
  if ! venv=$(core_venv "$core" 2>"$output/$core.venv-error"); then
    cat "$output/$core.venv-error"
    for part in $parts; do echo "skipped $part@$core ($(tail -1 "$output/$core.venv-error"))" >>"$output/$core.results"; done
    return 0
  fi
  case ${core%.*} in
    2.17|2.18|2.19) python=/usr/bin/python3 ;;
    *) python=$venv/bin/python ;;
  esac
  for part in $parts; do
    [ "$part" != integration ] || [ -n "${integration_group[${core%.*}]:-}" ] || continue
    local started=$SECONDS
    echo "=== $part with ansible-core $core as the controller, $("$python" -V) on the hosts"
    status=passed
    case $part in
      playbooks)
        ANSIBLE_BIN_DIR=$venv/bin PYTHONS=$python PLAYBOOKS_OUTPUT=$output/playbooks-${core%.*} \
          tests/playbooks/run.sh || status=failed ;;
      role) role "$core" "$venv" "$python" || status=failed ;;
      integration)
        CORE=$core tests/integration/ansible-test.sh "${integration_group[${core%.*}]}" || status=failed ;;
      *) echo "unknown part $part" >&2; status=failed ;;
    esac
    echo "--- $part with ansible-core $core: $((SECONDS - started)) s, $status"
    echo "$status $part@$core" >>"$output/$core.results"
  done
}

started=$SECONDS
running=0
for core in $cores; do
  one_core "$core" >"$output/$core.log" 2>&1 &
  running=$((running + 1))
  if [ "$running" -ge "$jobs" ]; then wait -n || true; running=$((running - 1)); fi
done
wait

skipped=()
for core in $cores; do
  cat "$output/$core.log"
  [ -f "$output/$core.results" ] || { checks_failed+=("setup@$core"); continue; }
  while read -r status name why; do
    case $status in
      passed) checks_passed=$((checks_passed + 1)) ;;
      skipped) skipped+=("$name $why") ;;
      *) checks_failed+=("$name") ;;
    esac
  done <"$output/$core.results"
done
echo "controllers wall time: $((SECONDS - started)) s"
for name in "${skipped[@]}"; do echo "SKIPPED: $name"; done
checks_skipped=${#skipped[@]}
checks_done controllers
