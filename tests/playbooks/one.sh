#!/usr/bin/env bash
# Inside a sandbox: run one seed playbook twice (the second run must change nothing), then the
# kernel-state checks of tests/playbooks/checks/NAME.sh. A check file may name playbooks that
# set up its starting point, on a line "# requires: OTHER.yml", run once before.
#
#   tests/sandbox.sh tests/playbooks/one.sh seed-002-bridge PYTHON
set -uo pipefail
name=$1 python=$2
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit
checks=tests/playbooks/checks/$name.sh
. tests/playbooks/lib.sh

playbook() {
  "${ANSIBLE_BIN_DIR:-$top/.venv/bin}/ansible-playbook" -i playbooks/inventory/sandbox.ini \
    -e "ansible_python_interpreter=$python" "playbooks/$1"
}

# the recap line of the only host: "localhost : ok=6 changed=4 unreachable=0 failed=0 ..."
recap() { grep -E '^localhost +:' "$1" | tail -1; }
count() { recap "$1" | grep -oE "$2=[0-9]+" | cut -d= -f2; }

mapfile -t requires < <(sed -n 's/^# requires: *//p' "$checks")
for required in "${requires[@]}"; do
  playbook "$required" > "$LOG_DIR/$name.requires.log" 2>&1 || { fail "required playbook $required"; exit 1; }
done
for run in 1 2; do
  log=$LOG_DIR/$name.run$run.log
  start=$(date +%s.%N)
  playbook "$name.yml" > "$log" 2>&1
  rc=$?
  seconds=$(/usr/bin/python3 -c "import sys; print('%.1f' % (float(sys.argv[2]) - float(sys.argv[1])))" "$start" "$(date +%s.%N)")
  if [ $rc -ne 0 ] || [ "$(count "$log" failed)" != 0 ] || [ "$(count "$log" unreachable)" != 0 ]; then
    fail "run $run failed (${seconds}s), see $log"; tail -25 "$log" | sed 's/^/        /'; exit 1
  fi
  if [ $run = 1 ]; then
    if [ "$(count "$log" changed)" -gt 0 ]; then
      pass "run 1 changed something (${seconds}s)"
    else
      fail "run 1 changed nothing on a fresh sandbox (${seconds}s)"
    fi
  elif [ "$(count "$log" changed)" = 0 ]; then
    pass "run 2 changed nothing (${seconds}s)"
  else
    fail "run 2 is not idempotent: $(recap "$log")"; grep -B1 '^changed:' "$log" | sed 's/^/        /'
  fi
done
. "$checks"
exit $((failures > 0))
