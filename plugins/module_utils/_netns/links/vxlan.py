# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.netns contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A vxlan link: its settings (vni, port, local, remote or group, device) and its flood list (remotes)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress

from ansible_collections.linuxnet.netns.plugins.module_utils._netns import argspec, engine, validation
from ansible_collections.linuxnet.netns.plugins.module_utils._netns import netlink_requests as requests

DEFAULT_PORT = 4789
FLOOD_MAC = '00:00:00:00:00:00'  # the vxlan FDB entry for broadcast and unknown destinations
OPTIONS = dict(
    vni=dict(type='int'),
    local=dict(type='str'),
    remote=dict(type='str'),
    group=dict(type='str'),
    dstport=dict(type='int'),
    device=dict(type='str'),
    remotes=dict(type='list', elements='str'),
)
# The settings of a deleted vxlan that its undo gives back: IFLA_VXLAN_<name>, as pyroute2 reads and takes them
RESTORED = ('VXLAN', ('ID', 'PORT', 'GROUP', 'GROUP6', 'LOCAL', 'LOCAL6', 'LINK', 'TTL', 'TOS', 'LEARNING', 'AGEING',
                      'LIMIT', 'PROXY', 'RSC', 'L2MISS', 'L3MISS', 'UDP_CSUM', 'UDP_ZERO_CSUM6_TX',
                      'UDP_ZERO_CSUM6_RX'))


RULES = (
    argspec.needs('kind', 'vxlan', ('vni',)),
    argspec.exclusive('remote', 'group'),
    argspec.exclusive('remotes', ('remote', 'group'), message='remotes replaces remote and group; give only one of them'),
)


def spec(item):
    if not 0 <= item['vni'] < 1 << 24:
        raise validation.ValidationError('vni %d is out of range (0..16777215)' % item['vni'])
    port = item['dstport'] if item['dstport'] is not None else DEFAULT_PORT
    if not 1 <= port <= 65535:
        raise validation.ValidationError('dstport %d is out of range (1..65535)' % port)
    data = {'IFLA_VXLAN_ID': item['vni'], 'IFLA_VXLAN_PORT': port}
    create = {'vxlan_id': item['vni'], 'vxlan_port': port}
    for option, attr in (('local', 'LOCAL'), ('remote', 'GROUP'), ('group', 'GROUP')):
        if item[option]:
            address = validation.ip_address(item[option], option)
            if option == 'group' and not address.is_multicast:
                raise validation.ValidationError('group %s is not a multicast address; use remote '
                                                 'for a unicast peer' % address)
            if option == 'remote' and address.is_multicast:
                raise validation.ValidationError('remote %s is a multicast address; use group' % address)
            suffix = '6' if address.version == 6 else ''
            data['IFLA_VXLAN_%s%s' % (attr, suffix)] = str(address)
            create['vxlan_%s%s' % (attr.lower(), suffix)] = str(address)
    local = item['local'] and validation.ip_address(item['local'], 'local')
    far = (item['remote'] or item['group']) and validation.ip_address(item['remote'] or item['group'])
    if local and far and local.version != far.version:
        raise validation.ValidationError('local %s is IPv%d but %s %s is IPv%d'
                                         % (local, local.version, 'remote' if item['remote'] else 'group',
                                            far, far.version))
    if item['device']:
        validation.interface_name(item['device'], 'device')
    return dict(parent=None, device=item['device'], data=data, create=create,
                remotes=_flood_addresses(item['remotes'], data))


def _flood_addresses(remotes, data):
    """The remotes as sorted unique unicast addresses of the local address's family, or None."""
    if remotes is None:
        return None
    local_version = 6 if 'IFLA_VXLAN_LOCAL6' in data else 4 if 'IFLA_VXLAN_LOCAL' in data else None
    addresses = set()
    for value in remotes:
        address = validation.ip_address(value, 'remotes')
        if address.is_multicast or address.is_unspecified:
            raise validation.ValidationError('remotes: %s is not a unicast address' % address)
        if local_version is not None and address.version != local_version:
            raise validation.ValidationError('remotes: %s is not IPv%d like local' % (address, local_version))
        addresses.add(address)
    if len(set(address.version for address in addresses)) > 1:
        raise validation.ValidationError('remotes mixes IPv4 and IPv6 addresses')
    return [str(address) for address in sorted(addresses)]


def flood_list(session, link):
    """The remotes a vxlan link floods to now: the destinations of its all-zeros FDB entries."""
    if link is None or link['index'] is None or link['kind'] != 'vxlan' or not session.exists:
        return []
    found = set(ipaddress.ip_address(u'%s' % entry['dst']) for entry in session.forwarding_entries(link['index'])
                if entry['dst'] and entry['lladdr'] == FLOOD_MAC)
    return [str(address) for address in sorted(found)]


@engine.operation('fdb.flood_entry')
def flood_entry(session, name, command, address):
    """bridge fdb append/del 00:00:00:00:00:00 dev NAME dst ADDRESS."""
    session.send('%s flood entry %s on %s' % (command, address, name),
                 requests.forwarding_entry(command, session.index_of(name), FLOOD_MAC, address))


def plan_flood_list(plan, session, name, current, wanted):
    """An entry added or removed for each remote that differs."""
    def entry(command, address):
        return engine.Op(flood_entry, session, name=name, command=command, address=address)
    for address in wanted:
        if address not in current:
            plan.add('add remote %s to the flood list of %s in %s' % (address, name, session.label),
                     entry('append', address), entry('del', address))
    for address in current:
        if address not in wanted:
            plan.add('remove remote %s from the flood list of %s in %s' % (address, name, session.label),
                     entry('del', address), entry('append', address))
