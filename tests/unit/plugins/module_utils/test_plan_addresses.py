# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.netns contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""plan_addresses without root: group_items, and the planner on a fake session."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress

import pytest

from ansible_collections.linuxnet.netns.plugins.module_utils._netns import plan_addresses
from ansible_collections.linuxnet.netns.tests.unit.plugins.module_utils.fakes import FakeHost, FakeSession
from ansible_collections.linuxnet.netns.plugins.module_utils._netns.engine import Plan, PlanFailure
from ansible_collections.linuxnet.netns.plugins.module_utils._netns.validation import ValidationError


def item(**values):
    base = dict(interface='eth0', address=None, state='present', exclusive=False, dad='wait', dad_timeout=10.0,
                netns=None, _where='')
    base.update(values)
    return base


def iface(text):
    return ipaddress.ip_interface(u'%s' % text)


# ---- group_items ------------------------------------------------------------------------------

def test_one_group_per_interface_and_namespace_in_first_seen_order():
    groups = plan_addresses.group_items([
        item(interface='eth1', address=['10.0.1.1/24']),
        item(interface='eth0', address=['10.0.0.1/24']),
        item(interface='eth1', address=['10.0.1.2/24'], netns='ns1'),
        item(interface='eth1', address=['2001:db8::1/64']),
    ])
    assert list(groups) == [(None, 'eth1'), (None, 'eth0'), ('ns1', 'eth1')]
    assert groups[(None, 'eth1')]['present'] == [iface('10.0.1.1/24'), iface('2001:db8::1/64')]
    assert groups[('ns1', 'eth1')]['present'] == [iface('10.0.1.2/24')]


def test_present_absent_and_exclusive_merge_in_a_group():
    groups = plan_addresses.group_items([
        item(address=['10.0.0.1/24']),
        item(address=['10.0.0.9/24'], state='absent'),
        item(address=['10.0.0.2/24'], exclusive=True),
    ])
    group = groups[(None, 'eth0')]
    assert group['present'] == [iface('10.0.0.1/24'), iface('10.0.0.2/24')]
    assert group['absent'] == [iface('10.0.0.9/24')]
    assert group['exclusive'] is True


def test_addresses_are_normalised():
    groups = plan_addresses.group_items([item(address=['2001:0DB8:0::1/64', '10.0.0.1/24'])])
    assert [str(a) for a in groups[(None, 'eth0')]['present']] == ['2001:db8::1/64', '10.0.0.1/24']


def test_present_and_absent_conflict_even_in_another_form():
    with pytest.raises(ValidationError, match=r'^2001:db8::1/64 is asked both present and absent on eth0$'):
        plan_addresses.group_items([item(address=['2001:db8::1/64']),
                                    item(address=['2001:0db8:0::1/64'], state='absent')])


def test_same_address_other_prefix_is_no_conflict():
    groups = plan_addresses.group_items([item(address=['10.0.0.1/24']), item(address=['10.0.0.1/16'], state='absent')])
    assert groups[(None, 'eth0')]['absent'] == [iface('10.0.0.1/16')]


def test_exclusive_without_address_is_allowed():
    groups = plan_addresses.group_items([item(exclusive=True)])
    assert groups[(None, 'eth0')]['present'] == []


@pytest.mark.parametrize('values, message', [
    (dict(), '^address is required'),
    (dict(_where='aggregate item 2: '), '^aggregate item 2: address is required'),
    (dict(state='absent', exclusive=True), 'address is required'),
    (dict(address=['10.0.0.1']), 'needs a prefix length'),
    (dict(address=['10.0.0.300/24']), 'is not an address in CIDR form'),
    (dict(address=['10.0.0.1/24'], interface='eth/0'), "interface 'eth/0' contains '/'"),
    (dict(address=['10.0.0.1/24'], interface='x' * 16), 'is 16 bytes long'),
    (dict(address=['10.0.0.1/24'], netns='../../tmp/x'), "contains '/'"),
    (dict(address=['10.0.0.1/24'], dad_timeout=-1), 'dad_timeout must not be negative'),
    (dict(address=['10.0.0.1/24'], interface='eth/0', _where='aggregate item 3 (interface=eth/0): '),
     r"^aggregate item 3 \(interface=eth/0\): interface 'eth/0' contains '/'"),
    (dict(address=['10.0.0.1/24'], netns='-x', _where='aggregate item 2 (interface=eth0): '),
     r"^aggregate item 2 \(interface=eth0\): namespace name '-x' starts with '-'"),
])
def test_refused(values, message):
    with pytest.raises(ValidationError, match=message):
        plan_addresses.group_items([item(**values)])


# ---- the planner on a fake session --------------------------------------------------------------

def record(text, index=1, scope=0, flags=0):
    address = iface(text)
    return dict(index=index, family=address.version, address=str(address.ip),
                prefixlen=address.network.prefixlen, scope=scope, flags=flags)


def plan_for(session, *items, **kwargs):
    host = FakeHost(session, kwargs.get('check_mode', False))
    plan = Plan()
    plan_addresses.plan(host, [item(**values) for values in items], plan)
    return plan, host


def summaries(plan):
    return [change.summary for change in plan.changes]


def test_adds_what_is_missing_and_nothing_when_there():
    session = FakeSession(addresses=[record('10.0.0.1/24'), record('fe80::1/64', scope=253)])
    plan, host = plan_for(session, dict(address=['10.0.0.1/24', '2001:db8::1/64'], dad='skip'))
    assert summaries(plan) == ['add 2001:db8::1/64 to eth0 in netns t']
    assert plan.before == {'netns t:eth0': ['10.0.0.1/24', 'fe80::1/64']}
    assert plan.after == {'netns t:eth0': ['10.0.0.1/24', '2001:db8::1/64', 'fe80::1/64']}
    plan.apply()
    assert session.calls == [('addr', 'add', dict(index=1, address='2001:db8::1', prefixlen=64, flags=0x02))]
    session = FakeSession(addresses=[record('10.0.0.1/24'), record('2001:db8::1/64')])
    assert plan_for(session, dict(address=['10.0.0.1/24', '2001:0db8::1/64']))[0].changes == []


def test_absent_and_exclusive_remove_global_addresses_only():
    addresses = [record('10.0.0.1/24'), record('10.0.0.2/24'), record('10.0.0.3/24', index=2),
                 record('fe80::1/64', scope=253), record('127.0.0.5/8', scope=254)]
    plan, host = plan_for(FakeSession(addresses=addresses), dict(address=['10.0.0.2/24'], state='absent'))
    assert summaries(plan) == ['remove 10.0.0.2/24 from eth0 in netns t']
    plan, host = plan_for(FakeSession(addresses=addresses), dict(address=['10.0.0.9/24'], exclusive=True))
    assert summaries(plan) == ['remove 10.0.0.1/24 from eth0 in netns t', 'remove 10.0.0.2/24 from eth0 in netns t',
                               'add 10.0.0.9/24 to eth0 in netns t']


def test_absent_of_an_address_that_is_not_there():
    plan, host = plan_for(FakeSession(addresses=[record('10.0.0.1/24')]), dict(address=['10.0.0.1/16'], state='absent'))
    assert plan.changes == []


def test_missing_interface_fails_or_warns_in_check_mode():
    with pytest.raises(PlanFailure, match='interface eth9 does not exist in netns t'):
        plan_for(FakeSession(addresses=[]), dict(interface='eth9', address=['10.0.0.1/24']))
    plan, host = plan_for(FakeSession(addresses=[]), dict(interface='eth9', address=['10.0.0.1/24']), check_mode=True)
    assert summaries(plan) == ['add 10.0.0.1/24 to eth9 in netns t']
    assert 'assuming an earlier task creates it' in host.warnings[0]


def test_dad_wait_is_registered_for_new_ipv6_only():
    plan, host = plan_for(FakeSession(addresses=[]), dict(address=['10.0.0.1/24']))
    assert plan._after_apply == []
    plan, host = plan_for(FakeSession(addresses=[]), dict(address=['2001:db8::1/64']))
    assert len(plan._after_apply) == 1
    plan, host = plan_for(FakeSession(addresses=[]), dict(address=['2001:db8::1/64'], dad='ignore'))
    assert plan._after_apply == []
