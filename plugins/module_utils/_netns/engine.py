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

The rooms: changes.py (Op, Plan: changes as data, apply and undo),
task_host.py (Host: the namespaces a task touches), this file (items,
running a task, stages).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import contextlib

from ansible.module_utils.basic import missing_required_lib
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.errors import UnsupportedError

from ansible_collections.linuxnet.netns.plugins.module_utils._netns import argspec, netlink, nftables, validation
# what planners use of the engine, from where it lives
from ansible_collections.linuxnet.netns.plugins.module_utils._netns.changes import (  # noqa: F401 pylint: disable=unused-import
    OPERATIONS, Change, Op, Plan, PlanFailure, operation)
from ansible_collections.linuxnet.netns.plugins.module_utils._netns.task_host import (  # noqa: F401 pylint: disable=unused-import
    OWN_NAMESPACE_LABEL, Host, PlannedNamespaces, one_task_at_a_time)
from ansible_collections.linuxnet.netns.plugins.module_utils._netns.netlink import NetlinkFailure
from ansible_collections.linuxnet.netns.plugins.module_utils._netns.namespaces import NamespaceError
from ansible_collections.linuxnet.netns.plugins.module_utils._netns.validation import ValidationError


def expand_items(params, item_options, required=(), rules=()):
    """The items a task asks for: I(aggregate) entries over top-level defaults.

    AnsibleModule has already checked types and choices of the top level;
    every entry is checked here against the same options (argspec.entry_options),
    so a bad entry anywhere in a list of hundreds fails the task before anything is read.
    rules (argspec.exclusive, needs, one_of) hold between the options of each item.
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
        argspec.check_rules(item, rules, where)
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


def run(module, planner, item_options, required=(), needs_netlink=True, rules=()):
    """Plan, report and (unless in check mode) apply; exits the module.

    needs_netlink=False for planners that never open a Session (files only),
    so that they work on a host without pyroute2.
    """
    def plan_items(host, plan):
        planner(host, expand_items(module.params, item_options, required, rules), plan)
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
