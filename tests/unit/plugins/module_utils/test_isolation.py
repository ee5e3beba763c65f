# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.netns contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""icc, internal and the isolation of a host's networks from each other: planning and rules (no root)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.linuxnet.netns.plugins.module_utils._netns import bridge_ports, isolation, nat_render, nat_rules, plan_bridge
from ansible_collections.linuxnet.netns.plugins.module_utils._netns.validation import ValidationError

SETTINGS = dict(name='dbr0', state='present', mtu=None, mode='none', vxlan_interface='vxlan-dbr0', vxlan_vni=42,
                vxlan_port=4789, vxlan_device=None, dns=['8.8.8.8'], dns_search=[], dns_options=[], hosts_file=True,
                veth_prefix='ve-', masquerade=True, force_remove=False)
ME = dict(host='h1', subnet='10.88.11.0/24', gateway='10.88.11.1', underlay=None)


def plan(containers, **values):
    return plan_bridge.host_plan(containers, dict(SETTINGS, **values), ME, [])


def chains(result):
    return nat_render.render(nat_rules.rule_set(result['nat']))


def test_icc_true_by_default_false_isolates_every_port():
    assert plan([dict(name='a')])['bridge_ports'] == [dict(name='ve-a', isolated=False, hairpin=True)]
    assert plan([dict(name='a'), dict(name='b')], icc=False)['bridge_ports'] == [
        dict(name='ve-a', isolated=True, hairpin=True), dict(name='ve-b', isolated=True, hairpin=True)]
    assert plan([], state='absent', subnet=None)['bridge_ports'] == []


def test_internal_no_masquerade_no_default_route_and_a_closed_forward_chain():
    result = plan([dict(name='a')], internal=True)
    assert result['nat']['masquerade'] is False
    assert [route for route in result['routes'] if route.get('dest') == 'default'] == [
        dict(netns='a', dest='default', state='absent')]
    forward = chains(result)['forward.dbr0']
    assert forward[1:3] == ['iifname "dbr0" oifname != "dbr0" drop', 'oifname "dbr0" iifname != "dbr0" drop']
    assert not any('masquerade' in rule for rule in chains(result).get('postrouting.dbr0', []))


@pytest.mark.parametrize('containers, values, message', [
    ([dict(name='a', publish=['80'])], {}, 'container a publishes ports, but the network is internal'),
    ([dict(name='a')], dict(mode='host-gw'), 'an internal network is local to this host'),
])
def test_internal_refuses_what_it_cannot_do(containers, values, message):
    with pytest.raises(ValidationError, match=message):
        plan(containers, internal=True, **values)


def test_networks_are_isolated_from_the_others_both_ways_except_published_ports():
    # by the netdev group of every netns_bridge bridge, not by name: the rules stay as they are when
    # networks come and go (a network made later in a play changes nothing of the earlier ones)
    forward = chains(plan([dict(name='a')]))['forward.dbr0']
    assert forward[1:3] == ['iifname "dbr0" oifgroup 28270 oifname != "dbr0" ct status & dnat == 0 drop',
                            'iifgroup 28270 iifname != "dbr0" oifname "dbr0" ct status & dnat == 0 drop']
    assert 'drop' not in ' '.join(chains(plan([dict(name='a')], isolate=False))['forward.dbr0'])


def test_every_bridge_is_in_the_group_the_rules_match():
    (bridge,) = [link for link in plan([dict(name='a')])['links']
                 if link['kind'] == 'bridge']
    assert bridge['_group'] == isolation.BRIDGE_GROUP == 28270


def test_the_other_networks_are_read_from_the_registry_names(tmp_path):
    for name in ('docker_bridge.dbr0.json', 'docker_bridge.dbr1.json', 'docker_bridge.dbr1.json.prev',
                 'docker_bridge.x.boot.json', 'docker_bridge.web-net.json'):
        (tmp_path / name).write_text(u'{}')
    assert isolation.other_networks(str(tmp_path), 'dbr0') == ['dbr1', 'web-net']
    assert isolation.other_networks(str(tmp_path / 'missing'), 'dbr0') == []


def test_a_bridge_port_dump_is_decoded():
    from ansible_collections.linuxnet.netns.plugins.module_utils._netns.netlink_messages import (
        LINK_HEADER, NLMSG_HEADER, attribute, bridge_port_from_message)
    import struct
    body = LINK_HEADER.pack(7, 0, 5, 0, 0) + attribute(3, b've-a\0') + attribute(
        12 | 0x8000, attribute(1, b'\x03') + attribute(4, b'\x00') + attribute(33, struct.pack('=B', 1)))
    data = NLMSG_HEADER.pack(NLMSG_HEADER.size + len(body), 16, 0, 1, 0) + body
    assert bridge_port_from_message(data, 0) == ('ve-a', {1: 3, 4: 0, 33: 1})

    class Ports(object):
        def bridge_ports(self):
            return dict([bridge_port_from_message(data, 0)])
    assert bridge_ports.read_port_flags(Ports()) == {'ve-a': dict(isolated=True, hairpin=False)}


def test_icc_false_also_drops_bridge_to_itself_unless_dnat():
    forward = chains(plan([dict(name='a')], icc=False))['forward.dbr0']
    assert forward[1] == 'iifname "dbr0" oifname "dbr0" ct status & dnat == 0 drop'
    assert 'oifname "dbr0" ct status' not in ' '.join(chains(plan([dict(name='a')], isolate=False))['forward.dbr0'])


class _Session(object):
    """The bridge ports as read (flags by name, as bridge_ports.read_port_flags gives them), changes recorded."""

    exists = True
    fd = None
    label = "the module's own namespace"

    def __init__(self, ports, links):
        kinds = dict(bridge_ports.PORT_FLAGS)
        self.ports = dict((name, dict((kinds[flag], int(value)) for flag, value in flags.items()))
                          for name, flags in ports.items())
        self.links = links
        self.dumps, self.sent = 0, []

    def bridge_ports(self):
        self.dumps += 1
        return self.ports

    def send(self, what, request):
        self.sent.append(request)

    def kernel_link(self, name):
        return {'name': name} if name in self.links else None

    def index_of(self, name):
        return 7


class _Host(object):
    def __init__(self, session):
        self.own = session

    def session(self, ref):
        return self.own


def _planned(session, items, br_netfilter, monkeypatch):
    from ansible_collections.linuxnet.netns.plugins.module_utils._netns import namespaces
    from ansible_collections.linuxnet.netns.plugins.module_utils._netns.changes import Plan
    monkeypatch.setattr(namespaces, 'read_inside', lambda fd, path: br_netfilter)
    plan = Plan()
    bridge_ports.plan_ports(_Host(session), [dict(item, netns=None) for item in items], plan)
    return plan


def test_ports_are_read_once_and_set_only_where_they_differ(monkeypatch):
    session = _Session({'ve-a': dict(hairpin=True, isolated=False), 've-b': dict(hairpin=False, isolated=False)},
                       links=['ve-a', 've-b'])
    items = [dict(name='ve-a', isolated=False, hairpin=True), dict(name='ve-b', isolated=False, hairpin=True),
             dict(name='ve-new', isolated=False, hairpin=True)]
    plan = _planned(session, items, None, monkeypatch)
    assert [change.summary for change in plan.changes] == ['set bridge port ve-b hairpin on',
                                                           'set bridge port ve-new hairpin on']
    assert session.dumps == 1
    assert plan.before['ve-b port'] == dict(hairpin=False, isolated=False)
    plan.apply()
    assert [request[:2] for request in session.sent] == [(19, 0), (19, 0)]


def test_icc_false_isolates_ports_unless_br_netfilter_calls_iptables(monkeypatch):
    items = [dict(name='ve-a', isolated=True, hairpin=True)]
    plan = _planned(_Session({'ve-a': dict(hairpin=True)}, ['ve-a']), items, '0\n', monkeypatch)
    assert [change.summary for change in plan.changes] == ['set bridge port ve-a isolated on']
    plan = _planned(_Session({'ve-a': dict(hairpin=True)}, ['ve-a']), items, '1\n', monkeypatch)
    assert plan.changes == []
