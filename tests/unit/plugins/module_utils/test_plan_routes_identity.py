# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.netns contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""plan_routes on tables that are not empty: identity as the kernel's, multipath, nhid, other types."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.linuxnet.netns.plugins.module_utils._netns import argspec, plan_routes, route_model
from ansible_collections.linuxnet.netns.plugins.module_utils._netns.engine import Plan
from ansible_collections.linuxnet.netns.plugins.module_utils._netns.validation import ValidationError
from ansible_collections.linuxnet.netns.tests.unit.plugins.module_utils.fakes import FakeHost, FakeSession

MAIN, KERNEL, BOOT, LINK = 254, 2, 3, 253


def item(**values):
    base = dict(dest=None, gateway=None, interface=None, nexthops=None, metric=None, table='main', scope=None,
                source=None, source_prefix=None, tos=0, onlink=False, family=None, state='present',
                exclusive=False, netns=None, _where='')
    base.update(values)
    return base


def hop(gateway, oif=1, weight=1, flags=0):
    return dict(gateway=gateway, via=None, oif=oif, weight=weight, flags=flags)


def record(dst, dst_len, gateway=None, oif=1, table=MAIN, priority=None, proto=BOOT, scope=0, family=4, kind=1,
           src=None, src_len=0, tos=0, nexthops=(), nh_id=None):
    return dict(family=family, dst=dst, dst_len=dst_len, src=src or ('::' if family == 6 else '0.0.0.0'),
                src_len=src_len, tos=tos, table=table, proto=proto, scope=scope, type=kind, flags=0,
                gateway=gateway, via=None, oif=None if nexthops else oif, priority=priority, prefsrc=None,
                multipath=bool(nexthops), nexthops=list(nexthops), nh_id=nh_id, pref=None, metrics=None,
                encap_type=None)


def session(v4=(), v6=()):
    connected4 = [record('10.1.0.0', 24, proto=KERNEL, scope=LINK)]
    connected6 = [record('fd00:1::', 64, proto=KERNEL, priority=256, family=6),
                  record('fd00:2::', 64, proto=KERNEL, priority=256, family=6)]
    return FakeSession(routes={4: connected4 + list(v4), 6: connected6 + list(v6)})


def plan_for(fake, *items):
    plan = Plan()
    plan_routes.plan(FakeHost(fake, False), [item(**values) for values in items], plan)
    return plan


def summaries(plan):
    return [change.summary for change in plan.changes]


ECMP_DEFAULT = record('0.0.0.0', 0, nexthops=[hop('10.1.0.1'), hop('10.1.0.2', weight=3)])


# ---- multipath ------------------------------------------------------------------------------------

def test_a_route_asked_for_replaces_a_multipath_one_of_its_identity():
    fake = session(v4=[ECMP_DEFAULT])
    plan = plan_for(fake, dict(dest='default', gateway='10.1.0.254'))
    assert summaries(plan) == ['change route default via 10.1.0.254 in netns t (was default nexthop via '
                               '10.1.0.1 dev eth0 nexthop via 10.1.0.2 dev eth0 weight 3)']
    key = 'netns t:default via 10.1.0.254'
    assert plan.before[key]['nexthops'] == [dict(gateway='10.1.0.1', interface='eth0', weight=1, onlink=False),
                                            dict(gateway='10.1.0.2', interface='eth0', weight=3, onlink=False)]
    assert 'nexthops' not in plan.after[key] and plan.after[key]['gateway'] == '10.1.0.254'
    plan.apply()
    assert fake.calls[0][:2] == ('route', 'replace') and fake.calls[0][2]['gateway'] == '10.1.0.254'


def test_nexthops_create_then_nothing_to_do():
    hops = [dict(gateway='10.1.0.1', interface=None, weight=1, onlink=False),
            dict(gateway='10.1.0.2', interface='eth0', weight=3, onlink=False)]
    fake = session()
    plan = plan_for(fake, dict(dest='default', nexthops=hops))
    assert summaries(plan) == ['add route default nexthop via 10.1.0.1 nexthop via 10.1.0.2 dev eth0 weight 3 '
                               'in netns t']
    plan.apply()
    assert fake.calls[0][2]['multipath'] == [dict(hops=0, gateway='10.1.0.1'), dict(hops=2, gateway='10.1.0.2', oif=1)]
    assert 'gateway' not in fake.calls[0][2] and 'oif' not in fake.calls[0][2]
    # the kernel's order and a hop without interface do not make a difference
    assert plan_for(session(v4=[ECMP_DEFAULT]), dict(dest='default', nexthops=list(reversed(hops)))).changes == []


def test_nexthops_of_other_weights_replace_the_route():
    hops = [dict(gateway='10.1.0.1', interface=None, weight=1, onlink=False),
            dict(gateway='10.1.0.2', interface=None, weight=1, onlink=False)]
    plan = plan_for(session(v4=[ECMP_DEFAULT]), dict(dest='default', nexthops=hops))
    assert summaries(plan)[0].startswith('change route default nexthop via 10.1.0.1 nexthop via 10.1.0.2 in netns t')


def test_nexthops_replace_a_plain_route_and_absent_needs_the_same_set():
    fake = session(v4=[record('0.0.0.0', 0, gateway='10.1.0.1')])
    hops = [dict(gateway='10.1.0.1', interface=None, weight=1, onlink=False),
            dict(gateway='10.1.0.2', interface=None, weight=3, onlink=False)]
    assert summaries(plan_for(fake, dict(dest='default', nexthops=hops)))[0].startswith('change route default')
    assert plan_for(fake, dict(dest='default', nexthops=hops, state='absent')).changes == []
    assert plan_for(session(v4=[ECMP_DEFAULT]), dict(dest='default', gateway='10.1.0.1', state='absent')).changes == []
    plan = plan_for(session(v4=[ECMP_DEFAULT]), dict(dest='default', nexthops=hops, state='absent'))
    assert summaries(plan) == ['remove route default nexthop via 10.1.0.1 dev eth0 nexthop via 10.1.0.2 dev eth0 '
                               'weight 3 from netns t']


@pytest.mark.parametrize('values, message', [
    (dict(nexthops=[dict(gateway='10.1.0.1', interface=None, weight=1, onlink=False)]), 'needs two or more'),
    (dict(gateway='10.1.0.9', nexthops=[{}, {}]), 'give either nexthops or those'),
    (dict(nexthops=[dict(gateway='10.1.0.1', interface=None, weight=1, onlink=False),
                    dict(gateway=None, interface=None, weight=1, onlink=False)]),
     'nexthops item 2: a next hop needs a gateway or an interface'),
    (dict(nexthops=[dict(gateway='10.1.0.1', interface=None, weight=0, onlink=False),
                    dict(gateway='10.1.0.2', interface=None, weight=1, onlink=False)]),
     r'nexthops item 1: weight 0 is out of range \(1..256\)'),
    (dict(nexthops=[dict(gateway='10.1.0.1', interface=None, weight=1, onlink=False),
                    dict(gateway='fd00:1::1', interface=None, weight=1, onlink=False)]),
     'gateway fd00:1::1 is IPv6 but dest default is IPv4'),
    (dict(nexthops=[dict(gateway='10.1.0.1', interface=None, weight=1, onlink=True),
                    dict(gateway='10.1.0.2', interface=None, weight=1, onlink=False)]),
     'nexthops item 1: onlink needs gateway and interface'),
    (dict(gateway='10.1.0.1', source_prefix='10.0.0.0/8'), 'only IPv6 routes have a source prefix'),
    (dict(gateway='fd00:1::1', tos=16), 'IPv6 routes have none'),
    (dict(gateway='10.1.0.1', tos=256), r'tos 256 is out of range'),
])
def test_bad_input_is_refused(values, message):
    values = item(dest='default', **values)
    with pytest.raises(ValidationError, match=message):
        argspec.check_rules(values, route_model.RULES, values['_where'])  # as engine.expand_items does
        route_model.desired_route(values)


# ---- IPv6 source-specific routes, tos: other identities -------------------------------------------

SOURCE_ROUTES = [record('fd00:99::', 64, gateway='fd00:1::fe', priority=1024, family=6, src='fd00:1::', src_len=64),
                 record('fd00:99::', 64, gateway='fd00:2::fe', priority=1024, family=6, src='fd00:2::', src_len=64)]


def test_a_route_without_source_prefix_is_added_beside_the_source_specific_ones():
    fake = session(v6=SOURCE_ROUTES)
    plan = plan_for(fake, dict(dest='fd00:99::/64', gateway='fd00:1::fe'))
    assert summaries(plan) == ['add route fd00:99::/64 via fd00:1::fe in netns t']
    assert plan.before == {'netns t:fd00:99::/64 via fd00:1::fe': None}
    plan.apply()
    assert 'src' not in fake.calls[0][2]


def test_a_source_specific_route_is_changed_alone():
    fake = session(v6=SOURCE_ROUTES)
    plan = plan_for(fake, dict(dest='fd00:99::/64', gateway='fd00:1::fd', source_prefix='fd00:1::/64'))
    assert summaries(plan) == ['change route fd00:99::/64 from fd00:1::/64 via fd00:1::fd in netns t '
                               '(was fd00:99::/64 from fd00:1::/64 via fd00:1::fe dev eth0)']
    after = plan.after['netns t:fd00:99::/64 from fd00:1::/64 via fd00:1::fd']
    assert after['source_prefix'] == 'fd00:1::/64'
    plan.apply()
    assert fake.calls[0][2]['src'] == 'fd00:1::' and fake.calls[0][2]['src_len'] == 64
    assert plan_for(session(v6=SOURCE_ROUTES), dict(dest='fd00:99::/64', gateway='fd00:2::fe',
                                                    source_prefix='fd00:2::/64')).changes == []


def test_absent_of_a_source_specific_route_leaves_the_other():
    plan = plan_for(session(v6=SOURCE_ROUTES), dict(dest='fd00:99::/64', source_prefix='fd00:2::/64', state='absent'))
    assert summaries(plan) == ['remove route fd00:99::/64 from fd00:2::/64 via fd00:2::fe dev eth0 from netns t']
    assert plan_for(session(v6=SOURCE_ROUTES), dict(dest='fd00:99::/64', state='absent')).changes == []


def test_tos_is_part_of_the_identity():
    fake = session(v4=[record('10.5.0.0', 16, gateway='10.1.0.1', tos=0x10)])
    assert summaries(plan_for(fake, dict(dest='10.5.0.0/16', gateway='10.1.0.1'))) == [
        'add route 10.5.0.0/16 via 10.1.0.1 in netns t']
    assert plan_for(fake, dict(dest='10.5.0.0/16', gateway='10.1.0.1', tos=0x10)).changes == []


# ---- nexthop objects, other types ----------------------------------------------------------------------

def test_a_route_through_a_nexthop_object_reads_as_its_gateway():
    fake = session(v4=[record('10.92.0.0', 16, gateway='10.1.0.9', nh_id=1)])
    plan = plan_for(fake, dict(dest='10.92.0.0/16', gateway='10.1.0.9'))
    assert plan.changes == []
    assert plan.after['netns t:10.92.0.0/16 via 10.1.0.9']['nhid'] == 1
    plan = plan_for(fake, dict(dest='10.92.0.0/16', gateway='10.1.0.8'))
    assert summaries(plan) == ['change route 10.92.0.0/16 via 10.1.0.8 in netns t '
                               '(was 10.92.0.0/16 nhid 1 via 10.1.0.9 dev eth0)']


def test_a_group_nexthop_object_reads_as_its_nexthops():
    group = record('10.93.0.0', 16, nexthops=[hop('10.1.0.1'), hop('10.1.0.2')], nh_id=3)
    hops = [dict(gateway='10.1.0.1', interface=None, weight=1, onlink=False),
            dict(gateway='10.1.0.2', interface=None, weight=1, onlink=False)]
    assert plan_for(session(v4=[group]), dict(dest='10.93.0.0/16', nexthops=hops)).changes == []


def test_undoing_a_change_of_an_nhid_route_puts_the_nexthop_object_back():
    fake = session(v4=[record('10.92.0.0', 16, gateway='10.1.0.9', nh_id=1, table=1000, priority=7)])
    plan = plan_for(fake, dict(dest='10.92.0.0/16', gateway='10.1.0.8', table='1000', metric=7))
    plan.changes[0].undo()
    assert fake.calls == [('route', 'replace', dict(family=2, dst='10.92.0.0', dst_len=16, table=1000, priority=7,
                                                    scope=0, proto=BOOT, nh_id=1))]


def test_a_blackhole_of_the_same_identity_is_replaced_and_put_back():
    fake = session(v4=[record('10.88.0.0', 16, kind=6, oif=None)])
    plan = plan_for(fake, dict(dest='10.88.0.0/16', gateway='10.1.0.1'))
    assert summaries(plan) == ['change route 10.88.0.0/16 via 10.1.0.1 in netns t (was blackhole 10.88.0.0/16)']
    plan.apply()
    plan.changes[0].undo()
    assert fake.calls[1][2]['type'] == 6 and 'gateway' not in fake.calls[1][2]
