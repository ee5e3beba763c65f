# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.netns contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""One record per link kind: everything the planners need to know of it, in one place.

Adding a kind (bond, ipvlan...) is adding a Kind here (and its options to the
module's documentation).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.linuxnet.netns.plugins.module_utils._netns import argspec, validation
from ansible_collections.linuxnet.netns.plugins.module_utils._netns.links import vxlan

MACVLAN_MODES = ['private', 'vepa', 'bridge', 'passthru', 'source']
ETH_MTUS = (68, validation.ETH_MAX_MTU)


class Kind(object):
    """What the planners know of one kind of link.

    module: the kernel module behind it, named when the kernel has no such kind.
    mtu_range: the MTUs its driver takes (min_mtu/max_mtu), for links not made yet.
    options: the netns_link options only this kind takes (argspec).
    parent: made over a parent link (IFLA_LINK), given as the option parent.
    takes_ports: can be a master (IFLA_MASTER of other links).
    restored: (prefix, names): the IFLA_<prefix>_<name> settings a deleted link's undo gives back.
    spec: item -> what creating one needs (data to compare with the kernel's, request arguments).
    clashes: (old link, spec, want) -> whether the kernel refuses a new one while old exists.
    made_by_netns_link: netns_link creates it (veth has a module of its own; some are only met).
    rules: between the options of an item that creates one (argspec.exclusive, needs, one_of).
    """

    def __init__(self, name, module=None, mtu_range=(None, None), options=None, parent=False, takes_ports=False,
                 restored=('', ()), spec=None, clashes=None, made_by_netns_link=True, rules=()):
        self.name = name
        self.module = module
        self.mtu_range = mtu_range
        self.options = options or {}
        self.parent = parent
        self.takes_ports = takes_ports
        self.restored = restored
        self.spec = spec or (lambda item: dict(parent=None, data={}, create={}))
        self.clashes = clashes or (lambda old, spec, want: False)
        self.made_by_netns_link = made_by_netns_link
        self.rules = rules

    def creation(self, item):
        """What creating one needs, from an item held to this kind's rules first."""
        argspec.check_rules(item, self.rules, item['_where'])
        return self.spec(item)


def _with_parent(item, data_key, value, create_key):
    validation.interface_name(item['parent'], 'parent')
    return dict(parent=item['parent'], data={data_key: value}, create={create_key: value})


def _vlan_spec(item):
    if not 1 <= item['vlan_id'] <= 4094:
        raise validation.ValidationError('vlan_id %d is out of range (1..4094)' % item['vlan_id'])
    return _with_parent(item, 'IFLA_VLAN_ID', item['vlan_id'], 'vlan_id')


def _macvlan_spec(item):
    return _with_parent(item, 'IFLA_MACVLAN_MODE', item['macvlan_mode'] or 'bridge', 'macvlan_mode')


def _same_vni_and_port(old, spec, want):  # one vxlan device per vni and UDP port
    return all(old['data'].get(attr) == spec['data'][attr] for attr in ('IFLA_VXLAN_ID', 'IFLA_VXLAN_PORT'))


def _same_mac(old, spec, want):  # one macvlan device per mac on a parent
    return want['mac'] is not None and want['mac'] == old['mac']


KINDS = dict((kind.name, kind) for kind in (
    Kind('veth', 'veth', ETH_MTUS, made_by_netns_link=False),
    Kind('bridge', 'bridge', ETH_MTUS, takes_ports=True,
         restored=('BR', ('FORWARD_DELAY', 'HELLO_TIME', 'MAX_AGE', 'AGEING_TIME', 'PRIORITY', 'GROUP_FWD_MASK',
                          'MCAST_SNOOPING'))),
    Kind('dummy', 'dummy'),
    Kind('vlan', '8021q', (0, validation.ETH_MAX_MTU), options=dict(vlan_id=dict(type='int')), parent=True,
         restored=('VLAN', ('ID',)), spec=_vlan_spec, rules=(argspec.needs('kind', 'vlan', ('vlan_id', 'parent')),)),
    Kind('vxlan', 'vxlan', ETH_MTUS, options=vxlan.OPTIONS, restored=vxlan.RESTORED, spec=vxlan.spec,
         clashes=_same_vni_and_port, rules=vxlan.RULES),
    Kind('macvlan', 'macvlan', ETH_MTUS, options=dict(macvlan_mode=dict(type='str', choices=MACVLAN_MODES)),
         parent=True, restored=('MACVLAN', ('MODE',)), spec=_macvlan_spec, clashes=_same_mac,
         rules=(argspec.needs('kind', 'macvlan', ('parent',)),)),
    # kinds this collection does not make, but whose links it may meet
    Kind('bond', takes_ports=True, made_by_netns_link=False),
    Kind('team', takes_ports=True, made_by_netns_link=False),
    Kind('vrf', takes_ports=True, made_by_netns_link=False),
    Kind('openvswitch', takes_ports=True, made_by_netns_link=False),
))
UNKNOWN = Kind(None)

LINK_KINDS = [kind.name for kind in KINDS.values() if kind.made_by_netns_link]
MASTER_KINDS = tuple(kind.name for kind in KINDS.values() if kind.takes_ports)
PARENT_KINDS = tuple(kind.name for kind in KINDS.values() if kind.parent)


def of(name):
    """The record of a kind, an empty one for a kind this collection knows nothing of (or None)."""
    return KINDS.get(name, UNKNOWN)


def options():
    """The options of every kind netns_link makes, for its argspec."""
    found = {}
    for kind in KINDS.values():
        found.update(kind.options)
    return found
