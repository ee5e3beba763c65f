# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.netns contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""bridge_ipv6 (netns_bridge's dual stack, pure): IPv6 addresses, routes, NAT66/routed, ports, peers, registry."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

import pytest

from ansible_collections.linuxnet.netns.plugins.module_utils._netns import (
    bridge_ipv6, nat_render, nat_rules, plan_bridge, plan_firewall)
from ansible_collections.linuxnet.netns.plugins.module_utils._netns.bridge_containers import PlanError

SETTINGS = dict(name='dbr0', state='present', mtu=None, mode='host-gw', vxlan_interface='vxlan-dbr0', vxlan_vni=42,
                vxlan_port=4789, vxlan_device=None, dns=['8.8.8.8'], dns_search=[], dns_options=[], hosts_file=True,
                veth_prefix='ve-', masquerade=True, force_remove=False, gateway_mode_ipv6='nat')


def host(number, underlay6=True, subnet6=True):
    entry = dict(host='h%d' % number, subnet='10.88.%d.0/24' % number, gateway='10.88.%d.1' % number,
                 underlay='198.18.0.%d' % number)
    if subnet6:
        entry.update(bridge_ipv6.host_fields(entry['host'], dict(
            subnet6='fd00:88:%d::/64' % number, underlay6='2001:db8:18::%d' % number if underlay6 else None),
            'subnet'))
    return entry


def plan(containers, registry=None, me=None, peers=(), **values):
    return plan_bridge.host_plan(containers, dict(SETTINGS, **values), me or host(1), list(peers), registry)


def by_name(result, key='address6'):
    return dict((container['name'], container[key]) for container in result['containers'])


def test_host_fields_gateway_is_the_first_address_and_ipv4_hosts_have_none():
    assert host(1)['gateway6'] == 'fd00:88:1::1' and host(1)['subnet6'] == 'fd00:88:1::/64'
    assert bridge_ipv6.host_fields('h', dict(subnet='10.0.0.0/24'), 'subnet') == {}


@pytest.mark.parametrize('values, message', [
    (dict(subnet6='10.0.0.0/24'), 'subnet6 10.0.0.0/24 must be IPv6'),
    (dict(subnet6='fd00::/127'), 'must be IPv6 and hold a gateway and a container'),
    (dict(subnet6='fd00::/64', gateway6='fd00:1::1'), 'gateway fd00:1::1 is not a host address'),
    (dict(underlay6='198.18.0.1'), 'underlay6 198.18.0.1 is not an IPv6 address'),
])
def test_host_fields_refused(values, message):
    with pytest.raises(PlanError, match=message):
        bridge_ipv6.host_fields('h', values, 'subnet')


def test_addresses_given_kept_and_allocated_after_the_gateway():
    result = plan([dict(name='a'), dict(name='b', ipv6_address='fd00:88:1::2'), dict(name='c')])
    assert by_name(result) == {'a': 'fd00:88:1::3', 'b': 'fd00:88:1::2', 'c': 'fd00:88:1::4'}
    again = plan([dict(name='c'), dict(name='a')], registry=json.dumps(result['registry']))
    assert by_name(again) == {'a': 'fd00:88:1::3', 'c': 'fd00:88:1::4'}


def test_address_refusals():
    with pytest.raises(PlanError, match="gateway address"):
        plan([dict(name='a', ipv6_address='fd00:88:1::1')])
    with pytest.raises(PlanError, match='not a host address'):
        plan([dict(name='a', ipv6_address='fd00:99::1')])
    with pytest.raises(PlanError, match='is not IPv6'):
        plan([dict(name='a', ipv6_address='10.88.1.9')])
    with pytest.raises(PlanError, match='needs subnet6'):
        plan([dict(name='a', ipv6_address='fd00:88:1::9')], me=host(1, subnet6=False))


def test_items_addresses_without_dad_and_an_ipv6_default_route():
    result = plan([dict(name='a')])
    assert dict(interface='dbr0', address=['10.88.1.1/24', 'fd00:88:1::1/64'], exclusive=True,
                dad='skip') in result['addresses']
    assert dict(netns='a', interface='eth0', exclusive=True, address=['10.88.1.2/24', 'fd00:88:1::2/64'],
                dad='skip') in result['addresses']
    assert dict(netns='a', dest='default', gateway='fd00:88:1::1', exclusive=True) in result['routes']
    hosts = [entry for entry in result['resolv'][0]['hosts'] if entry['names'] == ['a']]
    assert [entry['address'] for entry in hosts] == ['10.88.1.2', 'fd00:88:1::2']


def test_ipv4_only_plan_is_unchanged():
    result = plan([dict(name='a', publish=['80'])], me=host(1, subnet6=False))
    assert all('dad' not in item for item in result['addresses'])
    assert result['nat']['source'] == ['10.88.1.0/24']
    assert [entry['address'] for entry in result['nat']['publish']] == ['10.88.1.2']
    assert result['registry']['containers'] == {'a': {'address': '10.88.1.2', 'veth': 've-a'}}
    assert result['subnet6'] is None


def test_nat66_masquerades_the_subnet_except_to_the_peers():
    result = plan([dict(name='a')], peers=[host(2)])
    assert result['nat']['source'] == ['10.88.1.0/24', 'fd00:88:1::/64']
    assert result['nat']['masquerade_exclude'] == ['10.88.2.0/24', 'fd00:88:2::/64']
    chains = nat_render.render(nat_rules.rule_set(result['nat']))
    assert 'ip6 saddr fd00:88:1::/64 oifname != "dbr0" ip6 daddr != { fd00:88:2::/64 } masquerade' \
        in chains['postrouting.dbr0']
    assert result['firewall']['sources'] == ['10.88.1.0/24', 'fd00:88:1::/64']
    assert result['firewall']['peers'] == ['10.88.2.0/24', 'fd00:88:2::/64']


def test_routed_mode_renders_no_ipv6_masquerade():
    result = plan([dict(name='a')], peers=[host(2)], gateway_mode_ipv6='routed')
    postrouting = nat_render.render(nat_rules.rule_set(result['nat']))['postrouting.dbr0']
    assert not [rule for rule in postrouting if rule.startswith('ip6 ')]
    assert [rule for rule in postrouting if rule.startswith('ip saddr 10.88.1.0/24')]
    with pytest.raises(PlanError, match='gateway_mode_ipv6'):
        plan([dict(name='a')], gateway_mode_ipv6='bridged')


def test_ports_without_a_host_address_are_published_on_both_families():
    result = plan([dict(name='a', publish=['8080:80', '[2001:db8::1]:81:80', '198.18.0.1:82:80'])])
    assert [(entry['host_port'], entry['address']) for entry in result['nat']['publish']] == [
        (8080, '10.88.1.2'), (8080, 'fd00:88:1::2'), (81, 'fd00:88:1::2'), (82, '10.88.1.2')]
    chains = nat_render.render(nat_rules.rule_set(result['nat']))
    assert any('dnat ip6 to [fd00:88:1::2]:80' in rule for rule in chains['prerouting.dbr0'])
    with pytest.raises(PlanError, match='no subnet6'):
        plan([dict(name='a', publish=['[2001:db8::1]:81:80'])], me=host(1, subnet6=False))


def test_host_gw_routes_via_the_peers_ipv6_underlay():
    result = plan([], peers=[host(2), host(3)])
    assert dict(dest='fd00:88:2::/64', gateway='2001:db8:18::2') in result['routes']
    assert result['registry']['routes'] == ['10.88.2.0/24', '10.88.3.0/24', 'fd00:88:2::/64', 'fd00:88:3::/64']
    with pytest.raises(PlanError, match='host h2 has subnet6 fd00:88:2::/64 but no underlay6'):
        plan([], peers=[host(2, underlay6=False)])


def test_vxlan_routes_through_the_overlay_whatever_the_underlay():
    result = plan([], peers=[host(2, underlay6=False)], mode='vxlan')
    assert dict(dest='fd00:88:2::/64', gateway='fd00:88:2::1', interface='vxlan-dbr0', onlink=True) in result['routes']
    assert dict(interface='vxlan-dbr0', address=['10.88.1.1/32', 'fd00:88:1::1/128'], exclusive=True,
                dad='skip') in result['addresses']


def test_a_gone_peer_ipv6_route_is_removed():
    first = plan([], peers=[host(2)])
    result = plan([], registry=json.dumps(first['registry']))
    assert dict(dest='fd00:88:2::/64', state='absent') in result['routes']
    assert result['registry']['routes'] == []


def test_turning_ipv6_off_removes_the_default_route_and_address6():
    first = plan([dict(name='a')])
    result = plan([dict(name='a')], registry=json.dumps(first['registry']), me=host(1, subnet6=False))
    assert dict(netns='a', dest='default', family='ipv6', state='absent') in result['routes']
    assert result['registry']['containers'] == {'a': {'address': '10.88.1.2', 'veth': 've-a'}}


def test_cluster_overlaps_refused():
    with pytest.raises(PlanError, match='overlapping IPv6 subnets'):
        bridge_ipv6.check_cluster([host(1), dict(host(2), subnet6='fd00:88:1::/48')], 'fix it')
    with pytest.raises(PlanError, match='same IPv6 underlay address'):
        bridge_ipv6.check_cluster([host(1), dict(host(2), underlay6='2001:db8:18::1')], 'fix it')


def test_firewall_removal_reads_both_families():
    """A network going away takes its ip6tables openings too, though its absent item names no subnet."""
    assert plan_firewall.families(plan_firewall.flows_item('dbr0', 'absent')) == [4, 6]
    present = plan([dict(name='a')])['firewall']
    assert plan_firewall.families(plan_firewall.flows_item(**present)) == [4, 6]
    present = plan([dict(name='a')], me=host(1, subnet6=False))['firewall']
    assert plan_firewall.families(plan_firewall.flows_item(**present)) == [4]


def test_an_internal_network_has_no_ipv6_way_out_either():
    result = plan([dict(name='a')], internal=True, mode='none')
    assert dict(netns='a', dest='default', family='ipv6', state='absent') in result['routes']
    assert not [route for route in result['routes'] if route.get('gateway') == 'fd00:88:1::1']
    assert not result['nat']['masquerade']


def test_only_containers_without_ipv6_lose_their_link_local_address():
    """As Docker: eth0 of a container with no IPv6 address makes no link-local address either."""
    dual = plan([dict(name='a')])
    ipv4_only = plan([dict(name='a')], me=host(1, subnet6=False))
    assert [veth.get('_peer_ipv6_link_local') for veth in dual['veths']] == [None]
    assert [veth.get('_peer_ipv6_link_local') for veth in ipv4_only['veths']] == [False]
