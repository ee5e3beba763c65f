# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.netns contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The role's cluster filter with IPv6: each host's subnet6, given or carved from docker_bridge_cluster_cidr6."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.linuxnet.netns.plugins.filter.docker_bridge import PlanError, docker_bridge_cluster

SETTINGS = dict(host='h1', state='present', interface='dbr0', cluster_cidr='10.88.0.0/16', subnet_prefix=24,
                mode='host-gw', cluster_cidr6='fd00:88::/48', subnet6_prefix=64)
LAB = dict(h1=dict(ansible_host='198.18.0.11', docker_bridge_underlay_address6='2001:db8:18::11'),
           h2=dict(ansible_host='198.18.0.12', docker_bridge_underlay_address6='2001:db8:18::12'),
           h3=dict(ansible_host='198.18.0.13', docker_bridge_underlay_address6='2001:db8:18::13'))


def cluster(hostvars=None, hosts=None, **values):
    hostvars = LAB if hostvars is None else hostvars
    return docker_bridge_cluster(hosts or sorted(hostvars), hostvars, dict(SETTINGS, **values))


def field(entries, key='subnet6'):
    return dict((entry['host'], entry.get(key)) for entry in entries)


def test_subnet6_takes_the_number_of_the_ipv4_subnet():
    entries = cluster()
    assert field(entries) == {'h1': 'fd00:88:0:b::/64', 'h2': 'fd00:88:0:c::/64', 'h3': 'fd00:88:0:d::/64'}
    assert field(entries, 'gateway6') == {'h1': 'fd00:88:0:b::1', 'h2': 'fd00:88:0:c::1', 'h3': 'fd00:88:0:d::1'}
    assert field(entries, 'underlay6') == {'h1': '2001:db8:18::11', 'h2': '2001:db8:18::12', 'h3': '2001:db8:18::13'}


def test_adding_a_host_renumbers_nobody_and_given_subnets_win():
    before = field(cluster())
    more = dict(LAB, h0=dict(ansible_host='198.18.0.200'),
                h3=dict(LAB['h3'], docker_bridge_subnet6='fd00:99::/64'))
    after = field(cluster(more, hosts=['h3', 'h0', 'h2', 'h1']))
    assert after['h1'] == before['h1'] and after['h2'] == before['h2']
    assert after['h3'] == 'fd00:99::/64' and after['h0'] == 'fd00:88:0:c8::/64'


def test_a_given_ipv4_subnet_carves_by_host_index_or_underlay():
    hostvars = dict(LAB, h2=dict(LAB['h2'], docker_bridge_subnet='172.30.0.0/24', docker_bridge_host_index=5))
    assert field(cluster(hostvars))['h2'] == 'fd00:88:0:5::/64'


def test_without_cluster_cidr6_the_cluster_is_ipv4_only():
    assert field(cluster(cluster_cidr6=None)) == {'h1': None, 'h2': None, 'h3': None}


def test_the_calling_hosts_role_parameters_win():
    entries = cluster(subnet6='fd00:77::/64', underlay_address6='2001:db8:18::99')
    assert field(entries)['h1'] == 'fd00:77::/64' and field(entries, 'underlay6')['h1'] == '2001:db8:18::99'
    assert field(entries, 'underlay6')['h2'] == '2001:db8:18::12'


@pytest.mark.parametrize('values, message', [
    (dict(cluster_cidr6='10.0.0.0/8'), 'docker_bridge_cluster_cidr6 10.0.0.0/8 must be IPv6'),
    (dict(cluster_cidr6='fd00:88::/64'), 'must be IPv6 and larger than docker_bridge_subnet6_prefix /64'),
    (dict(subnet6='fd00::/127'), 'h1: docker_bridge_subnet6 fd00::/127 must be IPv6'),
])
def test_refused(values, message):
    with pytest.raises(PlanError, match=message):
        cluster(**values)


def test_overlapping_subnet6_refused_naming_the_hosts():
    hostvars = dict(LAB, h3=dict(LAB['h3'], docker_bridge_subnet6='fd00:88::/56'))
    with pytest.raises(PlanError, match='hosts h1 and h3 would get overlapping IPv6 subnets'):
        cluster(hostvars)
