# shellcheck shell=bash
# Assertions about the kernel's state, for tests/playbooks/checks/*.sh (sourced by one.sh,
# inside the sandbox). NS is "" for the sandbox's own namespace, a name under /run/netns, or
# a path such as /proc/PID/ns/net. Each assertion prints one line and counts failures.
failures=0

pass() { echo "  ok    $*"; }
fail() { echo "  FAIL  $*"; failures=$((failures + 1)); }

# check DESCRIPTION COMMAND...: passes if COMMAND exits 0
# Checks that pipe into grep leave out -q: one.sh runs with pipefail, and grep -q exits at its
# first match, so a writer still printing (nft list) dies of SIGPIPE and the check fails at random.
check() {
  local what=$1; shift
  if "$@" >/dev/null 2>&1; then pass "$what"; else fail "$what"; fi
}

in_ns() {
  local ns=$1; shift
  case $ns in
    "") "$@" ;;
    /*) nsenter --net="$ns" "$@" ;;
    *) ip netns exec "$ns" "$@" ;;
  esac
}

# json_true EXPR: evaluate a Python expression over the JSON on stdin (as `data`)
json_true() {
  /usr/bin/python3 -c 'import json, sys; data = json.load(sys.stdin); sys.exit(0 if eval(sys.argv[1]) else 1)' "$1"
}

has_addr() {  # NS DEV CIDR
  in_ns "$1" ip -j addr show dev "$2" \
    | json_true "any('%s/%d' % (a['local'], a['prefixlen']) == '$3' for l in data for a in l['addr_info'])"
}
no_ipv4() {  # NS DEV
  in_ns "$1" ip -j -4 addr show dev "$2" | json_true "not any(l.get('addr_info') for l in data)"
}
is_up() {  # NS DEV
  in_ns "$1" ip -j link show dev "$2" | json_true "'UP' in data[0]['flags']"
}
up_with_addr() { is_up "$1" "$2" && has_addr "$1" "$2" "$3"; }  # NS DEV CIDR
master_is() {  # NS DEV BRIDGE
  in_ns "$1" ip -j link show dev "$2" | json_true "data[0].get('master') == '$3'"
}
kind_is() {  # NS DEV KIND
  in_ns "$1" ip -j -d link show dev "$2" | json_true "data[0]['linkinfo']['info_kind'] == '$3'"
}
has_link() { in_ns "$1" ip link show dev "$2"; }  # NS DEV
no_link() { ! in_ns "$1" ip link show dev "$2"; }  # NS DEV
default_via() {  # NS GATEWAY
  in_ns "$1" ip -j route show default | json_true "[r.get('gateway') for r in data] == ['$2']"
}
pings() { in_ns "$1" ping -c 1 -W 2 "$2"; }  # NS ADDRESS
tcp_says() {  # NS HOST PORT TEXT: connect, send a request line, expect TEXT in the answer
  in_ns "$1" timeout 5 bash -c "exec 3<>/dev/tcp/$2/$3 && printf 'GET / HTTP/1.0\r\n\r\n' >&3 && cat <&3" \
    | grep -F "$4" >/dev/null  # not -q: with pipefail, a writer cut off early fails the pipe
}
same_netns() { [ "$(stat -L -c %i "$1")" = "$(stat -L -c %i "$2")" ]; }  # FILE FILE
pid_of() { pgrep -o -f "^$1( |\$)"; }  # the stand-in process with argv[0] NAME
