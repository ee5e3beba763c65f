#!/usr/bin/env bash
# ansible-test sanity and units on every supported ansible-core, on a copy of the collection.
#
#   tests/sanity/run.sh                 sanity + units on 2.17, 2.18, 2.19, 2.20, 2.21
#   FULL=1 tests/sanity/run.sh          every sanity test on every core (make sanity)
#   CORES="2.21.5" tests/sanity/run.sh  one core
#   STEPS=units tests/sanity/run.sh     only units (or STEPS=sanity)
#   JOBS=1 tests/sanity/run.sh          one Python at a time (default: 2 side by side)
#   tests/sanity/run.sh --test pep8     extra arguments go to ansible-test sanity
#
# Every sanity test runs on the newest core. On the older ones, unless FULL=1, only the tests
# whose verdict depends on the ansible-core version run: those that load the collection through
# that core (ansible-doc, validate-modules with its schema, import against its module_utils,
# runtime-metadata); the others are text checks, or pylint/pep8/yamllint at the versions each core
# pins, which say nothing about compatibility with that core and cost a minute per core.
# Each core gets a venv .build/venv-X.Y (ansible-core pinned to its latest patch release, plus
# tests/sanity/requirements-units.txt) on the Python its controller needs (tests/lib/venv.sh:
# Debian's 3.11 up to 2.19, pyenv's 3.12 for 2.20 and 3.13 for 2.21); ansible-test runs with
# that Python. A core whose Python is missing here is reported as skipped, by name, in the
# closing line. ansible-test runs on a copy at .build/ansible-test-X.Y/ (see stage_collection)
# with HOME at ~/.cache/linuxnet-netns/ansible-test-home: the venvs it makes for each sanity test
# (minutes to make, keyed by Python and pinned requirements) outlive the checkout, so a fresh
# clone (CI) on the same machine reuses them. The cores that share a Python run one after the
# other, each Python's series holding a lock, so two runs never make the same venv at once; the
# series of different Pythons run side by side (JOBS).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
source tests/lib/venv.sh

cores=${CORES:-${supported_cores[*]}}
newest=${cores##* }
steps=${STEPS:-"sanity units"}
jobs=${JOBS:-2}
core_dependent_tests=(--test ansible-doc --test validate-modules --test import --test runtime-metadata
                      --test action-plugin-docs)
cache=${XDG_CACHE_HOME:-$HOME/.cache}
export PIP_CACHE_DIR=${PIP_CACHE_DIR:-$cache/pip}
export HOME=$cache/linuxnet-netns/ansible-test-home
export ANSIBLE_NOCOLOR=1
mkdir -p "$HOME"
# each run's reports in a directory of its own (two people may run this in one checkout at once)
mkdir -p "$top/tests/output"
output=$(mktemp -d "$top/tests/output/sanity.XXXXXX")
trap 'rm -rf "$output"' EXIT

# ansible-test downloads get-pip.py to bootstrap pip into its venvs; that host is not reachable
# here, so put our stand-in where ansible-test looks for its cached copy.
seed_pip_bootstrap() {
  local pip_version
  pip_version=$("$1/bin/python" -c 'import re, ansible_test._internal.python_requirements as r, inspect
print(re.search(r"pip=.([0-9.]+).", inspect.getsource(r)).group(1))')
  mkdir -p "$HOME/.ansible/test/cache"
  cp tests/sanity/get_pip.py "$HOME/.ansible/test/cache/get_pip_${pip_version//./_}.py"
}

# one_core CORE [ARGS...]: its steps; each step's verdict goes to $output/CORE.results
# ("passed|failed|skipped STEP@CORE [why]"), its report to $output/CORE.log.
one_core() {
  local core=$1 series=${1%.*} python_version venv collection step start cmd status
  shift
  python_version=$(core_python_version "$core")
  if ! venv=$(core_venv "$core" 2>"$output/$core.venv-error"); then
    cat "$output/$core.venv-error"
    for step in $steps; do
      echo "skipped $step@$core ($(tail -1 "$output/$core.venv-error"))" >>"$output/$core.results"
    done
    return 0
  fi
  seed_pip_bootstrap "$venv"
  collection=$(stage_collection "$top/.build/ansible-test-$series")
  for step in $steps; do
    start=$SECONDS
    case $step in
      sanity)
        cmd=(sanity --python "$python_version" --local --color no "$@")
        if [ $# -eq 0 ] && [ "$core" != "$newest" ] && [ -z "${FULL:-}" ]; then
          cmd+=("${core_dependent_tests[@]}")
        fi ;;
      units)  cmd=(units --python "$python_version" --local --color no) ;;
      *) echo "unknown step $step" >&2; exit 2 ;;
    esac
    echo "=== $step@$core (Python $python_version)"
    status=passed
    env -C "$collection" PATH="$venv/bin:$PATH" "$venv/bin/ansible-test" "${cmd[@]}" || status=failed
    echo "--- $step with ansible-core $core: $((SECONDS - start)) s, $status"
    echo "$status $step@$core" >>"$output/$core.results"
  done
}

# series PYTHON_VERSION CORE...: those cores one after the other, holding that Python's lock.
series() {
  local python_version=$1 core
  shift
  exec 9> "$HOME/.lock-$python_version"
  flock 9
  for core in "$@"; do one_core "$core" "${extra_args[@]}" >"$output/$core.log" 2>&1; done
}

extra_args=("$@")
declare -A by_python=()
python_order=()
for core in $cores; do
  python_version=$(core_python_version "$core")
  [ -n "${by_python[$python_version]:-}" ] || python_order+=("$python_version")
  by_python[$python_version]+=" $core"
done
started=$SECONDS
running=0
for python_version in "${python_order[@]}"; do
  # shellcheck disable=SC2086  # the list of cores
  series "$python_version" ${by_python[$python_version]} &
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
echo "ansible-test wall time: $((SECONDS - started)) s"
for name in "${skipped[@]}"; do echo "SKIPPED: $name"; done
checks_skipped=${#skipped[@]}
checks_done ansible-test
