# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.netns contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every network namespace on the host and what is in it: the engine of netns_info.

The namespaces are found by info_discovery.Host, each reported once.
Each namespace is opened through one of its paths only while it is read,
so a survey of thousands holds no descriptors; it is read through one
netlink socket made inside it, with one dump per kind of state. A veth's
other end is named in two steps: first every namespace is read, then the
nsid its link carries is looked up in the namespace it was read in,
trying first the namespaces whose links point back at it, so that this
costs about one query per cross-namespace link. Nothing is created or
changed, so check mode returns the same.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import contextlib
import os

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.linuxnet.netns.plugins.module_utils._netns import namespaces, netlink
from ansible_collections.linuxnet.netns.plugins.module_utils._netns.engine import OWN_NAMESPACE_LABEL
from ansible_collections.linuxnet.netns.plugins.module_utils._netns.info_discovery import Host
from ansible_collections.linuxnet.netns.plugins.module_utils._netns.namespaces import NamespaceError
from ansible_collections.linuxnet.netns.plugins.module_utils._netns.netlink import NetlinkFailure
from ansible_collections.linuxnet.netns.plugins.module_utils._netns.route_model import TABLES

try:
    from pyroute2.netlink.rtnl import rt_proto, rt_scope, rt_type
except ImportError:  # reported by run() through netlink.HAS_PYROUTE2
    rt_proto = rt_scope = rt_type = {}

OPTIONS = dict(
    name=dict(type='list', elements='str'),
    pid=dict(type='list', elements='int'),
    path=dict(type='list', elements='path'),
    detail=dict(type='bool', default=True),
)

LOCAL_TABLE = TABLES['local']
RTPROT_KERNEL = rt_proto.get('kernel', 2)
TABLE_NAMES = dict((number, name) for name, number in TABLES.items())
SCOPE_NAMES = dict(rt_scope)
SCOPE_NAMES[0] = 'global'  # what ip and netns_route call universe


def read_links(session):
    return dict((link['index'], link) for link in session.links().values())


def read_state(entry, session):
    entry.links = read_links(session)
    entry.addresses = session.addresses()
    entry.routes = [route for family in (4, 6) for route in session.routes(family)
                    if not (route['table'] == LOCAL_TABLE and route['proto'] == RTPROT_KERNEL)]


def cross_links(entry):
    """Links whose other end (veth peer, or parent device) is in another namespace."""
    return [link for link in (entry.links or {}).values()
            if link['link_netnsid'] is not None and link['link_index']]


def likely_first(entry, everyone):
    """everyone, those most likely to hold the other ends of entry's cross links first.

    A veth's peer points back: it sits at the index our end names and names
    our end's index. A parent device only sits at the index. Namespaces not
    read yet might hold anything; the module's own namespace holds most peers.
    """
    points_back = set((link['link_index'], link['index']) for link in cross_links(entry)
                      if link['kind'] == 'veth')
    indexes = set(link['link_index'] for link in cross_links(entry))

    def rank(other):
        if other.links is None:
            return 2
        for link in other.links.values():
            if link['kind'] == 'veth' and (link['index'], link['link_index']) in points_back:
                return 0
        return 1 if indexes.intersection(other.links) else 3

    order = dict((id(other), position) for position, other in enumerate(everyone))
    return sorted(everyone, key=lambda other: (rank(other), not other.own, order[id(other)]))


def resolve_nsids(entry, everyone, nsid_given_to):
    """{nsid: Namespace} for the nsids entry's cross links carry, as entry's namespace sees them."""
    wanted = set(link['link_netnsid'] for link in cross_links(entry))
    found = {}
    for other in likely_first(entry, everyone):
        if wanted.issubset(found):
            break
        nsid = nsid_given_to(other)
        if nsid is not None:
            found[nsid] = other
    return found


def far_end(entry, link, by_nsid, links_of):
    """Where the other end of a link is: its name, index and namespace, as far as known."""
    index = link['link_index']
    if not index:  # a tunnel without an underlying device says 0
        return None
    where = entry if link['link_netnsid'] is None else by_nsid.get(link['link_netnsid'])
    other = links_of(where).get(index) if where is not None else None
    return dict(
        index=index,
        name=other['name'] if other else None,
        netnsid=link['link_netnsid'],
        netns=where.reference if where is not None else None,
        netns_inode=where.inode if where is not None else None,
    )


def _cidr(address):
    return '%s/%d' % (address['address'], address['prefixlen'])


def link_report(entry, link, by_nsid, links_of):
    end = far_end(entry, link, by_nsid, links_of)
    is_veth = link['kind'] == 'veth'
    return dict(
        name=link['name'],
        index=link['index'],
        kind=link['kind'],
        state=link['operstate'],
        up=link['up'],
        mtu=link['mtu'],
        mac=link['mac'],
        master=link['master'],
        peer=end if is_veth else None,
        parent=None if is_veth else end,
        addresses=[_cidr(address) for address in entry.addresses if address['index'] == link['index']],
    )


def _name_or_number(names, value):
    return names.get(value, str(value))


def address_report(entry, address):
    link = entry.links.get(address['index'])
    return dict(
        interface=link['name'] if link else None,
        address=_cidr(address),
        family=address['family'],
        scope=_name_or_number(SCOPE_NAMES, address['scope']),
    )


def route_report(entry, route):
    link = entry.links.get(route['oif']) if route['oif'] is not None else None
    default = route['dst_len'] == 0
    return dict(
        family=route['family'],
        dest='default' if default else '%s/%d' % (route['dst'], route['dst_len']),
        gateway=route['gateway'],
        interface=link['name'] if link else None,
        table=_name_or_number(TABLE_NAMES, route['table']),
        metric=route['priority'],
        source=route['prefsrc'],
        proto=_name_or_number(rt_proto, route['proto']),
        scope=_name_or_number(SCOPE_NAMES, route['scope']),
        type=_name_or_number(rt_type, route['type']),
        multipath=route['multipath'],
    )


def namespace_report(entry, detail, by_nsid=None, links_of=None):
    report = dict(
        netns=entry.reference,
        inode=entry.inode,
        nsid=entry.nsid,
        own=entry.own,
        names=entry.names,
        docker=entry.docker,
        paths=entry.paths,
        pids=entry.pids,
    )
    if detail:
        report['links'] = [link_report(entry, entry.links[index], by_nsid, links_of)
                           for index in sorted(entry.links)]
        report['addresses'] = [address_report(entry, address) for address in entry.addresses]
        report['routes'] = [route_report(entry, route) for route in entry.routes]
    return report


class Reader(object):
    """Reads namespaces through sockets made inside them; the module's own one stays open."""

    def __init__(self, own_entry):
        self.own = own_entry
        fd = namespaces.own_namespace_fd()
        try:
            self.own_session = netlink.Session(OWN_NAMESPACE_LABEL, fd, own_entry.ident)
        except BaseException:
            os.close(fd)
            raise

    def close(self):
        self.own_session.close()

    @contextlib.contextmanager
    def session(self, entry):
        if entry is self.own:
            yield self.own_session
            return
        fd = entry.open()
        try:
            session = netlink.Session(entry.label, fd, entry.ident)
        except BaseException:
            os.close(fd)
            raise
        try:
            yield session
        finally:
            session.close()

    def read(self, entry, detail):
        """Read entry's nsid and, with detail, its state; False if it has gone since it was found."""
        try:
            with self.session(entry) as session:
                entry.nsid = self.own_session.nsid_of(session.fd)
                if detail:
                    read_state(entry, session)
                    if entry is not self.own and cross_links(entry):
                        # Most peers are in the module's own namespace: ask now, while inside,
                        # so that nsids_for need not enter this namespace a second time.
                        entry.own_nsid = session.nsid_of(self.own_session.fd)
        except NamespaceError:
            return False
        return True

    def links_of(self, entry):
        if entry.links is None:
            try:
                with self.session(entry) as session:
                    entry.links = read_links(session)
            except NamespaceError:
                entry.links = {}  # gone since it was found
        return entry.links

    def nsids_for(self, entry, everyone):
        """{nsid: Namespace} for the nsids that entry's cross links carry."""
        wanted = set(link['link_netnsid'] for link in cross_links(entry))
        known = {entry.own_nsid: self.own} if entry.own_nsid is not None else {}
        if wanted.issubset(known):
            return known
        try:
            with self.session(entry) as session:
                return resolve_nsids(entry, everyone, lambda other: self._nsid_given(session, other))
        except NamespaceError:
            return {}

    @staticmethod
    def _nsid_given(session, other):
        try:
            fd = other.open()
        except NamespaceError:
            return None
        try:
            return session.nsid_of(fd)
        finally:
            os.close(fd)


def survey(names=None, pids=None, paths=None, detail=True):
    """The report of netns_info: one dict per namespace the filters select."""
    host = Host().discover()
    chosen = host.select(names, pids, paths)
    reader = Reader(host.own)
    try:
        present = [entry for entry in chosen if reader.read(entry, detail)]
        if not detail:
            return [namespace_report(entry, False) for entry in present]
        return [namespace_report(entry, True, reader.nsids_for(entry, host.found), reader.links_of)
                for entry in present]
    finally:
        reader.close()


def run(module):
    """Report and exit the module."""
    if not netlink.HAS_PYROUTE2:
        module.fail_json(msg=missing_required_lib('pyroute2'), exception=netlink.PYROUTE2_IMPORT_ERROR)
    params = module.params
    try:
        found = survey(params['name'], params['pid'], params['path'], params['detail'])
    except (NamespaceError, NetlinkFailure, OSError) as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(changed=False, actions=[], namespaces=found)
