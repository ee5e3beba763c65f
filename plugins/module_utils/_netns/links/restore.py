# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.netns contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Deleting a link so that a rollback can make it again, as it was read.

The state saved at planning time (the link, its addresses, a veth's other
end) is the undo operation's arguments: plain data.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress

from ansible_collections.linuxnet.netns.plugins.module_utils._netns import engine, netlink
from ansible_collections.linuxnet.netns.plugins.module_utils._netns.links import attrs, kinds


def plan_delete(plan, session, name, what, peer=None):
    """Delete a link; undone by making it again as it was read (see restore_link).

    peer: (session, link) of a veth's other end, which goes with it; a veth
    whose other end is not known cannot be made again.
    """
    plan.add('delete %s %s in %s' % (what, name, session.label), engine.Op(attrs.delete_link, session, name=name),
             _restorer(session, session.link(name), peer))
    session.plan_link_gone(name)
    if peer is not None and peer[1] is not None:
        peer[0].plan_link_gone(peer[1]['name'])


def _restorer(session, link, peer):
    """The undo of deleting link, or None where it cannot be made again."""
    if link is None or link['index'] is None or link['kind'] is None:
        return None  # planned by this task only, or a physical interface (never deleted)
    if link['kind'] != 'veth':
        if link['link_netnsid'] is not None:
            return None  # its parent is in another namespace
        return engine.Op(restore_link, session, saved=_saved(session, link))
    peer_session, peer_link = peer if peer is not None else (None, None)
    if peer_link is None or peer_link['index'] is None:
        return None
    return engine.Op(restore_link, session, saved=_saved(session, link), peer_fd=peer_session.fd,
                     saved_peer=_saved(peer_session, peer_link))


def _saved(session, link):
    """A copy, as plain data, of what restore_link needs, taken now: the plan's model changes as planning goes on.

    The kind data stays the read-only mapping it was read as: pyroute2 decodes
    a bridge's, vlan's or macvlan's only if the undo runs (a plain delete does
    not import pyroute2; a vxlan's is read without it).
    """
    return dict(link=dict(link),
                addresses=[dict(record) for record in session.addresses() if record['index'] == link['index']])


@engine.operation('link.restore')
def restore_link(session, saved, peer_fd=None, saved_peer=None):
    """Make a deleted link again: its index, name, kind settings, mtu, mac, master, state, addresses.

    What the kernel dropped with it and no one recorded (routes through it,
    neighbours, forwarding entries, a bridge's ports) does not come back.
    """
    link = saved['link']
    kwargs = restored_settings(session, link)
    peer_session = netlink.session_on(peer_fd, session) if saved_peer is not None else None
    if saved_peer is not None:
        peer = saved_peer['link']
        spec = dict(ifname=peer['name'], mtu=peer['mtu'], address=peer['mac'])
        if peer_session is not session:
            spec['net_ns_fd'] = peer_fd
        kwargs['peer'] = dict((key, value) for key, value in spec.items() if value is not None)
    attrs.add_link(session, link['kind'], link['name'], index=link['index'], **kwargs)
    if saved_peer is not None:
        # the kernel ignores the admin state given for the peer in RTM_NEWLINK
        attrs.set_link(peer_session, peer['name'], dict(up=peer['up'], master=peer['master']))
        _restore_addresses(peer_session, saved_peer)
    _restore_addresses(session, saved)


def restored_settings(session, link):
    kwargs = dict(state='up' if link['up'] else 'down')
    if link['mtu']:
        kwargs['mtu'] = link['mtu']
    if link['mac'] and not _unset_bridge_id(link):
        kwargs['address'] = link['mac']
    if link['master']:
        kwargs['master'] = session.index_of(link['master'])
    kind = kinds.of(link['kind'])
    if kind.parent and link['link_index']:
        kwargs['link'] = link['link_index']
    prefix, names = kind.restored
    for name in names:
        value = link['data'].get('IFLA_%s_%s' % (prefix, name))
        if value is not None:
            kwargs['%s_%s' % (prefix.lower(), name.lower())] = value
    return kwargs


def _unset_bridge_id(link):
    """A bridge that still has the random mac it was made with and no port yet (bridge id 0).

    Giving it that mac back would make the mac its bridge id, which also turns
    its carrier off while it has no ports: it gets a new random mac instead.
    """
    bridge_id = link['data'].get('IFLA_BR_BRIDGE_ID') if link['kind'] == 'bridge' else None
    return isinstance(bridge_id, dict) and bridge_id.get('addr') == '00:00:00:00:00:00'


def _restore_addresses(session, saved):
    name = saved['link']['name']
    for record in saved['addresses']:
        if record['family'] == 6 and ipaddress.ip_address(u'%s' % record['address']).is_link_local:
            continue  # the kernel makes it again from the mac as the link comes up
        kwargs = dict(address=record['address'], prefixlen=record['prefixlen'])
        if record.get('broadcast'):
            kwargs['broadcast'] = record['broadcast']
        session.call('add %s/%d to %s again' % (record['address'], record['prefixlen'], name), 'addr', 'add',
                     index=session.index_of(name), **kwargs)
