#!/usr/bin/env bash
# Test the linuxnet.netns.netns become plugin (tests/lab/become-test.yml):
#   1. over SSH against N lab hosts (tests/lab/lab.sh), the controller in the lab namespace;
#   2. with connection local inside a throwaway sandbox (tests/sandbox.sh).
#
#   tests/lab/become-test.sh [STATE_DIR]     default STATE_DIR /tmp/linuxnet-netns-become-lab
#   HOSTS=3 PYTHON=/work/main/.venv/bin/python tests/lab/become-test.sh
#
# The lab is torn down on exit, passed or failed.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
state=${1:-/tmp/linuxnet-netns-become-lab}
hosts=${HOSTS:-2}
python=${PYTHON:-/usr/bin/python3}
playbook=tests/lab/become-test.yml
export ANSIBLE_NOCOLOR=1 ANSIBLE_RETRY_FILES_ENABLED=False

trap 'tests/lab/lab.sh down "$state"' EXIT
tests/lab/lab.sh up "$hosts" "$state"

failed=()
echo "=== over SSH: $hosts lab hosts, host python $python"
start=$SECONDS
LAB_STATE_DIR=$state tests/lab/lab.sh exec .venv/bin/ansible-playbook -i "$state/inventory.ini" \
  -e "ansible_python_interpreter=$python" "$playbook" || failed+=(ssh)
echo "--- over SSH: $((SECONDS - start)) s"

echo "=== connection local, in a sandbox, python $python"
start=$SECONDS
tests/sandbox.sh .venv/bin/ansible-playbook -i localhost, -c local \
  -e "ansible_python_interpreter=$python" "$playbook" || failed+=(local)
echo "--- local: $((SECONDS - start)) s"

echo
[ ${#failed[@]} -eq 0 ] || echo "failed: ${failed[*]}"
echo "become-test: $((2 - ${#failed[@]})) passed, ${#failed[@]} failed"
[ ${#failed[@]} -eq 0 ]
