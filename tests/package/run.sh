#!/usr/bin/env bash
# Build the collection artifact and test the artifact, not the source tree:
#   1. `ansible-galaxy collection build` on a copy of the checkout into which junk was planted
#      (.venv, .build, tests/output, .pytest_cache, an old tarball): build_ignore must keep it out;
#      what ships (modules, meta/, requirements.txt, bindep.txt, changelog) must be in;
#   2. `ansible-galaxy collection install` of the tarball into a temporary collections path;
#   3. ansible-doc shows every module of the installed copy; `ansible-galaxy collection verify`
#      finds it intact; `ansible-builder introspect` finds its EE dependencies;
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

failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
ok() { echo "ok: $*"; }

echo "=== build"
source=$(stage_collection "$work/source")
for junk in .venv/bin .build/collections tests/output/data .pytest_cache/v .ansible/collections; do
  mkdir -p "$source/$junk" && echo junk > "$source/$junk/junk"
done
echo junk > "$source/linuxnet-netns-0.0.1.tar.gz"
"$tools/ansible-galaxy" collection build --output-path "$work/dist" "$source"
tarball=$(ls "$work/dist"/linuxnet-netns-*.tar.gz)
tar tzf "$tarball" | sed 's#/$##' | sort > "$work/contents"

shipped_junk=$(grep -E '^(\.venv|\.build|\.git|tests/output|\.pytest_cache|\.ansible)(/|$)|\.tar\.gz$|(^|/)__pycache__(/|$)' "$work/contents" || true)
[ -z "$shipped_junk" ] && ok "no junk in the tarball" || fail "junk in the tarball: $shipped_junk"
expected=(MANIFEST.json FILES.json README.md meta/runtime.yml meta/execution-environment.yml
          requirements.txt bindep.txt changelogs/changelog.yaml)
mapfile -t modules < <(cd "$source/plugins/modules" && ls ./*.py | sed 's#^\./##; s#\.py$##')
for module in "${modules[@]}"; do expected+=("plugins/modules/$module.py"); done
for path in "${expected[@]}"; do
  grep -qxF "$path" "$work/contents" || fail "$path missing from the tarball"
done
ok "tarball $(basename "$tarball"): $(wc -l < "$work/contents") entries"

echo "=== install"
# From here on only the installed copy: not the checkout's ansible.cfg, not .build/collections.
collections=$work/collections
printf '[defaults]\ncollections_path = %s\n' "$collections" > "$work/ansible.cfg"
export ANSIBLE_CONFIG=$work/ansible.cfg ANSIBLE_COLLECTIONS_PATH=$collections
cd "$work"
"$tools/ansible-galaxy" collection install --offline -p "$collections" "$tarball"
installed=$collections/ansible_collections/linuxnet/netns
[ -f "$installed/MANIFEST.json" ] || fail "not installed at $installed"
"$tools/ansible-galaxy" collection verify --offline linuxnet.netns && ok "verify" || fail "collection verify"
found=$("$tools/ansible-galaxy" collection list linuxnet.netns --format json 2>/dev/null || true)
[ "$(grep -o '"/[^"]*ansible_collections"' <<< "$found" | sort -u)" = "\"$collections/ansible_collections\"" ] \
  && ok "ansible sees only the installed copy" || fail "ansible sees other copies: $found"

listed=$("$tools/ansible-doc" -t module -l linuxnet.netns --json || true)
for module in "${modules[@]}"; do
  if ! grep -q "\"linuxnet.netns.$module\"" <<< "$listed"; then
    fail "ansible-doc does not list $module"
  elif ! "$tools/ansible-doc" "linuxnet.netns.$module" > /dev/null; then
    fail "ansible-doc linuxnet.netns.$module"
  fi
done
ok "ansible-doc lists and shows ${#modules[@]} modules from the installed copy"

introspected=$("$tools/ansible-builder" introspect "$collections" || true)
grep -q 'pyroute2' <<< "$introspected" && grep -q 'iproute2' <<< "$introspected" \
  && ok "ansible-builder introspect finds requirements.txt and bindep.txt" \
  || fail "ansible-builder introspect: $introspected"

echo "=== run the installed seed 001 playbook in a sandbox, twice"
playbook=$installed/playbooks/seed-001-veth-pair.yml
inventory=$installed/playbooks/inventory/localhost.ini
recaps=$("$top/tests/sandbox.sh" bash -c '
  for run in 1 2; do "$0/ansible-playbook" -i "$1" "$2" | tee /dev/stderr | grep "^localhost " || exit 1; done' \
  "$tools" "$inventory" "$playbook") || fail "installed playbook failed"
echo "$recaps"
first=$(sed -n 1p <<< "$recaps"); second=$(sed -n 2p <<< "$recaps")
[[ $first =~ changed=[1-9] && $first =~ failed=0 ]] && ok "first run changed things" || fail "first run: $first"
[[ $second =~ changed=0 && $second =~ failed=0 ]] && ok "second run changed nothing" || fail "second run: $second"

echo
echo "package: $([ $failures -eq 0 ] && echo 1 || echo 0) passed, $([ $failures -eq 0 ] && echo 0 || echo 1) failed ($failures problems)"
[ $failures -eq 0 ]
