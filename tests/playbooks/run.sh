#!/usr/bin/env bash
# Run every seed playbook (playbooks/seed-*.yml) in a throwaway sandbox of its own, twice:
# the second run must report changed=0. Then check the kernel state it left (addresses,
# routes, pings, TCP) with tests/playbooks/checks/NAME.sh. Once per host Python: Debian's
# /usr/bin/python3 (python3-pyroute2) and the venv's (pyroute2 from PyPI).
#
#   tests/playbooks/run.sh                              every playbook, both pythons
#   tests/playbooks/run.sh seed-002-bridge              one playbook
#   PYTHONS=/usr/bin/python3 tests/playbooks/run.sh     one python
#   JOBS=1 tests/playbooks/run.sh                       one sandbox at a time (default 2)
#   ANSIBLE_BIN_DIR=.build/venv-2.17/bin tests/playbooks/run.sh   another ansible-core (tests/controllers.sh)
#   PLAYBOOKS_OUTPUT=DIR                               logs there instead
#
# Logs go to tests/output/playbooks/PYTHON-NAME/.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
names=("$@")
if [ ${#names[@]} -eq 0 ]; then
  for playbook in playbooks/seed-*.yml; do names+=("$(basename "$playbook" .yml)"); done
fi
pythons=${PYTHONS:-"/usr/bin/python3 $top/.venv/bin/python"}
jobs=${JOBS:-2}
for name in "${names[@]}"; do
  [ -f "tests/playbooks/checks/$name.sh" ] || { echo "no checks for $name (tests/playbooks/checks/$name.sh)" >&2; exit 2; }
done

export ANSIBLE_COLLECTIONS_PATH="$top/.build/collections"
export ANSIBLE_HOST_KEY_CHECKING=False ANSIBLE_RETRY_FILES_ENABLED=False ANSIBLE_NOCOLOR=1
export ANSIBLE_STDOUT_CALLBACK=default ANSIBLE_CALLBACK_RESULT_FORMAT=yaml
export ANSIBLE_LOCAL_TEMP=${TMPDIR:-/tmp}/linuxnet-netns-ansible-local
output=${PLAYBOOKS_OUTPUT:-$top/tests/output/playbooks}
rm -rf "$output"

one() {  # PYTHON NAME: its report goes to a file, printed in order when all are done
  local python=$1 name=$2 label
  label=$(basename "$(dirname "$(dirname "$python")")")-$(basename "$python")
  export LOG_DIR=$output/$label-$name
  mkdir -p "$LOG_DIR"
  if tests/sandbox.sh tests/playbooks/one.sh "$name" "$python" > "$LOG_DIR/report" 2>&1; then
    echo "=== PASS $name with $python" > "$LOG_DIR/result"
  else
    echo "=== FAIL $name with $python" > "$LOG_DIR/result"
  fi
}

start=$SECONDS
running=0
for python in $pythons; do
  for name in "${names[@]}"; do
    one "$python" "$name" &
    running=$((running + 1))
    if [ $running -ge "$jobs" ]; then wait -n || true; running=$((running - 1)); fi
  done
done
wait

passed=0 failed=()
for python in $pythons; do
  for name in "${names[@]}"; do
    label=$(basename "$(dirname "$(dirname "$python")")")-$(basename "$python")
    dir=$output/$label-$name
    cat "$dir/result" "$dir/report"
    if grep -q '^=== PASS' "$dir/result"; then passed=$((passed + 1)); else failed+=("$name@$label"); fi
  done
done
echo
[ ${#failed[@]} -eq 0 ] || echo "failed: ${failed[*]}"
echo "playbooks ($((SECONDS - start))s): ${passed} passed, ${#failed[@]} failed"
[ ${#failed[@]} -eq 0 ]
