# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.netns contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What the kernel's netlink messages say: the few attributes the planners read, from the bytes.

pyroute2 decodes every attribute of every message (forty-odd per link),
which made reading a namespace cost more than the kernel's work; here a
link, an address, a route, a neighbour or forwarding entry, a vxlan's
settings or an nsid answer is read straight from the datagram. pyroute2
still decodes the kind-specific data (IFLA_INFO_DATA) of the other links
that have some (bridge, vlan, macvlan), in the names the planners use,
when a planner first reads it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import socket
import struct
from collections.abc import Mapping

IFF_UP = 0x1
NLA_HEADER = struct.Struct('=HH')  # length, type
NLA_TYPE_MASK = 0x3fff  # without the nested and byte-order flags
U8 = struct.Struct('=B')
U16 = struct.Struct('=H')
U32 = struct.Struct('=I')
S32 = struct.Struct('=i')
LINK_HEADER = struct.Struct('=BxHiII')  # ifinfomsg: family, type, index, flags, change
ADDRESS_HEADER = struct.Struct('=BBBBI')  # ifaddrmsg: family, prefix length, flags, scope, index
ROUTE_HEADER = struct.Struct('=BBBBBBBBI')  # rtmsg
IFLA_ADDRESS, IFLA_IFNAME, IFLA_MTU, IFLA_LINK, IFLA_MASTER, IFLA_OPERSTATE, IFLA_LINKINFO = 1, 3, 4, 5, 10, 16, 18
IFLA_LINK_NETNSID, IFLA_MIN_MTU, IFLA_MAX_MTU = 37, 50, 51
IFLA_PROTINFO, IFLA_GROUP = 12, 27
IFLA_INFO_KIND, IFLA_INFO_DATA = 1, 2
IFA_ADDRESS, IFA_LOCAL, IFA_BROADCAST, IFA_FLAGS = 1, 2, 4, 8
RTA_DST, RTA_SRC, RTA_OIF, RTA_GATEWAY, RTA_PRIORITY, RTA_PREFSRC, RTA_METRICS = 1, 2, 4, 5, 6, 7, 8
RTA_MULTIPATH, RTA_TABLE, RTA_VIA, RTA_PREF, RTA_ENCAP_TYPE, RTA_NH_ID = 9, 15, 18, 20, 21, 30
RTNEXTHOP = struct.Struct('=HBBi')  # rtnexthop: length, flags, hops (weight - 1), ifindex
RTVIA_FAMILY = struct.Struct('=H')  # rtvia: family, then the address
ADDRESS_LENGTHS = {socket.AF_INET: 4, socket.AF_INET6: 16}
OPERSTATES = ('UNKNOWN', 'NOTPRESENT', 'DOWN', 'LOWERLAYERDOWN', 'TESTING', 'DORMANT', 'UP')
NSID_HEADER = struct.Struct('=B3x')  # rtgenmsg and its padding
NEIGHBOUR_HEADER = struct.Struct('=BxxxiHBB')  # ndmsg: family, ifindex, state, flags, type
NDA_DST, NDA_LLADDR = 1, 2
BE16 = struct.Struct('>H')
NETNSA_NSID, NETNSA_FD = 1, 3
NLMSG_HEADER = struct.Struct('=IHHII')  # length, type, flags, sequence number, port id


class MalformedMessage(Exception):
    """A message or attribute whose lengths do not add up: decoding it would give a wrong state."""


def attributes(data, offset, end):
    """{attribute type: (offset of its value, length of its value)} of data[offset:end].

    Lengths that run past the end, or that are shorter than an attribute's
    header, raise MalformedMessage: a silently shortened list of attributes
    would read as a link, address or route without them.
    """
    found = {}
    while offset + NLA_HEADER.size <= end:
        length, kind = NLA_HEADER.unpack_from(data, offset)
        if length < NLA_HEADER.size or offset + length > end:
            raise MalformedMessage('attribute %d at byte %d claims %d bytes, %d are left'
                                   % (kind & NLA_TYPE_MASK, offset, length, end - offset))
        found[kind & NLA_TYPE_MASK] = (offset + NLA_HEADER.size, length - NLA_HEADER.size)
        offset += align(length)
    if offset < end:
        raise MalformedMessage('%d stray bytes after the last attribute' % (end - offset))
    return found


def _short(kind, length, size):
    return MalformedMessage('attribute %d holds %d bytes, %d expected' % (kind, length, size))


# the fixed-size readers check the size inline: they run for every attribute of every message
def _u8(data, attrs, kind):
    where = attrs.get(kind)
    if where is None:
        return None
    if where[1] < 1:
        raise _short(kind, where[1], 1)
    return U8.unpack_from(data, where[0])[0]


def _u16(data, attrs, kind):
    where = attrs.get(kind)
    if where is None:
        return None
    if where[1] < 2:
        raise _short(kind, where[1], 2)
    return U16.unpack_from(data, where[0])[0]


def _u32(data, attrs, kind):
    where = attrs.get(kind)
    if where is None:
        return None
    if where[1] < 4:
        raise _short(kind, where[1], 4)
    return U32.unpack_from(data, where[0])[0]


def _s32(data, attrs, kind):
    where = attrs.get(kind)
    if where is None:
        return None
    if where[1] < 4:
        raise _short(kind, where[1], 4)
    return S32.unpack_from(data, where[0])[0]


def _string(data, attrs, kind):
    where = attrs.get(kind)
    if not where:
        return None
    return bytes(data[where[0]:where[0] + where[1]]).split(b'\0', 1)[0].decode('utf-8', 'replace')


def _address(data, start, length, family, kind):
    if length != ADDRESS_LENGTHS.get(family):
        raise MalformedMessage('attribute %d holds an address of %d bytes for family %d' % (kind, length, family))
    return socket.inet_ntop(family, data[start:start + length])


def _ip(data, attrs, kind, family):
    where = attrs.get(kind)
    if not where:
        return None
    return _address(data, where[0], where[1], family, kind)


def _via(data, attrs):
    """RTA_VIA: a gateway of another family than the route's, as (4 or 6, address)."""
    where = attrs.get(RTA_VIA)
    if where is None:
        return None
    if where[1] < RTVIA_FAMILY.size:
        raise _short(RTA_VIA, where[1], RTVIA_FAMILY.size)
    family = RTVIA_FAMILY.unpack_from(data, where[0])[0]
    return (6 if family == socket.AF_INET6 else 4,
            _address(data, where[0] + RTVIA_FAMILY.size, where[1] - RTVIA_FAMILY.size, family, RTA_VIA))


def _mac(data, attrs, kind=IFLA_ADDRESS):
    where = attrs.get(kind)
    if not where or not where[1]:
        return None
    return ':'.join('%02x' % byte for byte in bytearray(data[where[0]:where[0] + where[1]]))


class KindData(Mapping):
    """IFLA_INFO_DATA as pyroute2 names and reads it ({'IFLA_VXLAN_ID': 42, ...}), decoded when first read."""

    def __init__(self, message):
        self._message = message
        self._decoded = None

    def _attrs(self):
        if self._decoded is None:
            # imported here: netlink_reader imports this module
            from ansible_collections.linuxnet.netns.plugins.module_utils._netns.netlink_reader import pyroute2_api
            msg = pyroute2_api()['ifinfmsg'](self._message)
            msg.decode()
            info = msg.get_attr('IFLA_LINKINFO')
            details = info.get_attr('IFLA_INFO_DATA') if info else None
            self._decoded = {} if details is None or isinstance(details, (str, bytes)) else dict(
                (name, value) for name, value in details.get('attrs', ()))
        return self._decoded

    def __getitem__(self, key):
        return self._attrs()[key]

    def __iter__(self):
        return iter(self._attrs())

    def __len__(self):
        return len(self._attrs())


def _message(data, offset, header, what):
    """(end of the message, its fixed header's fields): MalformedMessage if it is cut short."""
    if offset + NLMSG_HEADER.size > len(data):
        raise MalformedMessage('%s cut short: %d bytes, less than a netlink header' % (what, len(data) - offset))
    length = U32.unpack_from(data, offset)[0]
    if offset + length > len(data):
        raise MalformedMessage('%s cut short: it claims %d bytes, %d arrived' % (what, length, len(data) - offset))
    if length < NLMSG_HEADER.size + header.size:
        raise MalformedMessage('%s of %d bytes is shorter than its headers (%d)'
                               % (what, length, NLMSG_HEADER.size + header.size))
    return offset + length, header.unpack_from(data, offset + NLMSG_HEADER.size)


def index_from_message(data, offset):
    """The ifindex of a link (RTM_NEWLINK) at data[offset:], its attributes unread."""
    return _message(data, offset, LINK_HEADER, 'link')[1][2]


def link_from_message(data, offset):
    """A link (RTM_NEWLINK) at data[offset:], as the planners read it."""
    end, (dummy_family, dummy_type, index, flags, dummy_change) = _message(data, offset, LINK_HEADER, 'link')
    attrs = attributes(data, offset + NLMSG_HEADER.size + LINK_HEADER.size, end)
    kind = None
    details = {}
    info = attrs.get(IFLA_LINKINFO)
    if info:
        info_attrs = attributes(data, info[0], info[0] + info[1])
        kind = _string(data, info_attrs, IFLA_INFO_KIND)
        if IFLA_INFO_DATA in info_attrs:
            if kind == 'vxlan':
                details = _vxlan_data(data, info_attrs[IFLA_INFO_DATA])
            else:
                details = KindData(bytes(data[offset:end]))
    operstate = _u8(data, attrs, IFLA_OPERSTATE)
    return {
        'index': index,
        'name': _string(data, attrs, IFLA_IFNAME),
        'kind': kind,
        'mtu': _u32(data, attrs, IFLA_MTU),
        # the range the driver accepts; 0 (or a kernel too old to say) means no limit
        'min_mtu': _u32(data, attrs, IFLA_MIN_MTU) or None,
        'max_mtu': _u32(data, attrs, IFLA_MAX_MTU) or None,
        'mac': _mac(data, attrs),
        'up': bool(flags & IFF_UP),
        'master_index': _u32(data, attrs, IFLA_MASTER),
        'link_index': _u32(data, attrs, IFLA_LINK),
        'link_netnsid': _s32(data, attrs, IFLA_LINK_NETNSID),
        'group': _u32(data, attrs, IFLA_GROUP),
        'operstate': OPERSTATES[operstate] if operstate is not None and operstate < len(OPERSTATES) else operstate,
        'data': details,
    }


# IFLA_VXLAN_<name>: (attribute number, how its value is read); the names and values are pyroute2's
VXLAN_ATTRIBUTES = {
    'ID': (1, 'u32'), 'GROUP': (2, 'ip4'), 'LINK': (3, 'u32'), 'LOCAL': (4, 'ip4'), 'TTL': (5, 'u8'),
    'TOS': (6, 'u8'), 'LEARNING': (7, 'u8'), 'AGEING': (8, 'u32'), 'LIMIT': (9, 'u32'), 'PROXY': (11, 'u8'),
    'RSC': (12, 'u8'), 'L2MISS': (13, 'u8'), 'L3MISS': (14, 'u8'), 'PORT': (15, 'be16'), 'GROUP6': (16, 'ip6'),
    'LOCAL6': (17, 'ip6'), 'UDP_CSUM': (18, 'u8'), 'UDP_ZERO_CSUM6_TX': (19, 'u8'),
    'UDP_ZERO_CSUM6_RX': (20, 'u8'), 'REMCSUM_TX': (21, 'u8'), 'REMCSUM_RX': (22, 'u8'), 'GBP': (23, 'flag'),
    'REMCSUM_NOPARTIAL': (24, 'flag'), 'COLLECT_METADATA': (25, 'u8'), 'LABEL': (26, 'u32'), 'GPE': (27, 'flag'),
    'TTL_INHERIT': (28, 'flag'), 'DF': (29, 'u8'),
}
_VXLAN_READERS = {
    'u8': _u8, 'u32': _u32,
    'be16': lambda data, attrs, kind: _be16(data, attrs[kind], kind),
    'ip4': lambda data, attrs, kind: _ip(data, attrs, kind, socket.AF_INET),
    'ip6': lambda data, attrs, kind: _ip(data, attrs, kind, socket.AF_INET6),
    'flag': lambda data, attrs, kind: True,
}


def _be16(data, where, kind):
    if where[1] < 2:
        raise _short(kind, where[1], 2)
    return BE16.unpack_from(data, where[0])[0]


def _vxlan_data(data, where):
    """A vxlan's IFLA_INFO_DATA as pyroute2 names and reads it ({'IFLA_VXLAN_ID': 42, ...}), without pyroute2.

    The settings the planners compare (vni, port, local, group, device) and
    those an undo gives back; the source port range and attributes newer
    than these are left out: nothing here sets or compares them.
    """
    attrs = attributes(data, where[0], where[0] + where[1])
    found = {}
    for name, (kind, reader) in VXLAN_ATTRIBUTES.items():
        if kind in attrs:
            found['IFLA_VXLAN_' + name] = _VXLAN_READERS[reader](data, attrs, kind)
    return found


def neighbour_from_message(data, offset):
    """A neighbour or forwarding entry (RTM_NEWNEIGH) at data[offset:].

    dst: the IP address it is for (a neighbour) or sends to (a vxlan
    forwarding entry); lladdr: its MAC, lower case.
    """
    end, (family, index, state, flags, dummy_type) = _message(data, offset, NEIGHBOUR_HEADER, 'neighbour')
    attrs = attributes(data, offset + NLMSG_HEADER.size + NEIGHBOUR_HEADER.size, end)
    destination = attrs.get(NDA_DST)
    dst = None
    if destination:
        # a bridge's forwarding entry says its destination's family only by its length
        af = family if family in ADDRESS_LENGTHS else socket.AF_INET6 if destination[1] == 16 else socket.AF_INET
        dst = _address(data, destination[0], destination[1], af, NDA_DST)
    return {
        'family': family,
        'index': index,
        'state': state,
        'flags': flags,
        'dst': dst,
        'lladdr': _mac(data, attrs, NDA_LLADDR),
    }


def address_from_message(data, offset):
    """An address (RTM_NEWADDR) at data[offset:].

    For an IPv4 address with a peer (ip addr add A peer B), IFA_LOCAL is the
    address and IFA_ADDRESS the peer; otherwise both are the address.
    """
    end, (af, prefixlen, flags, scope, index) = _message(data, offset, ADDRESS_HEADER, 'address')
    attrs = attributes(data, offset + NLMSG_HEADER.size + ADDRESS_HEADER.size, end)
    family = 6 if af == socket.AF_INET6 else 4
    local = _ip(data, attrs, IFA_LOCAL, af)
    remote = _ip(data, attrs, IFA_ADDRESS, af)
    long_flags = _u32(data, attrs, IFA_FLAGS)
    return {
        'index': index,
        'family': family,
        'address': local or remote,
        'peer': remote if local and remote != local else None,
        'prefixlen': prefixlen,
        'broadcast': _ip(data, attrs, IFA_BROADCAST, af),
        'scope': scope,
        # IFA_FLAGS holds all 32 bits (IFA_F_NOPREFIXROUTE, MANAGETEMPADDR, ...); the header only 8
        'flags': long_flags if long_flags is not None else flags,
    }


def _nexthops(data, where, af):
    """RTA_MULTIPATH: the rtnexthop records, each with its own attributes (gateway, via)."""
    hops = []
    offset, end = where[0], where[0] + where[1]
    while offset < end:
        if offset + RTNEXTHOP.size > end:
            raise MalformedMessage('RTA_MULTIPATH: %d stray bytes after the last nexthop' % (end - offset))
        length, flags, weight, index = RTNEXTHOP.unpack_from(data, offset)
        if length < RTNEXTHOP.size or offset + length > end:
            raise MalformedMessage('RTA_MULTIPATH: a nexthop claims %d bytes, %d are left' % (length, end - offset))
        attrs = attributes(data, offset + RTNEXTHOP.size, offset + length)
        hops.append({
            'oif': index,
            'flags': flags,
            'weight': weight + 1,  # the kernel keeps weight - 1 (rtnh_hops)
            'gateway': _ip(data, attrs, RTA_GATEWAY, af),
            'via': _via(data, attrs),
        })
        offset += align(length)
    return hops


def _metrics(data, attrs):
    """RTA_METRICS: {RTAX_* number: value} (mtu is 2, hoplimit 10, ...), None if the route has none."""
    where = attrs.get(RTA_METRICS)
    if not where:
        return None
    inner = attributes(data, where[0], where[0] + where[1])
    # RTAX_CC_ALGO (16) is a name; every other metric is a u32
    return dict((kind, _string(data, inner, kind) if kind == 16 else _u32(data, inner, kind)) for kind in inner)


def route_from_message(data, offset):
    """A route (RTM_NEWROUTE) at data[offset:].

    Every attribute that makes a route what it is comes out: its identity
    (family, table, dst, IPv6 source prefix, tos, priority) and where it
    leads (gateway or RTA_VIA, oif, each nexthop of a multipath route, a
    nexthop object's id).
    """
    end, (af, dst_len, src_len, tos, table, proto, scope, route_type,
          flags) = _message(data, offset, ROUTE_HEADER, 'route')
    attrs = attributes(data, offset + NLMSG_HEADER.size + ROUTE_HEADER.size, end)
    family = 6 if af == socket.AF_INET6 else 4
    long_table = _u32(data, attrs, RTA_TABLE)
    multipath = attrs.get(RTA_MULTIPATH)
    zero = '::' if family == 6 else '0.0.0.0'
    return {
        'family': family,
        'dst': _ip(data, attrs, RTA_DST, af) if RTA_DST in attrs else zero,
        'dst_len': dst_len,
        'src': _ip(data, attrs, RTA_SRC, af) if RTA_SRC in attrs else zero,
        'src_len': src_len,
        'tos': tos,
        'table': long_table if long_table is not None else table,
        'proto': proto,
        'scope': scope,
        'type': route_type,
        'flags': flags,
        'gateway': _ip(data, attrs, RTA_GATEWAY, af) if RTA_GATEWAY in attrs else None,
        'via': _via(data, attrs) if RTA_VIA in attrs else None,
        'oif': _u32(data, attrs, RTA_OIF),
        'priority': _u32(data, attrs, RTA_PRIORITY),
        'prefsrc': _ip(data, attrs, RTA_PREFSRC, af) if RTA_PREFSRC in attrs else None,
        'multipath': multipath is not None,
        'nexthops': _nexthops(data, multipath, af) if multipath else [],
        # the rarer attributes: a lookup in attrs costs less than a call that finds nothing
        'nh_id': _u32(data, attrs, RTA_NH_ID) if RTA_NH_ID in attrs else None,
        'pref': _u8(data, attrs, RTA_PREF) if RTA_PREF in attrs else None,
        'metrics': _metrics(data, attrs) if RTA_METRICS in attrs else None,
        'encap_type': _u16(data, attrs, RTA_ENCAP_TYPE) if RTA_ENCAP_TYPE in attrs else None,
    }


def bridge_port_from_message(data, offset):
    """(name, {IFLA_BRPORT_ attribute: its u8 value}) of a bridge port (an AF_BRIDGE RTM_NEWLINK)."""
    end, dummy_header = _message(data, offset, LINK_HEADER, 'bridge port')
    attrs = attributes(data, offset + NLMSG_HEADER.size + LINK_HEADER.size, end)
    flags = {}
    if IFLA_PROTINFO in attrs:
        start, size = attrs[IFLA_PROTINFO]
        info = attributes(data, start, start + size)
        for kind in info:
            if info[kind][1] == 1:
                flags[kind] = U8.unpack_from(data, info[kind][0])[0]
    return _string(data, attrs, IFLA_IFNAME), flags


def nsid_from_message(data, offset):
    """The nsid of an RTM_NEWNSID answer, None if the kernel gave none (-1)."""
    end, dummy_family = _message(data, offset, NSID_HEADER, 'nsid')
    attrs = attributes(data, offset + NLMSG_HEADER.size + NSID_HEADER.size, end)
    nsid = _s32(data, attrs, NETNSA_NSID)
    return nsid if nsid is not None and nsid >= 0 else None


def align(length):
    return (length + 3) & ~3


def attribute(kind, value):
    return NLA_HEADER.pack(NLA_HEADER.size + len(value), kind) + value + b'\0' * (-len(value) % 4)
