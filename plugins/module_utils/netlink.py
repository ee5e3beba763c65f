# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.netns contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""One netlink socket per namespace per task, and the state read through it.

A Session opens its socket once, inside its namespace (a netlink socket
stays bound to the namespace it was created in, so the thread goes straight
back home), reads each kind of state at most once, and keeps a model of
the links that the planners update as they plan, so that later items of an
aggregate see what earlier items will have done.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import random
import resource
import socket
import time
import traceback

from ansible_collections.linuxnet.netns.plugins.module_utils import namespaces

try:
    from pyroute2 import IPRoute
    from pyroute2.netlink.exceptions import NetlinkDumpInterrupted, NetlinkError
    HAS_PYROUTE2 = True
    PYROUTE2_IMPORT_ERROR = None
except ImportError:
    HAS_PYROUTE2 = False
    PYROUTE2_IMPORT_ERROR = traceback.format_exc()

    class NetlinkError(Exception):
        code = 0

    class NetlinkDumpInterrupted(NetlinkError):
        pass

IFF_UP = 0x1
NLM_F_DUMP_INTR = 0x10  # pyroute2 0.9 no longer raises NetlinkDumpInterrupted for it
DUMP_ATTEMPTS = 30
DUMP_PAUSE = 0.002  # seconds, doubled at each retry up to DUMP_PAUSE_MAX
DUMP_PAUSE_MAX = 0.2
NSID_NOT_ASSIGNED = 0x7fffffff  # the kernel says -1, pyroute2 reads it unsigned
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


def describe(error):
    code = getattr(error, 'code', None)
    if code:
        try:
            text = '%s (errno %d)' % (os.strerror(code), code)
        except ValueError:
            return str(error)
        said = kernel_says(error)
        return '%s: %s' % (text, said) if said else text
    return str(error)


def interrupted(msg):
    try:
        return bool(msg['header']['flags'] & NLM_F_DUMP_INTR)
    except (KeyError, TypeError):
        return False


def link_from_message(msg):
    info = msg.get_attr('IFLA_LINKINFO')
    kind = info.get_attr('IFLA_INFO_KIND') if info else None
    data = info.get_attr('IFLA_INFO_DATA') if info else None
    details = {}
    if data is not None and not isinstance(data, (str, bytes)):
        details = dict((name, value) for name, value in data.get('attrs', ()))
    mac = msg.get_attr('IFLA_ADDRESS')
    return {
        'index': msg['index'],
        'name': msg.get_attr('IFLA_IFNAME'),
        'kind': kind,
        'mtu': msg.get_attr('IFLA_MTU'),
        # the range the driver accepts; 0 (or a kernel too old to say) means no limit
        'min_mtu': msg.get_attr('IFLA_MIN_MTU') or None,
        'max_mtu': msg.get_attr('IFLA_MAX_MTU') or None,
        'mac': mac.lower() if mac else None,
        'up': bool(msg['flags'] & IFF_UP),
        'master_index': msg.get_attr('IFLA_MASTER'),
        'link_index': msg.get_attr('IFLA_LINK'),
        'link_netnsid': msg.get_attr('IFLA_LINK_NETNSID'),
        'operstate': msg.get_attr('IFLA_OPERSTATE'),
        'data': details,
    }


def address_from_message(msg):
    family = 6 if msg['family'] == socket.AF_INET6 else 4
    address = msg.get_attr('IFA_LOCAL') if family == 4 else None
    address = address or msg.get_attr('IFA_ADDRESS')
    flags = msg.get_attr('IFA_FLAGS')
    return {
        'index': msg['index'],
        'family': family,
        'address': address,
        'prefixlen': msg['prefixlen'],
        'broadcast': msg.get_attr('IFA_BROADCAST'),
        'scope': msg['scope'],
        'flags': flags if flags is not None else msg['flags'],
    }


def route_from_message(msg):
    family = 6 if msg['family'] == socket.AF_INET6 else 4
    table = msg.get_attr('RTA_TABLE')
    return {
        'family': family,
        'dst': msg.get_attr('RTA_DST') or ('::' if family == 6 else '0.0.0.0'),
        'dst_len': msg['dst_len'],
        'table': table if table is not None else msg['table'],
        'proto': msg['proto'],
        'scope': msg['scope'],
        'type': msg['type'],
        'flags': msg['flags'],
        'gateway': msg.get_attr('RTA_GATEWAY'),
        'oif': msg.get_attr('RTA_OIF'),
        'priority': msg.get_attr('RTA_PRIORITY'),
        'prefsrc': msg.get_attr('RTA_PREFSRC'),
        'multipath': msg.get_attr('RTA_MULTIPATH') is not None,
    }


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


class Session(object):
    """The namespace one part of a task acts in."""

    exists = True

    def __init__(self, label, fd, ident):
        self.label = label  # what messages call this namespace
        self.fd = fd  # an open descriptor on the namespace
        self.ident = ident
        with namespaces.entered(fd):
            # ext_ack: the kernel says why it refused ("A VXLAN device with the specified VNI
            # already exists"), not only an errno
            self.ipr = IPRoute(ext_ack=True)
        self._links = None
        self._addresses = None
        self._routes = {}

    def close(self):
        self.ipr.close()
        if self.fd is not None:
            os.close(self.fd)

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
                messages = list(call())
            except NetlinkDumpInterrupted:  # pyroute2 0.7
                continue
            if not any(interrupted(msg) for msg in messages):  # pyroute2 0.9 only flags it
                return messages
        raise NetlinkFailure('netlink dump in %s kept being interrupted by concurrent changes'
                             % self.label)

    def links(self):
        """Links by name: the kernel's, then as the plan so far will leave them."""
        if self._links is None:
            links = [link_from_message(msg) for msg in self._dump(self.ipr.get_links)]
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
            self._addresses = [address_from_message(msg) for msg in self._dump(self.ipr.get_addr)]
        return self._addresses

    def routes(self, family):
        if family not in self._routes:
            af = FAMILIES[family]
            self._routes[family] = [route_from_message(msg) for msg in
                                    self._dump(lambda: self.ipr.route('dump', family=af))]
        return self._routes[family]

    def nsid_of(self, fd):
        """The id this namespace gives the namespace behind fd, or None if it gave none."""
        reply = self.ipr.get_netnsid(fd=fd)
        nsid = reply.get('nsid') if isinstance(reply, dict) else None
        return nsid if nsid is not None and nsid < NSID_NOT_ASSIGNED else None

    def set_nsid(self, fd, nsid):
        if hasattr(self.ipr, 'set_netnsid'):
            return self.call('set nsid %d' % nsid, 'set_netnsid', nsid, fd=fd)
        # pyroute2 0.7 has no set_netnsid: send RTM_NEWNSID ourselves
        from pyroute2.netlink import NLM_F_ACK, NLM_F_REQUEST
        from pyroute2.netlink.rtnl import RTM_NEWNSID
        from pyroute2.netlink.rtnl.nsidmsg import nsidmsg
        msg = nsidmsg()
        msg['attrs'] = [('NETNSA_NSID', nsid), ('NETNSA_FD', fd)]
        return self.call('set nsid %d' % nsid, 'nlm_request', msg,
                         msg_type=RTM_NEWNSID, msg_flags=NLM_F_REQUEST | NLM_F_ACK)

    # -- acting -------------------------------------------------------
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
        try:
            return getattr(self.ipr, method)(*args, **kwargs)
        except NetlinkError as exc:
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
