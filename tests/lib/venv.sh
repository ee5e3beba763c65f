# shellcheck shell=bash
# ensure_venv DIR SPEC...: a virtual environment at DIR (from /usr/bin/python3, the one Python
# Ansible works with here) holding exactly SPEC... (requirement files, or "pkg==version").
# Reused while the specs are unchanged; remade from scratch when they change, so CI on a clean
# checkout and a developer's warm tree run the same pinned tools.
ensure_venv() {
  local dir=$1; shift
  local args=() spec wanted
  for spec in "$@"; do
    if [ -f "$spec" ]; then args+=(-r "$spec"); else args+=("$spec"); fi
  done
  wanted=$(for spec in "$@"; do if [ -f "$spec" ]; then cat "$spec"; else echo "$spec"; fi; done)
  if [ -x "$dir/bin/python" ] && [ "$(cat "$dir/.specs" 2>/dev/null)" = "$wanted" ]; then
    return 0
  fi
  echo "venv: creating $dir"
  rm -rf "$dir"
  /usr/bin/python3 -m venv "$dir"
  "$dir/bin/pip" install -q --disable-pip-version-check "${args[@]}"
  printf '%s\n' "$wanted" > "$dir/.specs"
}

# stage_collection DEST: a copy of the files git knows (tracked, plus new files not ignored; as
# they are in the working tree) at DEST/ansible_collections/linuxnet/netns, made a git repository
# of its own so ansible-test lists exactly those files (inside our checkout it would see .build
# as ignored and test nothing). Prints the collection's path.
stage_collection() {
  local top dest
  top=$(git rev-parse --show-toplevel)
  dest=$1/ansible_collections/linuxnet/netns
  rm -rf "$1"
  mkdir -p "$dest"
  (cd "$top" && git ls-files -z --cached --others --exclude-standard) |
    while IFS= read -r -d '' path; do
      [ -e "$top/$path" ] && printf '%s\0' "$path"
    done |
    (cd "$top" && xargs -0 -r cp -P --parents -t "$dest")
  (cd "$dest" && git init -q && git add -A)
  echo "$dest"
}

# link_collection: the checkout as the collection linuxnet.netns at .build/collections, the
# collections path of ansible.cfg (scripts/bootstrap.sh makes the same link); prints that path.
link_collection() {
  local top
  top=$(git rev-parse --show-toplevel)
  mkdir -p "$top/.build/collections/ansible_collections/linuxnet"
  ln -sfn ../../../.. "$top/.build/collections/ansible_collections/linuxnet/netns"
  echo "$top/.build/collections"
}

# use_tools: the pinned tools (tests/requirements-tools.txt, in .build/venv-tools) first on PATH,
# and the checkout as linuxnet.netns on ANSIBLE_COLLECTIONS_PATH.
use_tools() {
  local top
  top=$(git rev-parse --show-toplevel)
  ensure_venv "$top/.build/venv-tools" "$top/tests/requirements-tools.txt"
  export PATH=$top/.build/venv-tools/bin:$PATH
  ANSIBLE_COLLECTIONS_PATH=$(link_collection)
  export ANSIBLE_COLLECTIONS_PATH
}

# check NAME COMMAND...: one check of a suite; it goes on after a failure.
# checks_done SUITE: the suite's closing line ("SUITE: N passed, N failed"), then its verdict.
checks_passed=0
checks_failed=()
check() {
  local name=$1; shift
  echo "=== $name"
  if "$@"; then checks_passed=$((checks_passed + 1)); else checks_failed+=("$name"); fi
}
checks_done() {
  echo
  [ ${#checks_failed[@]} -eq 0 ] || echo "failed: ${checks_failed[*]}"
  echo "$1: ${checks_passed} passed, ${#checks_failed[@]} failed"
  [ ${#checks_failed[@]} -eq 0 ]
}
