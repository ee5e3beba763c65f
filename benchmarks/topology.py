# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.netns contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The benchmark's containers: names and addresses, the same as shell_baseline.sh makes.

Container i (1-based) is namespace ``c<i>`` with ``eth0`` at 10.200.0.(i+1)/16 onwards,
cabled by ``veth-c<i>`` to the bridge ``bench0`` (10.200.0.1/16), its default route via
the bridge and ``nameserver 10.200.0.1`` in /etc/netns/c<i>/resolv.conf.

A Linux bridge holds 1024 ports, so past NETWORK_SIZE containers the next ones go to a network
of their own: containers 1001-2000 on ``bench1`` (10.201.0.1/16, addresses from 10.201.0.2),
and so on. Up to NETWORK_SIZE containers, everything is as above.
"""

import os

BRIDGE = 'bench0'
GATEWAY = '10.200.0.1'
PREFIX = 16
# containers per bridge: under the kernel's 1024 ports (BR_MAX_PORTS); smaller to try several networks cheaply
NETWORK_SIZE = int(os.environ.get('BENCH_NETWORK_SIZE', '1000'))


def network_of(index):
    """The 0-based network of container index (1-based)."""
    return (index - 1) // NETWORK_SIZE


def network_count(count):
    return max(1, (count + NETWORK_SIZE - 1) // NETWORK_SIZE)


def bridge(network):
    return 'bench%d' % network


def gateway(network):
    return '10.%d.0.1' % (200 + network)


def subnet(network):
    return '10.%d.0.0/%d' % (200 + network, PREFIX)


def container_address(index):
    host = (index - 1) % NETWORK_SIZE + 2
    return '10.%d.%d.%d' % (200 + network_of(index), host >> 8, host & 255)


def containers(count):
    return [dict(name='c%d' % index, address='%s/%d' % (container_address(index), PREFIX))
            for index in range(1, count + 1)]


def networks(count):
    """[(network, [container indexes])]: NETWORK_SIZE containers a network, the last one the rest."""
    return [(network, list(range(network * NETWORK_SIZE + 1, min(count, (network + 1) * NETWORK_SIZE) + 1)))
            for network in range(network_count(count))]


def host_end(name):
    return 'veth-%s' % name


def playbook_vars(count, state='present'):
    """Variables of containers.yml, the modules-only playbook (and of floor.yml, which ignores them)."""
    found = containers(count)
    names = [container['name'] for container in found]
    return dict(
        bench_state=state,
        bench_bridge=BRIDGE,
        bench_gateway=GATEWAY,
        bench_gateway_cidr='%s/%d' % (GATEWAY, PREFIX),
        bench_containers=found,
        bench_names=names,
        bench_veths=[dict(name=host_end(name), peer='eth0', peer_netns=name, master=BRIDGE)
                     for name in names],
        bench_addresses=[dict(netns=container['name'], interface='eth0', address=[container['address']])
                         for container in found],
        bench_routes=[dict(netns=name, dest='default', gateway=GATEWAY) for name in names],
        bench_resolv=[dict(name=name) for name in names],
    )


def role_vars(count, state='present'):
    """Variables of the role's playbook (docker_bridge.yml): the role's, and only those.

    As an inventory's group_vars would hold them: Ansible parses and copies every variable it
    is given, so the modules playbook's lists would cost the role time it would not have.
    """
    return dict(
        docker_bridge_mode='none',
        docker_bridge_state=state,
        docker_bridge_interface=BRIDGE,
        docker_bridge_subnet='10.200.0.0/%d' % PREFIX,
        docker_bridge_containers=[dict(name=container['name'], address=container['address'].split('/')[0])
                                  for container in containers(count)],
        docker_bridge_dns=[GATEWAY],
        docker_bridge_hosts_file=False,
        docker_bridge_veth_prefix='veth-',
    )


def role_networks_vars(count, state='present'):
    """Variables of docker_bridge_networks.yml: the role once per network, over several bridges."""
    return dict(
        docker_bridge_mode='none',
        docker_bridge_state=state,
        docker_bridge_hosts_file=False,
        docker_bridge_veth_prefix='veth-',
        bench_networks=[dict(interface=bridge(network), subnet=subnet(network), dns=[gateway(network)],
                             containers=[dict(name='c%d' % index, address=container_address(index))
                                         for index in indexes])
                        for network, indexes in networks(count)],
    )
