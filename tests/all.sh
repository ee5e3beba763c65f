#!/usr/bin/env bash
# The whole test suite (make test, .ci/run): every suite, in two lanes that run side by side
# on the machine's two cores, each suite's output in tests/output/all/SUITE.log, and a table
# of results and times at the end.
#
#   tests/all.sh                 everything
#   tests/all.sh units lint      some suites (run one after the other)
#
# Suites never share what they change: each network test builds its own sandbox or lab (own
# state dir), and the tool venvs are made before the lanes start, so no two suites install
# into one venv at the same time.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2
logs=tests/output/all
mkdir -p "$logs"

declare -A command=(
  [units]=".venv/bin/python -m pytest tests/unit -q"
  [integration]="env PYTHONS=$top/.venv/bin/python tests/integration/run.sh"
  [integration-debian]="env PYTHONS=/usr/bin/python3 tests/integration/run.sh uses/pyroute2"
  [playbooks]="tests/playbooks/run.sh"
  [become]="tests/lab/become-test.sh"
  [role]="tests/lab/role-test.sh"
  [firewall-role]="tests/lab/firewall-role-test.sh"
  [node-removal]="tests/lab/node-removal-test.sh"
  [neighbours]="tests/lab/neighbour-table-test.sh"
  [dualstack]="tests/lab/dualstack-test.sh"
  [molecule]="tests/molecule.sh test"
  [sanity]="tests/sanity/run.sh"
  [controllers]="tests/controllers.sh"
  [lint]="tests/lint/run.sh"
  [docs]="tests/docs/run.sh"
  [package]="tests/package/run.sh"
  [vm]="tests/vm/run.sh"
)
# Longest first in each lane; the lanes take about the same time (see README).
# vm (VMs under TCG: 10-20 min, most of it boots) takes most of a lane. The integration targets run
# with PyPI's pyroute2 (.venv, lane 2, every target) and with Debian's (/usr/bin/python3, lane 1,
# the targets whose modules import pyroute2: alias uses/pyroute2, about 2 min). controllers: 4 cores
# as controller (seed playbooks, the role, one ansible-test target each).
lane1=(vm controllers sanity integration-debian firewall-role become units)
lane2=(integration playbooks role dualstack node-removal neighbours molecule lint docs package)

run_suite() {
  local suite=$1 started=$SECONDS status
  # shellcheck disable=SC2086
  ${command[$suite]} >"$logs/$suite.log" 2>&1
  status=$?
  echo "$suite $status $((SECONDS - started))" >>"$logs/results"
  echo "suite $suite: $([ $status -eq 0 ] && echo passed || echo "FAILED (exit $status)") in $((SECONDS - started)) s"
}

run_lane() {
  local suite
  for suite in "$@"; do run_suite "$suite"; done
}

started=$SECONDS
: >"$logs/results"
# Installs first, one at a time: molecule goes into .venv, the lint/docs/package tools into
# .build/venv-tools (the sanity venvs are the sanity suite's alone).
prepare() {
  bash scripts/bootstrap.sh || return
  tests/molecule.sh --version || return
  # shellcheck source=tests/lib/venv.sh
  source tests/lib/venv.sh
  ensure_venv .build/venv-tools tests/requirements-tools.txt
}
if ! prepare >"$logs/prepare.log" 2>&1; then
  echo "preparing the tools failed: $logs/prepare.log" >&2
  tail -20 "$logs/prepare.log" >&2
  exit 1
fi

if [ $# -gt 0 ]; then
  for suite in "$@"; do
    [ -n "${command[$suite]:-}" ] || { echo "unknown suite $suite (one of: ${!command[*]})" >&2; exit 2; }
  done
  run_lane "$@"
else
  run_lane "${lane1[@]}" &
  lane1_pid=$!
  run_lane "${lane2[@]}"
  wait "$lane1_pid"
fi

echo
printf '%-12s %-8s %s\n' suite result seconds
failed=0
while read -r suite status seconds; do
  printf '%-12s %-8s %s\n' "$suite" "$([ "$status" -eq 0 ] && echo passed || echo FAILED)" "$seconds"
  [ "$status" -eq 0 ] || { failed=$((failed + 1)); echo "  log: $logs/$suite.log"; }
done <"$logs/results"
echo "all: $failed failed, wall time $((SECONDS - started)) s"
while read -r suite status _; do
  [ "$status" -eq 0 ] && continue
  echo
  echo "=== last lines of $logs/$suite.log"
  tail -25 "$logs/$suite.log"
done <"$logs/results"
[ "$failed" -eq 0 ]
