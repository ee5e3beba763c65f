#!/usr/bin/env bash
# Print the host's network state (every namespace: links, addresses, routes; /etc/netns;
# the nft ruleset) in a stable form, to compare before and after a task that must change nothing.
set -uo pipefail
# Kernel timers, DAD progress and bridge port state move on their own; they are not
# something a task changed, so they are left out.
stable='
import json, sys
VOLATILE = ("stats", "stats64", "tentative", "operstate", "dadfailed")
def clean(value):
    if isinstance(value, dict):
        return {k: clean(v) for k, v in value.items() if k not in VOLATILE and not k.endswith("_timer")}
    if isinstance(value, list):
        return [clean(v) for v in value]
    return value
print(json.dumps(sorted(clean(json.load(sys.stdin)), key=lambda l: l["ifname"]), sort_keys=True))
'
dump() {
  "$@" -d -j link show | python3 -c "$stable"
  "$@" -j addr show | python3 -c "$stable"
  "$@" -4 route show table all
  "$@" -6 route show table all | grep -v -e '^local ' -e '^multicast ' -e '^anycast ' || true
}
echo "## namespaces"; ip netns list
echo "## own"; dump ip
for ns in $(ip netns list | awk '{print $1}'); do echo "## netns $ns"; dump ip -n "$ns"; done
echo "## /etc/netns"; find /etc/netns -printf '%p %y %m\n' 2>/dev/null | sort
echo "## nft"; nft list ruleset 2>/dev/null || true
