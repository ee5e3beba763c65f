#!/usr/bin/env bash
# Run integration targets on the real kernel, inside a throwaway sandbox, once per host
# Python: the venv's (pyroute2 from PyPI) and Debian's /usr/bin/python3 (python3-pyroute2).
#
#   tests/integration/run.sh                 every target, both pythons
#   tests/integration/run.sh veth netns_addr some targets
#   tests/integration/run.sh ci/posix/1      the targets of a group of their aliases (as ansible-test)
#   PYTHONS=/usr/bin/python3 tests/integration/run.sh netns
#   PYTHONS=/usr/bin/python3 tests/integration/run.sh uses/pyroute2     (make test's Debian lane)
# The setup_* targets are not run on their own: the others depend on them (meta/main.yml).
# Both Pythons are the same interpreter (Debian's 3.11; .venv is made from it), so a target runs
# different code on them only where its modules import pyroute2. Those targets carry the alias
# uses/pyroute2, and make test runs only them with Debian's 0.7.2. The alias is checked on every
# run: tests/integration/probe records which module runs imported pyroute2, and a target whose
# alias says otherwise fails, naming the modules.
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
export PYTHONPATH=$top/tests/integration/probe${PYTHONPATH:+:$PYTHONPATH}
LINUXNET_PYROUTE2_PROBE=$(mktemp "${TMPDIR:-/tmp}/linuxnet-netns-pyroute2-probe.XXXXXX")
export LINUXNET_PYROUTE2_PROBE
trap 'rm -f "$LINUXNET_PYROUTE2_PROBE"' EXIT

# pyroute2_alias_holds TARGET: the target has alias uses/pyroute2 exactly when a module run of it
# imported pyroute2 (the probe's file)
pyroute2_alias_holds() {
  local modules
  modules=$(sort -u "$LINUXNET_PYROUTE2_PROBE" | tr '\n' ' ')
  if grep -qxF uses/pyroute2 "tests/integration/targets/$1/aliases"; then
    [ -n "$modules" ] && return
    echo "target $1 has alias uses/pyroute2, but none of its module runs imported pyroute2: remove the alias"
  else
    [ -z "$modules" ] && return
    echo "target $1: these modules imported pyroute2 ($modules) but its aliases lack uses/pyroute2, so Debian's pyroute2 would not run it: add the alias"
  fi
  return 1
}

failed=()
passed=0
for python in $pythons; do
  version=$("$python" -c 'import pyroute2, importlib.metadata as m; print(m.version("pyroute2"))' 2>/dev/null \
            || dpkg-query -W -f='${Version}' python3-pyroute2)
  for target in "${targets[@]}"; do
    echo "=== target $target with $python (pyroute2 $version)"
    : >"$LINUXNET_PYROUTE2_PROBE"
    if tests/sandbox.sh "$top/.venv/bin/ansible-playbook" -i localhost, -c local \
         -e "ansible_python_interpreter=$python" -e "target=$target" \
         tests/integration/site.yml && pyroute2_alias_holds "$target"; then
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
