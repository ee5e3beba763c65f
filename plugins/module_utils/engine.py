# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.netns contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The one engine behind every module: items -> plan -> diff -> apply.

A module hands ``run`` its planner. The engine expands I(aggregate) into
items and validates all of them before anything is read or changed, opens
each namespace once (Host), lets the planner compare the kernel's state to
the items and record Changes, reports the plan as ``diff`` and ``actions``,
and applies it unless in check mode. If a change fails, the changes
already applied are undone in reverse order, so a task never leaves
anything half made.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import contextlib
import fcntl
import os

from ansible.module_utils.basic import missing_required_lib
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.errors import UnsupportedError

from ansible_collections.linuxnet.netns.plugins.module_utils import argspec, namespaces, netlink, nftables, validation
from ansible_collections.linuxnet.netns.plugins.module_utils.netlink import NetlinkFailure
from ansible_collections.linuxnet.netns.plugins.module_utils.namespaces import NamespaceError
from ansible_collections.linuxnet.netns.plugins.module_utils.validation import ValidationError

OWN_NAMESPACE_LABEL = "the module's own namespace"


class PlanFailure(Exception):
    """The plan cannot be carried out as asked (a conflict the user must resolve)."""


_LEGACY_CHANGES = True  # MIGRATION: planners still giving closures; goes when none is left

# Every change a plan makes is an operation, registered here by name: fn(target, **args).
OPERATIONS = {}


def operation(name):
    """Register fn(target, **args) as the operation called name, so that changes can be data."""
    def register(fn):
        known = OPERATIONS.get(name)
        if known is not None and known.__name__ != fn.__name__:  # the same module imported twice is fine
            raise ValueError('operation %s is registered twice' % name)
        OPERATIONS[name] = fn
        fn.operation = name
        return fn
    return register


class Op(object):
    """One change as data: a registered operation, what it acts on, and its arguments.

    target is the Session (namespace) it acts in, the Host, or None (the
    host's files and programs). The engine calls it to apply it; diff,
    actions and as_data() are derived from the same record.
    """
    __slots__ = ('name', 'target', 'args')

    def __init__(self, fn, target=None, **args):
        name = getattr(fn, 'operation', None)
        if name not in OPERATIONS:
            raise ValueError('%r is not a registered operation' % (fn,))
        self.name = name
        self.target = target
        self.args = args

    def __call__(self):
        return OPERATIONS[self.name](self.target, **self.args)

    def as_data(self):
        return dict(op=self.name, on=_target_label(self.target), args=self.args)

    def __repr__(self):
        return 'Op(%s on %s, %r)' % (self.name, _target_label(self.target), self.args)


def _target_label(target):
    label = getattr(target, 'label', None)
    if isinstance(label, str):
        return label  # a namespace's session
    return target if target is None or isinstance(target, (str, list)) else type(target).__name__


class Change(object):
    """What the plan will do (an Op), how it is undone (an Op, or None: it cannot be), and its summary."""
    __slots__ = ('summary', 'apply', 'undo')

    def __init__(self, summary, apply, undo=None):
        for op in (apply, undo):
            if op is not None and not isinstance(op, Op) and not _LEGACY_CHANGES:
                raise TypeError('a change is an Op, not %r' % (op,))
        self.summary = summary
        self.apply = apply
        self.undo = undo

    def as_data(self):
        def data(op):
            return op.as_data() if isinstance(op, Op) else None if op is None else repr(op)
        return dict(summary=self.summary, apply=data(self.apply), undo=data(self.undo))


class Plan(object):
    def __init__(self):
        self.changes = []
        self.before = {}
        self.after = {}
        self.returns = {}
        self.warnings = []
        self._after_apply = []
        self._reporters = []
        self.applied = []  # changes made and, after a rollback, still in effect
        self.undone = []  # summaries of changes made, then undone after a failure
        self.section = None  # the stage planning now, in a task of several (run_stages)
        self._pending = 0  # changes before this one are applied

    def add(self, summary, apply, undo=None):
        self.changes.append(Change(summary, apply, undo))

    def state(self, key, before, after):
        """What the module manages under key, as it is and as it will be."""
        if self.section is None:
            self.before[key] = before
            self.after[key] = after
        else:
            self.before.setdefault(self.section, {})[key] = before
            self.after.setdefault(self.section, {})[key] = after

    def after_apply(self, finisher):
        """Call finisher(applied) once the plan is applied (or would be, in check mode)."""
        self._after_apply.append(finisher)

    def report(self, reporter):
        """Call reporter(applied) at the end to add what the planner made to returns.

        Not in a task of several stages (run_stages): that task reports its own.
        """
        if self.section is None:
            self._reporters.append(reporter)

    def as_data(self):
        """The plan as data: every change with its operation, arguments and undo."""
        return [change.as_data() for change in self.changes]

    @property
    def changed(self):
        return bool(self.changes)

    @property
    def pending(self):
        return len(self.changes) > self._pending

    def apply(self):
        """Make the changes planned since the last apply; on a failure, undo all made so far."""
        pending, self._pending = self.changes[self._pending:], len(self.changes)
        for change in pending:
            try:
                change.apply()
            except Exception as exc:
                self.give_up('failed to %s: %s' % (change.summary, getattr(exc, 'reason', exc)))
            self.applied.append(change)

    def give_up(self, msg):
        """Undo every change applied so far, then raise PlanFailure(msg, and what was undone)."""
        undone, stuck = self._rollback()
        if undone:
            msg += '; undid: %s' % ', '.join(undone)
        if stuck:
            msg += '; could NOT undo: %s' % ', '.join(stuck)
        raise PlanFailure(msg)

    def _rollback(self):
        """Undo the applied changes, newest first; keep in self.applied those that stuck."""
        stuck, kept = [], []
        for change in reversed(self.applied):
            if change.undo is None:
                stuck.append(change.summary)
                kept.append(change)
                continue
            try:
                change.undo()
                self.undone.append(change.summary)
            except Exception as exc:  # keep undoing the rest; report what stuck
                stuck.append('%s (%s)' % (change.summary, getattr(exc, 'reason', exc)))
                kept.append(change)
        self.applied = kept[::-1]
        return self.undone, stuck

    def finish(self, applied):
        for finisher in self._after_apply + self._reporters:
            finisher(applied)

    def failure_result(self):
        """What a failed task reports: the changes it left in effect, and those it undid."""
        return dict(changed=bool(self.applied), actions=[change.summary for change in self.applied],
                    undone=self.undone)

    def result(self, with_diff):
        result = dict(changed=self.changed, actions=[change.summary for change in self.changes])
        result.update(self.returns)
        if with_diff:
            result['diff'] = dict(before=self.before, after=self.after)
        return result


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


def expand_items(params, item_options, required=()):
    """The items a task asks for: I(aggregate) entries over top-level defaults.

    AnsibleModule has already checked types and choices of the top level;
    every entry is checked here against the same options (argspec.entry_options),
    so a bad entry anywhere in a list of hundreds fails the task before anything is read.
    """
    top = dict((key, params.get(key)) for key in item_options)
    entries = params.get('aggregate') or [None]
    entry_validator = ArgumentSpecValidator(argspec.entry_options(item_options))
    items = []
    for position, entry in enumerate(entries, 1):
        where = entry_label(position, entry, required) if entry is not None else ''
        if entry is not None:
            checked = entry_validator.validate(entry)
            if checked.error_messages:
                raise ValidationError(where + '; '.join(describe_entry_error(error) for error in checked.errors.errors))
            entry = checked.validated_parameters
        item = dict(top)
        for key, value in (entry or {}).items():
            if value is not None:
                item[key] = value
        for key in required:
            if item.get(key) in (None, '', []):
                raise ValidationError('%s%s is required' % (where, key))
        item['_where'] = where
        items.append(item)
    return items


def entry_label(position, entry, required):
    """'aggregate item 3 (name=br0): ', what messages about an entry start with."""
    key = required[0] if required else None
    value = entry.get(key) if key and isinstance(entry, dict) else None
    if value in (None, '', []):
        return 'aggregate item %d: ' % position
    return 'aggregate item %d (%s=%s): ' % (position, key, value)


@contextlib.contextmanager
def about(item):
    """Name the aggregate entry that bad input raised inside the block is about."""
    try:
        yield
    except ValidationError as exc:
        where = item.get('_where')
        if not where or str(exc).startswith(where):
            raise
        raise ValidationError(where + str(exc))


def describe_entry_error(error):
    # ArgumentSpecValidator leaves the heading of this one to AnsibleModule.
    if isinstance(error, UnsupportedError):
        return 'Unsupported parameters: %s' % error.msg
    return error.msg


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


def run(module, planner, item_options, required=(), needs_netlink=True):
    """Plan, report and (unless in check mode) apply; exits the module.

    needs_netlink=False for planners that never open a Session (files only),
    so that they work on a host without pyroute2.
    """
    def plan_items(host, plan):
        planner(host, expand_items(module.params, item_options, required), plan)
        if not module.check_mode:
            plan.apply()

    run_task(module, plan_items, needs_netlink)


# What a task reports as its failure (msg), rather than as a traceback.
TASK_ERRORS = (ValidationError, NamespaceError, NetlinkFailure, PlanFailure, OSError)


def run_task(module, plan_task, needs_netlink=True, message=str):
    """Run plan_task(host, plan), which plans and (unless in check mode) applies; exits the module.

    message turns an error into what the task reports.
    """
    if needs_netlink and not netlink.HAS_PYROUTE2:
        module.fail_json(msg=missing_required_lib('pyroute2'),
                         exception=netlink.PYROUTE2_IMPORT_ERROR)
    if needs_netlink:
        netlink.allow_a_session_per_namespace()
    nftables.use(module.run_command)
    plan = Plan()
    host = Host(module.check_mode, plan.warnings.append)
    try:
        with one_task_at_a_time():
            plan_task(host, plan)
        plan.finish(applied=not module.check_mode)
    except TASK_ERRORS as exc:
        host.close()
        module.fail_json(msg=message(str(exc)), **plan.failure_result())
    host.close()
    for warning in plan.warnings:
        module.warn(warning)
    module.exit_json(**plan.result(module._diff))


class Stage(object):
    """One module's share of a task that runs several planners: its planner and its items."""

    def __init__(self, name, planner, items):
        self.name = name
        self.planner = planner
        self.items = items


def run_stages(host, plan, stages):
    """Plan each stage against what the stages before it made, and apply it unless in check mode.

    In check mode nothing is applied: each planner keeps in the sessions'
    models what it would make (links, namespaces to come), for the next.
    """
    for stage in stages:
        plan.section = stage.name
        try:
            stage.planner(host, stage.items, plan)
        except TASK_ERRORS as exc:
            if not plan.applied:
                raise
            # what earlier stages made must not stay half a network
            plan.give_up(str(exc))
        if not host.check_mode and plan.pending:
            plan.apply()
            host.read_again_where_changed()
    plan.section = None


def trusted_items(options, entries):
    """Items from entries this collection made itself: the options' defaults, then the entry.

    The entries of a stage that a planning function computed are right by
    construction; the planners still check every value they use.
    """
    defaults = dict((key, option.get('default')) for key, option in options.items())
    items = []
    for entry in entries:
        item = dict(defaults)
        item.update((key, value) for key, value in entry.items() if value is not None)
        item['_where'] = ''
        items.append(item)
    return items


def netns_of(item, key='netns'):
    return validation.namespace_ref(item.get(key))
