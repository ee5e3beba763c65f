# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.netns contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What every link has, whichever module manages it: mtu, mac, master, admin state.

They are converged with one RTM_NEWLINK per link. Here too the requests
every kind shares, as registered operations: create, set, rename, move, delete.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import random

from ansible_collections.linuxnet.netns.plugins.module_utils._netns import engine, netlink, validation
from ansible_collections.linuxnet.netns.plugins.module_utils._netns import netlink_requests as requests
from ansible_collections.linuxnet.netns.plugins.module_utils._netns.engine import PlanFailure
from ansible_collections.linuxnet.netns.plugins.module_utils._netns.links import kinds
from ansible_collections.linuxnet.netns.plugins.module_utils._netns.netlink import NetlinkFailure


def desired_attrs(item, state, mac_key='mac'):
    """mtu/mac/master/up as asked, and the netdev group (netns_bridge's own '_group'); None means "leave as it is"."""
    master = item.get('master')
    if master:
        validation.interface_name(master, 'master')
    return dict(
        mtu=validation.mtu(item.get('mtu')),
        mac=validation.mac_address(item.get(mac_key), mac_key),
        master=master,
        up=(state != 'down'),
        group=item.get('_group'),
    )


def shown(link):
    """The part of a link the modules manage, for diff (its netdev group where it is not the default)."""
    if link is None:
        return None
    found = dict((key, link.get(key)) for key in ('kind', 'mtu', 'mac', 'master', 'up'))
    if link.get('group'):
        found['group'] = link['group']
    return found


def require_link(host, session, name, what):
    host.require(session.link(name) is not None, '%s %s does not exist in %s' % (what, name, session.label))


def require_master(host, session, name):
    """The master must exist and be a kind that takes ports (the kernel says only "not supported")."""
    require_link(host, session, name, 'master')
    master = session.link(name)
    if master is not None and not kinds.of(master['kind']).takes_ports:
        raise PlanFailure('master %s in %s is a %s, not a bridge; only a %s can be a master'
                          % (name, session.label, master['kind'] or 'physical interface',
                             ', '.join(kinds.MASTER_KINDS)))


def converge_attrs(host, plan, session, name, link, want):
    """Plan one RTM_NEWLINK that sets what differs on an existing link."""
    if want['master']:
        require_master(host, session, want['master'])
    if want['mtu'] != link.get('mtu'):
        validation.mtu_for_link(want['mtu'], name, link.get('min_mtu'), link.get('max_mtu'))
    old, new = {}, {}
    for key in ('mtu', 'mac', 'master', 'up', 'group'):
        if want.get(key) is not None and link.get(key) != want[key] and (want[key] != '' or link.get(key)):
            old[key], new[key] = link.get(key), want[key]
    if not new:
        return
    summary = 'set %s on %s in %s' % (', '.join('%s=%s' % item for item in sorted(new.items())),
                                      name, session.label)
    plan.add(summary, engine.Op(set_link, session, name=name, attrs=new),
             engine.Op(set_link, session, name=name, attrs=old))
    session.plan_link_update(name, **new)


@engine.operation('link.set')
def set_link(session, name, attrs):
    """Set attrs (mtu, mac, master by name, '' for none; up) on the link called name."""
    settings = dict(mtu=attrs.get('mtu'), mac=attrs.get('mac'), up=attrs.get('up'), group=attrs.get('group'))
    if 'master' in attrs:
        settings['master'] = session.index_of(attrs['master']) if attrs['master'] else 0
    session.send('set link %s' % name, requests.set_link(index=session.index_of(name), **settings))


def create_settings(want, up=None):
    """The arguments of RTM_NEWLINK for the attributes every link has (master apart: see create_link)."""
    settings = {}
    if want['mtu'] is not None:
        settings['mtu'] = want['mtu']
    if want['mac'] is not None:
        settings['address'] = want['mac']
    if want.get('group') is not None:
        settings['group'] = want['group']
    settings['state'] = 'up' if (want['up'] if up is None else up) else 'down'
    return settings


def model(name, kind, want):
    """A link as it will be once the plan is applied (no index yet)."""
    low, high = kinds.of(kind).mtu_range
    return dict(index=None, name=name, kind=kind, mtu=want['mtu'], mac=want['mac'],
                master=want['master'], up=want['up'], link_index=None, link_netnsid=None, data={},
                min_mtu=low, max_mtu=high, group=want.get('group'))


def check_new_mtu(session, name, kind, want, parent=None):
    """Refuse, before any change, an mtu the new link's driver or its parent would refuse."""
    validation.mtu_for_link(want['mtu'], name, *kinds.of(kind).mtu_range)
    parent_link = session.link(parent) if parent else None
    if want['mtu'] and parent_link is not None and parent_link.get('mtu') and want['mtu'] > parent_link['mtu']:
        raise PlanFailure('mtu %d of %s %s is larger than the mtu %d of its parent %s in %s'
                          % (want['mtu'], kind, name, parent_link['mtu'], parent, session.label))


@engine.operation('link.create')
def create_link(session, kind, name, settings, parent=None, device=None, master=None, peer=None, peer_fd=None,
                peer_up=False, peer_ipv6_link_local=None):
    """Make a link. parent, device, master: names, looked up as it is made.

    settings: create_settings' (mtu, address, state), and the kind's own
    (vlan_id, vxlan_*, ...). peer: a veth's other end (ifname, mtu, address)
    in the namespace behind peer_fd; peer_up brings it up after (the kernel
    ignores the admin state given for the peer in RTM_NEWLINK).
    peer_ipv6_link_local=False: the peer makes no IPv6 link-local address, said
    while it is still down (netlink_requests.link_settings).
    """
    kwargs = dict(settings)
    if parent:
        kwargs['link'] = session.index_of(parent)
    if device:
        kwargs['vxlan_link'] = session.index_of(device)
    if master:
        kwargs['master'] = session.index_of(master)
    if peer is not None:
        kwargs['peer'] = dict(peer)
        if peer_fd != session.fd:
            kwargs['peer']['net_ns_fd'] = peer_fd
    add_link(session, kind, name, **kwargs)
    if peer is None:
        return
    # the peer by name, as the kernel finds it itself (asking for its index first costs a request)
    peer_session = netlink.session_on(peer_fd, session)
    if peer_ipv6_link_local is False:
        peer_session.send('give %s no IPv6 link-local address' % peer['ifname'],
                          requests.set_link(name=peer['ifname'], ipv6_link_local=False), planned=True)
    if peer_up:
        peer_session.send('bring %s up' % peer['ifname'], requests.set_link(name=peer['ifname'], up=True), planned=True)


# what create_settings gives and the kernel takes without kind-specific data
_PLAIN_SETTINGS = frozenset(('mtu', 'address', 'state', 'link', 'master', 'peer', 'group'))


def add_link(session, kind, ifname, **kwargs):
    """RTM_NEWLINK for a new link; a bridge gets its mtu in a second request.

    The kernel lowers a bridge's MTU to its smallest port's each time a port
    joins, unless the MTU was set on the bridge once it existed (given at
    creation it does not count): a bridge made with its ports in one task
    would otherwise need a second run to settle.
    """
    bridge_mtu = kwargs.pop('mtu', None) if kind == 'bridge' else None
    what = 'create %s %s' % (kind, ifname)
    try:
        packed = requests.KIND_DATA.get(kind, (frozenset(), None))[0]
        data = dict((key, value) for key, value in kwargs.items() if key in packed)
        plain = dict((key, value) for key, value in kwargs.items() if key not in packed)
        if _PLAIN_SETTINGS.issuperset(plain):
            session.send(what, requests.new_link(kind, ifname, data=data, **_plain(plain)))
        else:  # the kind's own data (vlan, macvlan, a vxlan's undo): pyroute2 knows how each is laid out
            session.call(what, 'link', 'add', ifname=ifname, kind=kind, **kwargs)
    except NetlinkFailure as exc:
        # "Unknown device type", or no word at all from kernels without extended acks
        unknown_kind = exc.said == 'Unknown device type' or (exc.said is None and 'master' not in kwargs)
        module = kinds.of(kind).module
        if exc.code == errno.EOPNOTSUPP and unknown_kind and module:
            raise NetlinkFailure(str(exc), '%s; this kernel has no %s driver (load it: modprobe %s)'
                                 % (exc.reason, kind, module), exc.code, exc.said)
        raise
    if bridge_mtu is not None:
        try:
            session.send('set mtu of %s' % ifname, requests.set_link(name=ifname, mtu=bridge_mtu))
        except NetlinkFailure:
            delete_link(session, ifname)
            raise


def _plain(kwargs):
    """create_link's arguments as netlink_requests.link_settings' (and a veth's peer)."""
    settings = dict(mtu=kwargs.get('mtu'), mac=kwargs.get('address'), master=kwargs.get('master'),
                    parent=kwargs.get('link'), group=kwargs.get('group'))
    if 'state' in kwargs:
        settings['up'] = kwargs['state'] == 'up'
    peer = kwargs.get('peer')
    if peer is not None:
        settings['peer'] = dict(name=peer['ifname'], mtu=peer.get('mtu'), mac=peer.get('address'),
                                net_ns_fd=peer.get('net_ns_fd'))
    return settings


@engine.operation('link.delete')
def delete_link(session, name):
    session.send('delete %s' % name, requests.delete_link(session.index_of(name)))


@engine.operation('link.rename')
def rename_link(session, current, new, up):
    """Rename a link that is down (older kernels rename no other), and set its admin state."""
    session.send('rename %s to %s' % (current, new),
                 requests.set_link(index=session.index_of(current), name=new, up=bool(up)))


@engine.operation('link.move')
def move_link(session, name, to_fd, back=False):
    """Move the link called name to the namespace behind to_fd."""
    session.send('move %s%s' % (name, ' back' if back else ''),
                 requests.set_link(index=session.index_of(name), net_ns_fd=to_fd))


def plan_move(plan, source, target, name):
    plan.add('move %s from %s to %s' % (name, source.label, target.label),
             engine.Op(move_link, source, name=name, to_fd=target.fd),
             engine.Op(move_link, target, name=name, to_fd=source.fd, back=True))
    moved = source.link(name)
    source.plan_link_gone(name)
    # a move resets the admin state and drops the master
    target.plan_link(name, dict(moved, index=None, up=False, master=None))


def temporary_name():
    """A name (15 bytes) to make a link under until the link it replaces is gone."""
    return 'lnns%011x' % random.getrandbits(44)
