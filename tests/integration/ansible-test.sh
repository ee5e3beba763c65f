#!/usr/bin/env bash
# `ansible-test integration` on the real kernel, the way collection contributors run it, inside a
# throwaway sandbox (tests/sandbox.sh: new network, mount and PID namespaces, private /run/netns
# and /etc/netns), so the machine's own network namespace never changes.
#
#   tests/integration/ansible-test.sh netns_addr            one target (.venv: ansible-core and pyroute2
#                                                           of tests/requirements.txt, Python 3.11)
#   CORE=2.21.5 tests/integration/ansible-test.sh veth      another ansible-core, in its venv .build/venv-X.Y
#                                                           on its Python (3.12 for 2.20, 3.13 for 2.21),
#                                                           which is then also the managed host's Python
#   tests/integration/ansible-test.sh ci/posix/1/           a group of the targets' aliases; no argument:
#                                                           every target
#   tests/integration/ansible-test.sh veth -- -vvv          ansible-test options after --
#
# Each target runs in a sandbox of its own, as tests/integration/run.sh runs them: a target may
# leave namespaces behind (the sandbox takes them away), and the next must find a clean host.
# ansible-test wants the collection at ansible_collections/linuxnet/netns: a checkout that lies
# there is used in place; any other is copied to .build/ansible-test-integration-X.Y first (the
# files git knows, as in the working tree; see stage_collection). Every target depends on
# setup_netns_sandbox, which refuses to run anywhere but in such a sandbox, so a plain
# `ansible-test integration --local TARGET` on the machine stops before it changes anything.
# Two runs on one core take turns (flock on the copy). The closing line counts the targets.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
# shellcheck source=tests/lib/venv.sh
source tests/lib/venv.sh
patterns=() options=()
while [ $# -gt 0 ]; do
  if [ "$1" = -- ]; then shift; options=("$@"); break; fi
  patterns+=("$1"); shift
done

if [ -n "${CORE:-}" ]; then
  venv=$(core_venv "$CORE")
else
  bash scripts/bootstrap.sh >/dev/null
  venv=$top/.venv
fi
python_version=$("$venv/bin/python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
core=$("$venv/bin/python" -c 'import ansible; print(ansible.__version__)')

case $top in
  */ansible_collections/linuxnet/netns) collection=$top ;;
  *)
    staged=$top/.build/ansible-test-integration-${core%.*}
    mkdir -p "$top/.build"
    exec 9> "$top/.build/ansible-test-integration-${core%.*}.lock"
    flock 9
    collection=$(stage_collection "$staged")
    ;;
esac

echo "ansible-test integration with ansible-core $core, Python $python_version ($venv/bin/python) in $collection"
ansible_test() {
  env -C "$collection" PATH="$venv/bin:$PATH" ANSIBLE_NOCOLOR=1 "$venv/bin/ansible-test" integration \
    --local --python "$python_version" --color no "$@"
}
# --allow-destructive: the targets are destructive (aliases), and ansible-test skips those with
# --local unless told; here each runs in a sandbox, which takes all it changed with it.
mapfile -t targets < <(ansible_test --allow-destructive --list-targets "${patterns[@]}" 2>/dev/null)
[ ${#targets[@]} -gt 0 ] || { ansible_test --allow-destructive --list-targets "${patterns[@]}"; exit 2; }
failed=() passed=0
for target in "${targets[@]}"; do
  started=$SECONDS
  echo "=== $target (ansible-core $core, Python $python_version)"
  if tests/sandbox.sh env -C "$collection" PATH="$venv/bin:$PATH" ANSIBLE_NOCOLOR=1 \
       "$venv/bin/ansible-test" integration --local --python "$python_version" --color no \
       --allow-destructive "${options[@]}" "$target"; then
    passed=$((passed + 1)); status=passed
  else
    failed+=("$target"); status=FAILED
  fi
  echo "--- $target: $status in $((SECONDS - started)) s"
done
echo
[ ${#failed[@]} -eq 0 ] || echo "failed: ${failed[*]}"
echo "ansible-test integration (ansible-core $core, Python $python_version): ${passed} passed, ${#failed[@]} failed"
[ ${#failed[@]} -eq 0 ]
