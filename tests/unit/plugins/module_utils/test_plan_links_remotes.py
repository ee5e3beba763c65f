# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.netns contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""netns_link's remotes (the flood list of a vxlan link) planned against a fake session."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.linuxnet.netns.plugins.module_utils._netns.validation import ValidationError
from ansible_collections.linuxnet.netns.tests.unit.plugins.module_utils.fakes import FakeSession, neighbour_entry
from ansible_collections.linuxnet.netns.tests.unit.plugins.module_utils.test_engine import link, plan_links_for

OWN = "the module's own namespace"
VXLAN_DATA = {'IFLA_VXLAN_ID': 42, 'IFLA_VXLAN_PORT': 4789, 'IFLA_VXLAN_LOCAL': '198.18.0.11'}
VXLAN = dict(name='vx0', kind='vxlan', vni=42, local='198.18.0.11')


def fdb_entry(index, lladdr, dst):
    """An entry of a vxlan's forwarding database, as Session.forwarding_entries gives it."""
    return neighbour_entry(index, lladdr, dst, state=0x80 | 0x40, family=7)


class FdbSession(FakeSession):
    def __init__(self, links, fdb=()):
        super(FdbSession, self).__init__(links, label=OWN)
        self.fdb = list(fdb)


def vxlan_session(*remotes, **extra):
    entries = [fdb_entry(2, '00:00:00:00:00:00', address) for address in remotes]
    entries += extra.get('other', [])
    return FdbSession([link('eth0', 1), link('vx0', 2, kind='vxlan', data=VXLAN_DATA)], entries)


def fdb_calls(session):
    return [(call[1], call[2]['dst']) for call in session.calls if call[0] == 'fdb' and call[1] != 'dump']


def test_a_new_link_gets_its_whole_flood_list_in_address_order():
    session = FdbSession([link('eth0', 1)])
    summaries, plan = plan_links_for(session, dict(VXLAN, remotes=['198.18.0.13', '198.18.0.12', '198.18.0.13']))
    assert summaries == ['create vxlan vx0 in ' + OWN,
                         'add remote 198.18.0.12 to the flood list of vx0 in ' + OWN,
                         'add remote 198.18.0.13 to the flood list of vx0 in ' + OWN]
    assert plan.after[OWN + ':vx0']['remotes'] == ['198.18.0.12', '198.18.0.13']
    session.plan_link('vx0', link('vx0', 2, kind='vxlan'))  # what the create would have made
    plan.apply()
    assert fdb_calls(session) == [('append', '198.18.0.12'), ('append', '198.18.0.13')]


def test_the_list_is_exact_and_converged_in_place():
    other_mac = fdb_entry(2, '02:00:00:00:00:09', '198.18.0.99')  # a learnt entry: not ours to judge
    session = vxlan_session('198.18.0.12', '198.18.0.14', other=[other_mac])
    summaries, plan = plan_links_for(session, dict(VXLAN, remotes=['198.18.0.12', '198.18.0.13']))
    assert summaries == ['add remote 198.18.0.13 to the flood list of vx0 in ' + OWN,
                         'remove remote 198.18.0.14 from the flood list of vx0 in ' + OWN]
    assert plan.before[OWN + ':vx0']['remotes'] == ['198.18.0.12', '198.18.0.14']
    plan.apply()
    assert fdb_calls(session) == [('append', '198.18.0.13'), ('del', '198.18.0.14')]


def test_same_list_changes_nothing_and_empty_list_removes_all():
    session = vxlan_session('198.18.0.12', '198.18.0.13')
    assert plan_links_for(session, dict(VXLAN, remotes=['198.18.0.13', '198.18.0.12']))[0] == []
    summaries = plan_links_for(vxlan_session('198.18.0.12'), dict(VXLAN, remotes=[]))[0]
    assert summaries == ['remove remote 198.18.0.12 from the flood list of vx0 in ' + OWN]


def test_left_out_the_fdb_is_not_read():
    session = vxlan_session('198.18.0.12')
    assert plan_links_for(session, VXLAN)[0] == []
    assert session.calls == []


def test_a_recreated_link_starts_empty():
    session = vxlan_session('198.18.0.12')
    summaries = plan_links_for(session, dict(VXLAN, vni=43, remotes=['198.18.0.12']))[0]
    assert summaries == ['create vxlan vx0 in %s under a temporary name' % OWN, 'delete vxlan vx0 in ' + OWN,
                         'rename the new vxlan to vx0 in ' + OWN,
                         'add remote 198.18.0.12 to the flood list of vx0 in ' + OWN]


def test_a_failed_append_is_undone():
    session = vxlan_session()
    plan = plan_links_for(session, dict(VXLAN, remotes=['198.18.0.12']))[1]
    plan.apply()
    undo = plan.changes[0].undo
    undo()
    assert fdb_calls(session) == [('append', '198.18.0.12'), ('del', '198.18.0.12')]


@pytest.mark.parametrize('extra, message', [
    (dict(remotes=['198.18.0.12'], remote='198.18.0.12'), 'give only one of them'),
    (dict(remotes=['239.1.1.1']), 'not a unicast address'),
    (dict(remotes=['2001:db8::1']), 'not IPv4 like local'),
    (dict(remotes=['nonsense']), 'remotes'),
    (dict(kind='bridge', vni=None, local=None, remotes=['198.18.0.12']), 'needs kind=vxlan'),
    (dict(state='absent', remotes=[]), 'needs kind=vxlan and state present'),
])
def test_bad_remotes_are_refused_before_anything(extra, message):
    session = vxlan_session()
    with pytest.raises(ValidationError, match=message):
        plan_links_for(session, dict(VXLAN, **extra))
    assert session.calls == []
