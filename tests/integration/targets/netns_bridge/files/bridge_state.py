# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.netns contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Print what netns_bridge manages, read from the kernel and the files, as one JSON object.

    bridge_state.py REGISTRY_FILE

Links, addresses and routes come from "ip -j" (of the sandbox's own namespace and of every
named one), the NAT rule set from "nft -j list table inet linuxnet_netns", the DNS files from
/etc/netns and from what "ip netns exec" shows a container as /etc/resolv.conf and /etc/hosts.
Each is condensed to what the target asserts: links by name, IPv4 addresses by link, IPv4
routes of the main table as "DEST [via GW] dev DEV" lines, nft rules per chain as JSON text.
"""
import json
import os
import subprocess
import sys

NFT_TABLE = ('inet', 'linuxnet_netns')


def run_json(*argv):
    """The command's JSON output, or None when it fails (a table or a namespace that is not there)."""
    done = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, universal_newlines=True,
                          check=False)
    if done.returncode != 0 or not done.stdout.strip():
        return None
    return json.loads(done.stdout)


def run_text(*argv):
    done = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, universal_newlines=True,
                          check=False)
    return done.stdout if done.returncode == 0 else None


def read(path):
    try:
        with open(path) as source:
            return source.read()
    except FileNotFoundError:
        return None


def links(ip):
    found = {}
    for link in run_json(*ip, '-j', '-d', 'link', 'show') or []:
        found[link['ifname']] = dict(
            kind=(link.get('linkinfo') or {}).get('info_kind'), master=link.get('master'), mtu=link['mtu'],
            mac=link.get('address'), up='UP' in link['flags'], link_netnsid=link.get('link_netnsid'))
    return found


def addresses(ip):
    return dict((link['ifname'], ['%s/%d' % (entry['local'], entry['prefixlen']) for entry in link['addr_info']])
                for link in run_json(*ip, '-j', '-4', 'addr', 'show') or [] if link['addr_info'])


def routes(ip):
    lines = []
    for route in run_json(*ip, '-j', '-4', 'route', 'show') or []:
        line = route['dst']
        if 'gateway' in route:
            line += ' via ' + route['gateway']
        lines.append(line + ' dev ' + route['dev'])
    return lines


def namespace(name):
    ip = ('ip', '-n', name)
    inside = ('ip', 'netns', 'exec', name)
    return dict(
        inode=os.stat('/run/netns/' + name).st_ino, links=links(ip), addresses=addresses(ip), routes=routes(ip),
        # what a process started with "ip netns exec" reads: the /etc/netns files bind-mounted over /etc
        resolv_conf=run_text(*inside, 'cat', '/etc/resolv.conf'), hosts=run_text(*inside, 'cat', '/etc/hosts'))


def nft():
    listing = run_json('nft', '-j', 'list', 'table', *NFT_TABLE)
    if listing is None:
        return None
    chains = {}
    for entry in listing['nftables']:
        if 'chain' in entry:
            chains.setdefault(entry['chain']['name'], [])
        elif 'rule' in entry:
            chains[entry['rule']['chain']].append(json.dumps(entry['rule']['expr'], sort_keys=True))
    return chains


def main(registry):
    names = sorted(os.listdir('/run/netns'))
    registry_text = read(registry)
    files = {}
    for top, _dirs, found in os.walk('/etc/netns'):
        for name in found:
            files[os.path.join(top, name)] = read(os.path.join(top, name))
    state = dict(
        namespaces=names, netns=dict((name, namespace(name)) for name in names),
        links=links(('ip',)), addresses=addresses(('ip',)), routes=routes(('ip',)), nft=nft(),
        etc_netns=sorted(os.listdir('/etc/netns')), files=files,
        ip_forward=read('/proc/sys/net/ipv4/ip_forward').strip(),
        registry=json.loads(registry_text) if registry_text is not None else None,
        registry_mode=oct(os.stat(registry).st_mode & 0o777) if registry_text is not None else None)
    print(json.dumps(state, sort_keys=True))


if __name__ == '__main__':
    main(sys.argv[1])
