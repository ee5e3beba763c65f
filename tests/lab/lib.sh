# shellcheck shell=bash
# shellcheck disable=SC2154  # state and modes are the sourcing script's (so is test_mode)
# Helpers of the lab tests of the role docker_bridge (role-test.sh, firewall-role-test.sh,
# dualstack-test.sh, node-removal-test.sh), so that each script holds only its own steps.
# Sourced first, after `set -euo pipefail`; it goes to the checkout's top ($top). The script sets
#   state       the lab's state dir (each script has its own, so two of them never share a lab)
#   modes       the modes to test, in order
#   test_mode   a function: the steps for one mode ($mode), on a lab that run_modes has just put up
# and may set, before run_modes, what every play of it needs besides the defaults below.
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$top" || exit
lab=tests/lab/lab.sh
hosts=(h1 h2 h3)
# the inventory beside the lab's own: a script may swap it for one play or more (node removal)
inventory=tests/lab/docker-bridge.ini
# more ansible-playbook options for every play (dual stack adds its IPv6 inventory and variables)
play_options=()
# a TCP server (serve) that answers with the address it sees its client at, and that client (ask)
# shellcheck disable=SC2034  # the scripts' (dual stack, node removal), not this file's
peer_py=$top/tests/integration/targets/netns_nat/files/peer.py
failures=0
step_started=$SECONDS

say() { printf '%s [%3ds] %s\n' "--" $((SECONDS - step_started)) "$*"; }
# a failed check does not stop the script: the later steps still tell what else is wrong
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
in_lab() { LAB_STATE_DIR=$state "$lab" exec "$@"; }
on() { local host=$1; shift; in_lab ssh -F "$state/ssh_config" "$host" "$@"; }
# play LOG [ansible-playbook args...]: the docker-bridge playbook against the lab in mode $mode; its status
play() {
  local log=$1; shift
  in_lab env ANSIBLE_PIPELINING=1 ANSIBLE_NOCOLOR=1 .venv/bin/ansible-playbook \
    -i "$state/inventory.ini" -i "$inventory" playbooks/docker-bridge.yml \
    -e docker_bridge_mode="$mode" "${play_options[@]}" "$@" >"$log" 2>&1
}
# changed LOG: the play's changed tasks, summed over the hosts of its recap
changed() { awk '/^h[0-9]+ +: ok=/ { split($4, c, "="); n += c[2] } END { print n + 0 }' "$1"; }
expect_play() {  # expect_play WHAT LOG CHANGED(any|0|some) [args...]
  local what=$1 log=$2 want=$3; shift 3
  if ! play "$log" "$@"; then fail "$what: the playbook failed (see $log)"; tail -30 "$log" >&2; return; fi
  local n; n=$(changed "$log")
  case $want in
    0) [ "$n" = 0 ] || fail "$what: changed=$n, expected 0 ($log)";;
    some) [ "$n" -gt 0 ] || fail "$what: changed=0, expected changes ($log)";;
  esac
  say "$what: ok (changed=$n)"
}
# address_of HOST CONTAINER [-6]: the container's global address on eth0 with its prefix, from the kernel
address_of() { on "$1" "ip -n $2 ${3:--4} -o addr show dev eth0 scope global" | awk '{ print $4 }'; }
bare_address_of() { address_of "$@" | cut -d/ -f1; }  # the same without its prefix, to connect to
# matrix NAME: the connectivity matrix inside the containers (tests/lab/docker_bridge_matrix.py); its status
matrix() { in_lab /usr/bin/python3 tests/lab/docker_bridge_matrix.py "$state" --mode "$mode" --publish c1:8080 >"$state/matrix.$1" 2>&1; }

# dump NAME [COMMAND]: each host's state in $state/NAME.HOST, one fact per line: COMMAND's output,
# by default tests/lab/host_state.py's (every namespace's links, addresses, routes, flood entries,
# sysctls, nft rules and the files under /etc/netns)
dump() {
  local name=$1 command=${2:-/usr/bin/python3 $top/tests/lab/host_state.py} host
  for host in "${hosts[@]}"; do on "$host" "$command" >"$state/$name.$host"; done
}
same_dumps() {  # same_dumps WHAT A B
  local host
  for host in "${hosts[@]}"; do
    if ! diff -u "$state/$2.$host" "$state/$3.$host" >"$state/diff.$2.$3.$host"; then
      fail "$1: $host changed ($state/diff.$2.$3.$host)"; head -20 "$state/diff.$2.$3.$host" >&2
    fi
  done
}
# only_lines WHAT A B REMOVED_RE ADDED_RE: the lines B lost (gained) since A must all match the regex
only_lines() {
  local what=$1 a=$2 b=$3 removed_re=$4 added_re=$5 host
  for host in "${hosts[@]}"; do
    local removed added
    removed=$(comm -23 "$state/$a.$host" "$state/$b.$host" | grep -Ev -e "$removed_re" || true)
    added=$(comm -13 "$state/$a.$host" "$state/$b.$host" | grep -Ev -e "$added_re" || true)
    [ -z "$removed" ] || { fail "$what: on $host, also gone:"; echo "$removed" | cut -c1-160 >&2; }
    [ -z "$added" ] || { fail "$what: on $host, also new:"; echo "$added" | cut -c1-160 >&2; }
  done
}

# the lab goes down however the script ends, unless KEEP_LAB=1 asks to look at it
finish() {
  local status=$?
  if [ "${KEEP_LAB:-0}" = 1 ]; then echo "lab left up in $state (KEEP_LAB=1)"; else "$lab" down "$state" >/dev/null || status=1; fi
  return $status
}

# run_modes NAME TITLE: test_mode once per mode, each on a fresh lab of $hosts (3 unless the script
# sets more), then the verdict:
# NAME's last line says "all passed", or the script exits 1 after counting the failures
run_modes() {
  local name=$1 title=$2
  trap finish EXIT
  for mode in "${modes[@]}"; do
    if [ -e "$state" ]; then echo "$state exists: a lab is up there (tests/lab/lab.sh down $state)" >&2; exit 1; fi
    step_started=$SECONDS
    echo "== $title, mode $mode, lab in $state"
    "$lab" up "${#hosts[@]}" "$state" >/dev/null
    test_mode
    finish
  done
  trap - EXIT
  if [ "$failures" != 0 ]; then echo "$name: $failures failures" >&2; exit 1; fi
  echo "$name: all passed (${modes[*]})"
}
