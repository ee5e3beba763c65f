#!/usr/bin/env bash
# Run integration targets on the real kernel, inside a throwaway sandbox, once per host
# Python: the venv's (pyroute2 from PyPI) and Debian's /usr/bin/python3 (python3-pyroute2).
#
#   tests/integration/run.sh                 every target, both pythons
#   tests/integration/run.sh veth netns_addr some targets
#   tests/integration/run.sh ci/posix/1      the targets of a group of their aliases (as ansible-test)
#   PYTHONS=/usr/bin/python3 tests/integration/run.sh netns
# The setup_* targets are not run on their own: the others depend on them (meta/main.yml).
# The same targets run through ansible-test: tests/integration/ansible-test.sh.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
targets=()
for pattern in "${@:-all}"; do
  for dir in tests/integration/targets/*/; do
    target=$(basename "$dir")
    if [ "$pattern" = "$target" ]; then targets+=("$target"); continue; fi
    case $target in setup_*|prepare_*) continue ;; esac
    # a group is an alias with a slash (ci/posix/1); a module's name in aliases is no group
    if [ "$pattern" = all ] || { [[ $pattern == */* ]] && grep -qxF -e "${pattern%/}" "$dir/aliases" 2>/dev/null; }; then
      targets+=("$target")
    fi
  done
done
[ ${#targets[@]} -gt 0 ] || { echo "no target matches: $*" >&2; exit 2; }
pythons=${PYTHONS:-"$top/.venv/bin/python /usr/bin/python3"}
export ANSIBLE_COLLECTIONS_PATH="$top/.build/collections"
export ANSIBLE_ROLES_PATH="$top/tests/integration/targets"
export ANSIBLE_HOST_KEY_CHECKING=False ANSIBLE_RETRY_FILES_ENABLED=False ANSIBLE_NOCOLOR=1
export ANSIBLE_STDOUT_CALLBACK=${ANSIBLE_STDOUT_CALLBACK:-default}
export ANSIBLE_CALLBACK_RESULT_FORMAT=yaml ANSIBLE_DISPLAY_SKIPPED_HOSTS=False
export ANSIBLE_LOCAL_TEMP=${TMPDIR:-/tmp}/linuxnet-netns-ansible-local

failed=()
passed=0
for python in $pythons; do
  version=$("$python" -c 'import pyroute2, importlib.metadata as m; print(m.version("pyroute2"))' 2>/dev/null \
            || dpkg-query -W -f='${Version}' python3-pyroute2)
  for target in "${targets[@]}"; do
    echo "=== target $target with $python (pyroute2 $version)"
    if tests/sandbox.sh "$top/.venv/bin/ansible-playbook" -i localhost, -c local \
         -e "ansible_python_interpreter=$python" -e "target=$target" \
         tests/integration/site.yml; then
      passed=$((passed + 1))
    else
      failed+=("$target@pyroute2-$version")
    fi
  done
done
echo
[ ${#failed[@]} -eq 0 ] || echo "failed: ${failed[*]}"
echo "integration: ${passed} passed, ${#failed[@]} failed"
[ ${#failed[@]} -eq 0 ]
