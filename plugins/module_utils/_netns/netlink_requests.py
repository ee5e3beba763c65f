# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.netns contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The requests a container's namespace needs, packed from the bytes up.

pyroute2 builds each request from keyword arguments and sends it through an
asyncio loop: about 2 ms of CPU a request, and 3 ms to open its socket in a
namespace, against some 0.05 ms here (benchmarks, issue 18). Links without
kind-specific data (veth, bridge, dummy), vxlan links, addresses, routes,
and neighbour and forwarding entries (a vxlan's flood list) are packed here
and sent through the session's own socket (netlink_reader.Reader), the one
it reads with. pyroute2 keeps the rarer requests: the kind data of vlan and
macvlan links, a deleted link and its addresses given back by an undo, and
nsids.

Each function returns (message type, flags, body), for Session.send.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import socket

from ansible_collections.linuxnet.netns.plugins.module_utils._netns.netlink_messages import (
    ADDRESS_HEADER, BE16, IFF_UP, IFLA_ADDRESS, IFLA_GROUP, IFLA_IFNAME, IFLA_INFO_KIND, IFLA_LINK, IFLA_LINKINFO,
    IFLA_MASTER, IFLA_MTU, IFLA_PROTINFO, IFA_ADDRESS, IFA_LOCAL, LINK_HEADER, NDA_DST, NDA_LLADDR, NEIGHBOUR_HEADER,
    ROUTE_HEADER, RTA_DST, RTA_GATEWAY, RTA_MULTIPATH, RTA_NH_ID, RTA_OIF, RTA_PREFSRC, RTA_PRIORITY, RTA_SRC,
    RTA_TABLE, RTNEXTHOP, U8, U32, VXLAN_ATTRIBUTES, attribute)

RTM_NEWLINK, RTM_DELLINK, RTM_GETLINK, RTM_SETLINK = 16, 17, 18, 19
RTM_NEWADDR, RTM_DELADDR = 20, 21
RTM_NEWROUTE, RTM_DELROUTE = 24, 25
RTM_NEWNEIGH, RTM_DELNEIGH, RTM_GETNEIGH = 28, 29, 30
NLM_F_REPLACE, NLM_F_EXCL, NLM_F_CREATE, NLM_F_APPEND = 0x100, 0x200, 0x400, 0x800
NUD_STALE, NUD_NOARP, NUD_PERMANENT = 0x04, 0x40, 0x80
NTF_SELF = 0x02
NDA_IFINDEX = 8
IFLA_INFO_DATA, VETH_INFO_PEER, IFLA_NET_NS_FD = 2, 1, 28
IFA_F_NODAD = 0x02
NLA_F_NESTED = 0x8000
IFLA_AF_SPEC, IFLA_INET6_ADDR_GEN_MODE, IN6_ADDR_GEN_MODE_NONE = 26, 8, 1
AF_BRIDGE = getattr(socket, 'AF_BRIDGE', 7)
RT_TABLE_COMPAT = 252  # rtm_table of a table beyond 255, which RTA_TABLE names
RTPROT_BOOT = 3  # what `ip route add` marks its routes with
RTN_UNICAST = 1
FAMILIES = {4: socket.AF_INET, 6: socket.AF_INET6}
# what a command asks of a route that may or may not be there
ROUTE_COMMANDS = {'add': (RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL),
                  'replace': (RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE),
                  'del': (RTM_DELROUTE, 0)}


def _name(kind, name):
    return attribute(kind, name.encode() + b'\0')


def _u32(kind, value):
    return attribute(kind, U32.pack(value))


def _ip(kind, address, family):
    return attribute(kind, socket.inet_pton(FAMILIES[family], str(address)))


def _version(address):
    return 6 if ':' in str(address) else 4


def _mac(kind, mac):
    return attribute(kind, bytes(bytearray(int(octet, 16) for octet in mac.split(':'))))


def link_settings(index=0, name=None, up=None, mtu=None, mac=None, master=None, parent=None, net_ns_fd=None,
                  group=None, ipv6_link_local=None):
    """An ifinfomsg and the attributes every link has; a link is named by index, else by name.

    up: None leaves the admin state as it is. master: an ifindex, 0 for none. group: the
    netdev group (0 is the default). ipv6_link_local=False: the link makes itself no IPv6
    link-local address when it comes up (addrgenmode none). The kernel takes it only for a link
    that exists (EAFNOSUPPORT in the request that creates it), and applies the admin state before
    it: a link brought up in the same request has made its address already.
    """
    body = LINK_HEADER.pack(socket.AF_UNSPEC, 0, index or 0, IFF_UP if up else 0, IFF_UP if up is not None else 0)
    if name is not None:
        body += _name(IFLA_IFNAME, name)
    if mtu is not None:
        body += _u32(IFLA_MTU, mtu)
    if mac is not None:
        body += _mac(IFLA_ADDRESS, mac)
    if master is not None:
        body += _u32(IFLA_MASTER, master)
    if parent is not None:
        body += _u32(IFLA_LINK, parent)
    if net_ns_fd is not None:
        body += _u32(IFLA_NET_NS_FD, net_ns_fd)
    if group is not None:
        body += _u32(IFLA_GROUP, group)
    if ipv6_link_local is False:
        mode = attribute(IFLA_INET6_ADDR_GEN_MODE, U8.pack(IN6_ADDR_GEN_MODE_NONE))
        body += attribute(IFLA_AF_SPEC | NLA_F_NESTED, attribute(socket.AF_INET6 | NLA_F_NESTED, mode))
    return body


def set_link(**settings):
    """Change a link: link_settings' arguments."""
    return RTM_NEWLINK, 0, link_settings(**settings)


def new_link(kind, name, peer=None, data=None, **settings):
    """Make a link; peer: a veth's other end, link_settings' arguments; data: its kind's (KIND_DATA)."""
    if peer is not None:
        data = attribute(IFLA_INFO_DATA, attribute(VETH_INFO_PEER, link_settings(**peer)))
    elif data:
        data = attribute(IFLA_INFO_DATA, KIND_DATA[kind][1](**data))
    else:
        data = b''
    body = link_settings(name=name, **settings) + attribute(IFLA_LINKINFO, _name(IFLA_INFO_KIND, kind) + data)
    return RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, body


# create_link's vxlan arguments (pyroute2's keywords): IFLA_VXLAN_<name>
VXLAN_SETTINGS = dict(('vxlan_' + name.lower(), name)
                      for name in ('ID', 'PORT', 'GROUP', 'LOCAL', 'GROUP6', 'LOCAL6', 'LINK'))


def vxlan_data(**settings):
    """A vxlan's IFLA_INFO_DATA: vxlan_id, vxlan_port, vxlan_local(6), vxlan_group(6), vxlan_link (an ifindex)."""
    body = b''
    for keyword, value in sorted(settings.items()):
        kind, reader = VXLAN_ATTRIBUTES[VXLAN_SETTINGS[keyword]]
        if reader == 'u32':
            body += _u32(kind, value)
        elif reader == 'be16':
            body += attribute(kind, BE16.pack(value))
        else:
            body += _ip(kind, value, 6 if reader == 'ip6' else 4)
    return body


# the kinds whose data is packed here: create_link's keywords for it (pyroute2's), and the packer
KIND_DATA = {'vxlan': (frozenset(VXLAN_SETTINGS), vxlan_data)}


def delete_link(index):
    return RTM_DELLINK, 0, link_settings(index=index)


def bridge_port(index, flags):
    """Set a bridge port's flags, as `bridge link set` does: flags {IFLA_BRPORT_ attribute: bool} (u8 each)."""
    protinfo = b''.join(attribute(kind, U8.pack(1 if value else 0)) for kind, value in sorted(flags.items()))
    body = LINK_HEADER.pack(AF_BRIDGE, 0, index, 0, 0) + attribute(IFLA_PROTINFO | NLA_F_NESTED, protinfo)
    return RTM_SETLINK, 0, body


def bridge_ports():
    """Ask for every bridge port of the namespace, with its flags (IFLA_PROTINFO)."""
    return RTM_GETLINK, 0, LINK_HEADER.pack(AF_BRIDGE, 0, 0, 0, 0)


def find_link(name):
    """Ask for one link by name (the kernel answers ENODEV if there is none)."""
    return RTM_GETLINK, 0, link_settings(name=name)


def address(add, index, family, address, prefixlen, nodad=False):
    """Add (or remove) address/prefixlen on link index, as `ip address` does; nodad: usable at once (IPv6)."""
    body = ADDRESS_HEADER.pack(FAMILIES[family], prefixlen, IFA_F_NODAD if nodad else 0, 0, index)
    if family == 4:
        body += _ip(IFA_LOCAL, address, family)
    body += _ip(IFA_ADDRESS, address, family)
    return (RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, body) if add else (RTM_DELADDR, 0, body)


def _table(table):
    return table if table < 256 else RT_TABLE_COMPAT


def route(command, identity, path=None, nexthops=None, prefsrc=None):
    """A route request (command: add, replace or del).

    identity: family, dst, dst_len, src, src_len, tos, table, priority, scope,
    type and, where given, proto and flags (RTNH_F_ONLINK). path: the gateway and
    oif (an ifindex) of a single path; nexthops: those of each path, with hops
    (its weight less one) and flags.
    """
    msg_type, flags = ROUTE_COMMANDS[command]
    family = identity['family']
    body = ROUTE_HEADER.pack(FAMILIES[family], identity['dst_len'], identity['src_len'], identity['tos'],
                             _table(identity['table']), identity.get('proto', 0), identity['scope'],
                             identity.get('type', RTN_UNICAST), identity.get('flags', 0))
    if identity['dst_len']:
        body += _ip(RTA_DST, identity['dst'], family)
    if identity['src_len']:
        body += _ip(RTA_SRC, identity['src'], family)
    body += _u32(RTA_TABLE, identity['table']) + _u32(RTA_PRIORITY, identity['priority'])
    if path:
        body += _path(path, family)
    if nexthops:
        hops = b''
        for hop in nexthops:
            attrs = _ip(RTA_GATEWAY, hop['gateway'], family) if hop.get('gateway') else b''
            hops += RTNEXTHOP.pack(RTNEXTHOP.size + len(attrs), hop.get('flags', 0), hop.get('hops', 0),
                                   hop.get('oif', 0)) + attrs
        body += attribute(RTA_MULTIPATH, hops)
    if prefsrc:
        body += _ip(RTA_PREFSRC, prefsrc, family)
    return msg_type, flags, body


def _path(path, family):
    attrs = b''
    if path.get('gateway'):
        attrs += _ip(RTA_GATEWAY, path['gateway'], family)
    if path.get('oif'):
        attrs += _u32(RTA_OIF, path['oif'])
    return attrs


def route_through_nexthop_object(identity, nhid, replace=False):
    """Add (or replace) a route through nexthop object nhid, which pyroute2 cannot encode."""
    msg_type, flags, body = route('replace' if replace else 'add', identity)
    return msg_type, flags, body + _u32(RTA_NH_ID, nhid)


def forwarding_entries(index):
    """Ask for the forwarding entries of link index (a vxlan): `bridge fdb show dev`.

    An ifinfomsg, not an ndmsg: the kernel filters a dump by the device only
    when the request is laid out as one (rtnl_fdb_dump).
    """
    return RTM_GETNEIGH, 0, LINK_HEADER.pack(AF_BRIDGE, 0, index, 0, 0)


def forwarding_entry(command, index, lladdr, dst):
    """`bridge fdb append|del LLADDR dev INDEX dst DST`: a static entry of the device itself, as iproute2 makes it."""
    body = (NEIGHBOUR_HEADER.pack(AF_BRIDGE, index, NUD_NOARP | NUD_PERMANENT, NTF_SELF, 0) + _mac(NDA_LLADDR, lladdr)
            + _ip(NDA_DST, dst, _version(dst)))
    return (RTM_NEWNEIGH, NLM_F_CREATE | NLM_F_APPEND, body) if command == 'append' else (RTM_DELNEIGH, 0, body)


def neighbours(index):
    """Ask for the neighbour entries (IPv4 and IPv6) on link index: `ip neigh show dev`."""
    return RTM_GETNEIGH, 0, NEIGHBOUR_HEADER.pack(socket.AF_UNSPEC, 0, 0, 0, 0) + _u32(NDA_IFINDEX, index)


def neighbour(command, index, dst, lladdr=None, state=0):
    """`ip neigh add DST lladdr LLADDR dev INDEX nud STATE` (command add), or `ip neigh del DST dev INDEX` (del)."""
    version = _version(dst)
    body = NEIGHBOUR_HEADER.pack(FAMILIES[version], index, state, 0, 0) + _ip(NDA_DST, dst, version)
    if lladdr:
        body += _mac(NDA_LLADDR, lladdr)
    return (RTM_NEWNEIGH, NLM_F_CREATE | NLM_F_EXCL, body) if command == 'add' else (RTM_DELNEIGH, 0, body)
