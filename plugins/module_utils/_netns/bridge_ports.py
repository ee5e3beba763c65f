# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.netns contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""netns_bridge's bridge-ports stage: each container's host-side veth a hairpin port, and isolated (icc=false).

The items come from isolation.port_items; see isolation for why br_netfilter
turns the isolated flag off.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.linuxnet.netns.plugins.module_utils._netns import engine, namespaces
from ansible_collections.linuxnet.netns.plugins.module_utils._netns import netlink_requests as requests

PORT_OPTIONS = dict(
    name=dict(type='str'),
    isolated=dict(type='bool', default=False),
    hairpin=dict(type='bool', default=True),
)
# the bridge port flags the stage sets, by their IFLA_BRPORT_ attribute (all u8)
PORT_FLAGS = (('hairpin', 4), ('isolated', 33))
BR_NETFILTER = '/proc/sys/net/bridge/bridge-nf-call-iptables'


def read_port_flags(session):
    """{port name: {flag: bool}} of every bridge port of the session's namespace."""
    return dict((name, dict((flag, bool(found[kind])) for flag, kind in PORT_FLAGS if kind in found))
                for name, found in session.bridge_ports().items() if name is not None)


def bridged_through_iptables(session):
    """True where br_netfilter hands bridged IPv4 to the inet hooks (net.bridge.bridge-nf-call-iptables=1)."""
    if not session.exists:
        return False
    text = namespaces.read_inside(session.fd, BR_NETFILTER)
    return text is not None and text.strip() == '1'


def plan_ports(host, items, plan):
    """Set each veth's port flags as wanted; a veth this plan makes starts with every flag off."""
    current = {}
    bridged = {}
    for item in items:
        session = host.session(engine.netns_of(item))
        name = item['name']
        if item['isolated']:
            if id(session) not in bridged:
                bridged[id(session)] = bridged_through_iptables(session)
            if bridged[id(session)]:
                item = dict(item, isolated=False)  # the forward chain keeps them apart: see the module's doc
        # a port the kernel does not have (not made yet, or not a port) is not in the dump: no flag on.
        # Not asked of the links: after the veths are made, reading them again costs a dump of the
        # host's every link (issue 18, the second network at N=2000)
        if session.exists:
            if id(session) not in current:
                current[id(session)] = read_port_flags(session)
            found = current[id(session)].get(name) or {}
        else:
            found = {}
        have = dict((flag, bool(found.get(flag))) for flag, dummy in PORT_FLAGS)
        want = dict((flag, bool(item[flag])) for flag, dummy in PORT_FLAGS)
        if have != want:
            plan.state('%s port' % name, have, want)
            changes = ', '.join('%s %s' % (flag, 'on' if want[flag] else 'off')
                                for flag in sorted(want) if want[flag] != have[flag])
            where = '' if engine.netns_of(item) is None else ' in %s' % session.label
            plan.add('set bridge port %s %s%s' % (name, changes, where),
                     engine.Op(set_port_flags, session, name=name, flags=want),
                     engine.Op(set_port_flags, session, name=name, flags=have))


@engine.operation('bridge_port.set')
def set_port_flags(session, name, flags):
    """Set the bridge port flags (PORT_FLAGS: hairpin, isolated) of port name, as `bridge link set` does."""
    kinds = dict(PORT_FLAGS)
    session.send('set the port flags of %s' % name, requests.bridge_port(
        session.index_of(name), dict((kinds[flag], value) for flag, value in flags.items())))
