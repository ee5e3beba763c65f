# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.netns contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Stand-ins for netlink.Session and engine.Host, so planners are tested without root."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import socket

from ansible_collections.linuxnet.netns.plugins.module_utils._netns import engine, netlink
from ansible_collections.linuxnet.netns.plugins.module_utils._netns import netlink_requests as requests
from ansible_collections.linuxnet.netns.plugins.module_utils._netns.netlink_messages import (
    ADDRESS_HEADER, BE16, LINK_HEADER, NEIGHBOUR_HEADER, ROUTE_HEADER, RTNEXTHOP, U32, VXLAN_ATTRIBUTES, attributes)

DEFAULT_LINKS = (dict(name='eth0', index=1), dict(name='eth1', index=2))


class FakeSession(netlink.LinkLayers):
    """The part of netlink.Session the planners use: state to read, and calls recorded.

    Its links are layered as a Session's: as read, and as the plan leaves them.
    """

    exists = True
    fd = None

    def __init__(self, links=DEFAULT_LINKS, addresses=(), routes=None, label='netns t'):
        self.label = label
        self._read = [dict(link) for link in links]
        self._addresses = list(addresses)
        self._routes = routes or {4: [], 6: []}
        self.calls = []

    def _read_links(self):
        return [dict(link) for link in self._read]

    def addresses(self):
        return self._addresses

    def forget_addresses(self):
        pass

    def routes(self, family):
        return self._routes[family]

    def index_of(self, name):
        # as Session: the plan's index, else the kernel's (here: as read)
        planned = self.link(name)
        if planned is not None and planned['index'] is not None:
            return planned['index']
        read = self.kernel_link(name)
        return read['index'] if read is not None else None

    def call(self, what, method, *args, **kwargs):
        self.calls.append((method,) + args + (kwargs,))

    # the forwarding and neighbour entries the dumps answer: neighbour_entry()'s
    fdb = ()
    neigh = ()

    def forwarding_entries(self, index):
        self.calls.append(('fdb', 'dump', dict(ifindex=index)))
        return [dict(entry) for entry in self.fdb if entry['index'] == index]

    def neighbours(self, index):
        self.calls.append(('neigh', 'dump', dict(ifindex=index)))
        return [dict(entry) for entry in self.neigh if entry['index'] == index]

    def send(self, what, request, planned=False):
        # recorded as call() records pyroute2's calls, and refused where a test's call() refuses
        method, command, args = decoded(request)
        return self.call(what, method, command, **args)


FAMILY_NUMBER = {socket.AF_INET: 4, socket.AF_INET6: 6}
LINK_ATTRS = {3: ('ifname', 'string'), 4: ('mtu', 'u32'), 1: ('address', 'mac'), 10: ('master', 'u32'),
              5: ('link', 'u32'), 28: ('net_ns_fd', 'u32')}
ROUTE_ATTRS = {1: 'dst', 2: 'src', 5: 'gateway', 7: 'prefsrc'}


def neighbour_entry(index, lladdr=None, dst=None, state=requests.NUD_STALE, family=socket.AF_UNSPEC, flags=0):
    """A forwarding or neighbour entry as netlink_messages.neighbour_from_message reads it."""
    return dict(family=family, index=index, state=state, flags=flags, dst=dst, lladdr=lladdr)


def decoded(request):
    """A netlink_requests request as (object, command, arguments), in the words of pyroute2's calls."""
    msg_type, flags, body = request
    if msg_type in (requests.RTM_NEWNEIGH, requests.RTM_DELNEIGH):
        return _neighbour(msg_type, flags, body)
    if msg_type in (requests.RTM_NEWLINK, requests.RTM_DELLINK):
        command = 'del' if msg_type == requests.RTM_DELLINK else 'add' if flags & requests.NLM_F_CREATE else 'set'
        return 'link', command, _link(body)
    if msg_type in (requests.RTM_NEWADDR, requests.RTM_DELADDR):
        family, prefixlen, addr_flags, dummy_scope, index = ADDRESS_HEADER.unpack_from(body)
        attrs = attributes(body, ADDRESS_HEADER.size, len(body))
        args = dict(index=index, address=_ip(body, attrs[1], family), prefixlen=prefixlen)
        if addr_flags:
            args['flags'] = addr_flags
        return 'addr', 'add' if msg_type == requests.RTM_NEWADDR else 'del', args
    command = 'del' if msg_type == requests.RTM_DELROUTE else 'replace' if flags & requests.NLM_F_REPLACE else 'add'
    return 'route', command, _route(body)


def _link(body):
    dummy_family, dummy_type, index, flags, change = LINK_HEADER.unpack_from(body)
    args = dict(index=index) if index else {}
    if change:
        args['state'] = 'up' if flags & 1 else 'down'
    for kind, (offset, length) in attributes(body, LINK_HEADER.size, len(body)).items():
        if kind == 18:  # IFLA_LINKINFO: the kind, and a veth's peer
            info = attributes(body, offset, offset + length)
            args['kind'] = body[info[1][0]:info[1][0] + info[1][1]].rstrip(b'\0').decode()
            if 2 in info and args['kind'] == 'vxlan':
                args.update(_vxlan(body, *info[2]))
            elif 2 in info:
                peer_at, peer_length = attributes(body, info[2][0], info[2][0] + info[2][1])[1]
                args['peer'] = _link(body[peer_at:peer_at + peer_length])
            continue
        if kind == requests.IFLA_AF_SPEC:  # all the collection says there: AF_INET6, addrgenmode none
            args['ipv6_link_local'] = False
            continue
        name, form = LINK_ATTRS[kind]
        value = body[offset:offset + length]
        args[name] = (value.rstrip(b'\0').decode() if form == 'string' else U32.unpack(value)[0] if form == 'u32'
                      else ':'.join('%02x' % octet for octet in bytearray(value)))
    return args


def _neighbour(msg_type, flags, body):
    """`bridge fdb` (family AF_BRIDGE) or `ip neigh` as the pyroute2 call it replaced."""
    family, index, state, dummy_flags, dummy_type = NEIGHBOUR_HEADER.unpack_from(body)
    attrs = attributes(body, NEIGHBOUR_HEADER.size, len(body))
    dst_at = attrs[1]
    args = dict(ifindex=index, dst=_ip(body, dst_at, socket.AF_INET6 if dst_at[1] == 16 else socket.AF_INET))
    if 2 in attrs:
        args['lladdr'] = ':'.join('%02x' % octet for octet in bytearray(body[attrs[2][0]:attrs[2][0] + attrs[2][1]]))
    if family == requests.AF_BRIDGE:
        return 'fdb', 'append' if msg_type == requests.RTM_NEWNEIGH and flags & requests.NLM_F_APPEND else 'del', args
    if msg_type == requests.RTM_NEWNEIGH:
        args['state'] = state
        return 'neigh', 'add', args
    return 'neigh', 'del', args


def _vxlan(body, offset, length):
    """A vxlan's IFLA_INFO_DATA as pyroute2's keywords (vxlan_id=42, ...)."""
    names = dict((kind, (name, reader)) for name, (kind, reader) in VXLAN_ATTRIBUTES.items())
    args = {}
    for kind, (start, size) in attributes(body, offset, offset + length).items():
        name, reader = names[kind]
        value = body[start:start + size]
        args['vxlan_' + name.lower()] = (U32.unpack(value)[0] if reader == 'u32' else BE16.unpack(value)[0]
                                         if reader == 'be16' else socket.inet_ntop(
                                             socket.AF_INET6 if reader == 'ip6' else socket.AF_INET, value))
    return args


def _ip(body, where, family):
    offset, length = where
    return socket.inet_ntop(family, body[offset:offset + length])


def _route(body):
    family, dst_len, src_len, tos, table, proto, scope, route_type, flags = ROUTE_HEADER.unpack_from(body)
    attrs = attributes(body, ROUTE_HEADER.size, len(body))
    args = dict(family=family, dst_len=dst_len, table=U32.unpack_from(body, attrs[15][0])[0],
                priority=U32.unpack_from(body, attrs[6][0])[0], scope=scope)
    args['dst'] = _ip(body, attrs[1], family) if 1 in attrs else '0.0.0.0' if family == socket.AF_INET else '::'
    for kind, name in ROUTE_ATTRS.items():
        if kind in attrs and kind != 1:
            args[name] = _ip(body, attrs[kind], family)
    if src_len:
        args['src_len'] = src_len
    if tos:
        args['tos'] = tos
    if proto:
        args['proto'] = proto
    if route_type != requests.RTN_UNICAST:
        args['type'] = route_type
    if flags:
        args['flags'] = flags
    if 4 in attrs:
        args['oif'] = U32.unpack_from(body, attrs[4][0])[0]
    if 30 in attrs:
        args['nh_id'] = U32.unpack_from(body, attrs[30][0])[0]
    if 9 in attrs:
        args['multipath'] = []
        offset, end = attrs[9][0], attrs[9][0] + attrs[9][1]
        while offset < end:
            length, hop_flags, hops, oif = RTNEXTHOP.unpack_from(body, offset)
            hop = dict(hops=hops)
            if oif:
                hop['oif'] = oif
            if hop_flags:
                hop['flags'] = hop_flags
            hop_attrs = attributes(body, offset + RTNEXTHOP.size, offset + length)
            if 5 in hop_attrs:
                hop['gateway'] = _ip(body, hop_attrs[5], family)
            args['multipath'].append(hop)
            offset += length
    return args


class FakeHost(object):
    """One session for every namespace; warnings collected."""

    def __init__(self, session, check_mode=False):
        self.check_mode = check_mode
        self.warnings = []
        self._session = session
        self.namespaces = engine.PlannedNamespaces()

    def warn(self, message):
        self.warnings.append(message)

    def session(self, ref):
        return self._session

    require = engine.Host.require


def fsync_recorder(monkeypatch):
    """The paths os.fsync is called on, in order (a directory's ends with '/')."""
    synced = []
    real_fsync = os.fsync

    def fsync(fd):
        path = os.readlink('/proc/self/fd/%d' % fd)
        synced.append(path + '/' if os.path.isdir(path) else path)
        real_fsync(fd)
    monkeypatch.setattr(os, 'fsync', fsync)
    return synced
