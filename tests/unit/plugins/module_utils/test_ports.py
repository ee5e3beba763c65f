# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.netns contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Published ports: the text form, ranges, sctp, IPv6 host addresses, 127.0.0.1 and its guard (no root)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.linuxnet.netns.plugins.module_utils._netns import nat_render, nat_rules, plan_bridge, ports, publish
from ansible_collections.linuxnet.netns.plugins.module_utils._netns.bridge_containers import containers
from ansible_collections.linuxnet.netns.plugins.module_utils._netns.validation import ValidationError
# the planner on test_plan_nat's fake nft and sysctls (kernel: its fixture)
from ansible_collections.linuxnet.netns.tests.unit.plugins.module_utils.test_plan_nat import (  # noqa: F401 pylint: disable=unused-import
    _as_listing, item, kernel, planned)

SETTINGS = dict(name='dbr0', state='present', mtu=None, mode='none', vxlan_interface='vxlan-dbr0', vxlan_vni=42,
                vxlan_port=4789, vxlan_device=None, dns=['8.8.8.8'], dns_search=[], dns_options=[], hosts_file=True,
                veth_prefix='ve-', masquerade=True, force_remove=False)
ME = dict(host='h1', subnet='10.88.11.0/24', gateway='10.88.11.1', underlay=None)


def published(*entries):
    return containers([dict(name='web', publish=list(entries))], 've-')[0]['publish']


def rule_set(*publications, **values):
    item = dict(name='dbr0', source=['10.88.11.0/24'], in_interface='dbr0', publish=list(publications))
    item.update(values)
    return nat_rules.rule_set(item)


@pytest.mark.parametrize('text, keys', [
    ('8080', dict(host_port='8080')),
    ('8080:80/udp', dict(host_port='8080', port='80', protocol='udp')),
    ('[2001:db8::1]:8080:80', dict(host_address='2001:db8::1', host_port='8080', port='80')),
    ('127.0.0.1:8080:80/sctp', dict(host_address='127.0.0.1', host_port='8080', port='80', protocol='sctp')),
    ('8000-8010:9000-9010', dict(host_port='8000-8010', port='9000-9010')),
    ('2001:db8::1:8080:80', None),  # an IPv6 host address without brackets is ambiguous
])
def test_text_form(text, keys):
    assert publish.from_text(text) == keys


def test_a_range_is_one_publication_per_port_at_the_same_place():
    assert published('8000-8002:9000-9002/udp') == [
        dict(protocol='udp', host_port=8000, port=9000), dict(protocol='udp', host_port=8001, port=9001),
        dict(protocol='udp', host_port=8002, port=9002)]
    assert published('7000-7001') == [dict(protocol='tcp', host_port=7000, port=7000),
                                      dict(protocol='tcp', host_port=7001, port=7001)]
    assert published(dict(host_port='53-54', port='5353-5354', protocol='sctp'))[1] == dict(
        protocol='sctp', host_port=54, port=5354)


@pytest.mark.parametrize('entry, message', [
    ('8000-8010:9000-9005', r'host ports 8000-8010 \(11\) and ports 9000-9005 \(6\) are ranges of different lengths'),
    ('8000-8010:80', 'ranges of different lengths'),
    ('8010-8000', 'the range ends before it starts'),
    ('8080:80/icmp', "protocol 'icmp' is not supported; use tcp, udp, sctp"),
    ('0-3', r'out of range \(1..65535\)'),
    ('[::1]:8080:80', 'IPv6 has no route_localnet'),
])
def test_bad_publications_are_refused_with_a_reason(entry, message):
    with pytest.raises(ValidationError, match=message):
        published(entry)


def test_overlapping_ranges_clash():
    with pytest.raises(ValidationError, match='containers web and db both publish tcp port 8005'):
        plan_bridge.host_plan([dict(name='web', publish=['8000-8010:8000-8010']),
                               dict(name='db', publish=['8005-8006'])], SETTINGS, ME, [])


def test_an_ipv6_host_address_is_rendered_with_ip6_and_brackets():
    spec = rule_set(dict(host_address='2001:db8::1', host_port=8080, port=80, address='fd00::2'),
                    source=['fd00::/64'])
    chains = nat_render.render(spec)
    assert 'ip6 daddr 2001:db8::1 tcp dport 8080 dnat ip6 to [fd00::2]:80' in chains['prerouting.dbr0']
    assert 'ip6 daddr 2001:db8::1 tcp dport 8080 dnat ip6 to [fd00::2]:80' in chains['output.dbr0']


def test_sctp_is_rendered_like_tcp():
    chains = nat_render.render(rule_set(dict(protocol='sctp', host_port=9, port=99, address='10.88.11.2')))
    assert 'meta nfproto ipv4 fib daddr type local sctp dport 9 dnat ip to 10.88.11.2:99' in chains['prerouting.dbr0']


def test_loopback_is_published_from_the_output_chain_only_with_the_guard():
    spec = rule_set(dict(host_address='127.0.0.1', host_port=8080, port=80, address='10.88.11.2'))
    assert ports.route_localnet_wanted(spec) == 'dbr0'
    chains = nat_render.render(spec)
    assert not any('127.0.0.1' in rule for rule in chains.get('prerouting.dbr0', []))  # CVE-2020-8558
    assert 'ip daddr 127.0.0.1 tcp dport 8080 dnat ip to 10.88.11.2:80' in chains['output.dbr0']
    assert chains['input.dbr0'][1:] == [
        'iifname != "lo" ip daddr 127.0.0.0/8 ct state != { established, related } ct status & dnat == 0 drop']
    # answers come back from the bridge to 127.0.0.1 only if the source was translated
    assert any('fib saddr type local masquerade' in rule for rule in chains['postrouting.dbr0'])


def test_no_loopback_no_guard_no_route_localnet():
    spec = rule_set(dict(host_port=8080, port=80, address='10.88.11.2'))
    assert ports.route_localnet_wanted(spec) is None
    assert 'input.dbr0' not in nat_render.render(spec)


def test_loopback_needs_an_in_interface_and_ipv4():
    with pytest.raises(ValidationError, match='give in_interface'):
        rule_set(dict(host_address='127.0.0.1', host_port=8080, address='10.88.11.2'), in_interface=None)
    with pytest.raises(ValidationError, match='IPv6 has no route_localnet'):
        rule_set(dict(host_address='::1', host_port=8080, address='fd00::2'), source=['fd00::/64'])


def test_the_bridge_publishes_loopback_through_its_nat_item():
    result = plan_bridge.host_plan([dict(name='web', publish=['127.0.0.1:8080:80'])], SETTINGS, ME, [])
    spec = nat_rules.rule_set(result['nat'])
    assert spec['publish'][0]['loopback'] and ports.route_localnet_wanted(spec) == 'dbr0'


def test_route_localnet_goes_on_with_a_loopback_port_and_off_with_the_last(kernel, monkeypatch):  # noqa: F811 pylint: disable=redefined-outer-name
    from ansible_collections.linuxnet.netns.plugins.module_utils._netns import plan_nat
    path = ports.ROUTE_LOCALNET % 'br0'
    values = {'/proc/sys/net/ipv4/ip_forward': 1, path: 0}
    monkeypatch.setattr(plan_nat, 'read_sysctl', lambda session, name: values.get(name))
    loopback = item(name='br0', source='10.0.7.0/24', in_interface='br0',
                    publish=[dict(host_address='127.0.0.1', host_port=8080, port=80, address='10.0.7.2')])
    plan = planned(loopback)
    assert [c.summary for c in plan.changes][0] == 'turn on route_localnet on br0 in own'
    assert plan.after['br0']['route_localnet'] == {'br0': 1}
    plan.apply()
    assert (path, 1) in kernel['written']

    kernel['listing'] = _as_listing(nat_render.render(nat_rules.rule_set(loopback)))
    values[path] = 1
    assert not planned(loopback).changed
    plan = planned(item(name='br0', source='10.0.7.0/24', in_interface='br0'))
    assert [c.summary for c in plan.changes][0] == 'turn off route_localnet on br0 in own'

    # route_localnet someone else turned on, with no guard of ours: left alone
    kernel['listing'] = _as_listing(nat_render.render(nat_rules.rule_set(item(name='br0', source='10.0.7.0/24',
                                                                              in_interface='br0'))))
    assert not planned(item(name='br0', source='10.0.7.0/24', in_interface='br0')).changed


def test_ufw_cannot_open_sctp_and_says_what_to_do():
    from ansible_collections.linuxnet.netns.plugins.module_utils._netns import firewall_iptables, firewall_ufw, plan_firewall
    from ansible_collections.linuxnet.netns.plugins.module_utils._netns.engine import PlanFailure
    flows = plan_firewall.flows_item(name='dbr0', interface='dbr0', sources=['10.88.1.0/24'],
                                     published=[dict(protocol='sctp', address='10.88.1.2', port=99)])
    with pytest.raises(PlanFailure, match=r'ufw is active and cannot open sctp port 99 to 10.88.1.2 .*firewall: none'):
        firewall_ufw.rules(flows)
    assert any('-p sctp -m sctp --dport 99' in rule for rule in firewall_iptables.forward_rules(flows, 4))
