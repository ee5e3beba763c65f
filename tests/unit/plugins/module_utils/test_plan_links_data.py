# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.netns contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The link and address planners give their changes as data (engine.Op): names and arguments,
undo included, and applying that data makes the requests it says; the session's read state stays as read."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.linuxnet.netns.plugins.module_utils._netns import plan_addresses, plan_links
from ansible_collections.linuxnet.netns.plugins.module_utils._netns.engine import Plan
from ansible_collections.linuxnet.netns.tests.unit.plugins.module_utils.fakes import FakeHost, FakeSession
from ansible_collections.linuxnet.netns.tests.unit.plugins.module_utils.test_plan_links import (
    OWN, Session, link, planned)
from ansible_collections.linuxnet.netns.tests.unit.plugins.module_utils.test_plan_links_remotes import (
    VXLAN, FdbSession, fdb_calls)


def ops(plan):
    return [(change['apply']['op'], change['undo'] and change['undo']['op']) for change in plan.as_data()]


def test_a_new_link_and_a_change_of_attributes_are_data():
    session = Session([link('br0', 2, kind='bridge'), link('eth1', 3, mtu=1500)])
    summaries, plan = planned(session, dict(name='vl5', kind='vlan', parent='eth1', vlan_id=5, master='br0'),
                              dict(name='eth1', mtu=1400))
    data = plan.as_data()
    assert ops(plan) == [('link.create', 'link.delete'), ('link.set', 'link.set')]
    assert data[0]['apply'] == dict(op='link.create', on=OWN, args=dict(
        kind='vlan', name='vl5', settings=dict(vlan_id=5, state='up'), parent='eth1', device=None, master='br0'))
    assert data[0]['undo']['args'] == dict(name='vl5')
    assert data[1]['apply']['args'] == dict(name='eth1', attrs=dict(mtu=1400))
    assert data[1]['undo']['args'] == dict(name='eth1', attrs=dict(mtu=1500))
    plan.apply()
    assert session.calls == [('link', 'add', dict(ifname='vl5', kind='vlan', vlan_id=5, state='up', link=3, master=2)),
                             ('link', 'set', dict(index=3, mtu=1400))]


def test_the_plan_changes_its_layer_never_what_was_read():
    session = Session([link('eth1', 3, mtu=1500), link('old0', 4, kind='dummy')])
    planned(session, dict(name='eth1', mtu=1400), dict(name='old0', state='absent'),
            dict(name='br9', kind='bridge'))
    assert session.link('eth1')['mtu'] == 1400 and session.kernel_link('eth1')['mtu'] == 1500
    assert session.link('old0') is None and session.kernel_link('old0')['kind'] == 'dummy'
    assert session.link('br9')['index'] is None and session.kernel_link('br9') is None
    with pytest.raises(TypeError):
        session.links()['eth1'] = {}
    with pytest.raises(TypeError):
        session.link('eth1')['mtu'] = 9000


def test_a_deleted_link_is_made_again_from_the_state_saved_in_its_undo():
    session = Session([link('vx1', 7, kind='vxlan', data={'IFLA_VXLAN_ID': 42, 'IFLA_VXLAN_PORT': 4789})],
                      addresses=[dict(index=7, family=4, address='198.18.30.1', prefixlen=24, broadcast=None)])
    summaries, plan = planned(session, dict(name='vx1', state='absent'))
    undo = plan.as_data()[0]['undo']
    assert undo['op'] == 'link.restore'
    assert undo['args']['saved']['link']['index'] == 7
    assert undo['args']['saved']['link']['data'] == {'IFLA_VXLAN_ID': 42, 'IFLA_VXLAN_PORT': 4789}
    assert undo['args']['saved']['addresses'] == [dict(index=7, family=4, address='198.18.30.1', prefixlen=24,
                                                       broadcast=None)]
    plan.changes[0].undo()
    assert session.calls == [
        ('link', 'add', dict(ifname='vx1', kind='vxlan', index=7, state='up', mtu=1500, address='02:00:00:00:00:01',
                             vxlan_id=42, vxlan_port=4789)),
        ('addr', 'add', dict(index=7, address='198.18.30.1', prefixlen=24))]


def test_a_veth_replacing_links_is_made_under_temporary_names_as_data():
    session = Session([link('v0', 3, kind='bridge')])
    summaries, plan = planned(session, dict(name='v0', peer='v1', recreate=True), planner=plan_links.plan_veth)
    assert ops(plan) == [('link.create', 'link.delete'), ('link.delete', 'link.restore'),
                         ('veth.put_in_place', 'veth.take_back')]
    create, rename = plan.as_data()[0]['apply']['args'], plan.as_data()[2]['apply']['args']
    assert create['kind'] == 'veth' and create['peer']['ifname'] == rename['temporary_peer']
    assert create['name'] == rename['temporary'] and rename['name'] == 'v0' and rename['peer'] == 'v1'
    plan.apply()
    plan.changes[2].undo()
    assert [call[2]['ifname'] for call in session.calls[2:]] == ['v0', 'v1', rename['temporary_peer'],
                                                                 rename['temporary']]


class TwoNamespaces(FakeHost):
    """The module's own namespace (None) and netns other, each with a session of its own."""

    def __init__(self, here, other):
        super(TwoNamespaces, self).__init__(here)
        self.sessions = {None: here, 'other': other}

    def session(self, ref):
        return self.sessions[ref]


def test_a_link_moved_in_is_data_both_ways():
    here, other = Session([link('lo', 1)]), FakeSession([link('eth7', 9)], label='netns other')
    here.fd, other.fd = 101, 102  # the descriptors the move names the namespaces by
    plan = Plan()
    plan_links.plan_link(TwoNamespaces(here, other), [dict(
        dict((key, None) for key in plan_links.LINK_OPTIONS), state='present', recreate=False, netns=None, _where='',
        name='eth7', from_netns='other')], plan)
    data = plan.as_data()
    assert [change['summary'] for change in data] == ['move eth7 from netns other to ' + OWN,
                                                      'set up=True on eth7 in ' + OWN]
    assert data[0]['apply'] == dict(op='link.move', on='netns other', args=dict(name='eth7', to_fd=101))
    assert data[0]['undo'] == dict(op='link.move', on=OWN, args=dict(name='eth7', to_fd=102, back=True))
    assert other.link('eth7') is None and here.link('eth7')['index'] is None and other.kernel_link('eth7')
    plan.apply()
    assert other.calls == [('link', 'set', dict(index=9, net_ns_fd=101))]
    plan.changes[0].undo()
    assert here.calls[-1][2]['net_ns_fd'] == 102


def test_flood_list_entries_are_data():
    session = FdbSession([link('eth0', 1)])
    plan = Plan()
    plan_links.plan_link(FakeHost(session), [dict(dict((key, None) for key in plan_links.LINK_OPTIONS),
                                                  state='present', recreate=False, netns=None, _where='',
                                                  **dict(VXLAN, remotes=['198.18.0.12']))], plan)
    assert ops(plan) == [('link.create', 'link.delete'), ('fdb.flood_entry', 'fdb.flood_entry')]
    assert plan.as_data()[1]['apply']['args'] == dict(name='vx0', command='append', address='198.18.0.12')
    assert plan.as_data()[1]['undo']['args'] == dict(name='vx0', command='del', address='198.18.0.12')
    session.plan_link('vx0', link('vx0', 2, kind='vxlan'))
    plan.apply()
    assert fdb_calls(session) == [('append', '198.18.0.12')]


def test_addresses_are_data():
    session = FakeSession(addresses=[dict(index=1, family=4, address='10.0.0.1', prefixlen=24, scope=0, flags=0)])
    plan = Plan()
    plan_addresses.plan(FakeHost(session), [dict(interface='eth0', address=['10.0.0.9/24', '2001:db8::9/64'],
                                                 state='present', exclusive=True, dad='skip', dad_timeout=1.0,
                                                 netns=None, _where='')], plan)
    assert [change['apply'] for change in plan.as_data()] == [
        dict(op='address.remove', on='netns t', args=dict(interface='eth0', address='10.0.0.1/24')),
        dict(op='address.add', on='netns t', args=dict(interface='eth0', address='10.0.0.9/24', nodad=False)),
        dict(op='address.add', on='netns t', args=dict(interface='eth0', address='2001:db8::9/64', nodad=True))]
    assert plan.as_data()[0]['undo']['op'] == 'address.add'
    plan.apply()
    assert session.calls == [('addr', 'del', dict(index=1, address='10.0.0.1', prefixlen=24)),
                             ('addr', 'add', dict(index=1, address='10.0.0.9', prefixlen=24)),
                             ('addr', 'add', dict(index=1, address='2001:db8::9', prefixlen=64, flags=0x02))]
