# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.netns contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""One netlink socket per namespace per task, and the state read through it.

A Session opens its sockets inside its namespace (a netlink socket stays
bound to the namespace it was created in, so the thread goes straight back
home) and reads each kind of state at most once. The links it read stay as
read; over them lies the plan's layer, which the planners change only
through plan_link, plan_link_update and plan_link_gone, so that later items
of an aggregate see what earlier items will have done.

Reading and the common changes (links, vxlan ones with their settings,
addresses, routes, forwarding and neighbour entries) go through one plain
blocking netlink socket per session (netlink_reader.Reader, decoded by
netlink_messages, packed by netlink_requests). pyroute2's IPRoute is opened
only for the rarer changes (vlan/macvlan data, an undone delete, nsids), so
that a run that makes containers or a VXLAN overlay does not even import it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import os
import random
import resource
import socket
import struct
import time
from types import MappingProxyType

from ansible_collections.linuxnet.netns.plugins.module_utils._netns import namespaces
from ansible_collections.linuxnet.netns.plugins.module_utils._netns import netlink_requests as requests
from ansible_collections.linuxnet.netns.plugins.module_utils._netns.netlink_messages import (
    ADDRESS_HEADER, LINK_HEADER, ROUTE_HEADER, NETNSA_FD, U32, address_from_message, attribute, bridge_port_from_message,
    index_from_message, link_from_message, neighbour_from_message, nsid_from_message, route_from_message)
# HAS_PYROUTE2, PYROUTE2_IMPORT_ERROR and NetlinkFailure: what the engine and the modules ask of netlink
from ansible_collections.linuxnet.netns.plugins.module_utils._netns.netlink_reader import (  # noqa: F401 pylint: disable=unused-import
    HAS_PYROUTE2, PYROUTE2_IMPORT_ERROR, NLM_F_ACK, NLM_F_REQUEST, NetlinkDumpInterrupted, NetlinkFailure, Reader,
    describe, kernel_says, pyroute2_api)

RTM_GETLINK = 18
IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS = 29, 1 << 3
# the links, without the counters (a third of each message) that no planner reads
LINK_DUMP = LINK_HEADER.pack(socket.AF_UNSPEC, 0, 0, 0, 0) + attribute(IFLA_EXT_MASK, U32.pack(RTEXT_FILTER_SKIP_STATS))
RTM_GETADDR = 22
RTM_GETROUTE = 26
RTM_NEWNSID, RTM_GETNSID = 88, 90
NSIDMSG_FD = struct.Struct('=B3xHHI')  # family, then the attribute NETNSA_FD
DUMP_ATTEMPTS = 30
DUMP_PAUSE = 0.002  # seconds, doubled at each retry up to DUMP_PAUSE_MAX
DUMP_PAUSE_MAX = 0.2
FAMILIES = {4: socket.AF_INET, 6: socket.AF_INET6}
NO_DATA = MappingProxyType({})
# What a request may change of what a session read: a link's change reaches its addresses (a link
# down drops IPv6 ones) and routes; an address brings its prefix and local routes. None: any other.
STALE_AFTER = {requests.RTM_NEWLINK: ('links', 'addresses', 'routes'),
               requests.RTM_DELLINK: ('links', 'addresses', 'routes'),
               requests.RTM_NEWADDR: ('addresses', 'routes'), requests.RTM_DELADDR: ('addresses', 'routes'),
               requests.RTM_NEWROUTE: ('routes',), requests.RTM_DELROUTE: ('routes',),
               requests.RTM_SETLINK: ('bridge_ports',),  # a bridge port's flags: nothing of the link read
               requests.RTM_NEWNEIGH: ('fdb',), requests.RTM_DELNEIGH: ('fdb',),
               None: ('links', 'addresses', 'routes', 'fdb')}


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


def frozen(link, owned=False):
    """A link as a read-only mapping, its kind data too; owned: link is ours to change (fresh from a dump)."""
    data = link.get('data')
    if isinstance(data, dict):
        data = MappingProxyType(dict(data)) if data else NO_DATA
        if owned:
            link['data'] = data
        else:
            link = dict(link, data=data)
    return MappingProxyType(link)


class LinkLayers(object):
    """Links as the kernel had them when read, and as the plan so far will leave them.

    What was read is never changed. The plan's layer starts as a copy of it
    (once per read) and changes one link at a time, copy on write; links()
    hands out the one read-only view of it, so that asking for it per item
    costs nothing however many links a namespace holds.
    """

    _kernel_links = None
    _planned_links = None
    _planned_view = None

    def _read_links(self):
        """The links of the namespace: fresh dicts (name, index, kind, ...), the layers' to keep."""
        raise NotImplementedError

    def _forget_links(self):
        self._kernel_links = self._planned_links = self._planned_view = None

    def _layers(self):
        if self._kernel_links is None:
            read = dict((link['name'], frozen(link, owned=True)) for link in self._read_links())
            self._kernel_links = MappingProxyType(read)
            self._planned_links = dict(read)
            self._planned_view = MappingProxyType(self._planned_links)
        return self._planned_links

    def links(self):
        """Links by name, as the plan so far will leave them (read-only)."""
        self._layers()
        return self._planned_view

    def link(self, name):
        return self._layers().get(name)

    def kernel_links(self):
        """Links by name as read from the kernel, whatever the plan does to them."""
        self._layers()
        return self._kernel_links

    def kernel_link(self, name):
        return self.kernel_links().get(name)

    def link_name(self, index):
        if index is None:
            return None
        for link in self._layers().values():
            if link['index'] == index:
                return link['name']
        return None

    def plan_link(self, name, link):
        """The plan makes (or moves in) link as name: no index until the kernel gives it one."""
        self._layers()[name] = frozen(dict(link, name=name))

    def plan_link_update(self, name, **attrs):
        """The plan changes attrs of the link called name."""
        links = self._layers()
        links[name] = frozen(dict(links[name], **attrs))

    def plan_link_gone(self, name):
        """The plan deletes (or moves away) the link called name."""
        self._layers().pop(name, None)


class Session(LinkLayers):
    """The namespace one part of a task acts in."""

    exists = True

    def __init__(self, label, fd, ident):
        self.label = label  # what messages call this namespace
        self.fd = fd  # an open descriptor on the namespace
        self.ident = ident
        with namespaces.entered(fd):
            self.reader = Reader(label)
        self._ipr = None
        self._stale = set()  # what changes through this session made stale of what it read
        self._addresses = None
        self._routes = {}
        self._bridge_ports = None
        self._forwarding = {}  # the forwarding entries of a link, by its index
        _OPEN[fd] = self

    @property
    def ipr(self):
        """pyroute2's socket for the changes netlink_requests does not pack, opened when first needed."""
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
            if _OPEN.get(self.fd) is self:
                del _OPEN[self.fd]
            os.close(self.fd)

    @property
    def touched(self):
        """A change went through this session since it was last read."""
        return bool(self._stale)

    @touched.setter
    def touched(self, value):
        self._stale = set(STALE_AFTER[None]) if value else set()

    def forget_state(self):
        """Read again, when next asked, what the changes made since it was read may have changed."""
        stale, self._stale = self._stale, set()
        if 'links' in stale:
            self._forget_links()
        if 'links' in stale or 'bridge_ports' in stale:
            self._bridge_ports = None
        if 'addresses' in stale:
            self._addresses = None
        if 'routes' in stale:
            self._routes = {}
        if 'links' in stale or 'fdb' in stale:
            self._forwarding = {}

    def forget_addresses(self):
        """Read the addresses again when next asked (the kernel changes their flags as DAD runs)."""
        self._addresses = None

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

    def _read_links(self):
        links = list(self._dump(lambda: self.reader.dump(
            'list links', RTM_GETLINK, LINK_DUMP, link_from_message)))
        names = dict((link['index'], link['name']) for link in links)
        for link in links:
            link['master'] = names.get(link['master_index'])
        return links

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

    def bridge_ports(self):
        """{port name: {IFLA_BRPORT_ attribute: value}} of every bridge port of the namespace, read once."""
        if self._bridge_ports is None:
            msg_type, flags, body = requests.bridge_ports()
            self._bridge_ports = dict(self._dump(lambda: self.reader.dump(
                'list bridge ports', msg_type, body, bridge_port_from_message)))
        return self._bridge_ports

    def forwarding_entries(self, index):
        """The forwarding entries of link index (a vxlan's flood list and what it learnt), read once."""
        if index not in self._forwarding:
            self._forwarding[index] = self._entries('list the forwarding entries', requests.forwarding_entries(index),
                                                    index)
        return self._forwarding[index]

    def neighbours(self, index):
        """The neighbour entries (IPv4 and IPv6) on link index, read now."""
        return self._entries('list the neighbours', requests.neighbours(index), index)

    def _entries(self, what, request, index):
        msg_type, dummy_flags, body = request
        return [entry for entry in self._dump(lambda: self.reader.dump(what, msg_type, body, neighbour_from_message))
                if entry['index'] == index]

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
    def send(self, what, request, planned=False):
        """Make one change: request is (message type, flags, body), from netlink_requests.

        Through the session's own socket, answered with an acknowledgement:
        no pyroute2, whose asyncio loop costs more than the kernel's work.
        planned: the request changes nothing of the links that the plan's
        layer does not have already (it brings up a link the layer has up,
        or sets how the link makes IPv6 addresses), so the links need not be
        read again for it (its addresses and routes do: the kernel adds some
        as a link comes up).
        """
        msg_type, flags, body = request
        self._stale.update(('addresses', 'routes') if planned else STALE_AFTER.get(msg_type, STALE_AFTER[None]))
        self.reader.request(what, msg_type, body, None, NLM_F_REQUEST | NLM_F_ACK | flags)

    def index_of(self, name):
        """The ifindex of a link: as read, or fresh from the kernel if this plan makes it.

        A link the plan creates or moves has no index in the model (None) until
        the kernel gives it one; any other keeps the one read, which saves a
        request per object.
        """
        known = self._planned_links.get(name) if self._planned_links is not None else None
        if known is not None and known['index'] is not None:
            return known['index']
        msg_type, flags, body = requests.find_link(name)
        try:
            found = self.reader.request('look up %s' % name, msg_type, body, index_from_message, NLM_F_REQUEST | flags)
        except NetlinkFailure as exc:
            if exc.code != errno.ENODEV:
                raise
            found = None
        if not found:
            raise NetlinkFailure('interface %s not found in %s' % (name, self.label))
        if known is not None and name not in self._kernel_links:
            # made by this plan: the kernel's answer holds until the namespace is read again (a name
            # that was read may instead be about to go, replaced: its index is asked each time)
            self.plan_link_update(name, index=found[0])
        return found[0]

    def call(self, what, method, *args, **kwargs):
        self.touched = True
        ipr = self.ipr
        try:
            return getattr(ipr, method)(*args, **kwargs)
        except pyroute2_api()['NetlinkError'] as exc:
            raise NetlinkFailure('%s in %s failed: %s' % (what, self.label, describe(exc)), describe(exc),
                                 getattr(exc, 'code', None), kernel_says(exc))


# The open sessions by the descriptor of their namespace: a change given as data names the other
# namespace it reaches into (a veth's peer, a link moved away) by that number.
_OPEN = {}


def session_on(fd, default=None):
    """The open Session of the namespace behind descriptor fd (default when fd is default's)."""
    if default is not None and fd == default.fd:
        return default
    if fd not in _OPEN:
        raise NetlinkFailure('no namespace of this task is open on descriptor %s' % fd)
    return _OPEN[fd]


class AbsentSession(LinkLayers):
    """A namespace that does not exist yet: empty, and only ever planned against."""

    exists = False
    fd = None
    ident = None

    def __init__(self, label):
        self.label = label

    def _read_links(self):
        return []

    def close(self):
        pass

    def addresses(self):
        return []

    def forget_addresses(self):
        pass

    def routes(self, family):
        return []

    def nsid_of(self, fd):
        return None
