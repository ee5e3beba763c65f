# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.netns contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""plan_links without root: replacing a link (temporary name, undo by making the old one again),
bridge mtu, kernel messages, combinations and mtu limits refused before anything changes."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno

import pytest

from ansible_collections.linuxnet.netns.plugins.module_utils._netns import plan_links
from ansible_collections.linuxnet.netns.plugins.module_utils._netns.links import restore
from ansible_collections.linuxnet.netns.plugins.module_utils._netns.engine import Plan, PlanFailure
from ansible_collections.linuxnet.netns.plugins.module_utils._netns.netlink import NetlinkFailure
from ansible_collections.linuxnet.netns.plugins.module_utils._netns.validation import ValidationError
from ansible_collections.linuxnet.netns.tests.unit.plugins.module_utils.fakes import FakeHost, FakeSession

OWN = "the module's own namespace"
VXLAN_DATA = {'IFLA_VXLAN_ID': 42, 'IFLA_VXLAN_PORT': 4789, 'IFLA_VXLAN_GROUP': '198.18.0.2',
              'IFLA_VXLAN_TTL': 0, 'IFLA_VXLAN_LEARNING': 1, 'IFLA_VXLAN_TTL_INHERIT': False}


def link(name, index, kind=None, master=None, up=True, mtu=1500, mac='02:00:00:00:00:01', link_index=None,
         data=None, max_mtu=65535):
    return dict(index=index, name=name, kind=kind, mtu=mtu, mac=mac, master=master, up=up, link_index=link_index,
                link_netnsid=None, data=data or {}, min_mtu=68, max_mtu=max_mtu)


class Session(FakeSession):
    """A FakeSession whose kernel refuses the requests fail(method, args, kwargs) picks."""

    def __init__(self, links, addresses=(), fail=None):
        super(Session, self).__init__(links, addresses, label=OWN)
        self.fail = fail
        self.kernel_indexes = dict((name, each['index']) for name, each in self.links().items())

    def index_of(self, name):
        # as the kernel had them before the plan: links the plan made have none here
        return self.kernel_indexes.get(name)

    def call(self, what, method, *args, **kwargs):
        super(Session, self).call(what, method, *args, **kwargs)
        if self.fail is not None and self.fail(method, args, kwargs):
            code, said = self.fail(method, args, kwargs)
            reason = '%s (errno %d)%s' % (errno.errorcode[code], code, ': ' + said if said else '')
            raise NetlinkFailure('%s in %s failed: %s' % (what, self.label, reason), reason, code, said)


def item(**values):
    base = dict((key, None) for key in plan_links.LINK_OPTIONS)
    base.update(state='present', recreate=False, netns=None, _where='')
    base.update(values)
    return base


def veth_item(**values):
    base = dict((key, None) for key in plan_links.VETH_OPTIONS)
    base.update(state='present', recreate=False, netns=None, _where='')
    base.update(values)
    return base


def planned(session, *items, **kwargs):
    plan = Plan()
    planner = kwargs.get('planner', plan_links.plan_link)
    make = veth_item if planner is plan_links.plan_veth else item
    planner(FakeHost(session), [make(**values) for values in items], plan)
    return [change.summary for change in plan.changes], plan


def adds(session):
    return [call for call in session.calls if call[:2] == ('link', 'add')]


# ---- replacing a link: the new one first, under a temporary name ----------------------------------

def vxlan_session(fail=None):
    return Session([link('ul0', 1), link('br0', 2, kind='bridge'),
                    link('vx1', 7, kind='vxlan', master='br0', mac='02:00:00:00:07:07', data=dict(VXLAN_DATA))],
                   addresses=[dict(index=7, family=4, address='198.18.30.1', prefixlen=24, broadcast=None),
                              dict(index=7, family=6, address='fe80::7', prefixlen=64, broadcast=None),
                              dict(index=1, family=4, address='198.18.10.1', prefixlen=24, broadcast=None)],
                   fail=fail)


VX1 = dict(name='vx1', kind='vxlan', vni=43, remote='198.18.0.2', master='br0')


def test_a_new_vni_is_made_under_a_temporary_name_then_renamed_into_place():
    session = vxlan_session()
    summaries, plan = planned(session, VX1)
    assert summaries == ['create vxlan vx1 in %s under a temporary name' % OWN, 'delete vxlan vx1 in ' + OWN,
                         'rename the new vxlan to vx1 in ' + OWN]
    plan.apply()
    create, delete, rename = session.calls
    temporary = create[2]['ifname']
    assert temporary.startswith('lnns') and len(temporary) == 15
    assert create[2]['state'] == 'down' and create[2]['vxlan_id'] == 43 and create[2]['master'] == 2
    assert delete == ('link', 'del', dict(index=7))
    assert rename[:2] == ('link', 'set') and rename[2]['ifname'] == 'vx1' and rename[2]['state'] == 'up'


def test_the_same_vni_and_port_cannot_exist_twice_so_the_old_link_goes_first():
    session = vxlan_session()
    summaries, plan = planned(session, dict(VX1, vni=42, remote='198.18.0.3'))
    assert summaries == ['delete vxlan vx1 in ' + OWN, 'create vxlan vx1 in ' + OWN]


def test_a_refused_new_link_leaves_the_old_one_untouched():
    session = vxlan_session(fail=lambda method, args, kwargs: (
        (errno.EEXIST, 'A VXLAN device with the specified VNI already exists') if args[:1] == ('add',) else None))
    summaries, plan = planned(session, VX1)
    with pytest.raises(PlanFailure) as caught:
        plan.apply()
    assert str(caught.value) == ('failed to create vxlan vx1 in %s under a temporary name: EEXIST (errno 17): '
                                 'A VXLAN device with the specified VNI already exists' % OWN)
    assert [call[1] for call in session.calls] == ['add']  # nothing deleted
    assert plan.failure_result() == dict(changed=False, actions=[], undone=[])


def test_a_later_failure_makes_the_deleted_link_again_as_it_was():
    failing = {'on': False}

    def fail(method, args, kwargs):
        if args[:1] == ('add',) and kwargs.get('ifname') == 'mv9' and failing['on']:
            return errno.EADDRINUSE, None
        return None

    session = vxlan_session(fail)
    session.plan_link('eth5', link('eth5', 9))
    summaries, plan = planned(session, VX1, dict(name='mv9', kind='macvlan', parent='eth5'))
    failing['on'] = True
    with pytest.raises(PlanFailure, match='undid: rename the new vxlan to vx1 in .*, delete vxlan vx1 in .*, '
                                          'create vxlan vx1 in .* under a temporary name$'):
        plan.apply()
    temporary = session.calls[0][2]['ifname']
    undo = session.calls[4:]
    assert undo[0][2]['ifname'] == temporary and undo[0][2]['state'] == 'down'  # renamed back
    made_again = undo[1]
    assert made_again[:2] == ('link', 'add')
    assert made_again[2] == dict(ifname='vx1', kind='vxlan', index=7, state='up', mtu=1500,
                                 address='02:00:00:00:07:07', master=2, vxlan_id=42, vxlan_port=4789,
                                 vxlan_group='198.18.0.2', vxlan_ttl=0, vxlan_learning=1)
    # its address again; the IPv6 link-local one the kernel makes from the mac by itself
    assert undo[2] == ('addr', 'add', dict(index=7, address='198.18.30.1', prefixlen=24))
    assert undo[3][:2] == ('link', 'del')  # then the new one goes
    assert plan.failure_result()['actions'] == []


def test_a_link_made_by_this_plan_cannot_be_made_again_and_says_so():
    session = Session([link('ul0', 1)])
    summaries, plan = planned(session, dict(name='vx1', kind='vxlan', vni=1),
                              dict(name='vx1', state='absent'))
    assert plan.changes[1].undo is None


def test_a_bridge_that_kept_its_random_mac_gets_a_new_one_back():
    kept = link('br9', 9, kind='bridge', data={'IFLA_BR_BRIDGE_ID': {'prio': 128, 'addr': '00:00:00:00:00:00'},
                                               'IFLA_BR_AGEING_TIME': 30000})
    assert 'address' not in restore.restored_settings(FakeSession(), kept)
    chosen = dict(kept, data={'IFLA_BR_BRIDGE_ID': {'prio': 128, 'addr': '02:00:00:00:00:01'}})
    settings = restore.restored_settings(FakeSession(), chosen)
    assert settings['address'] == '02:00:00:00:00:01'
    assert 'br_ageing_time' not in settings and restore.restored_settings(
        FakeSession(), kept)['br_ageing_time'] == 30000


def test_kind_mismatch_with_recreate_makes_the_new_kind_first():
    session = Session([link('eth0', 1), link('br-k', 3, kind='bridge')])
    summaries, plan = planned(session, dict(name='br-k', kind='macvlan', parent='eth0', recreate=True))
    assert summaries == ['create macvlan br-k in %s under a temporary name' % OWN, 'delete bridge br-k in ' + OWN,
                         'rename the new macvlan to br-k in ' + OWN]


def test_macvlan_keeping_its_mac_on_the_same_parent_deletes_first():
    session = Session([link('eth0', 1), link('mv0', 3, kind='macvlan', mac='02:00:00:00:03:03', link_index=1,
                                             data={'IFLA_MACVLAN_MODE': 'bridge'})])
    summaries, plan = planned(session, dict(name='mv0', kind='macvlan', parent='eth0', macvlan_mode='private',
                                            mac='02:00:00:00:03:03'))
    assert summaries == ['delete macvlan mv0 in ' + OWN, 'create macvlan mv0 in ' + OWN]


# ---- veth ---------------------------------------------------------------------------------------------

def test_veth_recreate_makes_the_pair_under_temporary_names_first():
    session = Session([link('br0', 2, kind='bridge'), link('v0', 3, kind='bridge')])
    summaries, plan = planned(session, dict(name='v0', peer='v1', recreate=True), planner=plan_links.plan_veth)
    assert summaries == ['create veth v0 <-> v1 under temporary names', 'delete bridge v0 in ' + OWN,
                         'rename the new veth to v0 <-> v1']
    plan.apply()
    create = session.calls[0][2]
    assert create['ifname'].startswith('lnns') and create['peer']['ifname'].startswith('lnns')
    assert create['ifname'] != create['peer']['ifname'] and create['state'] == 'down'
    renames = [call[2] for call in session.calls[2:]]
    assert [(rename['ifname'], rename['state']) for rename in renames] == [('v0', 'up'), ('v1', 'up')]


def test_a_veth_peer_without_ipv6_link_local_is_told_so_before_it_comes_up():
    """In one request the kernel would bring it up first, and make the address then (netns_bridge's containers)."""
    session = Session([link('br0', 2, kind='bridge')])
    dummy_summaries, plan = planned(session, dict(name='v0', peer='v1', _peer_ipv6_link_local=False),
                                    planner=plan_links.plan_veth)
    plan.apply()
    create, no_link_local, up = [call[2] for call in session.calls]
    assert create['peer'] == dict(ifname='v1') and 'ipv6_link_local' not in create['peer']
    assert no_link_local == dict(ifname='v1', ipv6_link_local=False)
    assert up == dict(ifname='v1', state='up')


def test_veth_absent_is_undone_by_making_the_pair_again():
    session = Session([link('v0', 3, kind='veth', link_index=4, mac='02:00:00:00:00:03'),
                       link('v1', 4, kind='veth', link_index=3, mac='02:00:00:00:00:04', up=False, mtu=1400)])
    summaries, plan = planned(session, dict(name='v0', peer='v1', state='absent'), planner=plan_links.plan_veth)
    plan.changes[0].undo()
    add, peer_state = session.calls
    assert add[2]['index'] == 3 and add[2]['peer'] == dict(ifname='v1', mtu=1400, address='02:00:00:00:00:04')
    assert peer_state[2]['state'] == 'down'


def test_removing_a_veth_does_not_search_every_namespace_for_its_peer():
    session = Session([dict(link('v0', 3, kind='veth', link_index=4), link_netnsid=5)])
    summaries, plan = planned(session, dict(name='v0', state='absent'), planner=plan_links.plan_veth)
    assert plan.changes[0].undo is None  # the other end is in a namespace the task did not name


class RemovingHost(FakeHost):
    """A FakeHost whose task removes, with nobody in them, the namespaces the session calls nsid 5."""

    def __init__(self, session):
        super(RemovingHost, self).__init__(session)
        self.namespaces.removed_nsids = lambda session: set([5])


def test_a_veth_whose_peer_is_in_a_namespace_the_task_removes_goes_with_it():
    """The kernel deletes both ends with that namespace: no request, and the diff still says it goes."""
    session = Session([dict(link('ve-c1', 3, kind='veth', link_index=2), link_netnsid=5),
                       dict(link('ve-c2', 4, kind='veth', link_index=2), link_netnsid=6)])
    plan = Plan()
    plan_links.plan_veth(RemovingHost(session), [veth_item(name='ve-c1', state='absent'),
                                                 veth_item(name='ve-c2', state='absent')], plan)
    assert [change.summary for change in plan.changes] == ["delete veth ve-c2 in %s" % OWN]
    assert plan.before['%s:ve-c1' % OWN]['kind'] == 'veth' and plan.after['%s:ve-c1' % OWN] is None
    assert 've-c1' not in session.links()


def test_a_veth_whose_peer_is_not_found_cannot_be_made_again():
    session = Session([link('v0', 3, kind='veth', link_index=99)])
    summaries, plan = planned(session, dict(name='v0', state='absent'), planner=plan_links.plan_veth)
    assert plan.changes[0].undo is None


# ---- bridge mtu, kernel messages ----------------------------------------------------------------------

def test_a_new_bridge_gets_its_mtu_once_it_exists():
    session = Session([])
    summaries, plan = planned(session, dict(name='br0', kind='bridge', mtu=9000))
    plan.apply()
    assert session.calls == [('link', 'add', dict(ifname='br0', kind='bridge', state='up')),
                             ('link', 'set', dict(ifname='br0', mtu=9000))]


def test_other_kinds_get_their_mtu_at_creation():
    session = Session([link('eth0', 1)])
    summaries, plan = planned(session, dict(name='mv0', kind='macvlan', parent='eth0', mtu=1400))
    plan.apply()
    assert [call[2]['mtu'] for call in session.calls] == [1400]


@pytest.mark.parametrize('kind, module', [('dummy', 'dummy'), ('vlan', '8021q')])
def test_a_missing_driver_is_named(kind, module):
    session = Session([link('eth0', 1)], fail=lambda method, args, kwargs: (
        (errno.EOPNOTSUPP, 'Unknown device type') if args[:1] == ('add',) else None))
    values = dict(name='x0', kind=kind)
    if kind == 'vlan':
        values.update(parent='eth0', vlan_id=10)
    summaries, plan = planned(session, values)
    with pytest.raises(PlanFailure, match=r'Unknown device type; this kernel has no %s driver \(load it: modprobe %s\)$'
                       % (kind, module)):
        plan.apply()


def test_not_supported_for_another_reason_is_left_as_the_kernel_said():
    session = Session([link('br0', 2, kind='bridge')], fail=lambda method, args, kwargs: (
        (errno.EOPNOTSUPP, None) if args[:1] == ('add',) else None))
    summaries, plan = planned(session, dict(name='mv0', kind='bridge', master='br0'))
    with pytest.raises(PlanFailure) as caught:
        plan.apply()
    assert 'driver' not in str(caught.value)


# ---- refused before anything: combinations, masters, mtu ----------------------------------------------

@pytest.mark.parametrize('values, message', [
    (dict(name='vx0', kind='vxlan', vni=1, device='br0', master='br0'),
     '^device br0 is also the master of vx0: a link cannot be a port of the link it runs over$'),
    (dict(name='mv0', kind='macvlan', parent='br0', master='br0'), '^parent br0 is also the master of mv0'),
    (dict(name='br1', kind='bridge', master='br1'), '^master of br1 is br1 itself$'),
    (dict(name='mv0', kind='macvlan', parent='mv0'), '^parent of mv0 is mv0 itself$'),
    (dict(name='br1', kind='bridge', vni=5, remote='198.18.0.1'),
     '^vni, remote only apply to kind=vxlan, not to kind=bridge$'),
    (dict(name='eth0', vlan_id=5), '^vlan_id only applies to kind=vlan, not to a link given without kind$'),
    (dict(name='br1', kind='bridge', parent='eth0'), '^parent only applies to kind=vlan and kind=macvlan$'),
    (dict(name='vx0', kind='vxlan', vni=1, local='198.18.0.1', remote='2001:db8::1'),
     '^local 198.18.0.1 is IPv4 but remote 2001:db8::1 is IPv6$'),
    (dict(name='br1', kind='bridge', mtu=65536), r'^mtu 65536 is out of range for br1 \(68\.\.65535\)$'),
    (dict(name='eth0', mtu=65536), r'^mtu 65536 is out of range for eth0 \(68\.\.65535\)$'),
    (dict(name='br1', kind='bridge', mtu=20, _where='aggregate item 2 (name=br1): '),
     r'^aggregate item 2 \(name=br1\): mtu 20 is out of range \(68\.\.2147483647\)$'),
])
def test_refused_before_anything(values, message):
    session = Session([link('eth0', 1), link('br0', 2, kind='bridge')])
    with pytest.raises(ValidationError, match=message):
        planned(session, values)
    assert session.calls == []


def test_lo_and_dummy_take_mtus_beyond_65535():
    session = Session([link('lo', 1, mtu=65536, max_mtu=None)])
    assert planned(session, dict(name='lo', mtu=70000))[0] == ['set mtu=70000 on lo in ' + OWN]
    assert planned(Session([]), dict(name='dm0', kind='dummy', mtu=70000))[0] == ['create dummy dm0 in ' + OWN]


@pytest.mark.parametrize('values, message', [
    (dict(name='mv0', kind='macvlan', parent='eth0', mtu=9000),
     '^mtu 9000 of macvlan mv0 is larger than the mtu 1500 of its parent eth0 in '),
    (dict(name='br1', kind='bridge', master='eth0'),
     "^master eth0 in the module's own namespace is a physical interface, not a bridge"),
])
def test_refused_by_the_state_of_other_links(values, message):
    session = Session([link('eth0', 1)])
    with pytest.raises(PlanFailure, match=message):
        planned(session, values)


def test_veth_master_must_not_be_one_of_its_ends():
    with pytest.raises(ValidationError, match='^master of veth v0 is v1, an end of the pair itself$'):
        planned(Session([]), dict(name='v0', peer='v1', master='v1'), planner=plan_links.plan_veth)
