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

import ipaddress

from ansible_collections.linuxnet.netns.plugins.module_utils import namespaces, validation
from ansible_collections.linuxnet.netns.plugins.module_utils.engine import PlanFailure, netns_of

STATES = ['present', 'up', 'down', 'absent']
LINK_KINDS = ['bridge', 'dummy', 'vlan', 'vxlan', 'macvlan']
MACVLAN_MODES = ['private', 'vepa', 'bridge', 'passthru', 'source']
VXLAN_DEFAULT_PORT = 4789

VETH_OPTIONS = dict(
    name=dict(type='str'),
    peer=dict(type='str'),
    peer_netns=dict(type='str'),
    mtu=dict(type='int'),
    mac=dict(type='str'),
    peer_mac=dict(type='str'),
    master=dict(type='str'),
    state=dict(type='str', default='present', choices=STATES),
    recreate=dict(type='bool', default=False),
)
VETH_REQUIRED = ('name',)

LINK_OPTIONS = dict(
    name=dict(type='str'),
    kind=dict(type='str', choices=LINK_KINDS),
    from_netns=dict(type='str'),
    mtu=dict(type='int'),
    mac=dict(type='str'),
    master=dict(type='str'),
    state=dict(type='str', default='present', choices=STATES),
    recreate=dict(type='bool', default=False),
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


def converge_attrs(host, plan, session, name, link, want):
    """Plan one RTM_NEWLINK that sets what differs on an existing link; update the model."""
    if want['master']:
        require_link(host, session, want['master'], 'master')
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
    return dict(index=None, name=name, kind=kind, mtu=want['mtu'], mac=want['mac'],
                master=want['master'], up=want['up'], link_index=None, link_netnsid=None, data={})


def plan_delete(plan, session, name, what):
    plan.add('delete %s %s in %s' % (what, name, session.label),
             lambda: session.call('delete %s' % name, 'link', 'del', index=session.index_of(name)))
    session.links().pop(name, None)


# -- veth ---------------------------------------------------------------------

def plan_veth(host, items, plan):
    for item in items:
        name = validation.interface_name(item['name'], 'name')
        peer = item['peer']
        if peer is not None:
            validation.interface_name(peer, 'peer')
        netns = netns_of(item)
        peer_netns = netns_of(item, 'peer_netns') if item['peer_netns'] else netns
        state = item['state']
        want = desired_attrs(item, state)
        want_peer = dict(desired_attrs(item, state, 'peer_mac'), master=None)
        session = host.session(netns)
        peer_session = host.session(peer_netns)
        if state != 'absent' and peer is None:
            raise validation.ValidationError('%speer is required unless state=absent' % item['_where'])
        if session is peer_session and name == peer:
            raise validation.ValidationError('name and peer are both %s in %s' % (name, session.label))
        key = '%s:%s' % (session.label, name)
        link = session.link(name)
        if state == 'absent':
            _plan_veth_absent(plan, session, peer_session, name, peer, link, key)
            continue
        before = _veth_shown(link, peer_session.link(peer))
        if link is not None:
            link = _adopt_existing_veth(host, plan, session, peer_session, name, peer, link, item['recreate'])
        if link is None:
            _plan_veth_create(host, plan, session, peer_session, name, peer, want, want_peer, item['recreate'])
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


def _plan_veth_absent(plan, session, peer_session, name, peer, link, key):
    if link is not None:
        if link['kind'] != 'veth':
            raise PlanFailure('%s in %s is a %s, not a veth; not removing it'
                              % (name, session.label, link['kind'] or 'physical interface'))
        plan_delete(plan, session, name, 'veth')
        if peer:
            peer_session.links().pop(peer, None)
        plan.state(key, _shown(link), None)
        return
    peer_link = peer_session.link(peer) if peer else None
    if peer_link is not None and peer_link['kind'] == 'veth':
        plan_delete(plan, peer_session, peer, 'veth')
        plan.state(key, _shown(peer_link), None)
        return
    plan.state(key, None, None)


def _plan_veth_create(host, plan, session, peer_session, name, peer, want, want_peer, recreate):
    peer_link = peer_session.link(peer)
    if peer_link is not None:
        if not recreate:
            raise PlanFailure('cannot create veth %s: its peer name %s is taken in %s by a %s; '
                              'set recreate=true to replace it'
                              % (name, peer, peer_session.label, peer_link['kind'] or 'physical interface'))
        plan_delete(plan, peer_session, peer, peer_link['kind'] or 'link')
    if want['master']:
        require_link(host, session, want['master'], 'master')
    elsewhere = peer_session is not session
    where = ' (peer in %s)' % peer_session.label if elsewhere else ''

    def create():
        peer_spec = dict(ifname=peer)
        if elsewhere:
            peer_spec['net_ns_fd'] = peer_session.fd
        if want_peer['mtu'] is not None:
            peer_spec['mtu'] = want_peer['mtu']
        if want_peer['mac'] is not None:
            peer_spec['address'] = want_peer['mac']
        session.call('create veth %s' % name, 'link', 'add', ifname=name, kind='veth',
                     peer=peer_spec, **_create_kwargs(session, want))
        if want_peer['up']:
            # the kernel ignores the admin state given for the peer in RTM_NEWLINK
            peer_session.call('bring %s up' % peer, 'link', 'set',
                              index=peer_session.index_of(peer), state='up')

    plan.add('create veth %s <-> %s%s' % (name, peer, where), create,
             lambda: session.call('delete veth %s' % name, 'link', 'del', index=session.index_of(name)))
    session.links()[name] = _model(name, 'veth', want)
    peer_session.links()[peer] = _model(peer, 'veth', want_peer)


def _adopt_existing_veth(host, plan, session, peer_session, name, peer, link, recreate):
    """Return the existing link if it is our pair (moving its peer if needed), else None."""
    problem = None
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
                return link
            else:
                return link
    if not recreate:
        raise PlanFailure(problem + '; set recreate=true to replace it')
    plan_delete(plan, session, name, link['kind'] or 'link')
    return None


def _locate_peer(host, session, link, expected):
    """(session, link) of a veth's other end: where it should be, else any named namespace."""
    if link['link_netnsid'] is None:
        return session, _by_index(session, link['link_index'], link['index'])
    candidates = [expected] + [host.session(ref) for ref in [None] + namespaces.named()]
    for other in candidates:
        if other is session or not other.exists:
            continue
        if session.nsid_of(other.fd) == link['link_netnsid']:
            return other, _by_index(other, link['link_index'], link['index'])
    return None


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
        name = validation.interface_name(item['name'], 'name')
        netns = netns_of(item)
        state = item['state']
        kind = item['kind']
        session = host.session(netns)
        spec = _kind_spec(item) if kind and state != 'absent' else None
        if item['remotes'] is not None and not (spec and kind == 'vxlan'):
            raise validation.ValidationError('%sremotes needs kind=vxlan and state present, up or down'
                                             % item['_where'])
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
        want = desired_attrs(item, state)
        if link is None and item['from_netns']:
            source = host.session(netns_of(item, 'from_netns'))
            if source.link(name) is not None and source is not session:
                _plan_move(plan, source, session, name)
                link = session.link(name)
        if link is not None and kind and link['kind'] != kind:
            if not item['recreate']:
                raise PlanFailure('%s exists in %s but is a %s, not a %s; set recreate=true to '
                                  'replace it' % (name, session.label, link['kind'] or 'physical interface',
                                                  kind))
            plan_delete(plan, session, name, link['kind'] or 'link')
            link = None
        if link is not None and spec and _spec_differs(session, link, spec):
            # vni, vlan id, parent...: the kernel cannot change them in place
            plan_delete(plan, session, name, kind)
            link = None
        if link is None:
            if not kind:
                raise PlanFailure('interface %s does not exist in %s%s; give kind to create one'
                                  % (name, session.label,
                                     ' nor in netns %s' % item['from_netns'] if item['from_netns'] else ''))
            _plan_create(host, plan, session, name, kind, spec, want)
        else:
            converge_attrs(host, plan, session, name, link, want)
        after = _shown(session.link(name))
        if flood_before is not None:
            # a link made or remade by this plan starts with an empty flood list
            _plan_flood_list(plan, session, name, flood_before if link is not None else [], spec['remotes'])
            before = dict(before, remotes=flood_before) if before is not None else None
            after = dict(after, remotes=spec['remotes'])
        plan.state(key, before, after)


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


def _plan_create(host, plan, session, name, kind, spec, want):
    for what in ('parent', 'device'):
        if spec.get(what):
            require_link(host, session, spec[what], what)
    if want['master']:
        require_link(host, session, want['master'], 'master')

    def create():
        kwargs = dict(spec['create'])
        if spec.get('parent'):
            kwargs['link'] = session.index_of(spec['parent'])
        if spec.get('device'):
            kwargs['vxlan_link'] = session.index_of(spec['device'])
        kwargs.update(_create_kwargs(session, want))
        session.call('create %s %s' % (kind, name), 'link', 'add', ifname=name, kind=kind, **kwargs)

    plan.add('create %s %s in %s' % (kind, name, session.label), create,
             lambda: session.call('delete %s' % name, 'link', 'del', index=session.index_of(name)))
    session.links()[name] = _model(name, kind, want)
