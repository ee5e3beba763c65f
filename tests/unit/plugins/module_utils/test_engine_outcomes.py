# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.netns contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What a failed task reports, which aggregate entry bad input is about, the task lock, and modules
without netlink."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import fcntl
import os
import threading

import pytest

from ansible_collections.linuxnet.netns.plugins.module_utils._netns import engine, namespaces, netlink
from ansible_collections.linuxnet.netns.plugins.module_utils._netns.engine import PlanFailure
from ansible_collections.linuxnet.netns.plugins.module_utils._netns.validation import ValidationError
from ansible_collections.linuxnet.netns.tests.unit.plugins.module_utils.test_engine import (
    OPTIONS, FakeModule, Recorder, make_planner, plan_of, run)


# ---- what a failed task reports -----------------------------------------------------------------

def test_after_a_rollback_nothing_is_reported_as_done():
    plan = plan_of(Recorder(fail_on=('c',)), ['a', 'b', 'c', 'd'])
    with pytest.raises(PlanFailure):
        plan.apply()
    assert plan.failure_result() == dict(changed=False, actions=[], undone=['b', 'a'])


def test_changes_that_stuck_are_reported_as_done():
    plan = plan_of(Recorder(fail_on=('d',), fail_undo_on=('b',)), ['a', 'b', 'c', 'd'], without_undo=('c',))
    with pytest.raises(PlanFailure):
        plan.apply()
    assert plan.failure_result() == dict(changed=True, actions=['b', 'c'], undone=['a'])


def test_a_planning_failure_reports_nothing_done(monkeypatch):
    monkeypatch.setattr(netlink, 'HAS_PYROUTE2', True)
    kind, result = run(FakeModule(aggregate=[dict(name='a'), dict(name='bad')]), make_planner(Recorder(), 'bad'))
    assert result['actions'] == [] and result['undone'] == [] and result['changed'] is False


def test_run_reports_what_it_undid(monkeypatch):
    monkeypatch.setattr(netlink, 'HAS_PYROUTE2', True)
    kind, result = run(FakeModule(aggregate=[dict(name='a'), dict(name='b')]),
                       make_planner(Recorder(fail_on=('b',))))
    assert result['actions'] == [] and result['undone'] == ['create a']


def test_a_failure_after_applying_reports_every_change_done():
    plan = plan_of(Recorder(), ['a', 'b'])
    plan.apply()
    assert plan.failure_result() == dict(changed=True, actions=['a', 'b'], undone=[])


# ---- which entry bad input is about -----------------------------------------------------------------

@pytest.mark.parametrize('entry, label', [
    (dict(name='br0'), 'aggregate item 3 (name=br0): '),
    (dict(name=''), 'aggregate item 3: '),
    (dict(mtu=1), 'aggregate item 3: '),
])
def test_entry_label(entry, label):
    assert engine.entry_label(3, entry, ('name',)) == label


def test_entry_label_without_a_key():
    assert engine.entry_label(1, dict(name='x'), ()) == 'aggregate item 1: '


def test_about_names_the_entry_once():
    item = dict(_where='aggregate item 2 (name=a/b): ')
    with pytest.raises(ValidationError, match=r"^aggregate item 2 \(name=a/b\): name 'a/b' contains '/'$"):
        with engine.about(item):
            raise ValidationError("name 'a/b' contains '/'")
    with pytest.raises(ValidationError, match=r'^aggregate item 2 \(name=a/b\): bad$'):
        with engine.about(item):
            raise ValidationError('aggregate item 2 (name=a/b): bad')


def test_about_leaves_other_failures_and_single_items_alone():
    with pytest.raises(ValidationError, match='^bad$'):
        with engine.about(dict(_where='')):
            raise ValidationError('bad')
    with pytest.raises(PlanFailure, match='^gone$'):
        with engine.about(dict(_where='aggregate item 1: ')):
            raise PlanFailure('gone')


# ---- modules without netlink; the task lock ---------------------------------------------------------

def test_a_module_that_needs_no_netlink_runs_without_pyroute2(monkeypatch):
    monkeypatch.setattr(netlink, 'HAS_PYROUTE2', False)
    with pytest.raises(Exception) as caught:
        engine.run(FakeModule(name='a'), make_planner(Recorder()), OPTIONS, ('name',), needs_netlink=False)
    assert caught.value.args[0]['actions'] == ['create a']


def test_one_task_at_a_time_holds_a_lock_on_the_own_namespace():
    seen = []

    def try_lock():
        fd = namespaces.own_namespace_fd()
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            seen.append('free')
        except OSError as exc:
            seen.append(errno.errorcode[exc.errno])
        finally:
            os.close(fd)

    with engine.one_task_at_a_time():
        thread = threading.Thread(target=try_lock)
        thread.start()
        thread.join()
    try_lock()
    assert seen == ['EAGAIN', 'free']
