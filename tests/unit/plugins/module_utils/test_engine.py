# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.netns contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""engine without root: expand_items, Plan (apply with rollback, result), run with a fake module, and
plan_links planning on the engine against a fake session."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.linuxnet.netns.plugins.module_utils._netns import argspec, engine, netlink, plan_links
from ansible_collections.linuxnet.netns.plugins.module_utils._netns.engine import Plan, PlanFailure
from ansible_collections.linuxnet.netns.plugins.module_utils._netns.netlink import NetlinkFailure
from ansible_collections.linuxnet.netns.plugins.module_utils._netns.validation import ValidationError
from ansible_collections.linuxnet.netns.tests.unit.plugins.module_utils.fakes import FakeHost, FakeSession

OPTIONS = dict(name=dict(type='str'), mtu=dict(type='int'), state=dict(type='str', default='present'),
               netns=dict(type='str'))


# ---- expand_items ------------------------------------------------------------------------------

def params(**values):
    base = dict(name=None, mtu=None, state='present', netns=None, aggregate=None)
    base.update(values)
    return base


def test_without_aggregate_one_item_of_the_top_level():
    items = engine.expand_items(params(name='br0', mtu=1400), OPTIONS, ('name',))
    assert items == [dict(name='br0', mtu=1400, state='present', netns=None, _where='')]


def test_aggregate_entries_inherit_top_level_values():
    items = engine.expand_items(params(mtu=1400, netns='ns1', aggregate=[
        dict(name='a', mtu=None, state=None, netns=None),
        dict(name='b', mtu=9000, state='absent', netns=None),
        dict(name='c', netns='ns2'),
    ]), OPTIONS, ('name',))
    assert [(i['name'], i['mtu'], i['state'], i['netns']) for i in items] == [
        ('a', 1400, 'present', 'ns1'),
        ('b', 9000, 'absent', 'ns1'),
        ('c', 1400, 'present', 'ns2'),
    ]
    assert [i['_where'] for i in items] == ['aggregate item 1 (name=a): ', 'aggregate item 2 (name=b): ',
                                            'aggregate item 3 (name=c): ']


def test_aggregate_entry_does_not_leak_into_the_next():
    items = engine.expand_items(params(aggregate=[dict(name='a', mtu=1400), dict(name='b')]), OPTIONS)
    assert items[1]['mtu'] is None


def test_only_item_options_are_kept():
    items = engine.expand_items(params(name='a', aggregate=None), OPTIONS)
    assert 'aggregate' not in items[0]


@pytest.mark.parametrize('values, message', [
    (params(), '^name is required$'),
    (params(name=''), '^name is required$'),
    (params(aggregate=[dict(name='a'), dict(mtu=1)]), '^aggregate item 2: name is required$'),
    (params(aggregate=[dict(name='a'), dict(name='')]), '^aggregate item 2: name is required$'),
])
def test_required(values, message):
    with pytest.raises(ValidationError, match=message):
        engine.expand_items(values, OPTIONS, ('name',))


def test_top_level_value_satisfies_required_for_every_entry():
    items = engine.expand_items(params(name='br0', aggregate=[dict(mtu=1400), dict(mtu=1500)]), OPTIONS, ('name',))
    assert [i['name'] for i in items] == ['br0', 'br0']


def test_module_kwargs_aggregate_entries_have_no_defaults():
    options = argspec.item_options(dict(state=dict(type='str', default='present', required=False)))
    kwargs = argspec.module_kwargs(options)
    spec = kwargs['argument_spec']
    assert spec['state']['default'] == 'present'
    assert spec['aggregate'] == dict(type='list', elements='dict')
    entry = argspec.entry_options(options)
    assert 'default' not in entry['state']
    assert 'netns' in entry
    assert kwargs['supports_check_mode'] is True


@pytest.mark.parametrize('entry, message', [
    (dict(name='a', mtu='big'), r"^aggregate item 2\b.*: argument 'mtu' is of type"),
    (dict(name='a', colour='red'), r'^aggregate item 2\b.*: Unsupported parameters: colour'),
])
def test_aggregate_entries_are_checked_like_top_level_options(entry, message):
    with pytest.raises(ValidationError, match=message):
        engine.expand_items(params(aggregate=[dict(name='ok'), entry]), OPTIONS)


def test_aggregate_entry_values_are_converted():
    items = engine.expand_items(params(aggregate=[dict(name='a', mtu='1400')]), OPTIONS)
    assert items[0]['mtu'] == 1400


# ---- Plan.apply and rollback --------------------------------------------------------------------

class Recorder(object):
    def __init__(self, fail_on=(), fail_undo_on=()):
        self.log = []
        self.fail_on = fail_on
        self.fail_undo_on = fail_undo_on

    def do(self, name):
        return engine.Op(_recorded_do, self, name=name)

    def undo(self, name):
        return engine.Op(_recorded_undo, self, name=name)


@engine.operation('test.do')
def _recorded_do(recorder, name):
    recorder.log.append('do ' + name)
    if name in recorder.fail_on:
        raise NetlinkFailure('%s in netns t failed: File exists (errno 17)' % name, 'File exists (errno 17)')


@engine.operation('test.undo')
def _recorded_undo(recorder, name):
    recorder.log.append('undo ' + name)
    if name in recorder.fail_undo_on:
        raise RuntimeError('gone')


@engine.operation('test.refused')
def _refused(target):
    raise OSError(1, 'nope')


@engine.operation('test.nothing')
def _nothing(target):
    pass


def plan_of(recorder, names, without_undo=()):
    plan = Plan()
    for name in names:
        plan.add(name, recorder.do(name), None if name in without_undo else recorder.undo(name))
    return plan


def test_apply_runs_changes_in_order():
    recorder = Recorder()
    plan_of(recorder, ['a', 'b', 'c']).apply()
    assert recorder.log == ['do a', 'do b', 'do c']


def test_a_failing_change_undoes_the_earlier_ones_in_reverse_order():
    recorder = Recorder(fail_on=('c',))
    with pytest.raises(PlanFailure) as caught:
        plan_of(recorder, ['a', 'b', 'c', 'd']).apply()
    assert recorder.log == ['do a', 'do b', 'do c', 'undo b', 'undo a']
    # the kernel's reason, not the whole NetlinkFailure text; then what was undone, newest first
    assert str(caught.value) == 'failed to c: File exists (errno 17); undid: b, a'


def test_the_first_change_failing_undoes_nothing():
    recorder = Recorder(fail_on=('a',))
    with pytest.raises(PlanFailure) as caught:
        plan_of(recorder, ['a', 'b']).apply()
    assert str(caught.value) == 'failed to a: File exists (errno 17)'
    assert recorder.log == ['do a']


def test_changes_that_cannot_be_undone_are_named():
    recorder = Recorder(fail_on=('d',), fail_undo_on=('b',))
    with pytest.raises(PlanFailure) as caught:
        plan_of(recorder, ['a', 'b', 'c', 'd'], without_undo=('c',)).apply()
    assert recorder.log == ['do a', 'do b', 'do c', 'do d', 'undo b', 'undo a']
    assert str(caught.value) == 'failed to d: File exists (errno 17); undid: a; could NOT undo: c, b (gone)'


def test_an_exception_without_reason_is_shown_as_is():
    plan = Plan()
    plan.add('x', engine.Op(_refused))
    with pytest.raises(PlanFailure, match=r'^failed to x: \[Errno 1\] nope$'):
        plan.apply()


# ---- Plan.result ----------------------------------------------------------------------------------

def test_result_without_changes():
    plan = Plan()
    plan.state('k', {'mtu': 1500}, {'mtu': 1500})
    assert plan.result(with_diff=False) == dict(changed=False, actions=[])
    assert plan.result(with_diff=True) == dict(changed=False, actions=[],
                                               diff=dict(before={'k': {'mtu': 1500}}, after={'k': {'mtu': 1500}}))


def test_result_with_changes_returns_and_diff():
    plan = Plan()
    plan.add('create bridge br0', engine.Op(_nothing))
    plan.state('br0', None, {'kind': 'bridge'})
    plan.returns['links'] = ['br0']
    assert plan.changed
    assert plan.result(with_diff=False) == dict(changed=True, actions=['create bridge br0'], links=['br0'])
    assert plan.result(with_diff=True)['diff'] == dict(before={'br0': None}, after={'br0': {'kind': 'bridge'}})


def test_finish_tells_finishers_whether_applied():
    plan = Plan()
    seen = []
    plan.after_apply(seen.append)
    plan.report(seen.append)
    plan.finish(applied=False)
    assert seen == [False, False]


def test_a_stage_of_a_task_of_several_adds_no_returns_of_its_own():
    plan = Plan()
    seen = []
    plan.section = 'netns'
    plan.after_apply(lambda applied: seen.append('effect'))
    plan.report(lambda applied: seen.append('report'))
    plan.finish(applied=True)
    assert seen == ['effect']


@engine.operation('test.set_mtu')
def _set_mtu(target, name, mtu):
    target.append((name, mtu))


def test_a_change_is_data_the_engine_applies():
    done = []
    plan = Plan()
    plan.add('set mtu 1400 on br0', engine.Op(_set_mtu, done, name='br0', mtu=1400),
             engine.Op(_set_mtu, done, name='br0', mtu=1500))
    assert plan.as_data() == [dict(summary='set mtu 1400 on br0',
                                   apply=dict(op='test.set_mtu', on=done, args=dict(name='br0', mtu=1400)),
                                   undo=dict(op='test.set_mtu', on=done, args=dict(name='br0', mtu=1500)))]
    plan.apply()
    assert done == [('br0', 1400)]
    with pytest.raises(PlanFailure):
        plan.give_up('stop')
    assert done == [('br0', 1400), ('br0', 1500)]


def test_only_a_registered_operation_is_a_change():
    with pytest.raises(ValueError):
        engine.Op(lambda target: None)


# ---- run, with a fake module and a fake planner ------------------------------------------------------

class Exited(Exception):
    pass


class Failed(Exception):
    pass


class FakeModule(object):
    def __init__(self, check_mode=False, diff=False, **values):
        self.params = params(**values)
        self.check_mode = check_mode
        self._diff = diff
        self.warnings = []

    def warn(self, message):
        self.warnings.append(message)

    def run_command(self, args, **kwargs):
        raise AssertionError('the engine runs no program itself: %r' % (args,))

    def exit_json(self, **result):
        raise Exited(result)

    def fail_json(self, **result):
        raise Failed(result)


@pytest.fixture
def with_pyroute2(monkeypatch):
    monkeypatch.setattr(netlink, 'HAS_PYROUTE2', True)


def make_planner(recorder, fail_in_planning=None):
    def planner(host, items, plan):
        for item in items:
            if item['name'] == fail_in_planning:
                raise ValidationError('%sname %s is bad' % (item['_where'], item['name']))
            plan.add('create %s' % item['name'], recorder.do(item['name']), recorder.undo(item['name']))
            plan.state(item['name'], None, {'mtu': item['mtu']})
        host.warn('a warning')
    return planner


def run(module, planner):
    with pytest.raises((Exited, Failed)) as caught:
        engine.run(module, planner, OPTIONS, ('name',))
    return caught.type, caught.value.args[0]


def test_run_applies_and_reports(with_pyroute2):
    recorder = Recorder()
    module = FakeModule(mtu=1400, diff=True, aggregate=[dict(name='a'), dict(name='b', mtu=9000)])
    kind, result = run(module, make_planner(recorder))
    assert kind is Exited
    assert result == dict(changed=True, actions=['create a', 'create b'],
                          diff=dict(before={'a': None, 'b': None}, after={'a': {'mtu': 1400}, 'b': {'mtu': 9000}}))
    assert recorder.log == ['do a', 'do b']
    assert module.warnings == ['a warning']


def test_run_in_check_mode_applies_nothing(with_pyroute2):
    recorder = Recorder()
    kind, result = run(FakeModule(check_mode=True, name='a'), make_planner(recorder))
    assert kind is Exited
    assert result == dict(changed=True, actions=['create a'])
    assert recorder.log == []


def test_run_fails_with_the_message_and_undoes(with_pyroute2):
    recorder = Recorder(fail_on=('b',))
    kind, result = run(FakeModule(aggregate=[dict(name='a'), dict(name='b')]), make_planner(recorder))
    assert kind is Failed
    assert result['msg'] == 'failed to create b: File exists (errno 17); undid: create a'
    assert recorder.log == ['do a', 'do b', 'undo a']


def test_run_refuses_bad_input_before_applying_anything(with_pyroute2):
    recorder = Recorder()
    kind, result = run(FakeModule(aggregate=[dict(name='a'), dict(name='bad')]), make_planner(recorder, 'bad'))
    assert kind is Failed
    assert result['msg'] == 'aggregate item 2 (name=bad): name bad is bad'
    assert recorder.log == []


def test_run_checks_required_options(with_pyroute2):
    kind, result = run(FakeModule(aggregate=[dict(mtu=1)]), make_planner(Recorder()))
    assert kind is Failed
    assert result['msg'] == 'aggregate item 1: name is required'
    assert result['actions'] == []


def test_run_without_pyroute2(monkeypatch):
    monkeypatch.setattr(netlink, 'HAS_PYROUTE2', False)
    kind, result = run(FakeModule(name='a'), make_planner(Recorder()))
    assert kind is Failed
    assert 'pyroute2' in result['msg']


# ---- a planner on the engine: plan_links with a fake session ------------------------------------------


def link(name, index, kind=None, master=None, up=True, mtu=1500, mac='02:00:00:00:00:01', link_index=None,
         data=None):
    return dict(index=index, name=name, kind=kind, mtu=mtu, mac=mac, master=master, up=up, link_index=link_index,
                link_netnsid=None, data=data or {})


def link_item(**values):
    base = dict((key, None) for key in plan_links.LINK_OPTIONS)
    base.update(state='present', recreate=False, netns=None, _where='')
    base.update(values)
    return base


def link_session(*links):
    return FakeSession(links, label="the module's own namespace")


def plan_links_for(session, *items):
    plan = Plan()
    plan_links.plan_link(FakeHost(session), [link_item(**values) for values in items], plan)
    return [change.summary for change in plan.changes], plan


def test_plan_link_creates_then_converges_nothing():
    session = link_session(link('lo', 1))
    summaries, plan = plan_links_for(session, dict(name='br0', kind='bridge', mtu=1400))
    assert summaries == ["create bridge br0 in the module's own namespace"]
    plan.apply()
    # a bridge's mtu is set once it exists, so that ports joining later do not lower it
    assert session.calls == [('link', 'add', dict(ifname='br0', kind='bridge', state='up')),
                             ('link', 'set', dict(ifname='br0', mtu=1400))]
    session = link_session(link('br0', 2, kind='bridge', mtu=1400, mac='02:ab:cd:00:00:01'))
    assert plan_links_for(session, dict(name='br0', kind='bridge', mtu=1400, mac='02:AB:CD:00:00:01'))[0] == []


def test_plan_link_detach_is_needed_only_when_enslaved():
    session = link_session(link('br0', 2, kind='bridge'), link('eth1', 3, master='br0'), link('eth2', 4))
    summaries, plan = plan_links_for(session, dict(name='eth1', master=''), dict(name='eth2', master=''))
    assert summaries == ["set master= on eth1 in the module's own namespace"]


def test_plan_link_absent_with_kind_needs_no_creation_options():
    session = link_session(link('vx1', 2, kind='vxlan'), link('mv1', 3, kind='macvlan'))
    summaries, plan = plan_links_for(session, dict(name='vx1', kind='vxlan', state='absent'),
                                     dict(name='mv1', kind='macvlan', state='absent'))
    assert summaries == ["delete vxlan vx1 in the module's own namespace",
                         "delete macvlan mv1 in the module's own namespace"]


def test_plan_link_vni_change_recreates():
    data = {'IFLA_VXLAN_ID': 42, 'IFLA_VXLAN_PORT': 4789, 'IFLA_VXLAN_GROUP': '198.18.0.2'}
    session = link_session(link('vx1', 2, kind='vxlan', data=data))
    same = dict(name='vx1', kind='vxlan', vni=42, remote='198.18.0.2')
    assert plan_links_for(session, same)[0] == []
    assert plan_links_for(session, dict(same, vni=43))[0] == [
        "create vxlan vx1 in the module's own namespace under a temporary name",
        "delete vxlan vx1 in the module's own namespace",
        "rename the new vxlan to vx1 in the module's own namespace"]


def test_plan_link_kind_mismatch_needs_recreate():
    session = link_session(link('br0', 2, kind='bridge'), link('eth0', 3))
    with pytest.raises(PlanFailure, match='br0 exists in .* but is a bridge, not a macvlan; set recreate=true'):
        plan_links_for(session, dict(name='br0', kind='macvlan', parent='eth0'))
    with pytest.raises(PlanFailure, match='eth0 in .* is a physical interface and cannot be deleted'):
        plan_links_for(session, dict(name='eth0', state='absent'))
