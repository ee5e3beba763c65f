# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.netns contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Planner of the veth module: a pair made with its peer already in the peer's namespace.

So no half-made pair is ever visible in the wrong place; links in the way
(recreate) are replaced by a pair made under temporary names first.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.linuxnet.netns.plugins.module_utils._netns import engine, namespaces, netlink, validation
from ansible_collections.linuxnet.netns.plugins.module_utils._netns.engine import PlanFailure, about, netns_of
from ansible_collections.linuxnet.netns.plugins.module_utils._netns.links import attrs, restore
from ansible_collections.linuxnet.netns.plugins.module_utils._netns.netlink import NetlinkFailure


def plan_veth(host, items, plan):
    for item in items:
        with about(item):
            name = validation.interface_name(item['name'], 'name')
            peer = item['peer']
            if peer is not None:
                validation.interface_name(peer, 'peer')
            netns = netns_of(item)
            peer_netns = netns_of(item, 'peer_netns') if item['peer_netns'] else netns
            state = item['state']
            want = attrs.desired_attrs(item, state)
            # '_peer_ipv6_link_local': netns_bridge's own, for containers of a network without IPv6
            want_peer = dict(attrs.desired_attrs(item, state, 'peer_mac'), master=None,
                             ipv6_link_local=item.get('_peer_ipv6_link_local'))
            if state != 'absent' and peer is None:
                raise validation.ValidationError('peer is required unless state=absent')
            if item['master'] and item['master'] in (name, peer):
                raise validation.ValidationError('master of veth %s is %s, an end of the pair itself'
                                                 % (name, item['master']))
            session = host.session(netns)
            peer_session = host.session(peer_netns)
            if session is peer_session and name == peer:
                raise validation.ValidationError('name and peer are both %s in %s' % (name, session.label))
        key = '%s:%s' % (session.label, name)
        link = session.link(name)
        if state == 'absent':
            _plan_veth_absent(host, plan, session, peer_session, name, peer, link, key)
            continue
        before = _veth_shown(link, peer_session.link(peer))
        replacing = None
        if link is not None:
            link, replacing = _adopt_existing_veth(host, plan, session, peer_session, name, peer, link,
                                                   _replacing_allowed(item))
        if link is None:
            _plan_veth_create(host, plan, session, peer_session, name, peer, want, want_peer,
                              _replacing_allowed(item), replacing)
        else:
            attrs.converge_attrs(host, plan, session, name, link, want)
            attrs.converge_attrs(host, plan, peer_session, peer, peer_session.link(peer), want_peer)
        plan.state(key, before, _veth_shown(session.link(name), peer_session.link(peer)))


def _veth_shown(link, peer_link):
    if link is None:
        return None
    shown = attrs.shown(link)
    shown['peer'] = attrs.shown(peer_link)
    return shown


def _plan_veth_absent(host, plan, session, peer_session, name, peer, link, key):
    if link is not None:
        if link['kind'] != 'veth':
            raise PlanFailure('%s in %s is a %s, not a veth; not removing it'
                              % (name, session.label, link['kind'] or 'physical interface'))
        if link['link_netnsid'] is not None and link['link_netnsid'] in host.namespaces.removed_nsids(session):
            # The kernel deletes both ends with the namespace of the other: deleting this one
            # too would cost a request (and an RCU grace period) and race the kernel's cleanup.
            session.plan_link_gone(name)
            plan.state(key, attrs.shown(link), None)
            return
        restore.plan_delete(plan, session, name, 'veth', _known_peer(session, link, peer_session))
        if peer:
            peer_session.plan_link_gone(peer)
        plan.state(key, attrs.shown(link), None)
        return
    peer_link = peer_session.link(peer) if peer else None
    if peer_link is not None and peer_link['kind'] == 'veth':
        restore.plan_delete(plan, peer_session, peer, 'veth', _known_peer(peer_session, peer_link, session))
        plan.state(key, attrs.shown(peer_link), None)
        return
    plan.state(key, None, None)


RECREATE_REMEDY = 'set recreate=true to replace it'


def _replacing_allowed(item):
    """True where links in the way may be replaced, else what to tell the user to do about them.

    A task of several stages words the remedy in its own options (item '_remedy').
    """
    return True if item['recreate'] else item.get('_remedy') or RECREATE_REMEDY


def _plan_veth_create(host, plan, session, peer_session, name, peer, want, want_peer, recreate, replacing=None):
    """Create the pair; where links are in the way (recreate), under temporary names first.

    Made under temporary names, the new pair exists before anything is
    deleted: if the kernel refuses it, the links it was to replace are
    untouched.
    """
    in_the_way = [replacing] if replacing is not None else []
    peer_link = peer_session.link(peer)
    if peer_link is not None:
        if recreate is not True:
            raise PlanFailure('cannot create veth %s: its peer name %s is taken in %s by a %s; %s'
                              % (name, peer, peer_session.label, peer_link['kind'] or 'physical interface', recreate))
        other_end = _known_peer(peer_session, peer_link, session) if peer_link['kind'] == 'veth' else None
        in_the_way.append((peer_session, peer_link, other_end))
    if want['master']:
        attrs.require_master(host, session, want['master'])
    attrs.check_new_mtu(session, name, 'veth', want)
    where = ' (peer in %s)' % peer_session.label if peer_session is not session else ''
    peer_spec = dict(mtu=want_peer['mtu'], address=want_peer['mac'])
    peer_spec = dict((key, value) for key, value in peer_spec.items() if value is not None)

    def create(ifname, peer_name, up, peer_up):
        return engine.Op(attrs.create_link, session, kind='veth', name=ifname,
                         settings=attrs.create_settings(want, up), master=want['master'] or None,
                         peer=dict(peer_spec, ifname=peer_name), peer_fd=peer_session.fd, peer_up=peer_up,
                         peer_ipv6_link_local=want_peer['ipv6_link_local'])

    if not in_the_way:
        plan.add('create veth %s <-> %s%s' % (name, peer, where), create(name, peer, want['up'], want_peer['up']),
                 engine.Op(attrs.delete_link, session, name=name))
    else:
        temporary, temporary_peer = attrs.temporary_name(), attrs.temporary_name()
        names = dict(name=name, temporary=temporary, peer_fd=peer_session.fd, peer=peer, temporary_peer=temporary_peer)
        plan.add('create veth %s <-> %s%s under temporary names' % (name, peer, where),
                 create(temporary, temporary_peer, False, False), engine.Op(attrs.delete_link, session, name=temporary))
        for doomed_session, doomed, doomed_peer in in_the_way:
            restore.plan_delete(plan, doomed_session, doomed['name'], doomed['kind'] or 'link', doomed_peer)
        plan.add('rename the new veth to %s <-> %s%s' % (name, peer, where),
                 engine.Op(put_in_place, session, up=want['up'], peer_up=want_peer['up'], **names),
                 engine.Op(take_back, session, **names))
    session.plan_link(name, attrs.model(name, 'veth', want))
    peer_session.plan_link(peer, attrs.model(peer, 'veth', want_peer))


@engine.operation('veth.put_in_place')
def put_in_place(session, name, temporary, peer_fd, peer, temporary_peer, up, peer_up):
    """Rename a pair made under temporary names to its own, both ends or neither."""
    attrs.rename_link(session, temporary, name, up)
    try:
        attrs.rename_link(netlink.session_on(peer_fd, session), temporary_peer, peer, peer_up)
    except NetlinkFailure:
        attrs.rename_link(session, name, temporary, False)
        raise


@engine.operation('veth.take_back')
def take_back(session, name, temporary, peer_fd, peer, temporary_peer):
    attrs.rename_link(netlink.session_on(peer_fd, session), peer, temporary_peer, False)
    attrs.rename_link(session, name, temporary, False)


def _adopt_existing_veth(host, plan, session, peer_session, name, peer, link, recreate):
    """(link, None) if the existing link is our pair (moving its peer if needed), else
    (None, what to replace: (session, link, (session, link) of its other end or None))."""
    problem = None
    found = None
    if link['kind'] != 'veth':
        problem = '%s exists in %s but is a %s, not a veth' % (name, session.label,
                                                               link['kind'] or 'physical interface')
    else:
        found = _locate_peer(host, session, link, peer_session)
        if found is None:
            problem = ('veth %s in %s has its peer in a namespace that has no name here; '
                       'cannot tell whether it is %s' % (name, session.label, peer))
        else:
            where, peer_link = found
            if peer_link is None or peer_link['name'] != peer:
                problem = ('veth %s in %s is paired with %s, not %s'
                           % (name, session.label, peer_link['name'] if peer_link else '?', peer))
            elif where is not peer_session:
                attrs.plan_move(plan, where, peer_session, peer)
                return link, None
            else:
                return link, None
    if recreate is not True:
        raise PlanFailure('%s; %s' % (problem, recreate))
    return None, (session, link, found)


def _known_peer(session, link, expected):
    """(session, link) of a veth's other end if it is in session or expected, else None.

    What a deleted veth needs to be made again; unlike _locate_peer it never
    searches every namespace, which would cost a request per namespace for
    every veth of a task that removes many.
    """
    if link['link_netnsid'] is None:
        return session, _by_index(session, link['link_index'], link['index'])
    if expected is not session and expected.exists and session.nsid_of(expected.fd) == link['link_netnsid']:
        return expected, _by_index(expected, link['link_index'], link['index'])
    return None


def _locate_peer(host, session, link, expected):
    """(session, link) of a veth's other end: where it should be, else any named namespace."""
    if link['link_netnsid'] is None:
        return session, _by_index(session, link['link_index'], link['index'])
    for other in _peer_candidates(host, expected):
        if other is session or not other.exists:
            continue
        if session.nsid_of(other.fd) == link['link_netnsid']:
            return other, _by_index(other, link['link_index'], link['index'])
    return None


def _peer_candidates(host, expected):
    """Where a veth's peer may be: the expected namespace first, then every other one.

    Lazily: the peer is nearly always where it is expected, and opening every
    named namespace for every veth would make a task of N veths cost N * N.
    """
    yield expected
    yield host.session(None)
    for ref in namespaces.named():
        yield host.session(ref)


def _by_index(session, index, back_index):
    """The link at index, if it is a veth pointing back at back_index."""
    for link in session.links().values():
        if link['index'] == index:
            return link if link['kind'] == 'veth' and link['link_index'] == back_index else None
    return None
