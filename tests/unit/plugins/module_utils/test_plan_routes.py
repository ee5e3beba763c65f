# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.netns contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""plan_routes without root: desired_route's normal form and errors, and the planner on a fake session."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress

import pytest

from ansible_collections.linuxnet.netns.plugins.module_utils._netns import argspec, plan_routes, route_model
from ansible_collections.linuxnet.netns.plugins.module_utils._netns.engine import Plan, PlanFailure
from ansible_collections.linuxnet.netns.plugins.module_utils._netns.validation import ValidationError
from ansible_collections.linuxnet.netns.tests.unit.plugins.module_utils.fakes import FakeHost, FakeSession

MAIN = 254
KERNEL, BOOT = 2, 3
LINK, UNIVERSE, HOST_SCOPE = 253, 0, 254


def item(**values):
    base = dict(dest=None, gateway=None, interface=None, metric=None, table='main', scope=None, source=None,
                onlink=False, family=None, state='present', exclusive=False, netns=None, _where='')
    base.update(values)
    return base


def desired(**values):
    """An item as a module task gets it: the rules between options first (engine.expand_items), then the route."""
    values = item(**values)
    argspec.check_rules(values, route_model.RULES, values['_where'])
    return route_model.desired_route(values)


# ---- desired_route: normal form -------------------------------------------------------------

def test_default_is_ipv4_without_hint():
    route = desired(dest='default', interface='eth0')
    assert route['family'] == 4
    assert route['dest'] == ipaddress.ip_network(u'0.0.0.0/0')


def test_default_takes_the_gateways_family():
    assert desired(dest='default', gateway='10.0.0.1')['dest'] == ipaddress.ip_network(u'0.0.0.0/0')
    route = desired(dest='default', gateway='2001:db8::1')
    assert route['family'] == 6
    assert route['dest'] == ipaddress.ip_network(u'::/0')


def test_default_takes_the_family_option():
    route = desired(dest='default', interface='eth0', family='ipv6')
    assert (route['family'], str(route['dest'])) == (6, '::/0')


@pytest.mark.parametrize('gateway, metric', [('10.0.0.1', 0), ('2001:db8::1', 1024)])
def test_metric_defaults_to_the_kernels(gateway, metric):
    assert desired(dest='default', gateway=gateway)['metric'] == metric


def test_metric_given():
    assert desired(dest='10.2.0.0/24', gateway='10.0.0.1', metric=50)['metric'] == 50
    assert desired(dest='2001:db8:2::/48', gateway='2001:db8::1', metric=0)['metric'] == 0


def test_scope_defaults_as_ip_route():
    assert desired(dest='10.2.0.0/24', interface='eth0')['scope'] == LINK
    assert desired(dest='10.2.0.0/24', gateway='10.0.0.1')['scope'] == UNIVERSE
    assert desired(dest='2001:db8:2::/48', interface='eth0')['scope'] == UNIVERSE


def test_scope_given():
    assert desired(dest='10.2.0.9/32', interface='eth0', scope='host')['scope'] == HOST_SCOPE
    assert desired(dest='10.2.0.0/24', interface='eth0', scope='global')['scope'] == UNIVERSE


def test_ipv6_routes_have_no_scope():
    # the kernel keeps none for IPv6: asking for one must not make the route differ on every run
    assert desired(dest='2001:db8:2::/48', interface='eth0', scope='link')['scope'] == UNIVERSE


@pytest.mark.parametrize('table, number', [('main', 254), ('local', 255), ('default', 253), ('100', 100),
                                           ('4294967295', 4294967295)])
def test_table_names_and_numbers(table, number):
    assert desired(dest='10.2.0.0/24', gateway='10.0.0.1', table=table)['table'] == number


def test_addresses_in_normal_form():
    route = desired(dest='2001:0DB8:0070:0::/48', gateway='2001:0db8:0::1', source='2001:DB8::5')
    assert str(route['dest']) == '2001:db8:70::/48'
    assert route['gateway'] == '2001:db8::1'
    assert route['source'] == '2001:db8::5'


def test_bare_address_is_a_host_route():
    assert str(desired(dest='10.2.0.9', gateway='10.0.0.1')['dest']) == '10.2.0.9/32'


def test_whole_form():
    assert desired(dest='10.2.0.0/24', gateway='10.0.0.1', interface='eth0', onlink=True) == dict(
        family=4, table=MAIN, dest=ipaddress.ip_network(u'10.2.0.0/24'), metric=0, gateway='10.0.0.1',
        interface='eth0', scope=UNIVERSE, source=None, onlink=True)


# ---- desired_route: errors ------------------------------------------------------------------

@pytest.mark.parametrize('values, message', [
    (dict(dest='10.1.0.1/16', gateway='10.0.0.1'), "has host bits set; did you mean 10.1.0.0/16"),
    (dict(dest='10.1.0.0/24', gateway='2001:db8::1'),
     '^gateway 2001:db8::1 is IPv6 but dest 10.1.0.0/24 is IPv4; a gateway must be of the family of the route$'),
    (dict(dest='2001:db8:1::/48', gateway='10.0.0.1'), '^gateway 10.0.0.1 is IPv4 but dest 2001:db8:1::/48 is IPv6'),
    (dict(dest='default', gateway='2001:db8::1', family='ipv4'), '^gateway 2001:db8::1 is IPv6 but dest default is IPv4'),
    (dict(dest='10.1.0.0/24', interface='eth0', family='ipv6'), '^dest 10.1.0.0/24 is IPv4 but family is ipv6$'),
    (dict(dest='10.1.0.0/24', gateway='10.0.0.1', source='2001:db8::1'), 'source 2001:db8::1 is not IPv4'),
    (dict(dest='10.1.0.0/24', gateway='gw.example'), "gateway 'gw.example' is not an IP address"),
    (dict(dest='10.1.0.0/24', gateway='10.0.0.1', source='me'), "source 'me' is not an IP address"),
    (dict(dest='10.1.0.0/24', gateway='10.0.0.1', table='nosuch'),
     "table 'nosuch' is not a number nor one of default, local, main"),
    (dict(dest='10.1.0.0/24', gateway='10.0.0.1', table='0'), 'table 0 is out of range'),
    (dict(dest='10.1.0.0/24', gateway='10.0.0.1', table='4294967296'), 'is out of range'),
    (dict(dest='10.1.0.0/24', gateway='10.0.0.1', metric=-1), 'metric -1 is out of range'),
    (dict(dest='10.1.0.0/24', gateway='10.0.0.1', metric=2 ** 32), 'is out of range'),
    (dict(dest='10.1.0.0/24'), 'a route needs a gateway or an interface'),
    (dict(dest='10.1.0.0/24', gateway='10.0.0.1', onlink=True), 'onlink needs gateway and interface'),
    (dict(dest='10.1.0.0/24', interface='eth0', onlink=True), 'onlink needs gateway and interface'),
    (dict(dest='10.1.0.0/24', interface='eth/0'), "interface 'eth/0' contains '/'"),
    (dict(dest='not-a-net', gateway='10.0.0.1'), "dest 'not-a-net' is not a network in CIDR form"),
    (dict(dest='10.1.0.0/24', interface='eth0', _where='aggregate item 3: '),
     None),  # valid: only here to show the prefix is not needed when nothing is wrong
])
def test_desired_route_refused(values, message):
    if message is None:
        assert desired(**values)
        return
    with pytest.raises(ValidationError, match=message):
        desired(**values)


def test_error_names_the_aggregate_item():
    with pytest.raises(ValidationError, match='^aggregate item 2: a route needs a gateway or an interface'):
        desired(dest='10.1.0.0/24', _where='aggregate item 2: ')


def test_absent_needs_no_target():
    assert desired(dest='10.1.0.0/24', state='absent')['gateway'] is None


# ---- the planner on a fake session ----------------------------------------------------------

def record(dst, dst_len, gateway=None, oif=1, table=MAIN, priority=None, proto=BOOT, scope=UNIVERSE,
           prefsrc=None, family=4, kind=1, flags=0):
    return dict(family=family, dst=dst, dst_len=dst_len, table=table, proto=proto, scope=scope, type=kind,
                flags=flags, gateway=gateway, oif=oif, priority=priority, prefsrc=prefsrc, multipath=False)


def connected_v4():
    return [record('10.0.0.0', 24, proto=KERNEL, scope=LINK, prefsrc='10.0.0.2'),
            record('10.0.0.2', 32, table=255, proto=KERNEL, scope=HOST_SCOPE, kind=2, prefsrc='10.0.0.2')]


def connected_v6():
    return [record('2001:db8::', 64, proto=KERNEL, priority=256, family=6),
            record('fe80::', 64, proto=KERNEL, priority=256, family=6)]


def routes_session(v4=None, v6=None, label='netns t'):
    return FakeSession(routes={4: connected_v4() if v4 is None else v4, 6: connected_v6() if v6 is None else v6},
                       label=label)


def plan_for(session, *items, **kwargs):
    host = FakeHost(session, kwargs.pop('check_mode', False))
    plan = Plan()
    plan_routes.plan(host, [item(**values) for values in items], plan)
    return plan, host


def summaries(plan):
    return [change.summary for change in plan.changes]


def test_plans_an_add_and_applies_it():
    session = routes_session()
    plan, host = plan_for(session, dict(dest='default', gateway='10.0.0.1'))
    assert summaries(plan) == ['add route default via 10.0.0.1 in netns t']
    assert plan.before == {'netns t:default via 10.0.0.1': None}
    assert plan.after['netns t:default via 10.0.0.1']['gateway'] == '10.0.0.1'
    assert session.calls == []  # planning changes nothing
    plan.apply()
    assert session.calls == [('route', 'add', dict(dst='0.0.0.0', dst_len=0, table=MAIN, priority=0,
                                                   scope=UNIVERSE, family=2, proto=BOOT, gateway='10.0.0.1'))]


def test_plans_nothing_when_the_route_is_there():
    session = routes_session(v4=connected_v4() + [record('0.0.0.0', 0, gateway='10.0.0.1')])
    plan, host = plan_for(session, dict(dest='default', gateway='10.0.0.1'))
    assert plan.changes == []
    assert plan.before == plan.after


def test_plans_nothing_for_ipv6_in_another_form():
    session = routes_session(v6=connected_v6() + [record('::', 0, gateway='2001:db8::1', priority=1024, family=6)])
    plan, host = plan_for(session, dict(dest='default', gateway='2001:0db8:0::1'))
    assert plan.changes == []


def test_plans_a_replace_for_another_gateway():
    session = routes_session(v4=connected_v4() + [record('0.0.0.0', 0, gateway='10.0.0.1')])
    plan, host = plan_for(session, dict(dest='default', gateway='10.0.0.254'))
    assert summaries(plan) == ['change route default via 10.0.0.254 in netns t (was default via 10.0.0.1 dev eth0)']
    plan.apply()
    assert [call[:2] for call in session.calls] == [('route', 'replace')]
    assert session.calls[0][2]['gateway'] == '10.0.0.254'


def test_another_metric_is_another_route():
    session = routes_session(v4=connected_v4() + [record('0.0.0.0', 0, gateway='10.0.0.1')])
    plan, host = plan_for(session, dict(dest='default', gateway='10.0.0.1', metric=100))
    assert summaries(plan) == ['add route default via 10.0.0.1 metric 100 in netns t']


def test_interface_given_must_match_interface_left_out_need_not():
    session = routes_session(v4=connected_v4() + [record('10.2.0.0', 24, gateway='10.0.0.1', oif=1)])
    assert plan_for(session, dict(dest='10.2.0.0/24', gateway='10.0.0.1'))[0].changes == []
    assert plan_for(session, dict(dest='10.2.0.0/24', gateway='10.0.0.1', interface='eth0'))[0].changes == []
    current = route_model.current_routes(session, 4)[(4, MAIN, ipaddress.ip_network(u'10.2.0.0/24'), None, 0, 0)]
    assert current['interface'] == 'eth0'
    assert route_model.differs(current, desired(dest='10.2.0.0/24', gateway='10.0.0.1', interface='eth1'))
    assert not route_model.differs(current, desired(dest='10.2.0.0/24', gateway='10.0.0.1'))


def test_a_dev_route_compares_its_source_and_scope():
    existing = record('10.3.0.0', 24, scope=LINK, prefsrc='10.0.0.2')
    session = routes_session(v4=connected_v4() + [existing])
    assert plan_for(session, dict(dest='10.3.0.0/24', interface='eth0', source='10.0.0.2'))[0].changes == []
    plan, host = plan_for(session, dict(dest='10.3.0.0/24', interface='eth0'))
    assert summaries(plan) == ['change route 10.3.0.0/24 dev eth0 in netns t (was 10.3.0.0/24 dev eth0)']


def test_absent_removes_the_matching_route_only():
    session = routes_session(v4=connected_v4() + [record('10.2.0.0', 24, gateway='10.0.0.1')])
    plan, host = plan_for(session, dict(dest='10.2.0.0/24', gateway='10.0.0.9', state='absent'))
    assert plan.changes == []
    plan, host = plan_for(session, dict(dest='10.2.0.0/24', state='absent'))
    assert summaries(plan) == ['remove route 10.2.0.0/24 via 10.0.0.1 dev eth0 from netns t']
    assert plan.before['netns t:10.2.0.0/24']['gateway'] == '10.0.0.1'
    assert plan.after['netns t:10.2.0.0/24'] is None
    plan.apply()
    assert session.calls[0][:2] == ('route', 'del')
    assert 'proto' not in session.calls[0][2]


def test_absent_of_a_missing_route_plans_nothing():
    plan, host = plan_for(routes_session(), dict(dest='10.9.0.0/24', state='absent'))
    assert plan.changes == []
    assert plan.before == {'netns t:10.9.0.0/24': None}


def test_exclusive_keeps_kernel_routes_other_tables_and_other_families():
    v4 = connected_v4() + [
        record('0.0.0.0', 0, gateway='10.0.0.1'),
        record('10.2.0.0', 24, gateway='10.0.0.1'),
        record('10.4.0.0', 24, gateway='10.0.0.1', table=100),
    ]
    v6 = connected_v6() + [record('::', 0, gateway='2001:db8::1', priority=1024, family=6)]
    session = routes_session(v4=v4, v6=v6)
    plan, host = plan_for(session, dict(dest='10.3.0.0/24', gateway='10.0.0.1', exclusive=True))
    assert summaries(plan) == [
        'add route 10.3.0.0/24 via 10.0.0.1 in netns t',
        'remove route default via 10.0.0.1 dev eth0 from netns t',
        'remove route 10.2.0.0/24 via 10.0.0.1 dev eth0 from netns t',
    ]


def test_exclusive_items_form_one_set():
    v4 = connected_v4() + [record('0.0.0.0', 0, gateway='10.0.0.1'), record('10.2.0.0', 24, gateway='10.0.0.1')]
    session = routes_session(v4=v4)
    plan, host = plan_for(session, dict(dest='default', gateway='10.0.0.1', exclusive=True),
                          dict(dest='10.2.0.0/24', gateway='10.0.0.1', exclusive=True))
    assert plan.changes == []


def test_the_same_route_twice_with_different_targets():
    with pytest.raises(ValidationError, match='route 10.2.0.0/24 via 10.0.0.9 is given twice with different targets'):
        plan_for(routes_session(), dict(dest='10.2.0.0/24', gateway='10.0.0.1'),
                 dict(dest='10.2.0.0/24', gateway='10.0.0.9'))


def test_unreachable_gateway_is_refused_before_anything():
    session = routes_session()
    with pytest.raises(PlanFailure, match='gateway 198.51.100.1 is not reachable in netns t: no connected route'):
        plan_for(session, dict(dest='10.1.0.0/24', gateway='10.0.0.1'), dict(dest='10.5.0.0/24', gateway='198.51.100.1'))
    assert session.calls == []


def test_unknown_interface_is_refused_before_anything():
    session = routes_session()
    with pytest.raises(PlanFailure, match='^interface eth9 of route 10.5.0.0/24 dev eth9 does not exist in netns t$'):
        plan_for(session, dict(dest='10.1.0.0/24', gateway='10.0.0.1'), dict(dest='10.5.0.0/24', interface='eth9'))
    assert session.calls == []


def test_unknown_interface_in_check_mode_is_a_warning():
    plan, host = plan_for(routes_session(), dict(dest='10.5.0.0/24', interface='eth9'), check_mode=True)
    assert summaries(plan) == ['add route 10.5.0.0/24 dev eth9 in netns t']
    assert host.warnings == ['interface eth9 of route 10.5.0.0/24 dev eth9 does not exist in netns t; '
                             'assuming an earlier task creates it']


def test_bad_input_names_its_aggregate_item():
    with pytest.raises(ValidationError, match=r"^aggregate item 2 \(dest=10.2.0.0/24\): gateway 'x' is not an IP"):
        plan_for(routes_session(), dict(dest='10.1.0.0/24', gateway='10.0.0.1'),
                 dict(dest='10.2.0.0/24', gateway='x', _where='aggregate item 2 (dest=10.2.0.0/24): '))


def test_unreachable_gateway_on_another_interface():
    with pytest.raises(PlanFailure, match='no connected route on eth1 covers it'):
        plan_for(routes_session(), dict(dest='10.5.0.0/24', gateway='10.0.0.1', interface='eth1'))


def test_unreachable_gateway_in_check_mode_is_a_warning():
    plan, host = plan_for(routes_session(), dict(dest='10.5.0.0/24', gateway='198.51.100.1'), check_mode=True)
    assert len(plan.changes) == 1
    assert host.warnings and 'assuming an earlier task adds one' in host.warnings[0]


def test_onlink_and_link_local_gateways_need_no_connected_route():
    plan, host = plan_for(routes_session(), dict(dest='10.5.0.0/24', gateway='198.51.100.1', interface='eth0', onlink=True))
    assert summaries(plan) == ['add route 10.5.0.0/24 via 198.51.100.1 dev eth0 in netns t']
    plan.apply()
    plan, host = plan_for(routes_session(), dict(dest='default', gateway='fe80::1', interface='eth0'))
    assert summaries(plan) == ['add route default via fe80::1 dev eth0 in netns t']


def test_onlink_flag_is_compared():
    session = routes_session(v4=connected_v4() + [record('10.5.0.0', 24, gateway='198.51.100.1', flags=4)])
    assert plan_for(session, dict(dest='10.5.0.0/24', gateway='198.51.100.1', interface='eth0', onlink=True))[0].changes == []


def test_multipath_and_non_unicast_routes_are_not_managed():
    session = routes_session(v4=connected_v4() + [record('10.7.0.0', 24, kind=6)])  # 6: prohibit
    plan, host = plan_for(session, dict(dest='10.3.0.0/24', gateway='10.0.0.1', exclusive=True))
    assert summaries(plan) == ['add route 10.3.0.0/24 via 10.0.0.1 in netns t']


def test_a_failed_change_is_undone():
    session = routes_session(v4=connected_v4() + [record('0.0.0.0', 0, gateway='10.0.0.1')])
    plan, host = plan_for(session, dict(dest='default', gateway='10.0.0.254'), dict(dest='10.2.0.0/24', gateway='10.0.0.1'))
    calls = session.calls

    def failing_call(what, method, *args, **kwargs):
        calls.append((method,) + args + (kwargs,))
        if args == ('add',):
            raise RuntimeError('refused')

    session.call = failing_call
    with pytest.raises(PlanFailure, match='failed to add route 10.2.0.0/24 via 10.0.0.1 in netns t: refused; '
                                          'undid: change route default via 10.0.0.254'):
        plan.apply()
    assert [call[1] for call in calls] == ['replace', 'add', 'replace']
    assert calls[2][2]['gateway'] == '10.0.0.1'  # the old gateway put back
