# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.netns contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Planning of the openings in other owners' firewalls (plan_firewall and its backends), without root."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

import pytest

from ansible_collections.linuxnet.netns.plugins.module_utils._netns import (
    firewall_firewalld, firewall_iptables, firewall_ufw, nftables, plan_firewall)
from ansible_collections.linuxnet.netns.plugins.module_utils._netns.engine import Plan
from ansible_collections.linuxnet.netns.plugins.module_utils._netns.validation import ValidationError

C = '-m comment --comment "linuxnet-netns:dbr0" -j ACCEPT'


def flows(**values):
    values.setdefault('name', 'dbr0')
    values.setdefault('interface', 'dbr0')
    values.setdefault('sources', ['10.88.1.0/24'])
    return plan_firewall.flows_item(**values)


BRIDGE = dict(published=[dict(protocol='tcp', address='10.88.1.2', port=80)], peers=['10.88.2.0/24'],
              overlay=dict(interface='vx-dbr0', port=4789, remotes=['198.18.0.12']))

DOCKER_SAVE = '''*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
:DOCKER - [0:0]
:DOCKER-USER - [0:0]
-A FORWARD -j DOCKER-USER
-A DOCKER-USER -j RETURN
COMMIT
'''


# -- iptables ---------------------------------------------------------------------------
def test_forward_rules_as_iptables_save_prints_them():
    assert firewall_iptables.forward_rules(flows(**BRIDGE), 4) == [
        '-A LINUXNET-FORWARD -i dbr0 ' + C,
        '-A LINUXNET-FORWARD -o dbr0 -m conntrack --ctstate RELATED,ESTABLISHED ' + C,
        '-A LINUXNET-FORWARD -d 10.88.1.2/32 -o dbr0 -p tcp -m tcp --dport 80 -m conntrack --ctstate DNAT ' + C,
        '-A LINUXNET-FORWARD -s 10.88.2.0/24 -o dbr0 ' + C]
    assert firewall_iptables.forward_rules(flows(**BRIDGE), 6) == [
        '-A LINUXNET-FORWARD -i dbr0 ' + C,
        '-A LINUXNET-FORWARD -o dbr0 -m conntrack --ctstate RELATED,ESTABLISHED ' + C]
    assert firewall_iptables.input_rules(flows(**BRIDGE), 4) == [
        '-A LINUXNET-INPUT -s 198.18.0.12/32 -p udp -m udp --dport 4789 ' + C]


def test_forward_rules_without_a_bridge_name_the_sources():
    rules = firewall_iptables.forward_rules(flows(interface=None, out_interface='eth0'), 4)
    assert rules == ['-A LINUXNET-FORWARD -s 10.88.1.0/24 -o eth0 ' + C,
                     '-A LINUXNET-FORWARD -d 10.88.1.0/24 -m conntrack --ctstate RELATED,ESTABLISHED ' + C]


def test_table_sees_docker_and_what_drops():
    table = firewall_iptables.Table(4, 'nft', DOCKER_SAVE)
    assert table.drops('FORWARD') and not table.drops('INPUT')
    assert table.entry_point(firewall_iptables.FORWARD_CHAIN) == 'DOCKER-USER'
    assert table.entry_point(firewall_iptables.INPUT_CHAIN) == 'INPUT'
    plain = firewall_iptables.Table(4, 'legacy', ':FORWARD ACCEPT [0:0]\n-A FORWARD -j REJECT --reject-with icmp-host-prohibited\n')
    assert plain.drops('FORWARD') and plain.entry_point(firewall_iptables.FORWARD_CHAIN) == 'FORWARD'
    assert not firewall_iptables.Table(4, 'nft', ':FORWARD ACCEPT [0:0]\n-A FORWARD -i x -j DROP\n').drops('FORWARD')


def test_a_hand_made_accept_lets_through_but_ours_does_not():
    table = firewall_iptables.Table(4, 'nft', DOCKER_SAVE + '-A DOCKER-USER -i dbr0 -j ACCEPT\n')
    assert table.lets_through('dbr0') and not table.lets_through('dbr1')
    ours = firewall_iptables.Table(4, 'nft', DOCKER_SAVE + '-A LINUXNET-FORWARD -i dbr0 ' + C + '\n')
    assert not ours.lets_through('dbr0')


def test_restore_script_creates_our_chain_and_jumps_from_docker_user():
    table = firewall_iptables.Table(4, 'nft', DOCKER_SAVE)
    target = firewall_iptables.forward_rules(flows(), 4)
    lines = firewall_iptables.restore_script(table, firewall_iptables.FORWARD_CHAIN, target)
    assert lines == [':LINUXNET-FORWARD - [0:0]'] + target + ['-I DOCKER-USER -j LINUXNET-FORWARD']
    after = copy.deepcopy(table)
    firewall_iptables.after_restore(after, firewall_iptables.FORWARD_CHAIN, target)
    assert after.rules['DOCKER-USER'][0] == '-A DOCKER-USER -j LINUXNET-FORWARD'
    # converged: nothing to load; emptied: the jump first, then the chain, flushed before it goes
    assert firewall_iptables.restore_script(after, firewall_iptables.FORWARD_CHAIN, target) == []
    assert firewall_iptables.restore_script(after, firewall_iptables.FORWARD_CHAIN, []) == [
        '-D DOCKER-USER -j LINUXNET-FORWARD', '-F LINUXNET-FORWARD', '-X LINUXNET-FORWARD']
    firewall_iptables.after_restore(after, firewall_iptables.FORWARD_CHAIN, [])
    assert after.rules == table.rules and after.chains == table.chains


def test_other_networks_rules_stay_in_their_place():
    other = '-A LINUXNET-FORWARD -i dbr1 -m comment --comment "linuxnet-netns:dbr1" -j ACCEPT'
    table = firewall_iptables.Table(4, 'nft', DOCKER_SAVE + ':LINUXNET-FORWARD - [0:0]\n%s\n' % other)
    target = firewall_iptables.chain_target(table, firewall_iptables.FORWARD_CHAIN, {'dbr0': ['-A LINUXNET-FORWARD x']})
    assert target == [other, '-A LINUXNET-FORWARD x']
    assert firewall_iptables.chain_target(table, firewall_iptables.FORWARD_CHAIN, {'dbr1': []}) == []


# -- ufw ---------------------------------------------------------------------------------
def test_ufw_rules_as_show_added_lists_them():
    tail = "comment 'linuxnet-netns:dbr0'"
    assert firewall_ufw.rules(flows(**BRIDGE)) == [
        'route allow in on dbr0 ' + tail,
        'route allow out on dbr0 to 10.88.1.2 port 80 proto tcp ' + tail,
        'route allow out on dbr0 from 10.88.2.0/24 ' + tail,
        'allow from 198.18.0.12 to any port 4789 proto udp ' + tail]


def test_ufw_deletion_and_arguments_keep_the_comment_whole():
    rule = "route allow in on dbr0 comment 'linuxnet-netns:dbr0'"
    assert firewall_ufw.deletion(rule) == ['route', 'delete', 'allow', 'in', 'on', 'dbr0', 'comment', 'linuxnet-netns:dbr0']
    assert firewall_ufw.deletion("allow from 198.18.0.12 to any port 4789 proto udp comment 'linuxnet-netns:x'")[:2] == [
        'delete', 'allow']
    ufw = firewall_ufw.Ufw('/usr/sbin/ufw', [rule, "route allow in on dbr01 comment 'linuxnet-netns:dbr01'", 'allow 22'])
    assert ufw.ours('dbr0') == [rule]


# -- firewalld ---------------------------------------------------------------------------
# as firewall-cmd prints it, an empty list with a space after its colon
INFO = '\n'.join([
    'linuxnet (active)', '  target: ACCEPT', '  icmp-block-inversion: no', '  interfaces: dbr0 dbr1',
    '  sources: 10.88.2.0/24', '  services: ', '  rich rules: ',
    '\trule family="ipv4" source address="198.18.0.12" port port="4789" protocol="udp" accept', ''])


def test_firewalld_info_is_parsed():
    info = firewall_firewalld.parse_info(INFO)
    assert info['interfaces'] == ['dbr0', 'dbr1'] and info['sources'] == ['10.88.2.0/24']
    assert info['rich rules'] == ['rule family="ipv4" source address="198.18.0.12" port port="4789" protocol="udp" accept']


def test_firewalld_new_zone_and_policy_then_removal():
    nothing = dict(zone=None, policy=None)
    want, drop = firewall_firewalld._wanted([flows(**BRIDGE)])
    goal = firewall_firewalld.target_config(nothing, want, drop)
    assert goal['zone'] == dict(interfaces=['dbr0', 'vx-dbr0'], sources=['10.88.2.0/24'])
    steps = [args for dummy, args in firewall_firewalld.operations(nothing, goal, True)]
    assert steps == [['--new-zone=linuxnet'], ['--zone=linuxnet', '--set-target=ACCEPT'],
                     ['--zone=linuxnet', '--add-interface=dbr0', '--add-interface=vx-dbr0'],
                     ['--zone=linuxnet', '--add-source=10.88.2.0/24'],
                     ['--new-policy=linuxnet-vxlan'], ['--policy=linuxnet-vxlan', '--add-ingress-zone=ANY'],
                     ['--policy=linuxnet-vxlan', '--add-egress-zone=HOST'],
                     ['--policy=linuxnet-vxlan', '--add-rich-rule=rule family="ipv4" source address="198.18.0.12" '
                      'port port="4789" protocol="udp" accept']]
    assert firewall_firewalld.needs_reload(nothing, goal)
    # the network goes: its members go, then the zone and the policy, empty
    present = dict(zone=dict(interfaces=goal['zone']['interfaces'], sources=goal['zone']['sources']),
                   policy={'rich rules': goal['policy']['rules']})
    want, drop = firewall_firewalld._wanted([flows(state='absent', **BRIDGE)])
    gone = firewall_firewalld.target_config(present, want, drop)
    assert gone == dict(zone=None, policy=None)
    steps = [args[0] for dummy, args in firewall_firewalld.operations(firewall_firewalld._members(present), gone, True)]
    assert steps[-1] == '--delete-policy=linuxnet-vxlan' and '--delete-zone=linuxnet' in steps


def test_firewalld_keeps_other_networks_and_forgets_stale_members():
    current = dict(zone=dict(interfaces=['dbr0', 'dbr1'], sources=['10.88.2.0/24', '10.88.9.0/24']), policy=None)
    want, drop = firewall_firewalld._wanted([flows(peers=['10.88.2.0/24'], forget=dict(interfaces=[], sources=['10.88.9.0/24']))])
    goal = firewall_firewalld.target_config(current, want, drop)
    assert goal['zone'] == dict(interfaces=['dbr0', 'dbr1'], sources=['10.88.2.0/24'])
    assert firewall_firewalld.operations(firewall_firewalld._members(current), goal, False) == [
        (False, ['--zone=linuxnet', '--remove-source=10.88.9.0/24'])]
    assert not firewall_firewalld.needs_reload(firewall_firewalld._members(current), goal)


@pytest.mark.parametrize('args, undo', [
    (['--new-zone=linuxnet'], [['--delete-zone=linuxnet']]),
    (['--delete-zone=linuxnet'], [['--new-zone=linuxnet'], ['--zone=linuxnet', '--set-target=ACCEPT']]),
    (['--zone=linuxnet', '--add-interface=a', '--add-interface=b'], [['--zone=linuxnet', '--remove-interface=a', '--remove-interface=b']]),
    (['--policy=linuxnet-vxlan', '--remove-rich-rule=r'], [['--policy=linuxnet-vxlan', '--add-rich-rule=r']]),
    (['--zone=linuxnet', '--set-target=ACCEPT'], []),
    (['--reload'], [['--reload']]),
])
def test_firewalld_inverse(args, undo):
    assert firewall_firewalld.inverse(args) == undo


def test_firewalld_transaction_undoes_its_own_first_steps_when_one_fails():
    calls = []

    class Daemon(object):
        def command(self, args, permanent):
            calls.append((permanent, args))
            if args == ['--zone=linuxnet', '--add-interface=dbr0'] and permanent:
                raise nftables.NftError('firewall-cmd failed (exit 114): ZONE_CONFLICT')

    steps = [(True, ['--new-zone=linuxnet']), (True, ['--zone=linuxnet', '--set-target=ACCEPT']),
             (True, ['--zone=linuxnet', '--add-interface=dbr0']), (False, ['--reload'])]
    with pytest.raises(nftables.NftError):
        firewall_firewalld._run_steps(Daemon().command, steps)
    assert calls[3:] == [(True, ['--delete-zone=linuxnet'])]


# -- the planner, with the tools faked ------------------------------------------------------
class FakeSession(object):
    exists = True
    fd = None
    label = "the module's own namespace"


class FakeHost(object):
    def session(self, ref):
        return FakeSession()


@pytest.fixture
def docker_host(monkeypatch):
    loaded = []
    monkeypatch.setattr(nftables, 'ruleset_json', lambda fd: [{'table': {'family': 'ip', 'name': 'filter'}}])
    monkeypatch.setattr(firewall_iptables, 'read_tables',
                        lambda session, objects, families: [firewall_iptables.Table(4, 'nft', DOCKER_SAVE)])
    monkeypatch.setattr(firewall_iptables, 'load', lambda fd, tool, lines: loaded.append(lines))
    return loaded


def test_plan_opens_docker_user_and_applies_one_transaction(docker_host):
    plan = Plan()
    plan_firewall.plan(FakeHost(), [flows(**BRIDGE)], plan)
    assert [change.summary for change in plan.changes] == [
        "open dbr0 in the module's own namespace: chain LINUXNET-FORWARD, jumped to from DOCKER-USER"]
    assert plan.after['iptables (nft) table filter LINUXNET-FORWARD'][0] == '-A LINUXNET-FORWARD -i dbr0 ' + C
    assert plan.before['iptables (nft) table filter LINUXNET-FORWARD'] == []
    assert plan.warnings == []
    plan.apply()
    (lines,) = docker_host
    assert lines[0] == ':LINUXNET-FORWARD - [0:0]' and lines[-1] == '-I DOCKER-USER -j LINUXNET-FORWARD'


def test_plan_with_firewall_none_warns_and_changes_nothing(docker_host):
    plan = Plan()
    plan_firewall.plan(FakeHost(), [flows(firewall='none', **BRIDGE)], plan)
    assert plan.changes == []
    (warning,) = plan.warnings
    assert 'drops in FORWARD what network dbr0 needs (policy DROP); firewall=none' in warning
    assert 'iptables -I DOCKER-USER -i dbr0 ' in warning


def test_bad_firewall_value_is_refused():
    with pytest.raises(ValidationError, match="firewall 'open' is not one of auto, none"):
        flows(firewall='open')


def test_the_iptables_opening_is_data_and_applying_it_restores_those_lines(docker_host):
    plan = Plan()
    plan_firewall.plan(FakeHost(), [flows(**BRIDGE)], plan)
    (change,) = plan.as_data()
    assert change['apply']['op'] == change['undo']['op'] == 'iptables.restore'
    assert change['apply']['on'] == "the module's own namespace"
    assert change['apply']['args']['tool'] == 'iptables-nft-restore'
    plan.apply()
    assert docker_host == [change['apply']['args']['lines']]


def test_firewalld_and_ufw_changes_are_commands_as_data(monkeypatch):
    ran = []
    monkeypatch.setattr(nftables, 'run_program', lambda fd, argv, script=None: ran.append(argv) or '')
    steps = [(True, ['--new-zone=linuxnet']), (False, ['--reload'])]
    session = FakeSession()
    firewall_firewalld.run_steps(session, '/usr/bin/firewall-cmd', False, steps)
    assert ran == [['/usr/bin/firewall-cmd', '--permanent', '--new-zone=linuxnet'], ['/usr/bin/firewall-cmd', '--reload']]
    del ran[:]
    firewall_firewalld.undo_steps(session, '/usr/bin/firewall-offline-cmd', True, steps[:1])
    assert ran == [['/usr/bin/firewall-offline-cmd', '--delete-zone=linuxnet']]
    plan = Plan()
    ufw = firewall_ufw.Ufw('/usr/sbin/ufw', [])
    monkeypatch.setattr(firewall_ufw, 'rules', lambda flows: ['route allow in on dbr0 comment linuxnet-netns:dbr0'])

    class Space(object):
        label = 'own'

        def __init__(self):
            self.session = session
            self.ufw = ufw

    firewall_ufw.plan(FakeHost(), None, Space(), [flows()], plan)
    (change,) = plan.as_data()
    assert change['apply']['op'] == change['undo']['op'] == 'ufw.run'
    assert change['apply']['args']['argv'][0] == '/usr/sbin/ufw'
    assert change['undo']['args']['argv'][:3] == ['/usr/sbin/ufw', 'route', 'delete']
    del ran[:]
    plan.apply()
    assert ran == [change['apply']['args']['argv']]
