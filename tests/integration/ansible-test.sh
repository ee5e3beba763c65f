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
#   tests/integration/ansible-test.sh -v ci/posix/1         any ansible-test integration arguments: a CI
#                                                           group (targets' aliases), -v, --list-targets
#
# ansible-test wants the collection at ansible_collections/linuxnet/netns: a checkout that lies
# there is used in place; any other is copied to .build/ansible-test-integration-X.Y first (the
# files git knows, as in the working tree; see stage_collection). Every target depends on
# setup_netns_sandbox, which refuses to run anywhere but in such a sandbox, so a plain
# `ansible-test integration --local TARGET` on the machine stops before it changes anything.
# Two runs on one core take turns (flock on the copy).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
# shellcheck source=tests/lib/venv.sh
source tests/lib/venv.sh
[ $# -gt 0 ] || { echo "usage: [CORE=X.Y.Z] $0 [ANSIBLE-TEST-ARGS...] TARGET..." >&2; exit 2; }

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
# --allow-destructive: the targets are destructive (aliases) and ansible-test skips those with
# --local unless told; here they run in the sandbox, which takes all they change with it.
tests/sandbox.sh env -C "$collection" PATH="$venv/bin:$PATH" ANSIBLE_NOCOLOR=1 \
  "$venv/bin/ansible-test" integration --local --python "$python_version" --allow-destructive \
  --color no "$@"
