#!/usr/bin/env bash
# The role docker_bridge against a lab of 3 hosts, once per mode (default: host-gw, then vxlan).
#
#   tests/lab/role-test.sh [MODE...]          e.g. tests/lab/role-test.sh vxlan
#
# Each mode gets a fresh lab (state dir ROLE_TEST_STATE_DIR, default /tmp/linuxnet-netns-role-test),
# taken down at the end, also on failure (KEEP_LAB=1 keeps the last one up). Steps, each asserted on
# the hosts' real state (tests/lab/host_state.py dumps every namespace's links, addresses, routes,
# flood entries, sysctls, nft rules and the files under /etc/netns, one fact per line):
#   1. check mode on fresh hosts: succeeds, predicts changes, changes nothing
#   2. converge; a second run and a check-mode run report no change
#   3. connectivity matrix inside the containers (same host, across hosts, internet, published port)
#   4. removing a container whose namespace a process still uses fails and changes nothing;
#      once the process is gone, removing it takes away exactly its namespace, veth, address,
#      routes, DNS files and published port and nothing else (objects made by hand stay)
#   5. adding containers (one before the others in the list) moves no existing container's address
#   6. mode none: the routes to the other hosts (and the overlay) go, the hosts are apart
#   7. state absent: everything the role made goes; the hosts are as fresh, but for what was made
#      by hand and the forwarding sysctl (netns_nat leaves it on); a second absent run changes nothing
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"  # which also goes to the checkout's top, where the paths below start
state=${ROLE_TEST_STATE_DIR:-/tmp/linuxnet-netns-role-test}
modes=("$@")
[ ${#modes[@]} -gt 0 ] || modes=(host-gw vxlan)

# the steps for one mode ($mode), on the fresh lab that run_modes (lib.sh) puts up and takes down
test_mode() {
  # c2 publishes a port and has DNS of its own, so its removal has something in every place
  cat >"$state/two.json" <<'EOF'
{"docker_bridge_containers": [{"name": "c1", "publish": ["8080:80"]},
 {"name": "c2", "publish": ["8081:80/tcp"], "dns": ["9.9.9.9"], "dns_search": ["lab.example"]}]}
EOF
  echo '{"docker_bridge_containers": [{"name": "c1", "publish": ["8080:80"]}]}' >"$state/one.json"
  cat >"$state/three.json" <<'EOF'
{"docker_bridge_containers": [{"name": "c0"}, {"name": "c1", "publish": ["8080:80"]}, {"name": "c2"}]}
EOF
  dump fresh

  expect_play "check mode on fresh hosts" "$state/check-fresh.log" some -e @"$state/two.json" --check
  dump after-check
  same_dumps "check mode on fresh hosts" fresh after-check

  expect_play "converge" "$state/converge.log" some -e @"$state/two.json"
  expect_play "second run" "$state/second.log" 0 -e @"$state/two.json"
  expect_play "check mode after converging" "$state/check-again.log" 0 -e @"$state/two.json" --check --diff
  if matrix two; then say "matrix: $(tail -1 "$state/matrix.two")"; else fail "matrix ($state/matrix.two)"; cat "$state/matrix.two" >&2; fi

  # objects the role did not make, which it must leave alone
  for host in "${hosts[@]}"; do
    on "$host" 'set -e; ip netns add byhand; ip link add byhand0 type veth peer name eth0 netns byhand
                ip link add brhand type bridge; mkdir -p /etc/netns/byhand
                echo "nameserver 192.0.2.53" >/etc/netns/byhand/resolv.conf; nft add table inet byhand'
  done
  local c2_address; c2_address=$(address_of h1 c2)
  local pid; pid=$(on h1 'setsid ip netns exec c2 sleep 600 </dev/null >/dev/null 2>&1 & echo $!')
  dump before-removal
  if play "$state/remove-busy.log" -e @"$state/one.json" -l h1; then
    fail "removing a container still in use: the playbook succeeded"
  elif grep -q "$pid" "$state/remove-busy.log"; then
    say "removing a container still in use: refused, naming process $pid"
  else
    fail "removing a container still in use: failed without naming process $pid ($state/remove-busy.log)"
  fi
  dump after-busy
  same_dumps "refused removal" before-removal after-busy
  on h1 "kill $pid"

  expect_play "remove c2" "$state/remove.log" some -e @"$state/one.json"
  expect_play "second run after removing c2" "$state/remove-again.log" 0 -e @"$state/one.json"
  dump after-removal
  # every address of c2 is X.X.X.3 (the second container of each host)
  only_lines "removing c2" before-removal after-removal \
    '^c2 |[ /]ve-c2[ @]|"ve-c2"|/etc/netns/c2|10\.88\.[0-9]+\.3([/: ]|$)|dport 8081|/etc/linuxnet-netns/docker_bridge' \
    '/etc/linuxnet-netns/docker_bridge'
  for host in "${hosts[@]}"; do
    local marker
    for marker in '^c2 ' 've-c2' 'dport 8081' '/etc/netns/c2/'; do
      grep -q -e "$marker" "$state/before-removal.$host" || fail "removing c2: $host had no '$marker' to begin with"
    done
    if grep -q -e '^c2 ' -e 've-c2' -e 'dport 8081' -e '/etc/netns/c2' "$state/after-removal.$host"; then
      fail "removing c2: something of c2 is left on $host"
    fi
    grep -q '^byhand ' "$state/after-removal.$host" || fail "removing c2: namespace byhand is gone on $host"
  done
  [ "$c2_address" = 10.88.11.3/24 ] || fail "c2 on h1 had address $c2_address, expected 10.88.11.3/24"
  say "removing c2: only its own objects went"

  local c1_before; c1_before=$(address_of h1 c1)
  expect_play "add c0 before c1, and c2 again" "$state/add.log" some -e @"$state/three.json"
  expect_play "second run after adding" "$state/add-again.log" 0 -e @"$state/three.json"
  local c1_after c0 c2; c1_after=$(address_of h1 c1); c0=$(address_of h1 c0); c2=$(address_of h1 c2)
  if [ "$c1_before" = "$c1_after" ] && [ "$c0" = 10.88.11.3/24 ] && [ "$c2" = 10.88.11.4/24 ]; then
    say "addresses: c1 kept $c1_after, c0 got $c0, c2 got $c2"
  else
    fail "addresses: c1 $c1_before -> $c1_after, c0 $c0, c2 $c2 (expected c1 unchanged, c0 .3, c2 .4)"
  fi
  if matrix three; then say "matrix with 3 containers per host: $(tail -1 "$state/matrix.three")"
  else fail "matrix with 3 containers ($state/matrix.three)"; cat "$state/matrix.three" >&2; fi

  local real_mode=$mode
  mode=none
  expect_play "mode none" "$state/none.log" some -e @"$state/three.json"
  if matrix none; then say "mode none: $(tail -1 "$state/matrix.none")"
  else fail "mode none ($state/matrix.none)"; cat "$state/matrix.none" >&2; fi
  for host in "${hosts[@]}"; do
    on "$host" 'ip -o route; ip -o link' | grep -e 'via 198.18.0.1[0-9] ' -e 'vxlan-dbr0' >/dev/null \
      && fail "mode none: routes to other hosts or the overlay left on $host"
  done
  mode=$real_mode

  expect_play "state absent" "$state/absent.log" some -e docker_bridge_state=absent
  expect_play "state absent again" "$state/absent-again.log" 0 -e docker_bridge_state=absent
  dump after-absent
  only_lines "state absent" fresh after-absent '^- sysctl ip_forward=0 ' \
    '^byhand |byhand0|brhand|/etc/netns/byhand|inet byhand|^- sysctl ip_forward=1 |^- dir /etc/linuxnet-netns$'
  say "state absent: the hosts are as fresh, but for what was made by hand"
}

run_modes role-test "role docker_bridge"
