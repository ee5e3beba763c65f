# shellcheck shell=bash
# ensure_venv DIR SPEC...: a virtual environment at DIR holding exactly SPEC... (requirement files,
# or "pkg==version"), made with $VENV_PYTHON (default /usr/bin/python3, Debian's 3.11; the
# pyenv shims on PATH here are broken, so a Python is always named by its full path).
# Reused while the specs and the Python are unchanged; remade from scratch when they change, so CI
# on a clean checkout and a developer's warm tree run the same pinned tools.
ensure_venv() {
  local dir=$1; shift
  local python=${VENV_PYTHON:-/usr/bin/python3}
  local args=() spec wanted
  for spec in "$@"; do
    if [ -f "$spec" ]; then args+=(-r "$spec"); else args+=("$spec"); fi
  done
  wanted=$([ "$python" = /usr/bin/python3 ] || echo "# made with $python"
           for spec in "$@"; do if [ -f "$spec" ]; then cat "$spec"; else echo "$spec"; fi; done)
  if [ -x "$dir/bin/python" ] && [ "$(cat "$dir/.specs" 2>/dev/null)" = "$wanted" ]; then
    return 0
  fi
  echo "venv: creating $dir with $python"
  rm -rf "$dir"
  "$python" -m venv "$dir"
  "$dir/bin/pip" install -q --disable-pip-version-check "${args[@]}"
  printf '%s\n' "$wanted" > "$dir/.specs"
}

# The ansible-core releases the collection supports (meta/runtime.yml: requires_ansible), each
# pinned to its newest patch release, and the Python each one's controller runs on in the tests:
# Debian 12's 3.11 up to 2.19; 2.20 and later need 3.12+ (2.20 on 3.12, 2.21 on 3.13, so that
# both newer Pythons are covered, as controller and as managed host).
# shellcheck disable=SC2034  # used by the scripts that source this file
supported_cores=(2.17.14 2.18.19 2.19.14 2.20.10 2.21.5)
core_python_version() {
  case $1 in
    2.17.*|2.18.*|2.19.*) echo 3.11 ;;
    2.20.*) echo 3.12 ;;
    *) echo 3.13 ;;
  esac
}

# find_python X.Y: the full path of a Python X.Y that can make venvs, or status 1. Looks at
# /usr/bin, /usr/local/bin and pyenv's versions (newest patch release), never at pyenv's shims.
find_python() {
  local want=$1 root candidate candidates=()
  candidates+=("/usr/bin/python$want" "/usr/local/bin/python$want")
  root=${PYENV_ROOT:-}
  if [ -z "$root" ] && [ -x "$HOME/.pyenv/bin/pyenv" ]; then root=$("$HOME/.pyenv/bin/pyenv" root); fi
  [ -n "$root" ] || root=$HOME/.pyenv
  if [ -d "$root/versions" ]; then
    while IFS= read -r candidate; do
      candidates+=("$candidate/bin/python$want")
    done < <(find "$root/versions" -mindepth 1 -maxdepth 1 -name "$want.*" | sort -rV)
  fi
  for candidate in "${candidates[@]}"; do
    if [ -x "$candidate" ] && "$candidate" -c 'import venv, ensurepip' 2>/dev/null; then
      echo "$candidate"
      return 0
    fi
  done
  return 1
}

# core_venv CORE: .build/venv-X.Y for ansible-core CORE (its tests/sanity/requirements-units.txt
# beside it, pyroute2 included, so its Python also serves as a managed host's), made with the
# Python core_python_version names. Prints the venv's path; status 3 (with a message on stderr)
# when that Python is not on this machine.
core_venv() {
  local core=$1 top want python
  top=$(git rev-parse --show-toplevel)
  want=$(core_python_version "$core")
  if [ "$want" = 3.11 ]; then
    python=/usr/bin/python3
  elif ! python=$(find_python "$want"); then
    echo "ansible-core $core needs Python $want on the controller; none found" \
         "(/usr/bin, /usr/local/bin, pyenv's versions/)" >&2
    return 3
  fi
  VENV_PYTHON=$python ensure_venv "$top/.build/venv-${core%.*}" "ansible-core==$core" \
    "$top/tests/sanity/requirements-units.txt" >&2 || return
  echo "$top/.build/venv-${core%.*}"
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
# checks_done SUITE: the suite's closing line ("SUITE: N passed, N failed", and ", N skipped" when
# checks_skipped says some could not run here: a suite names them, it never passes them silently),
# then its verdict.
checks_passed=0
checks_failed=()
checks_skipped=0
check() {
  local name=$1; shift
  echo "=== $name"
  if "$@"; then checks_passed=$((checks_passed + 1)); else checks_failed+=("$name"); fi
}
checks_done() {
  echo
  [ ${#checks_failed[@]} -eq 0 ] || echo "failed: ${checks_failed[*]}"
  echo "$1: ${checks_passed} passed, ${#checks_failed[@]} failed$([ "$checks_skipped" -eq 0 ] || echo ", $checks_skipped skipped")"
  [ ${#checks_failed[@]} -eq 0 ]
}
