#!/usr/bin/env bash
# ansible-test sanity and units on every supported ansible-core, on a copy of the collection.
#
#   tests/sanity/run.sh                 sanity + units on 2.17, 2.18, 2.19
#   FULL=1 tests/sanity/run.sh          every sanity test on every core (make sanity)
#   CORES="2.19.14" tests/sanity/run.sh one core
#   STEPS=units tests/sanity/run.sh     only units (or STEPS=sanity)
#   tests/sanity/run.sh --test pep8     extra arguments go to ansible-test sanity
#
# Every sanity test runs on the newest core. On the older ones, unless FULL=1, only the tests
# whose verdict depends on the ansible-core version run: those that load the collection through
# that core (ansible-doc, validate-modules with its schema, import against its module_utils,
# runtime-metadata); the others are text checks, or pylint/pep8/yamllint at the versions each core
# pins, which say nothing about compatibility with that core and cost a minute per core.
# Each core gets a venv .build/venv-X.Y (ansible-core pinned to its latest patch release, plus
# tests/sanity/requirements-units.txt). ansible-test runs on a copy at .build/ansible-test-X.Y/
# (see stage_collection) with HOME at ~/.cache/linuxnet-netns/ansible-test-home: the venvs it makes
# for each sanity test (minutes to make, keyed by their pinned requirements) outlive the checkout,
# so a fresh clone (CI) on the same machine reuses them; runs take turns (flock) so two never make
# the same venv at once. Only Python 3.11 runs: it is the only Python on the machine.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
source tests/lib/venv.sh

cores=${CORES:-"2.17.14 2.18.19 2.19.14"}
newest=${cores##* }
steps=${STEPS:-"sanity units"}
core_dependent_tests=(--test ansible-doc --test validate-modules --test import --test runtime-metadata
                      --test action-plugin-docs)
cache=${XDG_CACHE_HOME:-$HOME/.cache}
export PIP_CACHE_DIR=${PIP_CACHE_DIR:-$cache/pip}
export HOME=$cache/linuxnet-netns/ansible-test-home
export ANSIBLE_NOCOLOR=1
mkdir -p "$HOME"
exec 9> "$HOME/.lock"
flock 9

# ansible-test downloads get-pip.py to bootstrap pip into its venvs; that host is not reachable
# here, so put our stand-in where ansible-test looks for its cached copy.
seed_pip_bootstrap() {
  local pip_version
  pip_version=$("$1/bin/python" -c 'import re, ansible_test._internal.python_requirements as r, inspect
print(re.search(r"pip=.([0-9.]+).", inspect.getsource(r)).group(1))')
  mkdir -p "$HOME/.ansible/test/cache"
  cp tests/sanity/get_pip.py "$HOME/.ansible/test/cache/get_pip_${pip_version//./_}.py"
}

for core in $cores; do
  series=${core%.*}
  venv=$top/.build/venv-$series
  ensure_venv "$venv" "ansible-core==$core" tests/sanity/requirements-units.txt
  seed_pip_bootstrap "$venv"
  collection=$(stage_collection "$top/.build/ansible-test-$series")
  for step in $steps; do
    start=$SECONDS
    case $step in
      sanity)
        cmd=(sanity --python 3.11 --local --color no "$@")
        if [ $# -eq 0 ] && [ "$core" != "$newest" ] && [ -z "${FULL:-}" ]; then
          cmd+=("${core_dependent_tests[@]}")
        fi ;;
      units)  cmd=(units --python 3.11 --local --color no) ;;
      *) echo "unknown step $step" >&2; exit 2 ;;
    esac
    check "$step@$core" env -C "$collection" PATH="$venv/bin:$PATH" "$venv/bin/ansible-test" "${cmd[@]}"
    echo "--- $step with ansible-core $core: $((SECONDS - start)) s"
  done
done
checks_done ansible-test
