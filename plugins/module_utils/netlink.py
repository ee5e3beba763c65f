# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.netns contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""One netlink socket per namespace per task, and the state read through it.

A Session opens its sockets inside its namespace (a netlink socket stays
bound to the namespace it was created in, so the thread goes straight back
home), reads each kind of state at most once, and keeps a model of the
links that the planners update as they plan, so that later items of an
aggregate see what earlier items will have done.

Reading goes through a plain blocking netlink socket (Reader) and decodes
the attributes the planners use itself; changes go through pyroute2's
IPRoute, opened only when a session first changes something. pyroute2 0.9
runs every request through an asyncio loop and decodes every attribute of
every message: reading a namespace that way costs about 2.5 ms, this way
0.13 ms (benchmarks/read_namespaces.py), and a run with nothing to change
does not even import pyroute2.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import random
import resource
import socket
import struct
import time
from collections.abc import Mapping

from ansible_collections.linuxnet.netns.plugins.module_utils import namespaces

try:
    from importlib.util import find_spec
    HAS_PYROUTE2 = find_spec('pyroute2') is not None
except (ImportError, ValueError):
    HAS_PYROUTE2 = False
PYROUTE2_IMPORT_ERROR = None if HAS_PYROUTE2 else 'No module named pyroute2'
_PYROUTE2 = {}


def pyroute2_api():
    """The parts of pyroute2 this collection uses, imported when first needed.

    Importing pyroute2 costs 0.12-0.2 s; a task that only reads (a run with
    nothing to change, check mode) needs none of it.
    """
    if not _PYROUTE2:
        try:
            from pyroute2 import IPRoute
            from pyroute2.netlink.exceptions import NetlinkError
            from pyroute2.netlink.rtnl.ifinfmsg import ifinfmsg
            from pyroute2.netlink.rtnl.nsidmsg import nsidmsg
        except ImportError as exc:
            raise NetlinkFailure('pyroute2 is installed but cannot be imported: %s' % exc)
        _PYROUTE2.update(IPRoute=IPRoute, NetlinkError=NetlinkError, ifinfmsg=ifinfmsg, nsidmsg=nsidmsg)
    return _PYROUTE2


class NetlinkDumpInterrupted(Exception):
    """The kernel flagged a dump as inconsistent (NLM_F_DUMP_INTR): changes were made while it ran."""


IFF_UP = 0x1
NETLINK_ROUTE = 0
NLMSG_ERROR = 2
NLMSG_DONE = 3
NLM_F_REQUEST = 0x1
NLM_F_ACK = 0x4
NLM_F_DUMP = 0x300
NLMSG_HEADER = struct.Struct('=IHHII')  # length, type, flags, sequence number, port id
RTM_GETLINK = 18
RTM_GETADDR = 22
RTM_NEWROUTE, RTM_GETROUTE = 24, 26
NLM_F_REPLACE, NLM_F_EXCL, NLM_F_CREATE = 0x100, 0x200, 0x400
RT_TABLE_COMPAT = 252  # rtm_table of a table beyond 255, which RTA_TABLE names
RTM_NEWNSID, RTM_GETNSID = 88, 90
NETNSA_NSID, NETNSA_FD = 1, 3
RECEIVE_SIZE = 1 << 16  # the kernel fills a dump's datagrams up to 32 KiB
NSIDMSG_FD = struct.Struct('=B3xHHI')  # family, then the attribute NETNSA_FD
NLM_F_DUMP_INTR = 0x10
DUMP_ATTEMPTS = 30
DUMP_PAUSE = 0.002  # seconds, doubled at each retry up to DUMP_PAUSE_MAX
DUMP_PAUSE_MAX = 0.2
FAMILIES = {4: socket.AF_INET, 6: socket.AF_INET6}


class NetlinkFailure(Exception):
    """The kernel refused a request; the message says which and why."""

    def __init__(self, message, reason=None, code=None, said=None):
        super(NetlinkFailure, self).__init__(message)
        self.reason = reason or message
        self.code = code  # the errno the kernel answered, if it did
        self.said = said  # the kernel's own words (extended ack), if it gave any


def kernel_says(error):
    """The extended ack message of a NetlinkError, if the kernel gave one."""
    code = getattr(error, 'code', None)
    args = getattr(error, 'args', ())
    said = args[1] if len(args) > 1 else None
    if not said or not code or said == os.strerror(code):
        return None  # pyroute2 fills in strerror when the kernel said nothing more
    return str(said).rstrip('.')


def describe_code(code):
    return '%s (errno %d)' % (os.strerror(code), code)


def describe(error):
    code = getattr(error, 'code', None)
    if code:
        try:
            text = describe_code(code)
        except ValueError:
            return str(error)
        said = kernel_says(error)
        return '%s: %s' % (text, said) if said else text
    return str(error)


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
IFLA_INFO_KIND, IFLA_INFO_DATA = 1, 2
IFA_ADDRESS, IFA_LOCAL, IFA_BROADCAST, IFA_FLAGS = 1, 2, 4, 8
RTA_DST, RTA_SRC, RTA_OIF, RTA_GATEWAY, RTA_PRIORITY, RTA_PREFSRC, RTA_METRICS = 1, 2, 4, 5, 6, 7, 8
RTA_MULTIPATH, RTA_TABLE, RTA_VIA, RTA_PREF, RTA_ENCAP_TYPE, RTA_NH_ID = 9, 15, 18, 20, 21, 30
RTNEXTHOP = struct.Struct('=HBBi')  # rtnexthop: length, flags, hops (weight - 1), ifindex
RTVIA_FAMILY = struct.Struct('=H')  # rtvia: family, then the address
ADDRESS_LENGTHS = {socket.AF_INET: 4, socket.AF_INET6: 16}
OPERSTATES = ('UNKNOWN', 'NOTPRESENT', 'DOWN', 'LOWERLAYERDOWN', 'TESTING', 'DORMANT', 'UP')


# Decoding: the few attributes the planners read, straight from the kernel's bytes. pyroute2
# decodes every attribute of every message (forty-odd per link), which made reading a namespace
# cost more than the kernel's work; it still decodes the kind-specific data (IFLA_INFO_DATA) of
# the links that have some (bridge, vxlan, vlan, macvlan), in the names the planners use.

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
        offset += _align(length)
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


def _mac(data, attrs):
    where = attrs.get(IFLA_ADDRESS)
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
        'operstate': OPERSTATES[operstate] if operstate is not None and operstate < len(OPERSTATES) else operstate,
        'data': details,
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
        offset += _align(length)
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


NSID_HEADER = struct.Struct('=B3x')  # rtgenmsg and its padding


def nsid_from_message(data, offset):
    """The nsid of an RTM_NEWNSID answer, None if the kernel gave none (-1)."""
    end, dummy_family = _message(data, offset, NSID_HEADER, 'nsid')
    attrs = attributes(data, offset + NLMSG_HEADER.size + NSID_HEADER.size, end)
    nsid = _s32(data, attrs, NETNSA_NSID)
    return nsid if nsid is not None and nsid >= 0 else None


def allow_a_session_per_namespace():
    """Raise the soft limit of open files to the hard one, for a task over many namespaces.

    A session holds four or five descriptors (the namespace, the netlink
    socket, pyroute2's event loop), and every session of a task stays open
    until the plan is applied: the usual soft limit of 1024 would stop a task
    at about 200 namespaces with "Too many open files".
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = hard if hard != resource.RLIM_INFINITY else max(soft, 1 << 20)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
        except (ValueError, OSError):
            pass  # keep the limit there is; a task over fewer namespaces still works


def _align(length):
    return (length + 3) & ~3


def _attribute(kind, value):
    return NLA_HEADER.pack(NLA_HEADER.size + len(value), kind) + value + b'\0' * (-len(value) % 4)


class Reader(object):
    """Requests through a plain netlink socket, each answer decoded by a function of this module.

    Open it with the thread inside the namespace to read: the socket stays
    bound to that namespace.
    """

    def __init__(self, label):
        self.label = label
        self.sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW | getattr(socket, 'SOCK_CLOEXEC', 0),
                                  NETLINK_ROUTE)
        self.sock.bind((0, 0))
        self.sequence = 0

    def close(self):
        self.sock.close()

    def dump(self, what, msg_type, body, decode):
        return self.request(what, msg_type, body, decode, NLM_F_REQUEST | NLM_F_DUMP)

    def request(self, what, msg_type, body, decode, flags=NLM_F_REQUEST):
        """The kernel's answers to one request, each decode(data, offset); NetlinkFailure if it refused."""
        self.sequence += 1
        self.sock.send(NLMSG_HEADER.pack(NLMSG_HEADER.size + len(body), msg_type, flags, self.sequence, 0) + body)
        messages = []
        interrupted_dump = False
        while True:
            data = self.sock.recv(RECEIVE_SIZE)
            offset = 0
            while offset + NLMSG_HEADER.size <= len(data):
                length, kind, answer_flags, sequence, dummy_port = NLMSG_HEADER.unpack_from(data, offset)
                if length < NLMSG_HEADER.size or offset + length > len(data):
                    raise NetlinkFailure('%s in %s: malformed answer from the kernel: a message claims %d '
                                         'bytes, %d arrived' % (what, self.label, length, len(data) - offset))
                if sequence == self.sequence:
                    # the kernel may flag only the last part of a dump, NLMSG_DONE included
                    interrupted_dump = interrupted_dump or bool(answer_flags & NLM_F_DUMP_INTR)
                    if kind == NLMSG_ERROR or kind == NLMSG_DONE:
                        code = -struct.unpack_from('=i', data, offset + NLMSG_HEADER.size)[0]
                        if code > 0:
                            reason = describe_code(code)
                            raise NetlinkFailure('%s in %s failed: %s' % (what, self.label, reason), reason, code)
                        if interrupted_dump:
                            raise NetlinkDumpInterrupted()
                        return messages
                    try:
                        messages.append(decode(data, offset))
                    except (MalformedMessage, struct.error) as exc:
                        raise NetlinkFailure('%s in %s: malformed answer from the kernel: %s'
                                             % (what, self.label, exc))
                    if flags & NLM_F_DUMP != NLM_F_DUMP:
                        return messages
                offset += _align(length)


class Session(object):
    """The namespace one part of a task acts in."""

    exists = True

    def __init__(self, label, fd, ident):
        self.label = label  # what messages call this namespace
        self.fd = fd  # an open descriptor on the namespace
        self.ident = ident
        with namespaces.entered(fd):
            self.reader = Reader(label)
        self._ipr = None
        self.touched = False  # a change went through this session since it was last read
        self._links = None
        self._addresses = None
        self._routes = {}

    @property
    def ipr(self):
        """pyroute2's socket for changes, opened in the namespace when first needed."""
        if self._ipr is None:
            with namespaces.entered(self.fd):
                # ext_ack: the kernel says why it refused ("A VXLAN device with the specified VNI
                # already exists"), not only an errno
                self._ipr = pyroute2_api()['IPRoute'](ext_ack=True)
        return self._ipr

    def close(self):
        if self._ipr is not None:
            self._ipr.close()
        self.reader.close()
        if self.fd is not None:
            os.close(self.fd)

    def forget_state(self):
        """Read everything again when next asked: changes were made since it was read."""
        self.touched = False
        self._links = None
        self._addresses = None
        self._routes = {}

    # -- reading ------------------------------------------------------
    def _dump(self, call):
        """A consistent dump: one that concurrent changes interrupted is read again.

        After a short, growing, random pause, so that a retry does not fall into
        the same burst of changes.
        """
        for attempt in range(DUMP_ATTEMPTS):
            if attempt:
                time.sleep(random.uniform(0, min(DUMP_PAUSE * 2 ** attempt, DUMP_PAUSE_MAX)))
            try:
                return list(call())
            except NetlinkDumpInterrupted:
                continue
        raise NetlinkFailure('netlink dump in %s kept being interrupted by concurrent changes'
                             % self.label)

    def links(self):
        """Links by name: the kernel's, then as the plan so far will leave them."""
        if self._links is None:
            links = list(self._dump(lambda: self.reader.dump(
                'list links', RTM_GETLINK, LINK_HEADER.pack(socket.AF_UNSPEC, 0, 0, 0, 0), link_from_message)))
            names = dict((link['index'], link['name']) for link in links)
            for link in links:
                link['master'] = names.get(link['master_index'])
            self._links = dict((link['name'], link) for link in links)
        return self._links

    def link(self, name):
        return self.links().get(name)

    def link_name(self, index):
        for link in self.links().values():
            if link['index'] == index and index is not None:
                return link['name']
        return None

    def addresses(self):
        if self._addresses is None:
            self._addresses = list(self._dump(lambda: self.reader.dump(
                'list addresses', RTM_GETADDR, ADDRESS_HEADER.pack(socket.AF_UNSPEC, 0, 0, 0, 0), address_from_message)))
        return self._addresses

    def routes(self, family):
        if family not in self._routes:
            af = FAMILIES[family]
            self._routes[family] = list(self._dump(lambda: self.reader.dump(
                'list routes', RTM_GETROUTE, ROUTE_HEADER.pack(af, 0, 0, 0, 0, 0, 0, 0, 0), route_from_message)))
        return self._routes[family]

    def nsid_of(self, fd):
        """The id this namespace gives the namespace behind fd, or None if it gave none."""
        replies = self.reader.request('ask the nsid', RTM_GETNSID,
                                      NSIDMSG_FD.pack(socket.AF_UNSPEC, 8, NETNSA_FD, fd), nsid_from_message)
        return replies[0] if replies else None

    def set_nsid(self, fd, nsid):
        if hasattr(self.ipr, 'set_netnsid'):
            return self.call('set nsid %d' % nsid, 'set_netnsid', nsid, fd=fd)
        # pyroute2 0.7 has no set_netnsid: send RTM_NEWNSID ourselves
        msg = pyroute2_api()['nsidmsg']()
        msg['attrs'] = [('NETNSA_NSID', nsid), ('NETNSA_FD', fd)]
        return self.call('set nsid %d' % nsid, 'nlm_request', msg,
                         msg_type=RTM_NEWNSID, msg_flags=NLM_F_REQUEST | NLM_F_ACK)

    # -- acting -------------------------------------------------------
    def route_through_nexthop_object(self, identity, nhid, replace=False):
        """Add (or replace) a route through nexthop object nhid, which pyroute2 cannot encode.

        identity: family, dst, dst_len, src, src_len, tos, table, priority, scope, proto, type.
        """
        self.touched = True
        af = FAMILIES[identity['family']]
        body = ROUTE_HEADER.pack(af, identity['dst_len'], identity['src_len'], identity['tos'],
                                 identity['table'] if identity['table'] < 256 else RT_TABLE_COMPAT,
                                 identity['proto'], identity['scope'], identity['type'], 0)
        body += _attribute(RTA_DST, socket.inet_pton(af, identity['dst'])) if identity['dst_len'] else b''
        body += _attribute(RTA_SRC, socket.inet_pton(af, identity['src'])) if identity['src_len'] else b''
        body += _attribute(RTA_TABLE, U32.pack(identity['table']))
        body += _attribute(RTA_PRIORITY, U32.pack(identity['priority']))
        body += _attribute(RTA_NH_ID, U32.pack(nhid))
        flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | (NLM_F_REPLACE if replace else NLM_F_EXCL)
        self.reader.request('%s route through nexthop object %d' % ('replace' if replace else 'add', nhid),
                            RTM_NEWROUTE, body, None, flags)

    def index_of(self, name):
        """The ifindex of a link: as read, or fresh from the kernel if this plan makes it.

        A link the plan creates or moves has no index in the model (None) until
        the kernel gives it one; any other keeps the one read, which saves a
        request per object (a lookup costs more than a whole dump of a small
        namespace).
        """
        known = self._links.get(name) if self._links is not None else None
        if known is not None and known['index'] is not None:
            return known['index']
        found = self.ipr.link_lookup(ifname=name)
        if not found:
            raise NetlinkFailure('interface %s not found in %s' % (name, self.label))
        return found[0]

    def call(self, what, method, *args, **kwargs):
        self.touched = True
        ipr = self.ipr
        try:
            return getattr(ipr, method)(*args, **kwargs)
        except pyroute2_api()['NetlinkError'] as exc:
            raise NetlinkFailure('%s in %s failed: %s' % (what, self.label, describe(exc)), describe(exc),
                                 getattr(exc, 'code', None), kernel_says(exc))


class AbsentSession(object):
    """A namespace that does not exist yet: empty, and only ever planned against."""

    exists = False
    fd = None
    ident = None

    def __init__(self, label):
        self.label = label
        self._links = {}

    def close(self):
        pass

    def links(self):
        return self._links

    def link(self, name):
        return self._links.get(name)

    def link_name(self, index):
        return None

    def addresses(self):
        return []

    def routes(self, family):
        return []

    def nsid_of(self, fd):
        return None
