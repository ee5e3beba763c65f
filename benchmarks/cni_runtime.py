# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.netns contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The benchmark's containers made by CNI's reference plugins, called as a container runtime calls them.

    /usr/bin/python3 benchmarks/cni_runtime.py up N STATE_DIR     (inside tests/sandbox.sh only)
    /usr/bin/python3 benchmarks/cni_runtime.py down N STATE_DIR

The plugins are Debian's containernetworking-plugins (/usr/lib/cni). Per container, as libcni
does for a network configuration list: ``ip netns add cI`` first (the runtime makes the
namespace), then ADD of ``loopback`` (lo), then the list ``bridge`` (host-local IPAM, ipMasq,
isGateway, the default route) and ``portmap`` chained, each plugin given the previous one's
result as ``prevResult``; only c1 gets a published port (runtimeConfig portMappings,
8080 -> 80/tcp), the others run portmap with none, as a runtime would with the same list. The
runtime writes resolv.conf itself (CNI leaves DNS to it), as shell_baseline.sh does. The
result of the list is cached (libcni's /var/lib/cni/results) and given back on DEL, which
runs the list in reverse (portmap, bridge), then loopback, then ``ip netns del``.

Same names and addresses as benchmarks/topology.py (bridge bench0, subnet 10.200.0.0/16,
gateway .1, containers from .2 in order, host-local allocating sequentially); only the host
ends of the veths get the bridge plugin's own names (veth + random hex): it takes no name.
"""

import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import topology  # noqa: E402  (beside this file)

CNI_PATH = '/usr/lib/cni'
CNI_VERSION = '1.0.0'
PUBLISHED = {'c1': [dict(hostPort=8080, containerPort=80, protocol='tcp')]}


def network_list(network, state_dir):
    """The configuration list of one network: what a runtime reads from /etc/cni/net.d."""
    return {
        'cniVersion': CNI_VERSION,
        'name': 'bench%d' % network,
        'plugins': [
            {'type': 'bridge', 'bridge': topology.bridge(network), 'isGateway': True, 'ipMasq': True,
             'ipam': {'type': 'host-local',
                      'ranges': [[{'subnet': topology.subnet(network), 'gateway': topology.gateway(network)}]],
                      'routes': [{'dst': '0.0.0.0/0'}],
                      'dataDir': os.path.join(state_dir, 'ipam')}},
            {'type': 'portmap', 'capabilities': {'portMappings': True}, 'snat': True},
        ],
    }


LOOPBACK = {'cniVersion': CNI_VERSION, 'name': 'lo', 'type': 'loopback'}


def call(command, config, name):
    """One plugin call, as libcni's invoke makes it: env for the arguments, config on stdin."""
    env = dict(os.environ, CNI_COMMAND=command, CNI_CONTAINERID=name, CNI_NETNS='/run/netns/%s' % name,
               CNI_IFNAME='lo' if config['type'] == 'loopback' else 'eth0', CNI_PATH=CNI_PATH)
    done = subprocess.run([os.path.join(CNI_PATH, config['type'])], input=json.dumps(config).encode(), env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
    if done.returncode != 0:
        raise RuntimeError('%s %s %s: %s %s' % (config['type'], command, name, done.stdout.decode(),
                                                done.stderr.decode()))
    return json.loads(done.stdout) if done.stdout.strip() else None


def plugin_config(conflist, plugin, name, previous):
    """A list's plugin as libcni hands it over: the list's name and version, prevResult, runtimeConfig."""
    config = dict(plugin, name=conflist['name'], cniVersion=conflist['cniVersion'])
    if previous is not None:
        config['prevResult'] = previous
    if plugin.get('capabilities', {}).get('portMappings'):
        config['runtimeConfig'] = {'portMappings': PUBLISHED.get(name, [])}
    return config


def up(count, state_dir):
    lists = {network: network_list(network, state_dir) for network in range(topology.network_count(count))}
    results = os.path.join(state_dir, 'results')
    os.makedirs(results, exist_ok=True)
    for index in range(1, count + 1):
        name = 'c%d' % index
        conflist = lists[topology.network_of(index)]
        subprocess.run(['ip', 'netns', 'add', name], check=True)
        call('ADD', LOOPBACK, name)
        result = None
        for plugin in conflist['plugins']:
            result = call('ADD', plugin_config(conflist, plugin, name, result), name)
        with open(os.path.join(results, name), 'w') as out:
            json.dump(result, out)
        os.makedirs('/etc/netns/%s' % name, exist_ok=True)
        with open('/etc/netns/%s/resolv.conf' % name, 'w') as out:
            out.write('nameserver %s\n' % topology.gateway(topology.network_of(index)))


def down(count, state_dir):
    lists = {network: network_list(network, state_dir) for network in range(topology.network_count(count))}
    results = os.path.join(state_dir, 'results')
    for index in range(1, count + 1):
        name = 'c%d' % index
        conflist = lists[topology.network_of(index)]
        with open(os.path.join(results, name)) as cached:
            result = json.load(cached)
        for plugin in reversed(conflist['plugins']):
            call('DEL', plugin_config(conflist, plugin, name, result), name)
        call('DEL', LOOPBACK, name)
        os.unlink(os.path.join(results, name))
        subprocess.run(['ip', 'netns', 'del', name], check=True)


def main():
    action, count, state_dir = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    {'up': up, 'down': down}[action](count, state_dir)


if __name__ == '__main__':
    main()
