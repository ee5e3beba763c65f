# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.netns contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""plan_bridge (netns_bridge's planning, pure): addresses, published ports, the planners' items, stale
objects, the registry. Moved from the tests of the role's filter docker_bridge_plan, which is gone."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import json

import pytest

from ansible_collections.linuxnet.netns.plugins.module_utils._netns import bridge_containers, plan_bridge
from ansible_collections.linuxnet.netns.plugins.module_utils._netns.bridge_containers import PlanError
from ansible_collections.linuxnet.netns.plugins.module_utils._netns.validation import ValidationError

SETTINGS = dict(name='dbr0', state='present', mtu=None, mode='host-gw', vxlan_interface='vxlan-dbr0', vxlan_vni=42,
                vxlan_port=4789, vxlan_device=None, dns=['8.8.8.8'], dns_search=[], dns_options=[], hosts_file=True,
                veth_prefix='ve-', masquerade=True, force_remove=False)


def host(name, subnet, underlay):
    return dict(host=name, subnet=subnet, gateway=subnet.replace('.0/', '.1/').split('/')[0], underlay=underlay)


# the hosts of the role's lab: subnets carved from their underlay addresses (the filter docker_bridge_cluster)
LAB = dict(h1=host('h1', '10.88.11.0/24', '198.18.0.11'), h2=host('h2', '10.88.12.0/24', '198.18.0.12'),
           h3=host('h3', '10.88.13.0/24', '198.18.0.13'))


def plan(containers, registry=None, hosts=None, **values):
    """What netns_bridge plans on h1 (or hosts['h1']), beside the other hosts of the lab (or of hosts)."""
    hosts = LAB if hosts is None else hosts
    peers = [hosts[name] for name in sorted(hosts) if name != 'h1']
    return plan_bridge.host_plan(containers, dict(SETTINGS, **values), hosts['h1'], peers, registry)


def subnet_of_h1(subnet):
    return dict(LAB, h1=host('h1', subnet, '198.18.0.11'))


def addresses(result):
    return dict((container['name'], container['address']) for container in result['containers'])


def registry_after(result):
    """The registry as netns_bridge writes it and reads it back."""
    return json.dumps(result['registry'])


# ---- containers -----------------------------------------------------------------------------------

def test_addresses_are_allocated_in_list_order_after_the_gateway():
    result = plan([dict(name='a'), dict(name='b', address='10.88.11.2'), dict(name='c')])
    assert result['gateway'] == '10.88.11.1'
    assert addresses(result) == {'a': '10.88.11.3', 'b': '10.88.11.2', 'c': '10.88.11.4'}


def test_a_container_keeps_its_address_when_others_come_and_go():
    first = plan([dict(name='a'), dict(name='b'), dict(name='c')])
    second = plan([dict(name='new'), dict(name='c'), dict(name='a')], registry_after(first))
    assert addresses(second) == {'a': '10.88.11.2', 'c': '10.88.11.4', 'new': '10.88.11.3'}
    assert second['removed'] == ['b']


def test_a_given_address_takes_precedence_over_a_kept_one():
    first = plan([dict(name='a'), dict(name='b')])
    second = plan([dict(name='a'), dict(name='b', address='10.88.11.2')], registry_after(first))
    assert addresses(second) == {'a': '10.88.11.3', 'b': '10.88.11.2'}


def test_a_new_subnet_renumbers_the_containers():
    first = plan([dict(name='a')])
    assert addresses(plan([dict(name='a')], registry_after(first), subnet_of_h1('10.99.0.0/24'))) == {'a': '10.99.0.2'}


@pytest.mark.parametrize('containers, message', [
    ([dict(name='a', address='10.88.12.5')], 'not a host address of this host'),
    ([dict(name='a', address='10.88.11.1')], 'gateway address'),
    ([dict(name='a', address='10.88.11.5'), dict(name='b', address='10.88.11.5')], 'both ask for'),
    ([dict(name='a'), dict(name='a')], 'listed twice'),
    ([dict(name='-a')], 'name'),
    ([dict(name='a', image='nginx')], 'unknown keys image'),
    (['a'], 'must be a dict'),
    ([dict(name='a', publish=['80:x'])], 'is not \\[HOST_ADDRESS'),
    ([dict(name='a', publish=['80']), dict(name='b', publish=['80:8080'])], 'both publish tcp port 80'),
    ([dict(name='a', mtu=20)], 'out of range'),
    ([dict(name='a', dns=[])], 'has no DNS server'),
])
def test_bad_containers_are_refused_with_a_reason(containers, message):
    with pytest.raises(PlanError, match=message):
        plan(containers)


def test_a_full_subnet_says_how_to_grow_it():
    with pytest.raises(PlanError, match='no free address left for container b'):
        plan([dict(name='a'), dict(name='b')], hosts=dict(h1=host('h1', '10.1.0.0/30', '198.18.0.11')), mode='none')


def test_long_names_get_a_short_unique_host_end():
    result = plan([dict(name='a-rather-long-name-1'), dict(name='a-rather-long-name-2'), dict(name='web')])
    veths = [container['veth'] for container in result['containers']]
    assert veths[2] == 've-web'
    assert len(set(veths)) == 3 and all(len(name) <= 15 for name in veths)
    assert veths[0].startswith('ve-a-rathe')


def test_publish_forms_become_netns_nat_publications():
    result = plan([dict(name='a', publish=['8080:80', '53/udp', '198.18.0.11:8443:443',
                                           dict(host_port=2222, port=22)])])
    assert result['nat'] == dict(name='dbr0', source=['10.88.11.0/24'], in_interface='dbr0', masquerade=True,
                                 isolate=True, masquerade_exclude=['10.88.12.0/24', '10.88.13.0/24'],
                                 publish=[
                                     dict(protocol='tcp', host_port=8080, port=80, address='10.88.11.2'),
                                     dict(protocol='udp', host_port=53, port=53, address='10.88.11.2'),
                                     dict(protocol='tcp', host_port=8443, port=443, host_address='198.18.0.11',
                                          address='10.88.11.2'),
                                     dict(protocol='tcp', host_port=2222, port=22, address='10.88.11.2')])


# ---- the task items -------------------------------------------------------------------------------

def test_items_of_every_task_for_host_gw():
    result = plan([dict(name='web', publish=['8080:80'], dns=['9.9.9.9'], dns_search=['example.com']),
                   dict(name='db', mtu=9000)])
    assert result['netns'] == [dict(name='web'), dict(name='db')]
    assert result['links'] == [dict(name='dbr0', kind='bridge', mac='02:42:0a:58:0b:01', _group=28270)]
    assert result['veths'] == [
        dict(name='ve-web', peer='eth0', peer_netns='web', master='dbr0', mtu=1500, peer_mac='02:42:0a:58:0b:02',
             _peer_ipv6_link_local=False),
        dict(name='ve-db', peer='eth0', peer_netns='db', master='dbr0', mtu=9000, peer_mac='02:42:0a:58:0b:03',
             _peer_ipv6_link_local=False)]
    assert result['addresses'] == [
        dict(interface='dbr0', address=['10.88.11.1/24'], exclusive=True),
        dict(netns='web', interface='eth0', address=['10.88.11.2/24'], exclusive=True),
        dict(netns='db', interface='eth0', address=['10.88.11.3/24'], exclusive=True)]
    assert result['routes'] == [
        dict(dest='10.88.12.0/24', gateway='198.18.0.12'),
        dict(dest='10.88.13.0/24', gateway='198.18.0.13'),
        dict(netns='web', dest='default', gateway='10.88.11.1', exclusive=True),
        dict(netns='db', dest='default', gateway='10.88.11.1', exclusive=True)]
    assert result['resolv'][0] == dict(
        name='web', nameservers=['9.9.9.9'], search=['example.com'],
        hosts=[dict(address='127.0.0.1', names=['localhost']),
               dict(address='::1', names=['localhost', 'ip6-localhost', 'ip6-loopback']),
               dict(address='10.88.11.2', names=['web'])])
    assert result['resolv'][1]['nameservers'] == ['8.8.8.8']


def test_vxlan_overlay_routes_through_the_peers_gateways():
    result = plan([dict(name='a')], mode='vxlan')
    assert result['mtu'] == 1450
    assert result['links'][1] == dict(name='vxlan-dbr0', kind='vxlan', vni=42, dstport=4789, local='198.18.0.11',
                                      mtu=1450, remotes=['198.18.0.12', '198.18.0.13'])
    assert dict(interface='vxlan-dbr0', address=['10.88.11.1/32'], exclusive=True) in result['addresses']
    assert result['routes'][:2] == [
        dict(dest='10.88.12.0/24', gateway='10.88.12.1', interface='vxlan-dbr0', onlink=True),
        dict(dest='10.88.13.0/24', gateway='10.88.13.1', interface='vxlan-dbr0', onlink=True)]
    assert result['veths'][0]['mtu'] == 1450


def test_mode_none_routes_nowhere():
    result = plan([dict(name='a')], mode='none')
    assert [route for route in result['routes'] if 'netns' not in route] == []
    assert result['peers'] == []


def test_removing_a_container_plans_only_its_own_objects_absent():
    first = plan([dict(name='a', publish=['8080:80']), dict(name='b', publish=['8081:80'])])
    second = plan([dict(name='b', publish=['8081:80'])], registry_after(first))
    assert dict(name='a', state='absent', force=False) in second['netns']
    assert dict(name='ve-a', state='absent') in second['veths']
    assert dict(name='a', state='absent') in second['resolv']
    assert [entry['host_port'] for entry in second['nat']['publish']] == [8081]
    assert 'a' not in second['registry']['containers']
    assert 'a' in second['registry_during']['containers']
    assert second['registry_shrinks'] and not second['registry_grows']


def test_a_second_run_writes_no_registry():
    first = plan([dict(name='a')])
    assert first['registry_grows'] and not first['registry_shrinks']
    second = plan([dict(name='a')], registry_after(first))
    assert not second['registry_grows'] and not second['registry_shrinks']
    assert second['removed'] == []


def test_no_registry_file_is_an_empty_registry():
    result = plan([dict(name='a')], None)
    assert result['registry_grows'] and result['removed'] == []


def test_an_unreadable_registry_says_so():
    with pytest.raises(PlanError, match='registry of bridge dbr0'):
        plan([dict(name='a')], '{nonsense')


def test_routes_to_a_departed_host_are_removed_and_vxlan_goes_with_its_mode():
    first = plan([dict(name='a')], mode='vxlan')
    second = plan([dict(name='a')], registry_after(first),
                  hosts=dict(h1=LAB['h1'], h2=LAB['h2']), mode='host-gw')
    assert dict(dest='10.88.13.0/24', state='absent') in second['routes']
    assert dict(name='vxlan-dbr0', kind='vxlan', state='absent') in second['links']
    assert second['registry']['vxlan'] is None


def test_state_absent_removes_everything_the_registry_names_and_nothing_without_one():
    first = plan([dict(name='a')], mode='vxlan')
    gone = plan([dict(name='a')], registry_after(first), mode='vxlan', state='absent')
    assert gone['netns'] == [dict(name='a', state='absent', force=False)]
    assert gone['links'] == [dict(name='dbr0', kind='bridge', state='absent'),
                             dict(name='vxlan-dbr0', kind='vxlan', state='absent')]
    assert gone['nat'] == dict(name='dbr0', state='absent')
    assert gone['registry_shrinks'] and gone['registry'] is None
    never = plan([dict(name='a')], None, state='absent')
    assert never['netns'] == never['links'] == never['veths'] == [] and never['nat'] is None
    assert not never['registry_grows'] and not never['registry_shrinks']


def test_a_host_leaving_the_cluster_removes_its_routes_to_the_others_while_they_stay():
    first = plan([dict(name='a')], mode='host-gw')
    assert [route['dest'] for route in first['routes'] if 'netns' not in route] == ['10.88.12.0/24', '10.88.13.0/24']
    # only h1 leaves: h2 and h3 stay in its cluster, but h1 keeps no route to them
    gone = plan([dict(name='a')], registry_after(first), mode='host-gw', state='absent')
    assert gone['routes'] == [dict(dest='10.88.12.0/24', state='absent'), dict(dest='10.88.13.0/24', state='absent')]
    assert gone['peers'] == [] and gone['nat'] == dict(name='dbr0', state='absent')


def test_a_new_veth_prefix_replaces_the_old_pair():
    first = plan([dict(name='a')])
    second = plan([dict(name='a')], registry_after(first), veth_prefix='vb-')
    assert second['veths'] == [dict(name='ve-a', peer='eth0', peer_netns='a', state='absent'),
                               dict(name='vb-a', peer='eth0', peer_netns='a', master='dbr0', mtu=1500,
                                    peer_mac='02:42:0a:58:0b:02', _peer_ipv6_link_local=False)]


@pytest.mark.parametrize('values, message', [
    (dict(name='dbr0', vxlan_interface='dbr0'), '^name and vxlan_interface are both dbr0$'),
    (dict(name='a-bridge-named-too-long'), "^name 'a-bridge-named-too-long' is 23 bytes long"),
    (dict(name='br;0'), "^name 'br;0' may contain only letters"),
    (dict(mode='flat'), "^mode 'flat' is not one of none, host-gw, vxlan$"),
    (dict(mtu=20), r'^mtu 20 is out of range \(68\.\.65535\)$'),
    (dict(mode='vxlan', vxlan_vni=0), r'^vxlan_vni 0 is out of range'),
])
def test_bad_settings_are_refused_in_the_modules_words(values, message):
    with pytest.raises(ValidationError, match=message):
        plan([dict(name='a')], **values)


def test_a_port_published_twice_by_one_container_is_refused():
    with pytest.raises(PlanError, match='^containers a and a both publish udp port 53$'):
        plan([dict(name='a', publish=['53/udp', '127.0.0.1:53/udp'])])


# ---- overlaps among many hosts, found by sorting (the role's filter checks every host's cluster) ---

def _networks(*texts):
    return [ipaddress.ip_network(text) for text in texts]


@pytest.mark.parametrize('texts, pair', [
    (('10.88.1.0/24', '10.88.2.0/24', '10.88.3.0/24'), None),
    (('10.88.1.0/24', '10.88.2.0/24', '10.88.1.128/25'), (0, 2)),
    (('10.88.3.0/24', '10.88.0.0/16', '10.89.0.0/24'), (0, 1)),
    # a wide network first reaches past the narrow ones after it
    (('10.88.0.0/16', '10.88.1.0/24', '10.89.0.0/24'), (0, 1)),
    (('10.89.0.0/24', '10.88.9.0/24', '10.88.0.0/16'), (1, 2)),
    (('10.88.0.0/30', '10.88.0.4/30'), None),
    (('fd00:88:0:1::/64', 'fd00:88::/48'), (0, 1)),
    (('fd00:88:1::/64', 'fd00:88::/48'), None),
])
def test_first_overlap(texts, pair):
    assert bridge_containers.first_overlap(_networks(*texts)) == pair


def test_first_overlap_compares_every_pair_in_effect():
    """Against the pairwise check it replaces, on random subnets."""
    import random
    generator = random.Random(18)
    for dummy_round in range(300):
        networks = [ipaddress.ip_network(u'10.%d.%d.0/%d' % (generator.randrange(4), generator.randrange(256),
                                                             generator.choice((16, 20, 24, 26))), strict=False)
                    for dummy in range(generator.randrange(1, 8))]
        pairwise = any(a.overlaps(b) for i, a in enumerate(networks) for b in networks[i + 1:])
        found = bridge_containers.first_overlap(networks)
        assert (found is not None) == pairwise
        if found:
            assert networks[found[0]].overlaps(networks[found[1]]) and found[0] < found[1]


def test_first_shared():
    assert bridge_containers.first_shared(['a', None, 'b', None, 'a']) == (0, 4)
    assert bridge_containers.first_shared(['a', None, 'b', None]) is None
