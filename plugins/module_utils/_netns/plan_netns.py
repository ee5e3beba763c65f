# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.netns contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Planner of the netns module: named namespaces, their loopback and nsid."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible_collections.linuxnet.netns.plugins.module_utils._netns import argspec, namespaces, validation
from ansible_collections.linuxnet.netns.plugins.module_utils._netns import netlink_requests as requests
from ansible_collections.linuxnet.netns.plugins.module_utils._netns.engine import Op, PlanFailure, operation

OPTIONS = dict(
    name=dict(type='list', elements='str'),
    state=dict(type='str', default='present', choices=['present', 'absent']),
    loopback=dict(type='bool', default=True),
    pid=dict(type='int'),
    path=dict(type='path'),
    nsid=dict(type='int'),
    force=dict(type='bool', default=False),
)
REQUIRED = ('name',)
RULES = (argspec.exclusive('pid', 'path'),)
LOOPBACK_IFINDEX = 1  # the kernel gives lo this index in every network namespace


class Existing(object):
    """What is at /run/netns/NAME now."""

    def __init__(self, name):
        self.path = namespaces.path_of(name)
        self.fd = None
        self.ident = None
        self.stale = False
        try:
            self.fd = namespaces.open_namespace(self.path)
            self.ident = namespaces.identity(self.fd)
        except namespaces.NamespaceError:
            self.stale = os.path.lexists(self.path)

    @property
    def exists(self):
        return self.fd is not None

    def close(self):
        if self.fd is not None:
            os.close(self.fd)


def _source_of(item):
    if item['pid'] is not None:
        return '/proc/%d/ns/net' % item['pid']
    return item['path']


def _nsid_in_range(item):
    nsid = item['nsid']
    if nsid is not None and not 0 <= nsid < 0x7fffffff:
        raise validation.ValidationError('nsid %d is out of range (0..2147483646)' % nsid)
    return nsid


class Users(object):
    """Which processes use which namespace: /proc is read once per task, when first asked."""

    def __init__(self):
        self._by_ident = None

    def of(self, ident):
        if self._by_ident is None:
            self._by_ident = namespaces.processes_by_namespace()
        return self._by_ident.get(ident, [])


def plan(host, items, plan):
    own = host.session(None)
    users_of = Users().of
    seen = set()
    for item in items:
        names = [validation.namespace_name(name) for name in item['name']]
        source = _source_of(item)
        nsid = _nsid_in_range(item)
        if len(names) > 1 and (source or nsid is not None):
            raise validation.ValidationError('pid, path and nsid apply to one namespace; '
                                             'name lists %d' % len(names))
        source_ident = None
        if source and item['state'] == 'present':
            fd = namespaces.open_namespace(source)
            source_ident = namespaces.identity(fd)
            os.close(fd)
        for name in names:
            if name in seen:
                raise validation.ValidationError('namespace %s is named twice in one task' % name)
            seen.add(name)
            existing = Existing(name)
            try:
                if item['state'] == 'absent':
                    _plan_absent(host, plan, name, existing, item['force'], users_of)
                else:
                    _plan_present(host, own, plan, name, existing, item, source, source_ident, nsid)
            finally:
                existing.close()


def _describe(existing, nsid, loopback_up=None):
    if not existing.exists:
        return None
    state = dict(path=existing.path, inode=existing.ident[1], nsid=nsid)
    if loopback_up is not None:
        state['loopback'] = loopback_up
    return state


def _plan_absent(host, plan, name, existing, force, users_of):
    if existing.stale:
        plan.add('remove stale file %s (not a namespace)' % existing.path, Op(_delete, name=name))
        plan.state(name, dict(path=existing.path, stale=True), None)
        return
    if not existing.exists:
        plan.state(name, None, None)
        return
    users = users_of(existing.ident)
    if users and not force:
        raise PlanFailure('namespace %s is still used by %s; stop them first, or set force=true '
                          'to remove the name anyway (the namespace lives on while they run)'
                          % (name, ', '.join('%(command)s (pid %(pid)d)' % user for user in users)))
    # Keep the namespace open so that undo can pin it again under its name.
    keep = os.dup(existing.fd)
    if not users:
        host.namespaces.remove(name, keep)

    plan.add('remove namespace %s' % name, Op(_remove, host, name=name),
             Op(_attach, name=name, source='/proc/%d/fd/%d' % (os.getpid(), keep)))
    plan.state(name, dict(path=existing.path, inode=existing.ident[1]), None)


def _lo_is_up(host, ref):
    lo = host.session(ref).link('lo')
    return bool(lo and lo['up'])


def _plan_present(host, own, plan, name, existing, item, source, source_ident, nsid):
    loopback = item['loopback']
    repoint = existing.exists and source_ident is not None and existing.ident != source_ident
    if repoint and not item['force']:
        raise PlanFailure('namespace %s already exists and is not the one at %s; '
                          'set force=true to re-point the name' % (name, source))
    existing_nsid = own.nsid_of(existing.fd) if existing.exists else None
    changes_before = len(plan.changes)
    before = _describe(existing, existing_nsid, _lo_is_up(host, name) if loopback and existing.exists else None)

    # Where the namespace that will carry the name is now: to read its lo and nsid.
    if existing.exists and not repoint:
        target_ref, target_fd = name, existing.fd
    elif source:
        target_ref, target_fd = source, None
    else:
        target_ref, target_fd = None, None

    if repoint:
        plan.add('re-point namespace %s to %s' % (name, source), Op(_repoint, host, name=name, source=source))
    elif not existing.exists and source:
        plan.add('attach namespace %s to %s' % (name, source),
                 Op(_attach, name=name, source=source), Op(_delete, name=name))
        host.namespaces.create(name)
    elif not existing.exists:
        host.namespaces.create(name)
        summary = ('replace stale file %s with namespace %s' % (existing.path, name) if existing.stale
                   else 'create namespace %s' % name)
        plan.add(summary, Op(_create, name=name), Op(_delete, name=name))

    if loopback and not (target_ref and _lo_is_up(host, target_ref)):
        fresh = target_ref is None
        plan.add('bring lo up in namespace %s' % name, Op(_set_lo, host, name=name, fresh=fresh, state='up'),
                 Op(_set_lo, host, name=name, fresh=fresh, state='down'))

    current_nsid = None
    if target_fd is not None:
        current_nsid = existing_nsid  # target_fd is existing.fd
    elif target_ref:
        current_nsid = own.nsid_of(host.session(target_ref).fd)
    if nsid is not None and current_nsid != nsid:
        if current_nsid is not None:
            raise PlanFailure('namespace %s already has nsid %d; the kernel does not change an '
                              'assigned nsid' % (name, current_nsid))
        plan.add('set nsid %d for namespace %s' % (nsid, name), Op(_set_nsid, own, name=name, nsid=nsid))

    after = dict(path=existing.path,
                 inode=before['inode'] if before and not repoint else '(new)' if not source
                 else source_ident[1],
                 nsid=nsid if nsid is not None else current_nsid)
    if loopback:
        after['loopback'] = True
    plan.state(name, before, after)
    # a namespace this task leaves alone is reported as read, not read again
    unchanged = existing.exists and len(plan.changes) == changes_before
    known = dict(inode=existing.ident[1], nsid=current_nsid) if unchanged else None
    plan.report(lambda applied: _report(plan, own, name, known))


@operation('netns.create')
def _create(target, name):
    namespaces.create(name)


@operation('netns.delete')
def _delete(target, name):
    namespaces.delete(name)


@operation('netns.attach')
def _attach(target, name, source):
    namespaces.attach(name, source)


@operation('netns.remove')
def _remove(host, name):
    host.forget(name)
    namespaces.delete(name)


@operation('netns.repoint')
def _repoint(host, name, source):
    _remove(host, name)
    namespaces.attach(name, source)


@operation('netns.loopback')
def _set_lo(host, name, fresh, state):
    session = host.session(name)
    # in a namespace this task just made, lo is known without asking
    index = LOOPBACK_IFINDEX if fresh else session.index_of('lo')
    session.send('bring lo %s' % state, requests.set_link(index=index, up=state == 'up'))


@operation('netns.set_nsid')
def _set_nsid(own, name, nsid):
    fd = namespaces.open_namespace(namespaces.path_of(name))
    try:
        own.set_nsid(fd, nsid)
    finally:
        os.close(fd)


def _report(plan, own, name, known=None):
    entry = dict(name=name, path=namespaces.path_of(name), inode=None, nsid=None)
    if known is not None:
        entry.update(known)
        plan.returns.setdefault('namespaces', []).append(entry)
        return
    existing = Existing(name)
    try:
        if existing.exists:
            entry.update(inode=existing.ident[1], nsid=own.nsid_of(existing.fd))
    finally:
        existing.close()
    plan.returns.setdefault('namespaces', []).append(entry)
