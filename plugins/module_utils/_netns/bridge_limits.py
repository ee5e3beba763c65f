# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.netns contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""netns_bridge against what the host already has: the underlay's MTU, the bridge's port limit,
the other networks on the host, and what still points at peers that left the cluster.

Everything here reads the host's own namespace before anything is changed (checks that refuse
a task do so before its first change), except plan_forgotten_peers, a stage of the task.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import json
import os

from ansible_collections.linuxnet.netns.plugins.module_utils._netns import engine, isolation, safe_files
from ansible_collections.linuxnet.netns.plugins.module_utils._netns import netlink_requests as requests
from ansible_collections.linuxnet.netns.plugins.module_utils._netns.bridge_containers import PlanError
from ansible_collections.linuxnet.netns.plugins.module_utils._netns.links.vxlan import FLOOD_MAC

# BR_MAX_PORTS is 1024 port numbers, and the kernel never gives number 0 to a port ("Exchange full")
BRIDGE_PORTS_MAX = 1023
# outer Ethernet, IP, UDP and VXLAN headers, by the underlay's IP version
VXLAN_OVERHEAD = {4: 50, 6: 70}


def _address(value):
    try:
        return ipaddress.ip_address(u'%s' % (value,))
    except ValueError:
        return None


def underlay_link(session, params):
    """The link the overlay's packets leave by: vxlan_device if given, else the one holding underlay_address."""
    if params.get('vxlan_device'):
        return session.kernel_link(params['vxlan_device'])
    wanted = _address(params.get('underlay_address'))
    for entry in session.addresses():
        if wanted is not None and _address(entry['address']) == wanted:
            return session.kernel_link(session.link_name(entry['index']))
    return None


def network_mtu(host, params, warn):
    """The MTU the network's links get: mtu if given, else in mode vxlan the underlay's less the
    encapsulation (None: plan_bridge's default); a given mtu the underlay cannot carry is warned."""
    underlay = _address(params.get('underlay_address'))
    if params['mode'] != 'vxlan' or params['state'] != 'present' or underlay is None:
        return params['mtu']
    link = underlay_link(host.session(None), params)
    if link is None or not link.get('mtu'):
        return params['mtu']
    fits = link['mtu'] - VXLAN_OVERHEAD[underlay.version]
    if params['mtu'] is None:
        return fits
    if params['mtu'] > fits:
        warn('mtu %d is larger than the underlay %s carries through VXLAN over IPv%d (its MTU %d less %d): '
             'larger packets between hosts are dropped or fragmented; leave mtu unset to follow the underlay'
             % (params['mtu'], link['name'], underlay.version, link['mtu'], VXLAN_OVERHEAD[underlay.version]))
    return params['mtu']


def _own_links(params, wanted):
    own = set([params['name']])
    own.update(link['name'] for link in wanted['links'])
    own.update(veth['name'] for veth in wanted['veths'])
    return own


def check_ports(session, params, wanted):
    """Refuse more ports than a Linux bridge takes, counting the ports it has that are not ours."""
    ours = set(veth['name'] for veth in wanted['veths'])
    ports = set(name for name, link in session.kernel_links().items() if link.get('master') == params['name'])
    foreign = sorted(ports - ours)
    staying = set(container['veth'] for container in wanted['containers']) | (ports & ours)
    needed = len(staying) + len(foreign)
    if needed <= BRIDGE_PORTS_MAX:
        return
    parts = ['%d containers' % len(wanted['containers'])]
    if len(staying) > len(wanted['containers']):
        parts.append('%d leaving only once the others are made' % (len(staying) - len(wanted['containers'])))
    if foreign:
        shown = ', '.join(foreign[:5]) + (' ...' if len(foreign) > 5 else '')
        parts.append('%d other ports already on it: %s' % (len(foreign), shown))
    raise PlanError('bridge %s would need %d ports (%s), but a Linux bridge takes at most %d (BR_MAX_PORTS 1024, '
                    'port number 0 unused); nothing was changed. Spread the containers over several networks '
                    '(another name and subnet each)' % (params['name'], needed, '; '.join(parts), BRIDGE_PORTS_MAX))


def check_subnet(session, params, wanted):
    """Refuse a subnet (or subnet6) that overlaps an address of another interface of the host (another network's)."""
    own = _own_links(params, wanted)
    for option in ('subnet', 'subnet6'):
        if not wanted.get(option):
            continue
        subnet = ipaddress.ip_network(u'%s' % wanted[option])
        for entry in session.addresses():
            name = session.link_name(entry['index'])
            if name in own or entry['family'] != subnet.version:
                continue
            network = ipaddress.ip_interface(u'%s/%d' % (entry['address'], entry['prefixlen'])).network
            if network.overlaps(subnet):
                raise PlanError('%s %s overlaps %s/%d on %s, which is not this network\'s (another network on '
                                'this host?); give each network on a host a subnet of its own'
                                % (option, subnet, entry['address'], entry['prefixlen'], name))


def check_vni(session, params, wanted):
    """Refuse a VNI and port another VXLAN device of the host has: the kernel takes each pair once."""
    mine = [link for link in wanted['links'] if link.get('kind') == 'vxlan' and link.get('state') != 'absent']
    own = _own_links(params, wanted)
    for link in mine:
        for name, other in session.kernel_links().items():
            if name in own or other.get('kind') != 'vxlan':
                continue
            data = other.get('data') or {}
            if data.get('IFLA_VXLAN_ID') == link['vni'] and data.get('IFLA_VXLAN_PORT', 4789) == link['dstport']:
                raise PlanError('vxlan_vni %d on vxlan_port %d is taken by VXLAN device %s of this host (another '
                                'network?); the kernel takes each VNI and port once: give this network another '
                                'vxlan_vni' % (link['vni'], link['dstport'], name))


def _claims(registry_dir, network):
    """What the registry of another network names: {(what, name)}; an unreadable one names nothing."""
    path = os.path.join(registry_dir, 'docker_bridge.%s.json' % network)
    try:
        found = safe_files.read(path, os.path.dirname(os.path.dirname(path.rstrip('/'))) or '/')
        registry = json.loads(found.data.decode('utf-8')) if found is not None else {}
        claims = set([('VXLAN device', registry['vxlan'])]) if registry.get('vxlan') else set()
        for name, entry in (registry.get('containers') or {}).items():
            claims.update([('container', name), ('veth', entry.get('veth'))])
        return claims
    except (IOError, OSError, ValueError, AttributeError, TypeError, safe_files.UnsafePath):
        return set()


def check_other_networks(params, wanted):
    """Refuse a container, veth or VXLAN device another network of netns_bridge made on this host:
    their names are the host's (one namespace per name), not a network's."""
    mine = set(('container', container['name']) for container in wanted['containers'])
    mine.update(('veth', container['veth']) for container in wanted['containers'])
    mine.update(('VXLAN device', link['name']) for link in wanted['links']
                if link.get('kind') == 'vxlan' and link.get('state') != 'absent')
    for network in isolation.other_networks(params['registry_dir'], params['name']):
        taken = sorted(mine & _claims(params['registry_dir'], network))
        if taken:
            what, name = taken[0]
            raise PlanError('%s %s is network %s\'s already (its registry names it); names of containers, veths '
                            'and VXLAN devices are the host\'s, not a network\'s: give this one another%s'
                            % (what, name, network, {'container': ' name', 'veth': ' veth_prefix',
                                                     'VXLAN device': ' vxlan_interface'}[what]))


def check_host(host, params, wanted):
    """What the host has that this network would clash with: refused before any change."""
    if params['state'] != 'present':
        return
    check_other_networks(params, wanted)
    session = host.session(None)
    check_ports(session, params, wanted)
    check_subnet(session, params, wanted)
    check_vni(session, params, wanted)


# -- peers that left --------------------------------------------------------------------------

def peers_item(params, wanted):
    """What the VXLAN device may still point at (None: no VXLAN device of ours stays)."""
    vxlan = [link for link in wanted['links'] if link.get('kind') == 'vxlan' and link.get('state') != 'absent']
    if not vxlan:
        return None
    return dict(interface=vxlan[0]['name'], remotes=list(vxlan[0].get('remotes') or []),
                gateways=[peer['gateway'] for peer in wanted['peers']])


@engine.operation('fdb.forget')
def forget_fdb_entry(session, name, mac, address):
    """bridge fdb del MAC dev NAME dst ADDRESS."""
    session.send('remove the forwarding entry %s to %s on %s' % (mac, address, name),
                 requests.forwarding_entry('del', session.index_of(name), mac, address))


@engine.operation('fdb.relearn')
def relearn_fdb_entry(session, name, mac, address):
    """bridge fdb append MAC dev NAME dst ADDRESS: a forgotten entry back, as the kernel had learnt it."""
    session.send('put back the forwarding entry %s to %s on %s' % (mac, address, name),
                 requests.forwarding_entry('append', session.index_of(name), mac, address))


@engine.operation('neigh.forget')
def forget_neighbour(session, name, address, mac=None):
    """ip neigh del ADDRESS dev NAME (mac: what it resolved to, for the undo)."""
    session.send('remove the neighbour entry %s on %s' % (address, name),
                 requests.neighbour('del', session.index_of(name), address))


@engine.operation('neigh.relearn')
def relearn_neighbour(session, name, address, mac=None):
    """ip neigh add ADDRESS lladdr MAC dev NAME nud stale: a forgotten entry back, to be confirmed on use."""
    if mac:
        session.send('put back the neighbour entry %s on %s' % (address, name),
                     requests.neighbour('add', session.index_of(name), address, lladdr=mac, state=requests.NUD_STALE))


def stale_entries(session, item):
    """(fdb entries, neighbour entries) of the VXLAN device that point at no current peer, when a peer
    leaves: when its flood list (read before the link planner changes it) has a host that is no peer.

    The flood list (all-zeros entries) is the link planner's; what is left is what the kernel
    learnt: a MAC behind a host's underlay address, a host's overlay address (its gateway). Only
    on the run that drops a peer: a host that left but still sends is learnt again, and its
    entries age out (300 s) - a rerun does not chase them.
    """
    link = session.kernel_link(item['interface'])
    if link is None or link['index'] is None or link.get('kind') != 'vxlan' or not session.exists:
        return [], []  # made by this task: nothing learnt yet
    remotes = set(_address(value) for value in item['remotes'])
    gateways = set(_address(value) for value in item['gateways'])
    fdb, leaving = [], set()
    for entry in session.forwarding_entries(link['index']):
        mac = entry['lladdr'] or ''
        destination = _address(entry['dst'])
        if destination is None or not mac or destination in remotes:
            continue
        if mac == FLOOD_MAC:
            leaving.add(destination)
        else:
            fdb.append((mac, str(destination)))
    if not leaving:
        return [], []
    neighbours = []
    for entry in session.neighbours(link['index']):
        address = _address(entry['dst'])
        if address is None or address.is_multicast or entry['state'] & (requests.NUD_NOARP | requests.NUD_PERMANENT):
            continue
        if address not in gateways:
            neighbours.append((str(address), entry['lladdr']))
    return sorted(set(fdb)), sorted(set(neighbours))


def plan_forgotten_peers(host, items, plan):
    """Remove the learnt entries of the VXLAN device that point at hosts no longer in the cluster."""
    for item in items:
        session = host.session(None)
        name = item['interface']
        fdb, neighbours = stale_entries(session, item)
        for mac, address in fdb:
            entry = dict(name=name, mac=mac, address=address)
            plan.add('remove the forwarding entry %s to %s (no longer a peer) from %s' % (mac, address, name),
                     engine.Op(forget_fdb_entry, session, **entry), engine.Op(relearn_fdb_entry, session, **entry))
        for address, mac in neighbours:
            entry = dict(name=name, address=address, mac=mac)
            plan.add('remove the neighbour entry %s (no longer a peer) from %s' % (address, name),
                     engine.Op(forget_neighbour, session, **entry), engine.Op(relearn_neighbour, session, **entry))
        if fdb or neighbours:
            plan.state('%s learnt entries' % name,
                       dict(fdb=['%s dst %s' % entry for entry in fdb],
                            neighbours=[address for address, mac in neighbours]),
                       dict(fdb=[], neighbours=[]))
