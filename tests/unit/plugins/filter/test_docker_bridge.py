# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.netns contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The planning filter of the role docker_bridge: every host's subnet and underlay address.

What netns_bridge plans from them is tested in module_utils/test_plan_bridge.py."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.linuxnet.netns.plugins.filter.docker_bridge import (
    PlanError, docker_bridge_cluster, docker_bridge_cluster_view, docker_bridge_host, docker_bridge_hosts_without_underlay,
    docker_bridge_peers)

SETTINGS = dict(host='h1', state='present', interface='dbr0', cluster_cidr='10.88.0.0/16', subnet_prefix=24,
                mtu=None, mode='host-gw', vxlan_interface='vxlan-dbr0', vxlan_vni=42, vxlan_port=4789,
                vxlan_device=None, dns=['8.8.8.8'], dns_search=[], dns_options=[], hosts_file=True,
                veth_prefix='ve-', masquerade=True, force_remove=False)
LAB = dict(h1=dict(ansible_host='198.18.0.11'), h2=dict(ansible_host='198.18.0.12'),
           h3=dict(ansible_host='198.18.0.13'))


def settings(**values):
    return dict(SETTINGS, **values)


def cluster(hostvars=None, hosts=None, **values):
    hostvars = LAB if hostvars is None else hostvars
    return docker_bridge_cluster(hosts or sorted(hostvars), hostvars, settings(**values))


def subnets(entries):
    return dict((entry['host'], entry['subnet']) for entry in entries)


# ---- subnets --------------------------------------------------------------------------------------

def test_subnets_are_carved_from_the_underlay_address():
    assert subnets(cluster()) == {'h1': '10.88.11.0/24', 'h2': '10.88.12.0/24', 'h3': '10.88.13.0/24'}


def test_adding_a_host_or_reordering_renumbers_nobody():
    before = subnets(cluster())
    more = dict(LAB, h0=dict(ansible_host='198.18.0.200'))
    after = subnets(cluster(more, hosts=['h3', 'h0', 'h2', 'h1']))
    assert dict((host, after[host]) for host in before) == before
    assert after['h0'] == '10.88.200.0/24'


def test_given_subnet_and_index_win():
    hostvars = dict(LAB, h2=dict(ansible_host='198.18.0.12', docker_bridge_subnet='172.30.0.0/24'),
                    h3=dict(ansible_host='198.18.0.13', docker_bridge_host_index=7))
    assert subnets(cluster(hostvars)) == {'h1': '10.88.11.0/24', 'h2': '172.30.0.0/24', 'h3': '10.88.7.0/24'}


def test_the_calling_hosts_settings_win_over_its_hostvars():
    """Role parameters (roles: - role: ... vars:) reach the filter through settings only."""
    hostvars = dict(h1=dict(ansible_host='localhost'))
    assert subnets(cluster(hostvars, mode='none', subnet='10.77.0.0/24')) == {'h1': '10.77.0.0/24'}
    assert subnets(cluster(hostvars, mode='none', host_index=5)) == {'h1': '10.88.5.0/24'}
    assert cluster(dict(LAB, h1=dict(ansible_host='h1.example')), underlay_address='198.18.0.21')[0]['underlay'] \
        == '198.18.0.21'


def test_underlay_from_variable_then_ansible_host_then_facts():
    hostvars = dict(h1=dict(ansible_host='h1.example', docker_bridge_underlay_address='198.18.1.5'),
                    h2=dict(ansible_host='198.18.0.12'),
                    h3=dict(ansible_host='h3.example', ansible_facts=dict(default_ipv4=dict(address='198.18.2.9'))),
                    h4=dict(ansible_host='h4.example', ansible_facts=dict(default_ipv4={},
                                                                          all_ipv4_addresses=['198.18.3.4'])))
    entries = dict((entry['host'], entry['underlay']) for entry in cluster(hostvars))
    assert entries == {'h1': '198.18.1.5', 'h2': '198.18.0.12', 'h3': '198.18.2.9', 'h4': '198.18.3.4'}


def test_colliding_subnets_name_both_hosts():
    hostvars = dict(LAB, h4=dict(ansible_host='198.18.1.11'))
    with pytest.raises(PlanError, match='hosts h1 and h4 would get overlapping subnets 10.88.11.0/24'):
        cluster(hostvars)


def test_a_peer_without_underlay_is_an_error_in_routed_modes_only():
    hostvars = dict(LAB, h4=dict(ansible_host='h4.example', docker_bridge_host_index=4))
    with pytest.raises(PlanError, match='h4 has no IPv4 underlay address'):
        cluster(hostvars)
    assert subnets(cluster(hostvars, mode='none')) == {'h1': '10.88.11.0/24'}


def test_a_host_being_removed_is_left_out_of_the_cluster():
    hostvars = dict(LAB, h2=dict(ansible_host='198.18.0.12', docker_bridge_state='absent'))
    assert sorted(subnets(cluster(hostvars))) == ['h1', 'h3']


@pytest.mark.parametrize('values, message', [
    (dict(subnet_prefix=16), 'is not smaller than'),
    (dict(cluster_cidr='10.88.0.1/16'), 'not a network'),
])
def test_bad_cluster_settings(values, message):
    with pytest.raises(PlanError, match=message):
        cluster(**values)


# ---- this host alone, and the hosts whose facts the role gathers (once a play) -----------------------

class _CountedHostvars(dict):
    """hostvars that count what is read: Ansible computes a host's variables on each reading."""

    def __init__(self, *args, **kwargs):
        dict.__init__(self, *args, **kwargs)
        self.read = []

    def __getitem__(self, host):
        self.read.append(host)
        return dict.__getitem__(self, host)


def test_this_hosts_entry_is_its_cluster_entry_without_reading_the_others():
    hostvars = _CountedHostvars(LAB)
    for host in sorted(LAB):
        assert docker_bridge_host(hostvars, settings(host=host)) == [
            entry for entry in cluster() if entry['host'] == host][0]
    assert hostvars.read == sorted(LAB)
    assert docker_bridge_host(LAB, settings(mode='none', subnet='10.77.0.0/24'))['subnet'] == '10.77.0.0/24'


def test_this_hosts_entry_says_what_is_missing():
    with pytest.raises(PlanError, match='h1 has no IPv4 underlay address'):
        docker_bridge_host(dict(h1=dict(ansible_host='h1.example')), settings())


def test_facts_are_gathered_only_where_no_underlay_is_known():
    hostvars = dict(h1=dict(ansible_host='198.18.0.11'),
                    h2=dict(ansible_host='h2.example'),
                    h3=dict(ansible_host='h3.example', docker_bridge_underlay_address='198.18.0.13'),
                    h4=dict(ansible_host='h4.example', ansible_facts=dict(default_ipv4=dict(address='198.18.0.14'))),
                    h5=dict(ansible_host='h5.example', docker_bridge_state='absent'),
                    h6=dict(ansible_host='h6.example', docker_bridge_subnet='10.88.6.0/24'))
    hosts = sorted(hostvars)
    assert docker_bridge_hosts_without_underlay(hosts, hostvars, settings()) == ['h2', 'h6']
    # mode none needs an underlay only to carve a subnet
    assert docker_bridge_hosts_without_underlay(hosts, hostvars, settings(mode='none')) == ['h2']
    # the calling host's settings (role parameters) win over its hostvars
    assert docker_bridge_hosts_without_underlay(hosts, hostvars, settings(host='h2', underlay_address='198.18.0.12')) \
        == ['h6']
    assert docker_bridge_hosts_without_underlay(hosts, hostvars, settings(state='absent')) == []
    assert docker_bridge_hosts_without_underlay([], hostvars, settings()) == []


# ---- the play's view: the cluster computed once, each host's peers taken from it ---------------------

def peers(view, hostvars=None, **values):
    hostvars = LAB if hostvars is None else hostvars
    return docker_bridge_peers(view, sorted(hostvars), hostvars, settings(**values))


def test_peers_from_the_view_are_the_cluster_without_the_host():
    view = docker_bridge_cluster_view(sorted(LAB), LAB, settings())
    for host in sorted(LAB):
        assert peers(view, host=host) == [entry for entry in cluster(host=host) if entry['host'] != host]


def test_peers_read_no_hostvars_when_the_view_fits():
    view = docker_bridge_cluster_view(sorted(LAB), LAB, settings())
    hostvars = _CountedHostvars(LAB)
    assert [entry['host'] for entry in docker_bridge_peers(view, sorted(LAB), hostvars, settings(host='h2'))] \
        == ['h1', 'h3']
    assert hostvars.read == []


def test_a_host_with_other_cluster_settings_computes_its_own():
    view = docker_bridge_cluster_view(sorted(LAB), LAB, settings())
    assert subnets(peers(view, host='h2', cluster_cidr='10.99.0.0/16')) == {
        'h1': '10.99.11.0/24', 'h3': '10.99.13.0/24'}
    assert peers(view, host='h2', mode='none') == []
    assert peers(None, host='h2') == peers(view, host='h2')
    assert docker_bridge_cluster_view(sorted(LAB), LAB, settings(mode='none')) is None


def test_an_error_of_the_view_is_each_hosts_own():
    hostvars = dict(LAB, h4=dict(ansible_host='h4.example'))
    view = docker_bridge_cluster_view(sorted(hostvars), hostvars, settings())
    assert 'h4 has no IPv4 underlay address' in view['error']
    with pytest.raises(PlanError, match='h4 has no IPv4 underlay address'):
        peers(view, hostvars)
    assert peers(view, hostvars, mode='none') == []


# ---- how each host's variables are read: its own settings, a host hostvars lacks, its own mode ----------

def test_a_host_missing_from_hostvars_has_no_variables():
    hosts = ['h1', '198.18.0.19', 'h9']
    # named by its address, it still has an underlay and so a carved subnet
    assert subnets(cluster(LAB, hosts=hosts[:2])) == {'h1': '10.88.11.0/24', '198.18.0.19': '10.88.19.0/24'}
    with pytest.raises(PlanError, match='h9 has no IPv4 underlay address'):
        cluster(LAB, hosts=hosts)
    assert 'h9 has no IPv4 underlay address' in docker_bridge_cluster_view(hosts, LAB, settings())['error']
    assert docker_bridge_hosts_without_underlay(hosts, LAB, settings()) == ['h9']
    assert docker_bridge_hosts_without_underlay(hosts, LAB, settings(mode='none')) == ['h9']
    # the calling host too: its settings alone
    assert docker_bridge_host({}, settings(underlay_address='198.18.0.11'))['subnet'] == '10.88.11.0/24'


def test_the_view_reads_the_calling_host_as_its_peers_do():
    """Role parameters are the calling host's own: the view, shared by the play, takes hostvars alone."""
    view = docker_bridge_cluster_view(sorted(LAB), LAB, settings(subnet='10.77.0.0/24'))
    assert subnets(view['cluster'])['h1'] == '10.88.11.0/24'
    assert subnets(cluster(subnet='10.77.0.0/24'))['h1'] == '10.77.0.0/24'
    # a host being removed is no one's peer, but it still computes its own entry
    leaving = dict(LAB, h1=dict(LAB['h1'], docker_bridge_state='absent'))
    assert sorted(subnets(docker_bridge_cluster_view(sorted(leaving), leaving, settings())['cluster'])) == ['h2', 'h3']
    assert sorted(subnets(cluster(leaving))) == ['h1', 'h2', 'h3']
    assert sorted(subnets(cluster(leaving, host='h2'))) == ['h2', 'h3']


@pytest.mark.parametrize('hostvars, values, message', [
    (dict(LAB, h4=dict(ansible_host='198.18.1.11')), {},
     'hosts h1 and h4 would get overlapping subnets 10.88.11.0/24 and 10.88.11.0/24 (carved from their underlay '
     'addresses 198.18.0.11 and 198.18.1.11); give one of them docker_bridge_host_index or docker_bridge_subnet '
     '(existing hosts keep theirs)'),
    (dict(LAB, h3=dict(LAB['h3'], docker_bridge_subnet6='fd00:88::/56')), dict(cluster_cidr6='fd00:88::/48'),
     'hosts h1 and h3 would get overlapping IPv6 subnets fd00:88:0:b::/64 and fd00:88::/56; '
     'give one of them docker_bridge_host_index or docker_bridge_subnet6'),
])
def test_the_cluster_and_the_view_say_the_same_about_overlaps(hostvars, values, message):
    with pytest.raises(PlanError) as raised:
        cluster(hostvars, **values)
    assert str(raised.value) == message
    assert docker_bridge_cluster_view(sorted(hostvars), hostvars, settings(**values))['error'] == message


@pytest.mark.parametrize('mode, routed', [('host-gw', True), ('vxlan', True), ('none', False), (None, False)])
def test_only_the_routed_modes_have_peers(mode, routed):
    view = docker_bridge_cluster_view(sorted(LAB), LAB, settings(mode=mode))
    assert (view is not None) == routed
    assert [entry['host'] for entry in peers(view, mode=mode)] == (['h2', 'h3'] if routed else [])


def test_a_hosts_own_mode_decides_whether_it_needs_an_underlay():
    hostvars = dict(h1=dict(ansible_host='198.18.0.11'),
                    h2=dict(ansible_host='h2.example', docker_bridge_subnet='10.88.2.0/24', docker_bridge_mode='none'),
                    h3=dict(ansible_host='h3.example', docker_bridge_subnet='10.88.3.0/24', docker_bridge_mode='vxlan'),
                    h4=dict(ansible_host='h4.example', docker_bridge_host_index=4))
    hosts = sorted(hostvars)
    assert docker_bridge_hosts_without_underlay(hosts, hostvars, settings()) == ['h3', 'h4']
    assert docker_bridge_hosts_without_underlay(hosts, hostvars, settings(mode='none')) == ['h3']
    # the calling host's settings win over its own hostvars, its mode too
    assert docker_bridge_hosts_without_underlay(hosts, hostvars, settings(host='h3', mode='none')) == []
    assert docker_bridge_hosts_without_underlay(hosts, hostvars, settings(host='h2', mode='vxlan')) == ['h2', 'h3', 'h4']
