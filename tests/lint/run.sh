#!/usr/bin/env bash
# Lint what ships besides the plugins: ansible-lint (production profile, .ansible-lint) on roles/
# and playbooks/, and the changelog fragments (antsibull-changelog lint). Tools are pinned in
# tests/requirements-tools.txt, installed into .build/venv-tools.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
source tests/lib/venv.sh
ensure_venv .build/venv-tools tests/requirements-tools.txt
export PATH=$top/.build/venv-tools/bin:$PATH NO_COLOR=1 ANSIBLE_NOCOLOR=1
# ansible-lint resolves linuxnet.netns.* through ansible.cfg's collections path.
link_collection > /dev/null

failed=()
passed=0
check() {
  local name=$1; shift
  echo "=== $name"
  if "$@"; then passed=$((passed + 1)); else failed+=("$name"); fi
}
check changelog-fragments antsibull-changelog lint
check ansible-lint ansible-lint --profile production roles playbooks
echo
[ ${#failed[@]} -eq 0 ] || echo "failed: ${failed[*]}"
echo "lint: ${passed} passed, ${#failed[@]} failed"
[ ${#failed[@]} -eq 0 ]
