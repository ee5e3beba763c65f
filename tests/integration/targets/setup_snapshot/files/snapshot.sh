#!/usr/bin/env bash
# Print the host's network state (every namespace: links, addresses, routes; /etc/netns;
# the nft ruleset) in a stable form, to compare before and after a task that must change nothing.
set -uo pipefail
dump() {
  "$@" -d -j link show | python3 -c 'import json,sys; print(json.dumps(sorted([{k: v for k, v in l.items() if k not in ("stats", "stats64")} for l in json.load(sys.stdin)], key=lambda l: l["ifname"]), sort_keys=True))'
  "$@" -j addr show | python3 -c 'import json,sys; print(json.dumps(sorted(json.load(sys.stdin), key=lambda l: l["ifname"]), sort_keys=True))'
  "$@" -4 route show table all
  "$@" -6 route show table all | grep -v -e '^local ' -e '^multicast ' -e '^anycast ' || true
}
echo "## namespaces"; ip netns list
echo "## own"; dump ip
for ns in $(ip netns list | awk '{print $1}'); do echo "## netns $ns"; dump ip -n "$ns"; done
echo "## /etc/netns"; find /etc/netns -printf '%p %y %m\n' 2>/dev/null | sort
echo "## nft"; nft list ruleset 2>/dev/null || true
