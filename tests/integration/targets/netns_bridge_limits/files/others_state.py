# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.netns contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Print the host's network state without one network's objects, as one JSON object.

    others_state.py REGISTRY_DIR NETWORK PREFIX [CONTAINER...]

Leaves out NETWORK (its bridge, vxlan-NETWORK, links named PREFIX..., its containers' namespaces,
its chains in nft, its registry and boot unit), keeps everything else (boot units and code too)
exactly as "ip -j", "nft -j" and the files say it, kernel handles included: what another network's creation and removal
must leave as it was. Counters and timers, which move by themselves, are dropped.
"""
import glob
import json
import os
import subprocess
import sys

VOLATILE = ('stats', 'stats64', 'operstate', 'tentative', 'dadfailed', 'counter', 'used', 'updated', 'confirmed')


def run_json(*argv):
    done = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, universal_newlines=True,
                          check=False)
    if done.returncode != 0 or not done.stdout.strip():
        return None
    return json.loads(done.stdout)


def link_local(value):
    """IPv6 link-local addresses (and their routes) appear by themselves once a link has carrier."""
    return isinstance(value, dict) and str(value.get('local') or value.get('dst') or '').startswith('fe80:')


def clean(value):
    if isinstance(value, dict):
        return dict((key, clean(item)) for key, item in value.items()
                    if key not in VOLATILE and not key.endswith('_timer'))
    if isinstance(value, list):
        return [clean(item) for item in value if not link_local(item)]
    return value


def read_file(path):
    if os.path.islink(path):
        return 'symlink to ' + os.readlink(path)
    if os.path.isdir(path):
        return 'directory'
    with open(path, 'rb') as source:
        return source.read().decode('utf-8', 'replace')


def main(registry_dir, network, prefix, *containers):
    mine = set([network, 'vxlan-' + network])

    def theirs(name):
        return name and name not in mine and not name.startswith(prefix) and name not in containers

    state = {}
    namespaces = sorted(entry['name'] for entry in run_json('ip', '-j', 'netns', 'list') or [])
    state['namespaces'] = [name for name in namespaces if theirs(name)]
    for ns in [None] + state['namespaces']:
        ip = ['ip'] if ns is None else ['ip', '-n', ns]
        where = ns or 'own'
        state[where + ' links'] = sorted(
            (clean(link) for link in run_json(*ip, '-d', '-j', 'link', 'show') or []
             if theirs(link['ifname']) and link.get('master') not in mine),
            key=lambda link: link['ifname'])
        state[where + ' addresses'] = sorted(
            (clean(link) for link in run_json(*ip, '-j', 'addr', 'show') or [] if theirs(link['ifname'])),
            key=lambda link: link['ifname'])
        for family in ('-4', '-6'):
            state[where + ' routes' + family] = [
                clean(route) for route in run_json(*ip, family, '-j', 'route', 'show', 'table', 'all') or []
                if theirs(route.get('dev')) and route.get('type') not in ('multicast', 'anycast')
                and not link_local(route)]
        # only the entries someone set (PERMANENT, NOARP): learnt ones come and go with time and with
        # the neighbour tables' garbage collection, which counts the entries of every namespace on the
        # machine (gc_thresh1): another suite's containers can age these out between two snapshots
        state[where + ' neighbours'] = sorted(
            '%s dev %s lladdr %s' % (entry['dst'], entry['dev'], entry['lladdr'])
            for entry in run_json(*ip, '-j', 'neigh', 'show') or [] if theirs(entry.get('dev')) and entry.get('lladdr')
            and set(entry.get('state') or ()) & {'PERMANENT', 'NOARP'})
    ruleset = []
    for entry in (run_json('nft', '-j', 'list', 'ruleset') or {}).get('nftables', []):
        kind, body = next(iter(entry.items()))
        chain = body.get('name') if kind == 'chain' else body.get('chain')
        if kind in ('chain', 'rule') and chain and chain.partition('.')[2] == network:
            continue
        if kind == 'rule' and ('"%s"' % network in json.dumps(body) or 'linuxnet-netns:%s"' % network
                               in json.dumps(body)):
            continue
        ruleset.append(clean(entry))
    state['nft'] = ruleset
    # what brings the networks back at boot: a unit each, and the code they share
    for path in sorted(glob.glob('/etc/systemd/system/**/linuxnet-netns*', recursive=True)
                       + glob.glob('/var/lib/linuxnet-netns/MANIFEST')):
        if network not in os.path.basename(path):
            state[path] = read_file(path)
    for path in sorted(glob.glob(os.path.join(registry_dir, 'docker_bridge.*'))):
        if not os.path.basename(path).startswith('docker_bridge.%s.' % network):
            with open(path) as source:
                state[path] = source.read()
    print(json.dumps(state, indent=1, sort_keys=True))


if __name__ == '__main__':
    main(*sys.argv[1:])
