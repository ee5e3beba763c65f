# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.netns contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A plan: the changes a task makes, as data, and how they are applied and undone.

Every change is an Op: a registered operation (a function of its target and
arguments), what it acts on, and its arguments. A plan applies its changes
in order; if one fails, it undoes those made, newest first, each by the Op
planned as its undo, so a task never leaves anything half made. diff,
actions and as_data() are all read from the same records.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class PlanFailure(Exception):
    """The plan cannot be carried out as asked (a conflict the user must resolve)."""


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
            if op is not None and not isinstance(op, Op):
                raise TypeError('a change is an Op, not %r' % (op,))
        self.summary = summary
        self.apply = apply
        self.undo = undo

    def as_data(self):
        return dict(summary=self.summary, apply=self.apply.as_data(),
                    undo=self.undo.as_data() if self.undo is not None else None)


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
