# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.netns contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The host as one task sees it: every namespace it touches, each opened once.

Host keeps a netlink Session per namespace (by identity, so two names of
one namespace share it), and the namespaces the task plans to make and
remove (PlannedNamespaces). one_task_at_a_time serialises tasks on a host.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import contextlib
import fcntl
import os

from ansible_collections.linuxnet.netns.plugins.module_utils._netns import namespaces, netlink
from ansible_collections.linuxnet.netns.plugins.module_utils._netns.changes import PlanFailure
from ansible_collections.linuxnet.netns.plugins.module_utils._netns.namespaces import NamespaceError

OWN_NAMESPACE_LABEL = "the module's own namespace"


class PlannedNamespaces(object):
    """The named namespaces this task creates and removes, as planned so far.

    Check mode plans quietly against a namespace an earlier stage or planner
    makes; a link whose other end is in a namespace that goes, with nobody in
    it, goes with it (the kernel deletes it): no request of its own.
    """

    def __init__(self):
        self._created = set()
        self._removed = {}  # ref -> descriptor of a namespace this task removes, with nobody in it
        self._removed_nsids = {}  # id(session) -> the nsids that session gives them

    def create(self, ref):
        self._created.add(ref)

    def creates(self, ref):
        return ref in self._created

    def remove(self, ref, fd):
        """This task removes the name of the namespace behind fd, and no process holds it: it goes."""
        self._removed[ref] = fd
        self._removed_nsids.clear()

    def removed_nsids(self, session):
        """The ids session gives the namespaces this task removes: links to them go with them."""
        key = id(session)
        if key not in self._removed_nsids:
            self._removed_nsids[key] = set(session.nsid_of(fd) for fd in self._removed.values()) - set([None])
        return self._removed_nsids[key]


class Host(object):
    """Every namespace one task touches, each opened once."""

    def __init__(self, check_mode, warn):
        self.check_mode = check_mode
        self.warn = warn
        self.namespaces = PlannedNamespaces()
        self._by_ref = {}
        self._by_ident = {}

    def require(self, present, message, assumption='assuming an earlier task creates it'):
        """What the plan builds on must be there; in check mode an earlier task may make it: warn."""
        if present:
            return
        if self.check_mode:
            self.warn('%s; %s' % (message, assumption))
            return
        raise PlanFailure(message)

    @staticmethod
    def label(ref):
        return OWN_NAMESPACE_LABEL if ref is None else 'netns %s' % ref

    def session(self, ref):
        if ref in self._by_ref:
            return self._by_ref[ref]
        path = namespaces.resolve(ref)
        label = self.label(ref)
        if path is None:
            fd = namespaces.own_namespace_fd()
        else:
            try:
                fd = namespaces.open_namespace(path)
            except NamespaceError as exc:
                if not self.check_mode:
                    raise
                if not self.namespaces.creates(ref):
                    # Check mode on a fresh host: an earlier task would have made it.
                    self.warn('%s; assuming an earlier task creates it' % exc)
                session = self._by_ref[ref] = netlink.AbsentSession(label)
                return session
        ident = namespaces.identity(fd)
        session = self._by_ident.get(ident)
        if session is not None:
            os.close(fd)
        else:
            session = self._by_ident[ident] = netlink.Session(label, fd, ident)
        self._by_ref[ref] = session
        return session

    def forget(self, ref):
        """Drop a cached session whose namespace a change is about to create or remove."""
        session = self._by_ref.pop(ref, None)
        if session is not None and session.ident in self._by_ident:
            del self._by_ident[session.ident]
            session.close()

    def read_again_where_changed(self):
        """After changes were applied: what a session changed is read again when next asked.

        A change made through one session that also changes another
        namespace (a veth's peer) is in the other's model already: the
        planners keep it.
        """
        for session in self._by_ident.values():
            if session.touched:
                session.forget_state()

    def close(self):
        for session in list(self._by_ident.values()):
            session.close()
        self._by_ident.clear()
        self._by_ref.clear()


@contextlib.contextmanager
def one_task_at_a_time():
    """Hold a lock while a task reads, plans and applies.

    Two playbooks (or forks) acting on one host at once would otherwise both
    plan from the same state and the second fail on what the first made
    ("File exists"). The lock is a flock on the module's own network
    namespace (its nsfs inode), so it is per host, needs no file of its own,
    and a test sandbox with its own namespace has its own lock.
    """
    fd = namespaces.own_namespace_fd()
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the flock
