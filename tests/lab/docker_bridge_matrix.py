"""Connectivity matrix of the containers the role docker_bridge made on the lab's hosts.

    lab.sh exec /usr/bin/python3 tests/lab/docker_bridge_matrix.py STATE_DIR [--publish CONTAINER:HOST_PORT]

Runs in the lab namespace (the controller's place). Reads each host's containers and
addresses from the role's registry, starts a small TCP server (upstream.py serve, port 80)
in every container, and measures from inside every container, to every other one (ping
and TCP) and to the simulated internet (203.0.113.10:80, through the host's NAT); then,
from the internet's side, the published port of every host. Each TCP answer says which
source address the server saw, so the matrix shows where NAT happened. The servers it
started are stopped by PID. Exits 1 if anything is unreachable or NAT is not as expected,
or, with --mode none, if containers of different hosts reach each other.
"""
import argparse
import json
import os
import shlex
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
UPSTREAM = "203.0.113.10"
REGISTRY = "/etc/linuxnet-netns/docker_bridge.%s.json"
CELL = 15
# An HTTP/1.0 GET over bash's /dev/tcp (no curl on a fresh machine): prints what the server saw.
TCP_GET = ("timeout %s bash -c 'exec 3<>/dev/tcp/$0/$1 || exit 1; printf \"GET / HTTP/1.0\\r\\n\\r\\n\" >&3; "
           "cat <&3' %s %s 2>/dev/null | sed -n 's/^you are //p'")


def lab_hosts(state):
    """name -> underlay address, from the lab's inventory."""
    hosts = {}
    with open(os.path.join(state, "inventory.ini")) as inventory:
        for line in inventory:
            words = line.split()
            if words and words[0].startswith("h") and len(words) > 1 and words[1].startswith("ansible_host="):
                hosts[words[0]] = words[1].split("=", 1)[1]
    return hosts


class Lab(object):
    def __init__(self, state):
        self.ssh_config = os.path.join(state, "ssh_config")

    def ssh(self, host, script):
        done = subprocess.run(["ssh", "-F", self.ssh_config, host, script], capture_output=True, text=True,
                              check=False)
        if done.returncode != 0:
            raise SystemExit("on %s: %s failed: %s" % (host, script[:80], done.stderr.strip()))
        return done.stdout

    def each(self, hosts, work):
        with ThreadPoolExecutor(max_workers=len(hosts)) as pool:
            return dict(zip(hosts, pool.map(work, hosts)))


def start_servers(lab, host, containers, timeout):
    """Start upstream.py serve 0.0.0.0 80 in each container; return their PIDs once all listen."""
    server = "/usr/bin/python3 %s serve 0.0.0.0 80" % shlex.quote(os.path.join(HERE, "upstream.py"))
    lines = []
    for name in containers:
        lines.append("setsid ip netns exec %s %s </dev/null >/dev/null 2>&1 & echo $!" % (shlex.quote(name), server))
    for name in containers:
        lines.append("for i in $(seq %d); do ip netns exec %s ss -Hltn 'sport = :80' | grep -q . && break; "
                     "sleep 0.1; done" % (max(50, 10 * timeout), shlex.quote(name)))
    return lab.ssh(host, "\n".join(lines)).split()


def probe(lab, host, containers, everyone, timeout):
    """From each container of host: ping and TCP to every other container, TCP to the internet."""
    lines = []
    for name in containers:
        inside = "ip netns exec %s" % shlex.quote(name)
        for target, address in everyone.items():
            if target == (host, name):
                continue
            lines.append("(p=FAIL; %s ping -c1 -W%d -q %s >/dev/null 2>&1 && p=ok; t=$(%s %s); echo %s %s/%s $p ${t:-FAIL}) &"
                         % (inside, timeout, address, inside, TCP_GET % (timeout, address, 80), name, target[0],
                            target[1]))
        lines.append("(t=$(%s %s); echo %s internet ok ${t:-FAIL}) &" % (inside, TCP_GET % (timeout, UPSTREAM, 80), name))
    results = {}
    # all at once: an unreachable target costs its timeout once, not once per pair
    for line in lab.ssh(host, "\n".join(lines + ["wait"])).splitlines():
        source, target, pinged, seen = line.split()
        results[(source, target)] = (pinged == "ok", seen)
    return results


def published(underlay, port, timeout):
    done = subprocess.run("ip netns exec upstream " + TCP_GET % (timeout, underlay, port), shell=True,
                          capture_output=True, text=True, check=False)
    return done.stdout.strip() or "FAIL"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("state", help="the lab's state directory")
    parser.add_argument("--bridge", default="dbr0")
    parser.add_argument("--publish", default="c1:8080", help="CONTAINER:HOST_PORT published on every host")
    parser.add_argument("--mode", default="", help="the role's mode; with none, hosts must be apart")
    # VMs under software emulation (tests/vm) need more than simulated hosts
    parser.add_argument("--timeout", type=int, default=3, help="seconds for each ping and TCP probe")
    args = parser.parse_args()
    lab = Lab(args.state)
    underlay = lab_hosts(args.state)
    hosts = sorted(underlay, key=lambda name: int(name[1:]))
    registry = lab.each(hosts, lambda host: json.loads(lab.ssh(host, "cat " + REGISTRY % args.bridge)))
    containers = dict((host, sorted(registry[host]["containers"])) for host in hosts)
    everyone = dict(((host, name), entry["address"]) for host in hosts
                    for name, entry in sorted(registry[host]["containers"].items()))
    pids = lab.each(hosts, lambda host: start_servers(lab, host, containers[host], args.timeout))
    try:
        results = lab.each(hosts, lambda host: probe(lab, host, containers[host], everyone, args.timeout))
        publisher, port = args.publish.split(":")
        answers = dict((host, published(underlay[host], int(port), args.timeout)) for host in hosts)
    finally:
        lab.each(hosts, lambda host: lab.ssh(host, "kill %s" % " ".join(pids[host])) if pids[host] else "")
    return report(args, hosts, underlay, registry, everyone, results, answers, publisher, port)


def report(args, hosts, underlay, registry, everyone, results, answers, publisher, port):
    columns = ["%s/%s" % key for key in everyone] + ["internet"]
    print("Connectivity matrix%s, measured inside the containers" % (" (mode %s)" % args.mode if args.mode else ""))
    print("row: from; column: to; cell: the source address the destination saw on TCP :80 (ping ok too),")
    print("'.' for itself, FAIL if unreachable (ping-only if only ping got through)")
    print()
    print("%-26s" % "from \\ to" + "".join("%-*s" % (CELL, column) for column in columns))
    tally = dict(same=[0, 0], across=[0, 0], internet=[0, 0], published=[0, 0])
    for (host, name), address in everyone.items():
        row = "%-26s" % ("%s/%s %s" % (host, name, address))
        for column in columns:
            if column == "%s/%s" % (host, name):
                row += "%-*s" % (CELL, ".")
                continue
            pinged, seen = results[host][(name, column)]
            if column == "internet":
                kind, good = "internet", seen == underlay[host]  # masqueraded to the host's address
            elif column.split("/")[0] == host:
                kind, good = "same", pinged and seen != "FAIL"
            else:  # mode none keeps the hosts' containers apart
                # routed, not masqueraded: the other host's container sees this container's address
                kind, good = "across", (not pinged and seen == "FAIL") if args.mode == "none" else (
                    pinged and seen == address)
            tally[kind][0] += good
            tally[kind][1] += 1
            row += "%-*s" % (CELL, seen if seen == "FAIL" or good else ("ping-only" if pinged else "FAIL " + seen))
        print(row)
    print()
    print("published port: from the internet (upstream %s) to HOST:%s -> %s:80, the server saw:" % (UPSTREAM, port, publisher))
    for host in hosts:
        good = answers[host] == UPSTREAM  # destination NAT only, the client's address kept
        tally["published"][0] += good
        tally["published"][1] += 1
        print("  %s %s:%s -> %s %s  %s" % (host, underlay[host], port, publisher,
                                           registry[host]["containers"].get(publisher, {}).get("address"),
                                           answers[host] if good else "FAIL (%s)" % answers[host]))
    print()
    labels = dict(same="same host", across="across hosts" + (" (apart, as mode none wants)" if args.mode == "none" else ""),
                  internet="internet through NAT",
                  published="published port from the internet")
    summary = ", ".join("%s %d/%d" % (labels[kind], ok, total) for kind, (ok, total) in tally.items())
    failed = any(ok != total for ok, total in tally.values())
    print("%s: %s" % ("FAILED" if failed else "as expected", summary))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
