"""Print a lab host's network state, one fact per line, in a stable sorted form.

    ssh hN /usr/bin/python3 .../tests/lab/host_state.py

Every line starts with the namespace it belongs to ("-" for the host's own, else the name
under /run/netns), so two dumps compared line by line show exactly which objects a run
added or removed: links, addresses, routes, permanent forwarding entries (the VXLAN flood
list), forwarding sysctls, nftables rules, the files under /etc/netns and the registry of
the role docker_bridge. What moves on its own (counters, timers, learnt entries, DAD and
operational state) is left out. Standard library only: the hosts run /usr/bin/python3.
"""
import hashlib
import json
import os
import subprocess
import sys

VOLATILE = ("stats", "stats64", "tentative", "operstate", "dadfailed", "linkmode", "carrier_changes",
            "carrier_up_count", "carrier_down_count")
REGISTRY_DIR = "/etc/linuxnet-netns"


def run(*argv):
    return subprocess.run(argv, check=True, capture_output=True, text=True).stdout


def clean(value):
    if isinstance(value, dict):
        return {k: clean(v) for k, v in value.items() if k not in VOLATILE and not k.endswith("_timer")}
    if isinstance(value, list):
        return [clean(v) for v in value]
    return value


def namespace_facts(label, ip):
    lines = []
    for link in json.loads(run(*ip, "-d", "-j", "link", "show")):
        lines.append("%s link %s %s" % (label, link["ifname"], json.dumps(clean(link), sort_keys=True)))
    for link in json.loads(run(*ip, "-j", "addr", "show")):
        for address in link.get("addr_info", []):
            lines.append("%s addr %s %s/%s scope %s" % (label, link["ifname"], address["local"],
                                                        address["prefixlen"], address.get("scope")))
    for family in ("-4", "-6"):
        for route in run(*ip, family, "route", "show", "table", "all").splitlines():
            if family == "-6" and route.split()[0] in ("local", "multicast", "anycast"):
                continue
            lines.append("%s route%s %s" % (label, family, route.strip()))
    for entry in run(*bridge(ip), "fdb", "show").splitlines():
        if "permanent" in entry:
            lines.append("%s fdb %s" % (label, entry.strip()))
    sysctls = run(*exec_in(ip), "sysctl", "-n", "net.ipv4.ip_forward", "net.ipv6.conf.all.forwarding").split()
    lines.append("%s sysctl ip_forward=%s ipv6_forwarding=%s" % (label, sysctls[0], sysctls[1]))
    chain = None
    for rule in run(*exec_in(ip), "nft", "list", "ruleset").splitlines():
        rule = rule.strip()
        if rule.startswith(("table ", "chain ")):
            chain = rule.rstrip(" {")
        if rule and rule != "}":
            lines.append("%s nft %s: %s" % (label, chain, rule))
    return lines


def bridge(ip):
    return ["bridge"] + ip[1:]  # "ip -n NS" -> "bridge -n NS"


def exec_in(ip):
    return ["ip", "netns", "exec", ip[2]] if len(ip) > 1 else []


def files(top, label):
    lines = []
    for directory, _subdirectories, names in sorted(os.walk(top)):
        lines.append("%s dir %s" % (label, directory))
        for name in sorted(names):
            path = os.path.join(directory, name)
            with open(path, "rb") as handle:
                lines.append("%s file %s sha1=%s" % (label, path, hashlib.sha1(handle.read()).hexdigest()))
    return lines


def main():
    namespaces = [line.split()[0] for line in run("ip", "netns", "list").splitlines() if line.strip()]
    lines = ["%s netns %s" % (name, line) for name, line in
             zip(namespaces, run("ip", "netns", "list").splitlines())]
    lines += namespace_facts("-", ["ip"])
    for name in namespaces:
        lines += namespace_facts(name, ["ip", "-n", name])
    lines += files("/etc/netns", "-")
    lines += files(REGISTRY_DIR, "-")
    sys.stdout.write("".join(line + "\n" for line in sorted(lines)))


if __name__ == "__main__":
    main()
