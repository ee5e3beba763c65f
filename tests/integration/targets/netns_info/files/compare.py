"""Check a netns_info result (JSON file) against what iproute2 shows: python3 compare.py RESULT.json

For every namespace in the result: its inode and PIDs, and (when detailed) every link,
address and route against `ip -j` run inside it (ip -n for named ones, nsenter otherwise).
Prints each mismatch and exits 1 if there is any.
"""
import json
import os
import subprocess
import sys

problems = []


def ip(entry, *args):
    if entry["own"]:
        prefix = []
    elif entry["names"]:
        prefix = []
        args = ("-n", entry["names"][0]) + args
    else:
        prefix = ["nsenter", "--net=" + (entry["paths"] or ["/proc/%d/ns/net" % entry["pids"][0]["pid"]])[0]]
    out = subprocess.run(prefix + ["ip", "-j"] + list(args), check=True, capture_output=True, text=True).stdout
    return json.loads(out or "[]")


def expect(what, got, want):
    if got != want:
        problems.append("%s: netns_info says %r, ip says %r" % (what, got, want))


def full(dst, family):
    if dst == "default" or "/" in dst:
        return dst
    return "%s/%d" % (dst, 32 if family == 4 else 128)


def check_links(entry, where):
    shown = dict((link["ifindex"], link) for link in ip(entry, "-d", "link", "show"))
    expect(where + " link indexes", sorted(link["index"] for link in entry["links"]), sorted(shown))
    for link in entry["links"]:
        theirs = shown.get(link["index"], {})
        at = "%s link %s" % (where, link["name"])
        expect(at + " name", link["name"], theirs.get("ifname"))
        expect(at + " mtu", link["mtu"], theirs.get("mtu"))
        expect(at + " mac", link["mac"], theirs.get("address"))
        expect(at + " master", link["master"], theirs.get("master"))
        expect(at + " state", link["state"], theirs.get("operstate"))
        expect(at + " up", link["up"], "UP" in theirs.get("flags", []))
        expect(at + " kind", link["kind"], theirs.get("linkinfo", {}).get("info_kind"))
        end = link["peer"] or link["parent"]
        if "link_netnsid" in theirs:
            expect(at + " other end's nsid", end and end["netnsid"], theirs["link_netnsid"])
            expect(at + " other end's index", end and end["index"], theirs.get("link_index"))
        elif "link" in theirs:  # the other end is in this namespace: ip names it
            expect(at + " other end", end and (end["name"], end["netns"]), (theirs["link"], entry["netns"]))
        elif "link_index" in theirs and theirs["link_index"]:
            expect(at + " other end's index", end and end["index"], theirs["link_index"])
        else:
            expect(at + " other end", end, None)


def check_addresses(entry, where):
    shown = sorted((link["ifname"], "%s/%d" % (addr["local"], addr["prefixlen"]))
                   for link in ip(entry, "addr", "show") for addr in link.get("addr_info", []))
    mine = sorted((addr["interface"], addr["address"]) for addr in entry["addresses"])
    expect(where + " addresses", mine, shown)


def check_routes(entry, where):
    shown = []
    for family in (4, 6):
        for route in ip(entry, "-%d" % family, "route", "show", "table", "all"):
            table = route.get("table", "main")
            if table == "local" and route.get("protocol") == "kernel":
                continue
            shown.append((full(route["dst"], family), route.get("gateway"), route.get("dev"), table))
    mine = [(route["dest"], route["gateway"], route["interface"], route["table"]) for route in entry["routes"]]
    expect(where + " routes", sorted(mine, key=str), sorted(shown, key=str))


def main():
    with open(sys.argv[1]) as result:
        found = json.load(result)["namespaces"]
    inodes = [entry["inode"] for entry in found]
    expect("namespaces reported twice", sorted(set(i for i in inodes if inodes.count(i) > 1)), [])
    for entry in found:
        where = "netns %s" % entry["netns"]
        for path in entry["paths"]:
            expect(where + " inode at " + path, entry["inode"], os.stat(path).st_ino)
        for process in entry["pids"]:
            try:
                expect("%s pid %d" % (where, process["pid"]), entry["inode"],
                       os.stat("/proc/%d/ns/net" % process["pid"]).st_ino)
            except FileNotFoundError:
                pass  # a short-lived process (ansible's own) has gone since
        if "links" in entry:
            check_links(entry, where)
            check_addresses(entry, where)
            check_routes(entry, where)
    for problem in problems:
        print(problem)
    print("compared %d namespaces with ip: %d mismatches" % (len(found), len(problems)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
