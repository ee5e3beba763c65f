# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.netns contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""plan_nat and nftables without root: input checks, rendering, scripts, and the planner on a fake nft."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress

import pytest

from ansible_collections.linuxnet.netns.plugins.module_utils._netns import argspec, nat_render, nat_rules, nftables, plan_firewall, plan_nat
from ansible_collections.linuxnet.netns.plugins.module_utils._netns.engine import Plan, expand_items
from ansible_collections.linuxnet.netns.plugins.module_utils._netns.validation import ValidationError

OPTIONS = argspec.item_options(plan_nat.OPTIONS)


def item(**values):
    """One item as the engine hands it to the planner."""
    params = defaults()
    params.update(values)
    return expand_items(params, OPTIONS, plan_nat.REQUIRED)[0]


def defaults(**values):
    """Top-level parameters as AnsibleModule hands them over: every option, defaults filled in."""
    params = dict((key, option.get('default')) for key, option in OPTIONS.items())
    params['aggregate'] = None
    params.update(values)
    return params


def spec(**values):
    values.setdefault('name', 'br0')
    return nat_rules.rule_set(item(**values))


# -- validation -----------------------------------------------------------------
@pytest.mark.parametrize('name', ['br0', 'lan', 'a', '1', 'x.y-z_0', 'fwd', '-', 'a' * 64])
def test_name_accepted(name):
    assert nat_rules.rule_set_name(name) == name


@pytest.mark.parametrize('name, message', [
    ('', 'non-empty'),
    ('a' * 65, 'at most 64'),
    ('br 0', "may contain only letters, digits, '_', '.' and '-'"),
    ('lan;flush ruleset', 'may contain only'),
    ('lan"', 'may contain only'),
    ('a/b', 'may contain only'),
    (u'br\xe9', 'may contain only'),
    ('a\nb', 'may contain only'),
])
def test_name_refused(name, message):
    with pytest.raises(ValidationError, match=message):
        nat_rules.rule_set_name(name)


@pytest.mark.parametrize('values, message', [
    (dict(source='10.0.0.1/24'), r"source '10.0.0.1/24' has host bits set; did you mean 10\.0\.0\.0/24\?"),
    (dict(source='fd00::1/64'), r'did you mean fd00::/64\?'),
    (dict(source='10.0.0.0/33'), 'is not a network in CIDR form'),
    (dict(source='lan'), 'is not a network in CIDR form'),
    (dict(source='10.0.0.0/24', in_interface='br/0'), "in_interface 'br/0' contains '/'"),
    (dict(source='10.0.0.0/24', in_interface='a' * 16), 'Linux allows at most 15 bytes'),
    (dict(source='10.0.0.0/24', out_interface='eth 0'), 'out_interface'),
    (dict(source='10.0.0.0/24', in_interface='br"0'), 'which nftables cannot match'),
    (dict(source='10.0.0.0/24', in_interface='br0', out_interface='br0'), 'must differ'),
    (dict(), 'has nothing to do: give source'),
    (dict(publish=[dict(host_port=0, address='10.0.0.2')]),
     r'publish item 1: host_port 0 is out of range \(1\.\.65535\)'),
    (dict(publish=[dict(host_port=70000, address='10.0.0.2')]), 'host_port 70000 is out of range'),
    (dict(publish=[dict(host_port=80, port=65536, address='10.0.0.2')]), 'port 65536 is out of range'),
    (dict(publish=[dict(host_port=80, address='10.0.0.300')]), "address '10.0.0.300' is not an IP address"),
    (dict(publish=[dict(host_port=80, address='127.0.0.1')]), 'cannot receive forwarded traffic'),
    (dict(publish=[dict(host_port=80, address='10.0.0.2', host_address='127.0.0.1')]), 'loopback'),
    (dict(publish=[dict(host_port=80, address='10.0.0.2', host_address='2001:db8::1')]), 'different IP versions'),
    (dict(publish=[dict(host_port=80, address='10.0.0.2'), dict(host_port=80, address='10.0.0.3')]),
     'publish items 1 and 2 both take tcp port 80'),
    (dict(publish=[dict(host_port=80, address='10.0.0.2', host_address='203.0.113.2'),
                   dict(host_port=80, address='10.0.0.3')]), 'publish items 1 and 2 both take tcp port 80'),
])
def test_rule_set_refused(values, message):
    with pytest.raises(ValidationError, match=message):
        spec(**values)


def test_sctp_published():
    assert spec(publish=[dict(protocol='sctp', host_port=80, address='10.0.0.2')])['publish'][0]['protocol'] == 'sctp'


def test_protocol_checked_without_argument_spec():
    with pytest.raises(ValidationError, match="protocol 'icmp' is not supported"):
        nat_rules.rule_set(dict(name='x', state='present', source=None, publish=[
            dict(protocol='icmp', host_port=1, address='10.0.0.2')]))


def test_aggregate_position_in_message():
    params = defaults(aggregate=[dict(name='a', source='10.0.0.0/24'), dict(name='b', source='10.0.1.1/24')])
    items = expand_items(params, OPTIONS, plan_nat.REQUIRED)
    nat_rules.rule_set(items[0])
    with pytest.raises(ValidationError, match=r'^aggregate item 2 \(name=b\): source'):
        nat_rules.rule_set(items[1])


def test_same_port_different_protocol_or_address_is_fine():
    result = spec(publish=[dict(host_port=80, address='10.0.0.2'),
                           dict(protocol='udp', host_port=80, address='10.0.0.2'),
                           dict(host_port=81, address='10.0.0.2', host_address='203.0.113.2'),
                           dict(host_port=81, address='10.0.0.3', host_address='203.0.113.3'),
                           dict(host_port=80, address='fd00::2')])
    assert len(result['publish']) == 5
    assert result['families'] == [4, 6]


def test_sources_deduplicated_and_absent_needs_only_a_name():
    assert spec(source=['10.0.0.0/24', '10.0.0.0/24'])['sources'] == [ipaddress.ip_network(u'10.0.0.0/24')]
    assert nat_rules.rule_set(item(name='br0', state='absent', source='10.0.0.1/24')) == dict(name='br0', state='absent')


# -- rendering ------------------------------------------------------------------
def test_render_seed_001():
    """iptables -t nat -A POSTROUTING -s SUBNET -j MASQUERADE, FORWARD -i/-o accept, with out_interface."""
    chains = nat_render.render(spec(source='192.168.11.0/24', in_interface='veth0s0', out_interface='ens33'))
    assert chains == {
        'forward.br0': [
            'type filter hook forward priority filter; policy accept;',
            'iifname "veth0s0" oifname "ens33" accept',
            'iifname "ens33" oifname "veth0s0" ct state established,related accept',
        ],
        'postrouting.br0': [
            'type nat hook postrouting priority srcnat; policy accept;',
            'ip saddr 192.168.11.0/24 oifname "ens33" masquerade',
        ],
    }


def test_render_docker_like_bridge_with_published_port():
    chains = nat_render.render(spec(source=['10.0.7.0/24', 'fd00:7::/64'], in_interface='br0',
                                    publish=[dict(host_port=8080, address='10.0.7.2', port=80),
                                             dict(protocol='udp', host_port=53, address='10.0.7.3',
                                                  host_address='203.0.113.2'),
                                             dict(host_port=443, address='fd00:7::2')]))
    assert nat_render.text_lines(chains) == [
        'chain prerouting.br0 {',
        '  type nat hook prerouting priority dstnat; policy accept;',
        '  meta nfproto ipv4 fib daddr type local tcp dport 8080 dnat ip to 10.0.7.2:80',
        '  ip daddr 203.0.113.2 udp dport 53 dnat ip to 10.0.7.3:53',
        '  meta nfproto ipv6 fib daddr type local tcp dport 443 dnat ip6 to [fd00:7::2]:443',
        '}',
        'chain output.br0 {',
        '  type nat hook output priority -100; policy accept;',
        '  fib daddr type local ip daddr != 127.0.0.0/8 tcp dport 8080 dnat ip to 10.0.7.2:80',
        '  ip daddr 203.0.113.2 udp dport 53 dnat ip to 10.0.7.3:53',
        '  fib daddr type local ip6 daddr != ::1 tcp dport 443 dnat ip6 to [fd00:7::2]:443',
        '}',
        'chain forward.br0 {',
        '  type filter hook forward priority filter; policy accept;',
        '  iifname "br0" accept',
        '  oifname "br0" ct state established,related accept',
        '  oifname "br0" ip daddr 10.0.7.2 tcp dport 80 ct status dnat accept',
        '  oifname "br0" ip daddr 10.0.7.3 udp dport 53 ct status dnat accept',
        '  oifname "br0" ip6 daddr fd00:7::2 tcp dport 443 ct status dnat accept',
        '}',
        'chain postrouting.br0 {',
        '  type nat hook postrouting priority srcnat; policy accept;',
        '  oifname "br0" ip daddr 10.0.7.2 tcp dport 80 ct status dnat fib saddr type local masquerade',
        '  oifname "br0" ip saddr 10.0.7.0/24 ip daddr 10.0.7.2 tcp dport 80 ct status dnat masquerade',
        '  oifname "br0" ip daddr 10.0.7.3 udp dport 53 ct status dnat fib saddr type local masquerade',
        '  oifname "br0" ip saddr 10.0.7.0/24 ip daddr 10.0.7.3 udp dport 53 ct status dnat masquerade',
        '  oifname "br0" ip6 daddr fd00:7::2 tcp dport 443 ct status dnat fib saddr type local masquerade',
        '  oifname "br0" ip6 saddr fd00:7::/64 ip6 daddr fd00:7::2 tcp dport 443 ct status dnat masquerade',
        '  ip saddr 10.0.7.0/24 oifname != "br0" masquerade',
        '  ip6 saddr fd00:7::/64 oifname != "br0" masquerade',
        '}',
    ]


def test_render_without_interfaces_matches_the_subnets():
    chains = nat_render.render(spec(source='10.0.0.0/24'))
    assert chains['forward.br0'][1:] == ['ip saddr 10.0.0.0/24 accept',
                                         'ip daddr 10.0.0.0/24 ct state established,related accept']
    assert chains['postrouting.br0'][1:] == ['ip saddr 10.0.0.0/24 ip daddr != 10.0.0.0/24 masquerade']


def test_render_masquerade_false_keeps_what_publishing_needs():
    chains = nat_render.render(spec(source='10.0.0.0/24', in_interface='br0', masquerade=False,
                                    publish=[dict(host_port=80, address='10.0.0.2')]))
    assert all('saddr 10.0.0.0/24 oifname' not in rule for rule in chains['postrouting.br0'])
    assert len(chains['postrouting.br0']) == 3


def test_render_leaves_out_empty_chains_and_absent_is_empty():
    assert sorted(nat_render.render(spec(source='10.0.0.0/24', masquerade=False))) == ['forward.br0']
    assert nat_render.render(nat_rules.rule_set(item(name='br0', state='absent'))) == {}


@pytest.mark.parametrize('chain, owner', [
    ('postrouting.br0', 'br0'), ('forward.a.b', 'a.b'), ('prerouting.postrouting.x', 'postrouting.x'),
    ('output.-', '-'), ('postrouting.', None), ('input.br0', 'br0'), ('nat.br0', None), ('c', None), ('FORWARD', None),
])
def test_owner_of(chain, owner):
    assert nat_render.owner_of(chain) == owner


# -- nft text -------------------------------------------------------------------
LISTING = '''# Warning: table ip filter is managed by iptables-nft, do not touch!
table ip filter {
\tchain FORWARD {
\t\ttype filter hook forward priority filter; policy drop;
\t\tcounter packets 0 bytes 0 jump DOCKER-USER
\t}
}
table inet linuxnet_netns {
\tset s {
\t\ttype ipv4_addr
\t\telements = { 10.0.0.1, 10.0.0.2,
\t\t\t     10.0.0.3 }
\t}

\tchain postrouting.br0 {
\t\ttype nat hook postrouting priority srcnat; policy accept;
\t\tip saddr 10.0.7.0/24 oifname != "br0" masquerade
\t}

\tchain forward.br0 {
\t\ttype filter hook forward priority filter; policy accept;
\t}

\tchain mine {
\t}
}
'''


def test_parse_listing():
    tables = nftables.parse_listing(LISTING)
    assert tables[('ip', 'filter')] == {'FORWARD': ['type filter hook forward priority filter; policy drop;',
                                                    'counter packets 0 bytes 0 jump DOCKER-USER']}
    ours = tables[('inet', 'linuxnet_netns')]
    assert list(ours) == ['postrouting.br0', 'forward.br0', 'mine']
    assert ours['postrouting.br0'][1] == 'ip saddr 10.0.7.0/24 oifname != "br0" masquerade'
    assert ours['mine'] == []


def test_scratch_script_parses_back_to_the_rendering():
    chains = nat_render.render(spec(source='10.0.7.0/24', in_interface='br0',
                                    publish=[dict(host_port=80, address='10.0.7.2')]))
    script = nat_render.scratch_script([chains, {}])
    assert script.startswith('table inet linuxnet_netns_0 {\n\tchain prerouting.br0 {\n')
    assert nftables.parse_listing(script)[('inet', 'linuxnet_netns_0')] == chains


A = {'postrouting.a': ['type nat hook postrouting priority srcnat; policy accept;', 'ip saddr 10.0.0.0/24 masquerade']}
B = {'forward.b': ['type filter hook forward priority filter; policy accept;', 'iifname "b" accept']}


def test_transaction_creates_the_table():
    assert nftables.transaction('inet', 't', None, A) == [
        'add table inet t',
        'table inet t {',
        '\tchain postrouting.a {',
        '\t\ttype nat hook postrouting priority srcnat; policy accept;',
        '\t\tip saddr 10.0.0.0/24 masquerade',
        '\t}',
        '}',
    ]


def test_transaction_touches_only_what_changes():
    current = dict(A, **B)
    target = dict(B, **{'postrouting.a': A['postrouting.a'][:1] + ['ip saddr 10.9.0.0/24 masquerade']})
    script = nftables.transaction('inet', 't', current, target)
    assert script[:2] == ['add table inet t', 'flush chain inet t postrouting.a']
    assert 'forward.b' not in '\n'.join(script)
    assert '\t\tip saddr 10.9.0.0/24 masquerade' in script


def test_transaction_removes_chains_then_the_table():
    assert nftables.transaction('inet', 't', dict(A, **B), B) == [
        'add table inet t', 'flush chain inet t postrouting.a', 'delete chain inet t postrouting.a']
    assert nftables.transaction('inet', 't', B, None) == ['delete table inet t']
    assert nftables.transaction('inet', 't', {}, None) == ['delete table inet t']
    assert nftables.transaction('inet', 't', None, None) == []


def test_replaced_keeps_other_owners_and_foreign_chains():
    table = dict(A, **B)
    table['mine'] = []
    assert nat_render.replaced(table, 'a', {}) == dict(B, mine=[])
    assert nat_render.replaced(dict(A), 'a', {}) is None
    assert nat_render.owned(table, 'b') == B


# -- the planner, with nft and the sysctls faked ----------------------------------
class FakeSession(object):
    exists = True
    fd = None

    def __init__(self, label):
        self.label = label


class FakeHost(object):
    def __init__(self):
        self.sessions = {}

    def session(self, ref):
        return self.sessions.setdefault(ref, FakeSession('netns %s' % ref if ref else 'own'))


@pytest.fixture
def kernel(monkeypatch):
    """A fake nft whose listing is exactly what was loaded, and fake sysctls."""
    state = dict(listing='', sysctl={4: 0, 6: 0}, loaded=[], written=[])

    def listed_in_scratch(script):
        return script

    def ruleset_json(fd):
        tables = nftables.parse_listing(state['listing'])
        objects = []
        objects.extend({'table': {'family': family, 'name': name}} for family, name in tables)
        return objects

    def list_table(fd, family, name):
        return state['listing']

    def load(fd, script):
        state['loaded'].append(script)

    def read_sysctl(session, path):
        return state['sysctl'][6 if 'ipv6' in path else 4]

    def write_sysctl(session, path, value):
        state['written'].append((path, value))

    monkeypatch.setattr(nftables, 'find', lambda program='nft': '/usr/sbin/' + program)
    monkeypatch.setattr(nftables, 'listed_in_scratch', listed_in_scratch)
    monkeypatch.setattr(nftables, 'ruleset_json', ruleset_json)
    monkeypatch.setattr(nftables, 'list_table', list_table)
    monkeypatch.setattr(nftables, 'load', load)
    monkeypatch.setattr(plan_nat, 'read_sysctl', read_sysctl)
    monkeypatch.setattr(plan_nat, 'write_sysctl', write_sysctl)
    state['openings'] = []
    monkeypatch.setattr(plan_firewall, 'plan', lambda host, items, plan: state['openings'].extend(items))
    return state


def _as_listing(chains):
    return '\n'.join(nftables.table_script('inet', 'linuxnet_netns',
                                           [(c, chains[c]) for c in nat_render.ordered(chains)])) + '\n'


def planned(*items):
    plan = Plan()
    plan_nat.plan(FakeHost(), list(items), plan)
    return plan


def test_plan_new_rule_set(kernel):
    plan = planned(item(name='br0', netns='r', source='10.0.7.0/24', in_interface='br0'))
    assert [c.summary for c in plan.changes] == [
        'turn on ipv4 forwarding in netns r',
        'add rule set br0 (forward.br0, postrouting.br0) in table inet linuxnet_netns in netns r']
    assert plan.before['br0 (netns r)'] == dict(table='inet linuxnet_netns', rules=[], ip_forward={'ipv4': 0})
    assert plan.after['br0 (netns r)']['rules'] == plan.returns['rules']
    assert plan.returns['table'] == 'inet linuxnet_netns'
    assert kernel['loaded'] == [] and kernel['written'] == []  # planning changes nothing
    plan.apply()
    assert kernel['written'] == [('/proc/sys/net/ipv4/ip_forward', 1)]
    assert kernel['loaded'][0].startswith('add table inet linuxnet_netns\ntable inet linuxnet_netns {\n')


def test_plan_converged_is_unchanged(kernel):
    wanted = item(name='br0', source='10.0.7.0/24', in_interface='br0')
    kernel['listing'] = _as_listing(nat_render.render(nat_rules.rule_set(wanted)))
    kernel['sysctl'][4] = 1
    plan = planned(wanted)
    assert not plan.changed
    assert plan.before == plan.after


def test_plan_update_and_remove_keep_other_rule_sets(kernel):
    other = nat_render.render(spec(name='other', source='10.1.0.0/24'))
    mine = nat_render.render(spec(name='br0', source='10.0.7.0/24'))
    kernel['listing'] = _as_listing(dict(other, **mine))
    kernel['sysctl'][4] = 1
    plan = planned(item(name='br0', source='10.0.8.0/24'))
    (change,) = plan.changes
    assert change.summary.startswith('update rule set br0 ')
    plan.apply()
    assert '.other' not in kernel['loaded'][0]

    plan = planned(item(name='br0', state='absent'))
    assert [c.summary for c in plan.changes] == ['remove rule set br0 from table inet linuxnet_netns in own']
    plan.apply()
    assert kernel['loaded'][-1] == ('add table inet linuxnet_netns\n'
                                    'flush chain inet linuxnet_netns forward.br0\n'
                                    'delete chain inet linuxnet_netns forward.br0\n'
                                    'flush chain inet linuxnet_netns postrouting.br0\n'
                                    'delete chain inet linuxnet_netns postrouting.br0\n')


def test_plan_aggregate_removing_every_rule_set_removes_the_table_once(kernel):
    kernel['listing'] = _as_listing(dict(nat_render.render(spec(name='a', source='10.1.0.0/24')),
                                         **nat_render.render(spec(name='b', source='10.2.0.0/24'))))
    params = defaults(state='absent', aggregate=[dict(name='a'), dict(name='b')])
    plan = Plan()
    plan_nat.plan(FakeHost(), expand_items(params, OPTIONS, plan_nat.REQUIRED), plan)
    assert [c.summary for c in plan.changes] == [
        'remove rule set a from table inet linuxnet_netns in own',
        'remove rule set b from table inet linuxnet_netns in own, and the table with it (no rule set is left)']
    plan.apply()
    assert kernel['loaded'][-1] == 'delete table inet linuxnet_netns\n'


def test_plan_undo_restores_what_was_there(kernel):
    before = nat_render.render(spec(name='br0', source='10.0.7.0/24'))
    kernel['listing'] = _as_listing(before)
    kernel['sysctl'][4] = 1
    plan = planned(item(name='br0', source='10.0.9.0/24'))
    (change,) = plan.changes
    change.undo()
    undo = kernel['loaded'][-1]
    assert 'ip saddr 10.0.7.0/24 ip daddr != 10.0.7.0/24 masquerade' in undo
    assert 'flush chain inet linuxnet_netns postrouting.br0' in undo


def test_plan_undo_of_a_new_table_deletes_it(kernel):
    kernel['sysctl'][4] = 1
    (change,) = planned(item(name='br0', source='10.0.7.0/24')).changes
    change.undo()
    assert kernel['loaded'] == ['delete table inet linuxnet_netns\n']


def test_plan_twice_the_same_name_is_refused(kernel):
    params = defaults(source='10.0.0.0/24',
                      aggregate=[dict(name='a'), dict(name='a', netns='other'), dict(name='a')])
    with pytest.raises(ValidationError, match=r'aggregate item 3 \(name=a\): rule set a is named twice'):
        plan_nat.plan(FakeHost(), expand_items(params, OPTIONS, plan_nat.REQUIRED), Plan())


def test_plan_ipv6_forwarding_and_the_flows_to_open(kernel):
    plan = planned(item(name='br0', source=['10.0.7.0/24', 'fd00:7::/64'], in_interface='br0',
                        publish=[dict(host_port=8080, address='10.0.7.2', port=80)]),
                   item(name='old', state='absent', in_interface='br1'))
    assert [c.summary for c in plan.changes][:2] == ['turn on ipv4 forwarding in own',
                                                     'turn on ipv6 forwarding in own']
    assert plan.after['br0']['ip_forward'] == {'ipv4': 1, 'ipv6': 1}
    opened, closed = kernel['openings']
    assert (opened['name'], opened['state'], opened['firewall'], opened['interface']) == ('br0', 'present', 'auto', 'br0')
    assert [str(net) for net in opened['sources']] == ['10.0.7.0/24', 'fd00:7::/64']
    assert [(e['protocol'], str(e['address']), e['port']) for e in opened['published']] == [('tcp', '10.0.7.2', 80)]
    assert (closed['name'], closed['state'], closed['interface']) == ('old', 'absent', 'br1')


def test_plan_ip_forward_false_leaves_the_sysctls(kernel):
    plan = planned(item(name='br0', source='10.0.7.0/24', ip_forward=False))
    assert [c.summary for c in plan.changes] == [
        'add rule set br0 (forward.br0, postrouting.br0) in table inet linuxnet_netns in own']
    assert 'ip_forward' not in plan.after['br0']


def test_plan_refuses_rules_nft_refuses(kernel, monkeypatch):
    def refuse(script):
        raise nftables.NftError('nft -f - failed (exit 1): Error: syntax error')
    monkeypatch.setattr(nftables, 'listed_in_scratch', refuse)
    with pytest.raises(plan_nat.PlanFailure, match='nftables does not accept the rules: .*syntax error'):
        planned(item(name='br0', source='10.0.7.0/24'))


def test_failed_load_undoes_the_sysctl(kernel, monkeypatch):
    def refuse(fd, script):
        raise nftables.NftError('nft -f - failed (exit 1): Error: Could not process rule: '
                                'Device or resource busy')
    monkeypatch.setattr(nftables, 'load', refuse)
    plan = planned(item(name='br0', source='10.0.7.0/24'))
    with pytest.raises(plan_nat.PlanFailure, match='Device or resource busy; undid: turn on ipv4 forwarding in own'):
        plan.apply()
    assert kernel['written'] == [('/proc/sys/net/ipv4/ip_forward', 1), ('/proc/sys/net/ipv4/ip_forward', 0)]


def test_missing_nft_is_said_plainly(kernel, monkeypatch):
    monkeypatch.setattr(nftables, 'find', lambda program='nft': None)
    with pytest.raises(plan_nat.PlanFailure, match='^nft not found on the managed host; install nftables'):
        planned(item(name='br0', state='absent'))


def test_masquerade_exclude_renders_per_family_and_checks_family():
    chains = nat_render.render(spec(source=['10.0.7.0/24', 'fd00:7::/64'], in_interface='br0',
                                    masquerade_exclude=['10.88.0.0/16', '10.99.0.0/24', '10.88.0.0/16']))
    assert chains['postrouting.br0'][1:] == [
        'ip saddr 10.0.7.0/24 oifname != "br0" ip daddr != { 10.88.0.0/16, 10.99.0.0/24 } masquerade',
        'ip6 saddr fd00:7::/64 oifname != "br0" masquerade',
    ]
    with pytest.raises(ValidationError, match='no source subnet of IPv6'):
        spec(source='10.0.7.0/24', masquerade_exclude='fd00:9::/64')
    with pytest.raises(ValidationError, match='host bits'):
        spec(source='10.0.7.0/24', masquerade_exclude='10.88.0.1/16')


def test_plan_is_data_and_applying_it_does_what_it_says(kernel):
    plan = planned(item(name='br0', netns='r', source='10.0.7.0/24', in_interface='br0'))
    (sysctl, rules) = plan.as_data()
    assert sysctl['apply'] == dict(op='sysctl.write', on='netns r',
                                   args=dict(path='/proc/sys/net/ipv4/ip_forward', value=1))
    assert sysctl['undo']['args'] == dict(path='/proc/sys/net/ipv4/ip_forward', value=0)
    assert rules['apply']['op'] == rules['undo']['op'] == 'nft.apply'
    assert rules['apply']['args']['script'].startswith('add table inet linuxnet_netns\n')
    assert rules['undo']['args'] == dict(script='delete table inet linuxnet_netns\n')
    plan.apply()
    assert kernel['written'] == [('/proc/sys/net/ipv4/ip_forward', 1)]
    assert kernel['loaded'] == [rules['apply']['args']['script']]


def test_a_namespace_ruleset_is_read_once_until_a_program_runs_there(monkeypatch):
    ran = []

    def run_command(argv, **kwargs):
        ran.append(argv[1:])
        return 0, '{"nftables": [{"table": {"family": "inet", "name": "filter"}}]}', ''
    monkeypatch.setattr(nftables, 'find', lambda program='nft': '/usr/sbin/' + program)
    monkeypatch.setattr(nftables, '_run_command', [])  # use() fills these in place: the next test gets them back
    monkeypatch.setattr(nftables, '_rulesets', {})
    nftables.use(run_command)
    first = nftables.ruleset_json(None)
    assert nftables.ruleset_json(None) is first and ran == [['-j', 'list', 'ruleset']]
    nftables.list_table(None, 'inet', 'filter')  # another read keeps it
    assert nftables.ruleset_json(None) is first and len(ran) == 2
    nftables.load(None, 'flush ruleset\n')  # a change forgets it
    assert nftables.ruleset_json(None) is not first and ran[-1] == ['-j', 'list', 'ruleset'] and len(ran) == 4
    nftables.use(run_command)  # so does the next task
    nftables.ruleset_json(None)
    assert len(ran) == 5
