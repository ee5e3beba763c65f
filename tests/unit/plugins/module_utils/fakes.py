# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.netns contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Stand-ins for netlink.Session and engine.Host, so planners are tested without root."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.linuxnet.netns.plugins.module_utils._netns import engine, netlink

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
