#!/usr/bin/env bash
# Build the collection artifact and test the artifact, not the source tree:
#   1. `ansible-galaxy collection build` on a copy of the checkout into which junk was planted
#      (.venv, .build, tests/output, .pytest_cache, an old tarball): build_ignore must keep it out;
#      what ships (modules, meta/, requirements.txt, bindep.txt, changelog) must be in;
#   2. `ansible-galaxy collection install` of the tarball into a temporary collections path;
#   3. ansible sees only that copy; `ansible-galaxy collection verify` finds it intact; ansible-doc
#      lists and shows every module; `ansible-builder introspect` finds its EE dependencies;
#   4. the installed seed 001 playbook runs twice inside tests/sandbox.sh with only the installed
#      copy on the collections path: the first run changes things, the second changes nothing.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
source tests/lib/venv.sh
ensure_venv .build/venv-tools tests/requirements-tools.txt
tools=$top/.build/venv-tools/bin
work=$top/.build/package-test
rm -rf "$work"
mkdir -p "$work/dist"
export ANSIBLE_NOCOLOR=1 ANSIBLE_HOST_KEY_CHECKING=False ANSIBLE_RETRY_FILES_ENABLED=False

problems=0
# expect DESCRIPTION COMMAND...: report whether COMMAND succeeds.
expect() {
  local description=$1; shift
  if "$@"; then echo "ok: $description"; else echo "FAIL: $description"; problems=$((problems + 1)); fi
}
no_output() { [ -z "$1" ] || { echo "$1"; return 1; }; }
contains() { grep -q -- "$2" <<< "$1" || { echo "$1"; return 1; }; }
ansible_doc_shows() { "$tools/ansible-doc" "$1" > /dev/null; }

echo "=== build"
source=$(stage_collection "$work/source")
for junk in .venv/bin .build/collections tests/output/data .pytest_cache/v .ansible/collections; do
  mkdir -p "$source/$junk" && echo junk > "$source/$junk/junk"
done
echo junk > "$source/linuxnet-netns-0.0.1.tar.gz"
"$tools/ansible-galaxy" collection build --output-path "$work/dist" "$source"
tarballs=("$work/dist"/linuxnet-netns-*.tar.gz)
tarball=${tarballs[0]}
tar tzf "$tarball" | sed 's#/$##' | sort > "$work/contents"

expect "no junk in the tarball" no_output "$(grep -E \
  '^(\.venv|\.build|\.git|tests/output|\.pytest_cache|\.ansible)(/|$)|\.tar\.gz$|(^|/)__pycache__(/|$)' \
  "$work/contents" || true)"
shipped=(MANIFEST.json FILES.json README.md LICENSES/GPL-3.0-or-later.txt meta/runtime.yml
         meta/execution-environment.yml requirements.txt bindep.txt changelogs/changelog.yaml)
modules=()
for path in "$source"/plugins/modules/*.py; do
  module=$(basename "$path" .py)
  modules+=("$module")
  shipped+=("plugins/modules/$module.py")
done
for path in "${shipped[@]}"; do
  expect "$path in the tarball" grep -qxF "$path" "$work/contents"
done

echo "=== install"
# From here on only the installed copy: not the checkout's ansible.cfg, not .build/collections.
collections=$work/collections
printf '[defaults]\ncollections_path = %s\n' "$collections" > "$work/ansible.cfg"
export ANSIBLE_CONFIG=$work/ansible.cfg ANSIBLE_COLLECTIONS_PATH=$collections
cd "$work"
"$tools/ansible-galaxy" collection install --offline -p "$collections" "$tarball"
installed=$collections/ansible_collections/linuxnet/netns
expect "installed at $installed" test -f "$installed/MANIFEST.json"
expect "ansible sees only the installed copy" contains \
  "$("$tools/ansible-galaxy" collection list linuxnet.netns --format json 2>/dev/null || true)" \
  "^{\"$collections/ansible_collections\": {\"linuxnet.netns\""
expect "collection verify" "$tools/ansible-galaxy" collection verify --offline linuxnet.netns
listed=$("$tools/ansible-doc" -t module -l linuxnet.netns --json || true)
for module in "${modules[@]}"; do
  expect "ansible-doc lists $module" contains "$listed" "\"linuxnet.netns.$module\""
  expect "ansible-doc shows $module" ansible_doc_shows "linuxnet.netns.$module"
done
introspected=$("$tools/ansible-builder" introspect "$collections" || true)
expect "ansible-builder introspect finds requirements.txt" contains "$introspected" pyroute2
expect "ansible-builder introspect finds bindep.txt" contains "$introspected" iproute2

echo "=== run the installed seed 001 playbook in a sandbox, twice"
playbook=$installed/playbooks/seed-001-veth-pair.yml
inventory=$installed/playbooks/inventory/localhost.ini
# shellcheck disable=SC2016  # expanded by the inner shell, from its arguments
recaps=$("$top/tests/sandbox.sh" bash -c 'for run in 1 2; do
    "$1/ansible-playbook" -i "$2" "$3" | tee /dev/stderr | grep "^localhost " || exit 1
  done' recaps "$tools" "$inventory" "$playbook" || true)
echo "$recaps"
first=$(sed -n 1p <<< "$recaps")
second=$(sed -n 2p <<< "$recaps")
expect "first run changed things" contains "$first" 'changed=[1-9].*failed=0'
expect "second run changed nothing" contains "$second" 'changed=0 .*failed=0'

echo
if [ $problems -eq 0 ]; then echo "package: 1 passed, 0 failed"; else echo "package: 0 passed, 1 failed ($problems problems)"; fi
[ $problems -eq 0 ]
