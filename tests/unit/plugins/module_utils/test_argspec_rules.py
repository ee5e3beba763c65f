# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.netns contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Rules between the options of one item, declared once and applied to every item."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.linuxnet.netns.plugins.module_utils._netns import argspec, engine, plan_netns
from ansible_collections.linuxnet.netns.plugins.module_utils._netns.validation import ValidationError


@pytest.mark.parametrize('values, message', [
    (dict(pid=1, path='/proc/1/ns/net'), 'pid and path are mutually exclusive'),
    (dict(pid=0, path='/x'), 'pid and path are mutually exclusive'),  # 0 is given, not unset
    (dict(pid=None, path='/x'), None),
    (dict(onlink=True, gateway='10.0.0.1'), 'onlink needs gateway and interface'),
    (dict(onlink=False), None),
    (dict(kind='vlan', parent='eth0'), 'kind=vlan needs vlan_id and parent'),
    (dict(state='present'), 'a route needs one'),
    (dict(state='absent'), None),
])
def test_rules(values, message):
    rules = (argspec.exclusive('pid', 'path'), argspec.needs('onlink', True, ('gateway', 'interface')),
             argspec.needs('kind', 'vlan', ('vlan_id', 'parent')),
             argspec.one_of(('gateway', 'interface'), 'a route needs one', when=('state', 'present')))
    if message is None:
        argspec.check_rules(values, rules)
        return
    with pytest.raises(ValidationError, match='^where: %s$' % message):
        argspec.check_rules(values, rules, 'where: ')


def test_every_aggregate_entry_is_held_to_the_rules_over_the_top_level_values():
    params = dict(name=None, state='present', loopback=True, pid=7, path=None, nsid=None, force=False,
                  aggregate=[dict(name=['a']), dict(name=['b'], path='/proc/1/ns/net')])
    with pytest.raises(ValidationError, match=r'^aggregate item 2 \(name=\[.b.\]\): pid and path are mutually exclusive$'):
        engine.expand_items(params, plan_netns.OPTIONS, plan_netns.REQUIRED, plan_netns.RULES)
