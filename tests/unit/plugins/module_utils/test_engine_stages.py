# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.netns contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A task of several planners (netns_bridge) on the engine, without root: run_stages, Plan.section,
Plan.apply of only the pending changes with a rollback across stages, trusted_items, run_task, and
Host.namespaces (planned) / read_again_where_changed."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest

from ansible_collections.linuxnet.netns.plugins.module_utils._netns import engine, namespaces, netlink
from ansible_collections.linuxnet.netns.plugins.module_utils._netns.engine import Plan, PlanFailure, Stage
from ansible_collections.linuxnet.netns.plugins.module_utils._netns.validation import ValidationError
from ansible_collections.linuxnet.netns.tests.unit.plugins.module_utils.fakes import FakeHost, FakeSession
from ansible_collections.linuxnet.netns.tests.unit.plugins.module_utils.test_engine import (
    Exited, Failed, FakeModule, Recorder)


def missing_namespace(path):
    """namespaces.open_namespace of a namespace that is not there."""
    raise namespaces.NamespaceError('network namespace %s does not exist' % path)


class StagedHost(FakeHost):
    """FakeHost that counts how often the stages asked for what changed to be read again."""

    def __init__(self, check_mode=False):
        super(StagedHost, self).__init__(FakeSession(), check_mode)
        self.read_again = 0

    def read_again_where_changed(self):
        self.read_again += 1


def stage(name, recorder, changes, fail_in_planning=False):
    """A stage whose planner logs that it planned, then plans one change per name (state under the name)."""
    def planner(host, items, plan):
        recorder.log.append('plan ' + name)
        if fail_in_planning:
            raise ValidationError('stage %s cannot be planned' % name)
        for item in items:
            plan.add('make ' + item['name'], recorder.do(item['name']), recorder.undo(item['name']))
            plan.state(item['name'], None, 'made')
    return Stage(name, planner, [dict(name=change) for change in changes])


# ---- run_stages --------------------------------------------------------------------------------------

def test_each_stage_is_applied_before_the_next_is_planned():
    recorder = Recorder()
    host = StagedHost()
    plan = Plan()
    engine.run_stages(host, plan, [stage('netns', recorder, ['ns1', 'ns2']), stage('links', recorder, ['br0'])])
    assert recorder.log == ['plan netns', 'do ns1', 'do ns2', 'plan links', 'do br0']
    assert host.read_again == 2
    assert [change.summary for change in plan.changes] == ['make ns1', 'make ns2', 'make br0']
    assert not plan.pending


def test_check_mode_plans_every_stage_and_applies_none():
    recorder = Recorder()
    host = StagedHost(check_mode=True)
    plan = Plan()
    engine.run_stages(host, plan, [stage('netns', recorder, ['ns1']), stage('links', recorder, ['br0'])])
    assert recorder.log == ['plan netns', 'plan links']
    assert host.read_again == 0
    assert plan.changed and plan.pending


def test_a_stage_without_changes_applies_nothing_and_reads_nothing_again():
    recorder = Recorder()
    host = StagedHost()
    plan = Plan()
    engine.run_stages(host, plan, [stage('netns', recorder, []), stage('links', recorder, ['br0']),
                                   stage('veths', recorder, [])])
    assert recorder.log == ['plan netns', 'plan links', 'do br0', 'plan veths']
    assert host.read_again == 1


def test_the_diff_has_a_section_per_stage():
    plan = Plan()
    plan.section = 'registry'
    plan.state('/etc/linuxnet-netns/docker_bridge.dbr0.json', None, {'containers': {}})
    engine.run_stages(StagedHost(), plan, [stage('netns', Recorder(), ['ns1', 'ns2']),
                                           stage('links', Recorder(), ['br0'])])
    assert plan.section is None  # what is planned after the stages is not in the last one's section
    assert plan.before == {'registry': {'/etc/linuxnet-netns/docker_bridge.dbr0.json': None},
                           'netns': {'ns1': None, 'ns2': None}, 'links': {'br0': None}}
    assert plan.after == {'registry': {'/etc/linuxnet-netns/docker_bridge.dbr0.json': {'containers': {}}},
                          'netns': {'ns1': 'made', 'ns2': 'made'}, 'links': {'br0': 'made'}}
    assert plan.result(with_diff=True)['diff'] == dict(before=plan.before, after=plan.after)


def test_a_failure_in_a_later_stage_undoes_the_earlier_stages_too():
    recorder = Recorder(fail_on=('vb',))
    plan = Plan()
    with pytest.raises(PlanFailure) as caught:
        engine.run_stages(StagedHost(), plan, [stage('netns', recorder, ['ns1', 'ns2']),
                                               stage('links', recorder, ['br0']),
                                               stage('veths', recorder, ['va', 'vb']),
                                               stage('addresses', recorder, ['a1'])])
    assert recorder.log == ['plan netns', 'do ns1', 'do ns2', 'plan links', 'do br0', 'plan veths', 'do va', 'do vb',
                            'undo va', 'undo br0', 'undo ns2', 'undo ns1']
    assert str(caught.value) == ('failed to make vb: File exists (errno 17); '
                                 'undid: make va, make br0, make ns2, make ns1')
    assert plan.failure_result() == dict(changed=False, actions=[],
                                         undone=['make va', 'make br0', 'make ns2', 'make ns1'])


def test_a_refusal_while_planning_a_later_stage_undoes_the_earlier_stages():
    """What earlier stages made must not stay half a network."""
    recorder = Recorder()
    plan = Plan()
    with pytest.raises(PlanFailure) as caught:
        engine.run_stages(StagedHost(), plan, [stage('netns', recorder, ['ns1', 'ns2']),
                                               stage('links', recorder, ['br0'], fail_in_planning=True)])
    assert recorder.log == ['plan netns', 'do ns1', 'do ns2', 'plan links', 'undo ns2', 'undo ns1']
    assert str(caught.value) == 'stage links cannot be planned; undid: make ns2, make ns1'
    assert plan.failure_result() == dict(changed=False, actions=[], undone=['make ns2', 'make ns1'])


@pytest.mark.parametrize('check_mode, first_changes', [
    (False, []),  # nothing to make before the refusal
    (True, ['ns1']),  # planned, never applied
])
def test_a_refusal_before_anything_was_applied_is_raised_as_it_is(check_mode, first_changes):
    recorder = Recorder()
    plan = Plan()
    with pytest.raises(ValidationError, match='^stage links cannot be planned$'):
        engine.run_stages(StagedHost(check_mode), plan, [stage('netns', recorder, first_changes),
                                                         stage('links', recorder, ['br0'], fail_in_planning=True)])
    assert recorder.log == ['plan netns', 'plan links']
    assert plan.failure_result() == dict(changed=False, actions=[], undone=[])


# ---- Plan: pending changes, sections --------------------------------------------------------------------

def test_apply_makes_only_the_changes_planned_since_the_last_apply():
    recorder = Recorder()
    plan = Plan()
    assert not plan.pending
    plan.add('a', recorder.do('a'), recorder.undo('a'))
    assert plan.pending
    plan.apply()
    assert not plan.pending
    plan.apply()  # nothing new: nothing done twice
    plan.add('b', recorder.do('b'), recorder.undo('b'))
    plan.add('c', recorder.do('c'), recorder.undo('c'))
    plan.apply()
    assert recorder.log == ['do a', 'do b', 'do c']
    assert [change.summary for change in plan.applied] == ['a', 'b', 'c']
    assert plan.result(with_diff=False) == dict(changed=True, actions=['a', 'b', 'c'])


def test_a_failure_in_a_later_apply_undoes_every_applied_change():
    recorder = Recorder(fail_on=('d',))
    plan = Plan()
    for name in ('a', 'b'):
        plan.add(name, recorder.do(name), recorder.undo(name))
    plan.apply()
    plan.add('c', recorder.do('c'))  # cannot be undone
    plan.add('d', recorder.do('d'), recorder.undo('d'))
    with pytest.raises(PlanFailure) as caught:
        plan.apply()
    assert recorder.log == ['do a', 'do b', 'do c', 'do d', 'undo b', 'undo a']
    assert str(caught.value) == 'failed to d: File exists (errno 17); undid: b, a; could NOT undo: c'
    assert plan.failure_result() == dict(changed=True, actions=['c'], undone=['b', 'a'])


def test_state_without_a_section_is_top_level():
    plan = Plan()
    plan.state('br0', None, {'kind': 'bridge'})
    plan.section = 'links'
    plan.state('br1', None, {'kind': 'bridge'})
    assert plan.before == {'br0': None, 'links': {'br1': None}}
    assert plan.after == {'br0': {'kind': 'bridge'}, 'links': {'br1': {'kind': 'bridge'}}}


def test_a_section_entered_twice_keeps_what_it_had():
    plan = Plan()
    plan.section = 'registry'
    plan.state('r', None, 1)
    plan.section = 'netns'
    plan.state('ns1', None, 'made')
    plan.section = 'registry'
    plan.state('r', None, 2)
    plan.state('s', 0, 0)
    assert plan.after == {'registry': {'r': 2, 's': 0}, 'netns': {'ns1': 'made'}}


# ---- trusted_items -----------------------------------------------------------------------------------------

def test_trusted_items_are_the_defaults_then_the_entry():
    options = dict(name=dict(type='str'), state=dict(type='str', default='present'),
                   loopback=dict(type='bool', default=True), netns=dict(type='str'))
    items = engine.trusted_items(options, [dict(name='a'), dict(name='b', state='absent', loopback=None, extra=1)])
    assert items == [dict(name='a', state='present', loopback=True, netns=None, _where=''),
                     # None is "not given": the default stays; the entry's own keys come along
                     dict(name='b', state='absent', loopback=True, netns=None, extra=1, _where='')]


def test_trusted_items_do_not_share_the_defaults():
    options = dict(name=dict(type='str'), address=dict(type='list', default=[]))
    first, second = engine.trusted_items(options, [dict(name='a'), dict(name='b', address=['10.0.0.1/24'])])
    assert first['address'] == [] and second['address'] == ['10.0.0.1/24']


# ---- run_task -----------------------------------------------------------------------------------------------

def run_task(module, plan_task, message=str):
    with pytest.raises((Exited, Failed)) as caught:
        engine.run_task(module, plan_task, needs_netlink=False, message=message)
    return caught.type, caught.value.args[0]


def test_run_task_reports_the_returns_and_the_sectioned_diff():
    recorder = Recorder()

    def plan_task(host, plan):
        plan.reports = False
        engine.run_stages(host, plan, [stage('netns', recorder, ['ns1'])])
        plan.returns = dict(bridge='dbr0')

    kind, result = run_task(FakeModule(diff=True), plan_task)
    assert kind is Exited
    assert result == dict(changed=True, actions=['make ns1'], bridge='dbr0',
                          diff=dict(before={'netns': {'ns1': None}}, after={'netns': {'ns1': 'made'}}))
    assert recorder.log == ['plan netns', 'do ns1']


def test_run_task_words_a_failure_with_message_and_reports_what_it_undid():
    recorder = Recorder(fail_on=('br0',))

    def plan_task(host, plan):
        engine.run_stages(host, plan, [stage('netns', recorder, ['ns1']), stage('links', recorder, ['br0'])])

    kind, result = run_task(FakeModule(), plan_task, message=lambda text: text.replace('make', 'MAKE'))
    assert kind is Failed
    assert result == dict(msg='failed to MAKE br0: File exists (errno 17); undid: MAKE ns1', changed=False,
                          actions=[], undone=['make ns1'])


def test_run_task_in_check_mode_applies_nothing():
    recorder = Recorder()

    def plan_task(host, plan):
        engine.run_stages(host, plan, [stage('netns', recorder, ['ns1']), stage('links', recorder, ['br0'])])

    kind, result = run_task(FakeModule(check_mode=True), plan_task)
    assert kind is Exited
    assert result == dict(changed=True, actions=['make ns1', 'make br0'])
    assert recorder.log == ['plan netns', 'plan links']


# ---- Host: namespaces an earlier stage makes, sessions read again --------------------------------------------

@pytest.fixture
def no_namespace_yet(monkeypatch):
    monkeypatch.setattr(namespaces, 'open_namespace', missing_namespace)


def test_check_mode_warns_about_a_namespace_nobody_makes(no_namespace_yet):
    warnings = []
    host = engine.Host(True, warnings.append)
    session = host.session('web')
    assert not session.exists and session.label == 'netns web'
    assert warnings == ['network namespace /run/netns/web does not exist; assuming an earlier task creates it']


def test_check_mode_plans_quietly_against_a_namespace_an_earlier_stage_makes(no_namespace_yet):
    warnings = []
    host = engine.Host(True, warnings.append)
    host.namespaces.create('web')
    assert not host.session('web').exists
    assert warnings == []
    host.session('db')
    assert len(warnings) == 1 and 'db' in warnings[0]


def test_a_planned_namespace_does_not_hide_a_missing_namespace_outside_check_mode(no_namespace_yet):
    host = engine.Host(False, [].append)
    host.namespaces.create('web')
    with pytest.raises(namespaces.NamespaceError, match='/run/netns/web does not exist'):
        host.session('web')


class CountingSession(object):
    """Stands in for netlink.Session: touched by changes; forget_state counted."""

    instances = []

    def __init__(self, label, fd, ident):
        self.label = label
        self.fd = fd
        self.ident = ident
        self.touched = False
        self.forgotten = 0
        CountingSession.instances.append(self)

    def forget_state(self):
        self.touched = False
        self.forgotten += 1

    def close(self):
        os.close(self.fd)


@pytest.fixture
def two_namespaces(monkeypatch):
    """Namespaces web and db, each with an identity of its own."""
    idents = {}

    def open_namespace(path):
        fd = os.open(os.devnull, os.O_RDONLY)
        idents[fd] = (1, hash(path))
        return fd

    CountingSession.instances = []
    monkeypatch.setattr(namespaces, 'open_namespace', open_namespace)
    monkeypatch.setattr(namespaces, 'identity', lambda fd: idents[fd])
    monkeypatch.setattr(netlink, 'Session', CountingSession)


def test_read_again_where_changed_forgets_only_touched_sessions(two_namespaces):
    host = engine.Host(False, [].append)
    web, db = host.session('web'), host.session('db')
    assert host.session('web') is web  # opened once
    web.touched = True
    host.read_again_where_changed()
    assert (web.forgotten, db.forgotten) == (1, 0)
    assert not web.touched
    host.read_again_where_changed()  # nothing changed since
    assert (web.forgotten, db.forgotten) == (1, 0)
    host.close()


# ---- Host.namespaces.remove: what goes with a namespace this task removes -------------------------------------

class NsidSession(FakeSession):
    """Gives the namespace behind descriptor fd the nsid fd + 10, and counts the questions."""

    def __init__(self):
        super(NsidSession, self).__init__()
        self.asked = []

    def nsid_of(self, fd):
        self.asked.append(fd)
        return None if fd == 99 else fd + 10


def test_removed_nsids_are_asked_once_per_session_and_again_after_another_removal():
    host = engine.Host(False, [].append)
    session = NsidSession()
    assert host.namespaces.removed_nsids(session) == set()
    host.namespaces.remove('c1', 1)
    host.namespaces.remove('c2', 2)
    host.namespaces.remove('unassigned', 99)  # a namespace the session gave no id is linked to nothing of it
    assert host.namespaces.removed_nsids(session) == set([11, 12])
    assert host.namespaces.removed_nsids(session) == set([11, 12])
    assert sorted(session.asked) == [1, 2, 99]
    host.namespaces.remove('c3', 3)
    assert host.namespaces.removed_nsids(session) == set([11, 12, 13])
