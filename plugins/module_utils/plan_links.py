# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.netns contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Planners of the veth and netns_link modules.

Both converge the same link attributes (mtu, mac, master, admin state) with
one RTM_NEWLINK per link; they differ in how a link comes to exist: a veth
is made with its peer already in the peer's namespace (so no half-made pair
is ever visible in the wrong place), other kinds are made in place or an
existing interface is moved in.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import ipaddress
import random

from ansible_collections.linuxnet.netns.plugins.module_utils import namespaces, validation
from ansible_collections.linuxnet.netns.plugins.module_utils.engine import PlanFailure, about, netns_of
from ansible_collections.linuxnet.netns.plugins.module_utils.netlink import NetlinkFailure

STATES = ['present', 'up', 'down', 'absent']
LINK_KINDS = ['bridge', 'dummy', 'vlan', 'vxlan', 'macvlan']
MACVLAN_MODES = ['private', 'vepa', 'bridge', 'passthru', 'source']
VXLAN_DEFAULT_PORT = 4789
# The MTUs each kind's driver takes (min_mtu/max_mtu in "ip -d link"; None: no limit), for links not made yet
KIND_MTU_RANGE = dict(veth=(68, validation.ETH_MAX_MTU), bridge=(68, validation.ETH_MAX_MTU),
                      vxlan=(68, validation.ETH_MAX_MTU), macvlan=(68, validation.ETH_MAX_MTU),
                      vlan=(0, validation.ETH_MAX_MTU), dummy=(None, None))
# The kernel module behind each kind, named when the kernel says it has no such kind
KIND_MODULES = dict(veth='veth', bridge='bridge', dummy='dummy', vlan='8021q', vxlan='vxlan', macvlan='macvlan')
# Kinds that take ports (IFLA_MASTER)
MASTER_KINDS = ('bridge', 'bond', 'team', 'vrf', 'openvswitch')
# Options that only mean something for one kind
KIND_OPTIONS = (('vxlan', ('vni', 'local', 'remote', 'group', 'dstport', 'device')), ('vlan', ('vlan_id',)),
                ('macvlan', ('macvlan_mode',)))
# Settings of a deleted link that its undo gives back: IFLA_<prefix>_<name>, as pyroute2 reads and takes them
RESTORED_DATA = dict(
    vxlan=('VXLAN', ('ID', 'PORT', 'GROUP', 'GROUP6', 'LOCAL', 'LOCAL6', 'LINK', 'TTL', 'TOS', 'LEARNING',
                     'AGEING', 'LIMIT', 'PROXY', 'RSC', 'L2MISS', 'L3MISS', 'UDP_CSUM', 'UDP_ZERO_CSUM6_TX',
                     'UDP_ZERO_CSUM6_RX')),
    vlan=('VLAN', ('ID',)),
    macvlan=('MACVLAN', ('MODE',)),
    bridge=('BR', ('FORWARD_DELAY', 'HELLO_TIME', 'MAX_AGE', 'AGEING_TIME', 'PRIORITY', 'GROUP_FWD_MASK',
                   'MCAST_SNOOPING')),
)

# What every link has, whichever module manages it.
_COMMON_OPTIONS = dict(
    name=dict(type='str'),
    mtu=dict(type='int'),
    mac=dict(type='str'),
    master=dict(type='str'),
    state=dict(type='str', default='present', choices=STATES),
    recreate=dict(type='bool', default=False),
)

VETH_OPTIONS = dict(
    _COMMON_OPTIONS,
    peer=dict(type='str'),
    peer_netns=dict(type='str'),
    peer_mac=dict(type='str'),
)
VETH_REQUIRED = ('name',)

LINK_OPTIONS = dict(
    _COMMON_OPTIONS,
    kind=dict(type='str', choices=LINK_KINDS),
    from_netns=dict(type='str'),
    parent=dict(type='str'),
    vlan_id=dict(type='int'),
    vni=dict(type='int'),
    local=dict(type='str'),
    remote=dict(type='str'),
    group=dict(type='str'),
    dstport=dict(type='int'),
    device=dict(type='str'),
    remotes=dict(type='list', elements='str'),
    macvlan_mode=dict(type='str', choices=MACVLAN_MODES),
)
LINK_REQUIRED = ('name',)
FLOOD_MAC = '00:00:00:00:00:00'  # the vxlan FDB entry for broadcast and unknown destinations


# -- shared: the attributes every link kind has -------------------------------

def desired_attrs(item, state, mac_key='mac'):
    """mtu/mac/master/up as asked; None means "leave as it is"."""
    master = item.get('master')
    if master:
        validation.interface_name(master, 'master')
    return dict(
        mtu=validation.mtu(item.get('mtu')),
        mac=validation.mac_address(item.get(mac_key), mac_key),
        master=master,
        up=(state != 'down'),
    )


def _shown(link):
    """The part of a link the modules manage, for diff."""
    if link is None:
        return None
    return dict((key, link.get(key)) for key in ('kind', 'mtu', 'mac', 'master', 'up'))


def require_link(host, session, name, what):
    if session.link(name) is not None:
        return
    message = '%s %s does not exist in %s' % (what, name, session.label)
    if host.check_mode:
        host.warn(message + '; assuming an earlier task creates it')
        return
    raise PlanFailure(message)


def require_master(host, session, name):
    """The master must exist and be a kind that takes ports (the kernel says only "not supported")."""
    require_link(host, session, name, 'master')
    master = session.link(name)
    if master is not None and master['kind'] not in MASTER_KINDS:
        raise PlanFailure('master %s in %s is a %s, not a bridge; only a %s can be a master'
                          % (name, session.label, master['kind'] or 'physical interface', ', '.join(MASTER_KINDS)))


def converge_attrs(host, plan, session, name, link, want):
    """Plan one RTM_NEWLINK that sets what differs on an existing link; update the model."""
    if want['master']:
        require_master(host, session, want['master'])
    if want['mtu'] != link.get('mtu'):
        validation.mtu_for_link(want['mtu'], name, link.get('min_mtu'), link.get('max_mtu'))
    old, new = {}, {}
    for key in ('mtu', 'mac', 'master', 'up'):
        if want[key] is not None and link.get(key) != want[key] and (want[key] != '' or link.get(key)):
            old[key], new[key] = link.get(key), want[key]
    if not new:
        return
    summary = 'set %s on %s in %s' % (', '.join('%s=%s' % item for item in sorted(new.items())),
                                      name, session.label)
    plan.add(summary, lambda: _set_link(session, name, new), lambda: _set_link(session, name, old))
    link.update(new)


def _set_link(session, name, attrs):
    kwargs = {}
    if 'mtu' in attrs and attrs['mtu'] is not None:
        kwargs['mtu'] = attrs['mtu']
    if 'mac' in attrs and attrs['mac'] is not None:
        kwargs['address'] = attrs['mac']
    if 'master' in attrs:
        kwargs['master'] = session.index_of(attrs['master']) if attrs['master'] else 0
    if 'up' in attrs:
        kwargs['state'] = 'up' if attrs['up'] else 'down'
    session.call('set link %s' % name, 'link', 'set', index=session.index_of(name), **kwargs)


def _create_kwargs(session, want):
    kwargs = {}
    if want['mtu'] is not None:
        kwargs['mtu'] = want['mtu']
    if want['mac'] is not None:
        kwargs['address'] = want['mac']
    if want['master']:
        kwargs['master'] = session.index_of(want['master'])
    kwargs['state'] = 'up' if want['up'] else 'down'
    return kwargs


def _model(name, kind, want):
    """A link as it will be once the plan is applied (no index yet)."""
    low, high = KIND_MTU_RANGE.get(kind, (None, None))
    return dict(index=None, name=name, kind=kind, mtu=want['mtu'], mac=want['mac'],
                master=want['master'], up=want['up'], link_index=None, link_netnsid=None, data={},
                min_mtu=low, max_mtu=high)


def _check_new_mtu(session, name, kind, want, parent=None):
    """Refuse, before any change, an mtu the new link's driver or its parent would refuse."""
    validation.mtu_for_link(want['mtu'], name, *KIND_MTU_RANGE.get(kind, (None, None)))
    parent_link = session.link(parent) if parent else None
    if want['mtu'] and parent_link is not None and parent_link.get('mtu') and want['mtu'] > parent_link['mtu']:
        raise PlanFailure('mtu %d of %s %s is larger than the mtu %d of its parent %s in %s'
                          % (want['mtu'], kind, name, parent_link['mtu'], parent, session.label))


def _add_link(session, kind, ifname, **kwargs):
    """RTM_NEWLINK for a new link; a bridge gets its mtu in a second request.

    The kernel lowers a bridge's MTU to its smallest port's each time a port
    joins, unless the MTU was set on the bridge once it existed (given at
    creation it does not count): a bridge made with its ports in one task
    would otherwise need a second run to settle.
    """
    bridge_mtu = kwargs.pop('mtu', None) if kind == 'bridge' else None
    try:
        session.call('create %s %s' % (kind, ifname), 'link', 'add', ifname=ifname, kind=kind, **kwargs)
    except NetlinkFailure as exc:
        # "Unknown device type", or no word at all from kernels without extended acks
        unknown_kind = exc.said == 'Unknown device type' or (exc.said is None and 'master' not in kwargs)
        if exc.code == errno.EOPNOTSUPP and unknown_kind and kind in KIND_MODULES:
            raise NetlinkFailure(str(exc), '%s; this kernel has no %s driver (load it: modprobe %s)'
                                 % (exc.reason, kind, KIND_MODULES[kind]), exc.code, exc.said)
        raise
    if bridge_mtu is not None:
        try:
            session.call('set mtu of %s' % ifname, 'link', 'set', index=session.index_of(ifname), mtu=bridge_mtu)
        except NetlinkFailure:
            _delete_link(session, ifname)
            raise


def _delete_link(session, ifname):
    session.call('delete %s' % ifname, 'link', 'del', index=session.index_of(ifname))


def _rename(session, current, new, up):
    """Rename a link that is down (older kernels rename no other), and set its admin state."""
    session.call('rename %s to %s' % (current, new), 'link', 'set', index=session.index_of(current),
                 ifname=new, state='up' if up else 'down')


def _temporary_name():
    """A name (15 bytes) to make a link under until the link it replaces is gone."""
    return 'lnns%011x' % random.getrandbits(44)


def plan_delete(plan, session, name, what, peer=None):
    """Delete a link; undone by making it again as it was read (see _restore).

    peer: (session, link) of a veth's other end, which goes with it; a veth
    whose other end is not known cannot be made again.
    """
    plan.add('delete %s %s in %s' % (what, name, session.label), lambda: _delete_link(session, name),
             _restorer(session, session.link(name), peer))
    session.links().pop(name, None)
    if peer is not None and peer[1] is not None:
        peer[0].links().pop(peer[1]['name'], None)


def _restorer(session, link, peer):
    """The undo of deleting link, or None where it cannot be made again."""
    if link is None or link['index'] is None or link['kind'] is None:
        return None  # planned by this task only, or a physical interface (never deleted)
    saved = _saved(session, link)
    if link['kind'] != 'veth':
        if link['link_netnsid'] is not None:
            return None  # its parent is in another namespace
        return lambda: _restore(session, saved)
    peer_session, peer_link = peer if peer is not None else (None, None)
    if peer_link is None or peer_link['index'] is None:
        return None
    saved_peer = _saved(peer_session, peer_link)
    return lambda: _restore(session, saved, peer_session, saved_peer)


def _saved(session, link):
    """A copy of what _restore needs, taken now: the plan's model changes as planning goes on."""
    return dict(link=dict(link, data=dict(link['data'])),
                addresses=[dict(record) for record in session.addresses() if record['index'] == link['index']])


def _restore(session, saved, peer_session=None, saved_peer=None):
    """Make a deleted link again: its index, name, kind settings, mtu, mac, master, state, addresses.

    What the kernel dropped with it and no one recorded (routes through it,
    neighbours, forwarding entries, a bridge's ports) does not come back.
    """
    link = saved['link']
    kwargs = _restored_settings(session, link)
    if saved_peer is not None:
        peer = saved_peer['link']
        spec = dict(ifname=peer['name'], mtu=peer['mtu'], address=peer['mac'])
        if peer_session is not session:
            spec['net_ns_fd'] = peer_session.fd
        kwargs['peer'] = dict((key, value) for key, value in spec.items() if value is not None)
    _add_link(session, link['kind'], link['name'], index=link['index'], **kwargs)
    if saved_peer is not None:
        # the kernel ignores the admin state given for the peer in RTM_NEWLINK
        _set_link(peer_session, peer['name'], dict(up=peer['up'], master=peer['master']))
        _restore_addresses(peer_session, saved_peer)
    _restore_addresses(session, saved)


def _restored_settings(session, link):
    kwargs = dict(state='up' if link['up'] else 'down')
    if link['mtu']:
        kwargs['mtu'] = link['mtu']
    if link['mac'] and not _unset_bridge_id(link):
        kwargs['address'] = link['mac']
    if link['master']:
        kwargs['master'] = session.index_of(link['master'])
    if link['kind'] in ('vlan', 'macvlan') and link['link_index']:
        kwargs['link'] = link['link_index']
    prefix, names = RESTORED_DATA.get(link['kind'], ('', ()))
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


# -- veth ---------------------------------------------------------------------

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
            want = desired_attrs(item, state)
            want_peer = dict(desired_attrs(item, state, 'peer_mac'), master=None)
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
                                                   item['recreate'])
        if link is None:
            _plan_veth_create(host, plan, session, peer_session, name, peer, want, want_peer, item['recreate'],
                              replacing)
        else:
            converge_attrs(host, plan, session, name, link, want)
            converge_attrs(host, plan, peer_session, peer, peer_session.link(peer), want_peer)
        plan.state(key, before, _veth_shown(session.link(name), peer_session.link(peer)))


def _veth_shown(link, peer_link):
    if link is None:
        return None
    shown = _shown(link)
    shown['peer'] = _shown(peer_link)
    return shown


def _plan_veth_absent(host, plan, session, peer_session, name, peer, link, key):
    if link is not None:
        if link['kind'] != 'veth':
            raise PlanFailure('%s in %s is a %s, not a veth; not removing it'
                              % (name, session.label, link['kind'] or 'physical interface'))
        if link['link_netnsid'] is not None and link['link_netnsid'] in host.namespaces.removed_nsids(session):
            # The kernel deletes both ends with the namespace of the other: deleting this one
            # too would cost a request (and an RCU grace period) and race the kernel's cleanup.
            session.links().pop(name, None)
            plan.state(key, _shown(link), None)
            return
        plan_delete(plan, session, name, 'veth', _known_peer(session, link, peer_session))
        if peer:
            peer_session.links().pop(peer, None)
        plan.state(key, _shown(link), None)
        return
    peer_link = peer_session.link(peer) if peer else None
    if peer_link is not None and peer_link['kind'] == 'veth':
        plan_delete(plan, peer_session, peer, 'veth', _known_peer(peer_session, peer_link, session))
        plan.state(key, _shown(peer_link), None)
        return
    plan.state(key, None, None)


def _plan_veth_create(host, plan, session, peer_session, name, peer, want, want_peer, recreate, replacing=None):
    """Create the pair; where links are in the way (recreate), under temporary names first.

    Made under temporary names, the new pair exists before anything is
    deleted: if the kernel refuses it, the links it was to replace are
    untouched.
    """
    in_the_way = [replacing] if replacing is not None else []
    peer_link = peer_session.link(peer)
    if peer_link is not None:
        if not recreate:
            raise PlanFailure('cannot create veth %s: its peer name %s is taken in %s by a %s; '
                              'set recreate=true to replace it'
                              % (name, peer, peer_session.label, peer_link['kind'] or 'physical interface'))
        other_end = _known_peer(peer_session, peer_link, session) if peer_link['kind'] == 'veth' else None
        in_the_way.append((peer_session, peer_link, other_end))
    if want['master']:
        require_master(host, session, want['master'])
    _check_new_mtu(session, name, 'veth', want)
    elsewhere = peer_session is not session
    where = ' (peer in %s)' % peer_session.label if elsewhere else ''

    def create(ifname, peer_name, up, peer_up):
        peer_spec = dict(ifname=peer_name)
        if elsewhere:
            peer_spec['net_ns_fd'] = peer_session.fd
        if want_peer['mtu'] is not None:
            peer_spec['mtu'] = want_peer['mtu']
        if want_peer['mac'] is not None:
            peer_spec['address'] = want_peer['mac']
        _add_link(session, 'veth', ifname, peer=peer_spec, **dict(_create_kwargs(session, want),
                                                                  state='up' if up else 'down'))
        if peer_up:
            # the kernel ignores the admin state given for the peer in RTM_NEWLINK; by name,
            # as the kernel finds it itself (asking for its index first costs a request)
            peer_session.call('bring %s up' % peer_name, 'link', 'set', ifname=peer_name, state='up')

    if not in_the_way:
        plan.add('create veth %s <-> %s%s' % (name, peer, where),
                 lambda: create(name, peer, want['up'], want_peer['up']), lambda: _delete_link(session, name))
    else:
        temporary, temporary_peer = _temporary_name(), _temporary_name()

        def put_in_place():
            _rename(session, temporary, name, want['up'])
            try:
                _rename(peer_session, temporary_peer, peer, want_peer['up'])
            except NetlinkFailure:
                _rename(session, name, temporary, False)
                raise

        def take_back():
            _rename(peer_session, peer, temporary_peer, False)
            _rename(session, name, temporary, False)

        plan.add('create veth %s <-> %s%s under temporary names' % (name, peer, where),
                 lambda: create(temporary, temporary_peer, False, False), lambda: _delete_link(session, temporary))
        for doomed_session, doomed, doomed_peer in in_the_way:
            plan_delete(plan, doomed_session, doomed['name'], doomed['kind'] or 'link', doomed_peer)
        plan.add('rename the new veth to %s <-> %s%s' % (name, peer, where), put_in_place, take_back)
    session.links()[name] = _model(name, 'veth', want)
    peer_session.links()[peer] = _model(peer, 'veth', want_peer)


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
                _plan_move(plan, where, peer_session, peer)
                return link, None
            else:
                return link, None
    if not recreate:
        raise PlanFailure(problem + '; set recreate=true to replace it')
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


def _plan_move(plan, source, target, name):
    plan.add('move %s from %s to %s' % (name, source.label, target.label),
             lambda: source.call('move %s' % name, 'link', 'set',
                                 index=source.index_of(name), net_ns_fd=target.fd),
             lambda: target.call('move %s back' % name, 'link', 'set',
                                 index=target.index_of(name), net_ns_fd=source.fd))
    moved = source.links().pop(name)
    # a move resets the admin state and drops the master
    target.links()[name] = dict(moved, index=None, up=False, master=None)


# -- other link kinds ----------------------------------------------------------

def plan_link(host, items, plan):
    for item in items:
        with about(item):
            name = validation.interface_name(item['name'], 'name')
            netns = netns_of(item)
            state = item['state']
            kind = item['kind']
            spec = _kind_spec(item) if kind and state != 'absent' else None
            if item['remotes'] is not None and not (spec and kind == 'vxlan'):
                raise validation.ValidationError('%sremotes needs kind=vxlan and state present, up or down'
                                                 % item['_where'])
            want = desired_attrs(item, state)
            if state != 'absent':
                _check_combinations(item, name)
        session = host.session(netns)
        link = session.link(name)
        key = '%s:%s' % (session.label, name)
        before = _shown(link)
        flood_before = flood_list(session, link) if item['remotes'] is not None else None
        if state == 'absent':
            if link is not None:
                if link['kind'] is None:
                    raise PlanFailure('%s in %s is a physical interface and cannot be deleted; move '
                                      'it elsewhere with netns and from_netns' % (name, session.label))
                if kind and link['kind'] != kind:
                    raise PlanFailure('%s in %s is a %s, not a %s; not removing it'
                                      % (name, session.label, link['kind'], kind))
                plan_delete(plan, session, name, link['kind'])
            plan.state(key, before, None)
            continue
        if link is None and item['from_netns']:
            source = host.session(netns_of(item, 'from_netns'))
            if source.link(name) is not None and source is not session:
                _plan_move(plan, source, session, name)
                link = session.link(name)
        replacing = None
        if link is not None and kind and link['kind'] != kind:
            if not item['recreate']:
                raise PlanFailure('%s exists in %s but is a %s, not a %s; set recreate=true to '
                                  'replace it' % (name, session.label, link['kind'] or 'physical interface',
                                                  kind))
            replacing, link = link, None
        if link is not None and spec and _spec_differs(session, link, spec):
            # vni, vlan id, parent...: the kernel cannot change them in place
            replacing, link = link, None
        if link is None:
            if not kind:
                raise PlanFailure('interface %s does not exist in %s%s; give kind to create one'
                                  % (name, session.label,
                                     ' nor in netns %s' % item['from_netns'] if item['from_netns'] else ''))
            _plan_create(host, plan, session, name, kind, spec, want, replacing)
        else:
            converge_attrs(host, plan, session, name, link, want)
        after = _shown(session.link(name))
        if flood_before is not None:
            # a link made or remade by this plan starts with an empty flood list
            _plan_flood_list(plan, session, name, flood_before if link is not None else [], spec['remotes'])
            before = dict(before, remotes=flood_before) if before is not None else None
            after = dict(after, remotes=spec['remotes'])
        plan.state(key, before, after)


def _check_combinations(item, name):
    """Refuse options that contradict each other, before anything is read."""
    kind = item['kind']
    for owner, options in KIND_OPTIONS:
        given = [option for option in options if item.get(option) not in (None, '')]
        if given and kind != owner:
            raise validation.ValidationError('%s only %s to kind=%s, not to %s'
                                             % (', '.join(given), 'applies' if len(given) == 1 else 'apply',
                                                owner, 'kind=%s' % kind if kind else 'a link given without kind'))
    if item['parent'] and kind not in ('vlan', 'macvlan'):
        raise validation.ValidationError('parent only applies to kind=vlan and kind=macvlan')
    for option in ('master', 'parent', 'device'):
        if item.get(option) == name:
            raise validation.ValidationError('%s of %s is %s itself' % (option, name, name))
    for option in ('parent', 'device'):
        if item['master'] and item.get(option) == item['master']:
            raise validation.ValidationError('%s %s is also the master of %s: a link cannot be a port of '
                                             'the link it runs over' % (option, item['master'], name))


def _kind_spec(item):
    """What a kind needs at creation: attrs to compare with the kernel's, and how to ask."""
    kind = item['kind']
    where = item['_where']
    if kind == 'vlan':
        if item['vlan_id'] is None or not item['parent']:
            raise validation.ValidationError('%skind=vlan needs vlan_id and parent' % where)
        if not 1 <= item['vlan_id'] <= 4094:
            raise validation.ValidationError('vlan_id %d is out of range (1..4094)' % item['vlan_id'])
        validation.interface_name(item['parent'], 'parent')
        return dict(parent=item['parent'], data={'IFLA_VLAN_ID': item['vlan_id']},
                    create={'vlan_id': item['vlan_id']})
    if kind == 'macvlan':
        if not item['parent']:
            raise validation.ValidationError('%skind=macvlan needs parent' % where)
        validation.interface_name(item['parent'], 'parent')
        mode = item['macvlan_mode'] or 'bridge'
        return dict(parent=item['parent'], data={'IFLA_MACVLAN_MODE': mode},
                    create={'macvlan_mode': mode})
    if kind == 'vxlan':
        return _vxlan_spec(item)
    return dict(parent=None, data={}, create={})


def _vxlan_spec(item):
    where = item['_where']
    if item['vni'] is None:
        raise validation.ValidationError('%skind=vxlan needs vni' % where)
    if not 0 <= item['vni'] < 1 << 24:
        raise validation.ValidationError('vni %d is out of range (0..16777215)' % item['vni'])
    if item['remote'] and item['group']:
        raise validation.ValidationError('%sremote and group are mutually exclusive' % where)
    if item['remotes'] is not None and (item['remote'] or item['group']):
        raise validation.ValidationError('%sremotes replaces remote and group; give only one of them' % where)
    port = item['dstport'] if item['dstport'] is not None else VXLAN_DEFAULT_PORT
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
    entries = session.call('read the forwarding database of %s' % link['name'], 'fdb', 'dump',
                           ifindex=link['index'])
    found = set()
    for entry in entries or ():
        destination = entry.get_attr('NDA_DST')
        if entry['ifindex'] == link['index'] and destination and \
                (entry.get_attr('NDA_LLADDR') or '').lower() == FLOOD_MAC:
            found.add(ipaddress.ip_address(u'%s' % destination))
    return [str(address) for address in sorted(found)]


def _plan_flood_list(plan, session, name, current, wanted):
    """bridge fdb append/del 00:00:00:00:00:00 dev NAME dst ADDRESS for what differs."""
    def request(command, address):
        return lambda: session.call('%s flood entry %s on %s' % (command, address, name), 'fdb', command,
                                    ifindex=session.index_of(name), lladdr=FLOOD_MAC, dst=address)
    for address in wanted:
        if address not in current:
            plan.add('add remote %s to the flood list of %s in %s' % (address, name, session.label),
                     request('append', address), request('del', address))
    for address in current:
        if address not in wanted:
            plan.add('remove remote %s from the flood list of %s in %s' % (address, name, session.label),
                     request('del', address), request('append', address))


def _spec_differs(session, link, spec):
    for attr, value in spec['data'].items():
        current = link['data'].get(attr)
        if attr.endswith(('GROUP', 'LOCAL', 'GROUP6', 'LOCAL6')) and current is not None:
            current = str(ipaddress.ip_address(u'%s' % current))
        if current != value:
            return True
    if spec.get('parent') and session.link_name(link['link_index']) != spec['parent']:
        return True
    if spec.get('device') and session.link_name(link['data'].get('IFLA_VXLAN_LINK')) != spec['device']:
        return True
    return False


def _plan_create(host, plan, session, name, kind, spec, want, replacing=None):
    """Create a link; one that replaces another is made under a temporary name first.

    So the old link is deleted only once the kernel has accepted the new one
    (a taken vni, a missing driver...), and renamed into place after; unless
    the two cannot exist at once (_clashes), when the old goes first.
    """
    for what in ('parent', 'device'):
        if spec.get(what):
            require_link(host, session, spec[what], what)
    if want['master']:
        require_master(host, session, want['master'])
    _check_new_mtu(session, name, kind, want, spec.get('parent'))

    def create(ifname, up):
        kwargs = dict(spec['create'])
        if spec.get('parent'):
            kwargs['link'] = session.index_of(spec['parent'])
        if spec.get('device'):
            kwargs['vxlan_link'] = session.index_of(spec['device'])
        kwargs.update(_create_kwargs(session, want))
        kwargs['state'] = 'up' if up else 'down'
        _add_link(session, kind, ifname, **kwargs)

    label = session.label
    if replacing is None or _clashes(replacing, kind, spec, want):
        if replacing is not None:
            plan_delete(plan, session, name, replacing['kind'] or 'link')
        plan.add('create %s %s in %s' % (kind, name, label), lambda: create(name, want['up']),
                 lambda: _delete_link(session, name))
    else:
        temporary = _temporary_name()
        plan.add('create %s %s in %s under a temporary name' % (kind, name, label),
                 lambda: create(temporary, False), lambda: _delete_link(session, temporary))
        plan_delete(plan, session, name, replacing['kind'] or 'link')
        plan.add('rename the new %s to %s in %s' % (kind, name, label),
                 lambda: _rename(session, temporary, name, want['up']),
                 lambda: _rename(session, name, temporary, False))
    session.links()[name] = _model(name, kind, want)


def _clashes(old, kind, spec, want):
    """Whether the kernel would refuse the new link while the old one exists."""
    if old['kind'] != kind:
        return False
    if kind == 'vxlan':  # one device per vni and UDP port
        return all(old['data'].get(attr) == spec['data'][attr] for attr in ('IFLA_VXLAN_ID', 'IFLA_VXLAN_PORT'))
    if kind == 'macvlan':  # one device per mac on a parent
        return want['mac'] is not None and want['mac'] == old['mac']
    return False
