# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.netns contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Openings for our networks in firewalld: a zone and a policy of ours.

firewalld sends forwarded traffic that enters through an interface bound
to no zone through its default zone, which rejects it; a rule in our own
nftables table cannot help, firewalld's table rejects after it. As Docker
does with its zone ``docker``, our bridges (and VXLAN devices) are bound
to the zone ``linuxnet`` with target ACCEPT, and the peers' container
subnets are its sources, so that traffic routed in from them is accepted
too. The overlay's UDP port is opened to the peers' underlay addresses by
rich rules of the policy ``linuxnet-vxlan`` (from any zone to the host).
Published ports need nothing: firewalld accepts ``ct status dnat``.

Everything is set both permanent and runtime, so that ``--reload`` and a
restart of firewalld keep it. firewalld creates and deletes zones and
policies only in its permanent configuration: making or removing ours
costs one ``firewall-cmd --reload``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible_collections.linuxnet.netns.plugins.module_utils._netns import engine, nftables

ZONE = 'linuxnet'
POLICY = 'linuxnet-vxlan'
FAMILY = {4: 'ipv4', 6: 'ipv6'}
NOT_FOUND = ('INVALID_ZONE', 'INVALID_POLICY')


def rich_rule(remote, port):
    return ('rule family="%s" source address="%s" port port="%d" protocol="udp" accept'
            % (FAMILY[remote.version], remote, port))


def running(nft_objects):
    """Whether firewalld runs: its nftables table, or its chains in iptables' (iptables backend)."""
    for obj in nft_objects:
        if obj.get('table', {}).get('name') == 'firewalld':
            return True
        if obj.get('chain', {}).get('name') in ('FORWARD_ZONES', 'filter_FORWARD_ZONES'):
            return True
    return False


def parse_info(text):
    """`firewall-cmd --info-zone/--info-policy` as {key: [values]}; rich rules one per line."""
    info = {}
    key = None
    for line in text.splitlines():
        if line.startswith('\t') and key:
            info[key].append(line.strip())
        elif line.startswith('  ') and ':' in line:
            key, dummy, value = line.strip().partition(':')
            info[key] = value.split() if key != 'rich rules' else []
    return info


class Firewalld(object):
    """The zone and policy of ours, permanent and runtime, read once.

    offline: firewalld is enabled but not running; its permanent
    configuration is read and written with firewall-offline-cmd, and
    there is no runtime.
    """

    def __init__(self, session, path, offline=False):
        self.session = session
        self.path = path
        self.offline = offline
        self.config = {}
        for permanent in (True, False) if not offline else (True,):
            self.config[permanent] = dict(zone=self._info('--info-zone=' + ZONE, permanent),
                                          policy=self._info('--info-policy=' + POLICY, permanent))

    def command(self, args, permanent):
        return command(self.session, self.path, self.offline, args, permanent)

    def _info(self, option, permanent):
        try:
            return parse_info(self.command([option], permanent))
        except nftables.NftError as exc:
            if any(word in str(exc) for word in NOT_FOUND):
                return None
            raise


def command(session, path, offline, args, permanent):
    """firewall-cmd (firewall-offline-cmd when offline, which has no runtime) with args."""
    flag = ['--permanent'] if permanent and not offline else []
    return nftables.run_program(session.fd, [path] + flag + list(args))


ENABLED = '/etc/systemd/system/multi-user.target.wants/firewalld.service'


def read(session, nft_objects):
    """firewalld where it filters now, or will once it starts (enabled on a systemd host); else None."""
    if running(nft_objects):
        path = nftables.find('firewall-cmd')
        return Firewalld(session, path) if path else None
    if os.path.isdir('/run/systemd/system') and os.path.lexists(ENABLED):
        path = nftables.find('firewall-offline-cmd')
        return Firewalld(session, path, offline=True) if path else None
    return None


def _wanted(flows_list):
    """What the zone and the policy hold for these networks: (keep, drop) of each kind."""
    want = dict(interfaces=set(), sources=set(), rules=set())
    drop = dict(interfaces=set(), sources=set(), rules=set())
    for flows in flows_list:
        opens = flows['state'] == 'present' and flows['firewall'] == 'auto'
        overlay = flows.get('overlay') or {}
        mine = dict(interfaces=set(name for name in (flows['interface'], overlay.get('interface')) if name),
                    sources=set(str(net) for net in flows['peers']),
                    rules=set(rich_rule(remote, overlay['port']) for remote in overlay.get('remotes', [])))
        for kind in want:
            (want if opens else drop)[kind].update(mine[kind])
        drop['interfaces'].update(flows['forget'].get('interfaces') or ())
        drop['sources'].update(flows['forget'].get('sources') or ())
    for kind in want:
        drop[kind] -= want[kind]
    return want, drop


def target_config(current, want, drop):
    """The zone's and policy's members once want is added and drop removed; None: not there."""
    zone = current['zone'] or {}
    policy = current['policy'] or {}
    interfaces = (set(zone.get('interfaces', [])) - drop['interfaces']) | want['interfaces']
    sources = (set(zone.get('sources', [])) - drop['sources']) | want['sources']
    rules = (set(policy.get('rich rules', [])) - drop['rules']) | want['rules']
    return dict(zone=dict(interfaces=sorted(interfaces), sources=sorted(sources)) if interfaces or sources else None,
                policy=dict(rules=sorted(rules)) if rules else None)


def _members(current):
    zone = current['zone']
    policy = current['policy']
    return dict(zone=dict(interfaces=sorted(zone.get('interfaces', [])), sources=sorted(zone.get('sources', [])))
                if zone is not None else None,
                policy=dict(rules=sorted(policy.get('rich rules', []))) if policy is not None else None)


def operations(current, target, permanent):
    """firewall-cmd argument lists (one kind of option per call, as it requires) from current to target."""
    ops = []
    zone, policy = current['zone'], current['policy']
    if target['zone'] is not None and zone is None:
        ops.append(['--new-zone=' + ZONE])
        ops.append(['--zone=' + ZONE, '--set-target=ACCEPT'])
        zone = dict(interfaces=[], sources=[])
    if zone is not None:
        goal = target['zone'] or dict(interfaces=[], sources=[])
        for kind, option in (('interfaces', 'interface'), ('sources', 'source')):
            removed = sorted(set(zone[kind]) - set(goal[kind]))
            added = sorted(set(goal[kind]) - set(zone[kind]))
            if removed:
                ops.append(['--zone=' + ZONE] + ['--remove-%s=%s' % (option, value) for value in removed])
            if added:
                ops.append(['--zone=' + ZONE] + ['--add-%s=%s' % (option, value) for value in added])
    if target['zone'] is None and current['zone'] is not None:
        ops.append(['--delete-zone=' + ZONE])
    if target['policy'] is not None and policy is None:
        ops.append(['--new-policy=' + POLICY])
        ops.append(['--policy=' + POLICY, '--add-ingress-zone=ANY'])
        ops.append(['--policy=' + POLICY, '--add-egress-zone=HOST'])
        policy = dict(rules=[])
    if policy is not None:
        goal = target['policy'] or dict(rules=[])
        removed = sorted(set(policy['rules']) - set(goal['rules']))
        added = sorted(set(goal['rules']) - set(policy['rules']))
        if removed:
            ops.append(['--policy=' + POLICY] + ['--remove-rich-rule=' + rule for rule in removed])
        if added:
            ops.append(['--policy=' + POLICY] + ['--add-rich-rule=' + rule for rule in added])
    if target['policy'] is None and current['policy'] is not None:
        ops.append(['--delete-policy=' + POLICY])
    return [(permanent, op) for op in ops]


def needs_reload(current, target):
    """Whether the zone or the policy comes or goes: firewalld does that only by a reload."""
    return any((current[kind] is None) != (target[kind] is None) for kind in ('zone', 'policy'))


def plan(host, ref, space, flows_list, plan):
    firewalld = space.firewalld
    want, drop = _wanted(flows_list)
    for flows in flows_list:
        if flows['state'] == 'present' and flows['firewall'] == 'none':
            space.warn(plan, '%s: firewalld runs, and rejects what network %s forwards unless its bridge is in '
                             'a zone that accepts it; firewall=none, so nothing was changed. Add it by hand, e.g. '
                             'firewall-cmd --permanent --zone=trusted --add-interface=%s; firewall-cmd --reload'
                       % (space.label, flows['name'], flows['interface'] or 'BRIDGE'))
    permanent = _members(firewalld.config[True])
    goal = target_config(firewalld.config[True], want, drop)
    plan.state('firewalld (permanent%s)' % (', not running' if firewalld.offline else ''), permanent, goal)
    steps = operations(permanent, goal, True)
    if not firewalld.offline:  # else no runtime: what firewalld loads when it starts is all there is
        runtime = _members(firewalld.config[False])
        runtime_goal = target_config(firewalld.config[False], want, drop)
        plan.state('firewalld (runtime)', runtime, runtime_goal)
        if needs_reload(permanent, goal) or needs_reload(runtime, runtime_goal):
            # the reload makes the runtime the permanent configuration just written, ours included
            steps.append((False, ['--reload']))
        else:
            steps.extend(operations(runtime, runtime_goal, False))
    if steps:
        tool = os.path.basename(firewalld.path)
        commands = '; '.join('%s %s' % (tool, ' '.join((['--permanent'] if permanent_step and not firewalld.offline else [])
                                                       + args)) for permanent_step, args in steps)
        plan.add('change firewalld for network(s) %s: %s' % (', '.join(sorted(flows['name'] for flows in flows_list)),
                                                             commands),
                 engine.Op(run_steps, firewalld.session, path=firewalld.path, offline=firewalld.offline, steps=steps),
                 engine.Op(undo_steps, firewalld.session, path=firewalld.path, offline=firewalld.offline, steps=steps))


def inverse(args):
    """The firewall-cmd calls that undo one call (a new zone's target goes with the zone)."""
    head = args[0]
    if head == '--reload':
        return [args]
    for kind, restore in (('zone', [['--zone=' + ZONE, '--set-target=ACCEPT']]),
                          ('policy', [['--policy=' + POLICY, '--add-ingress-zone=ANY'],
                                      ['--policy=' + POLICY, '--add-egress-zone=HOST']])):
        if head.startswith('--new-%s=' % kind):
            return [['--delete-%s=%s' % (kind, head.split('=', 1)[1])]]
        if head.startswith('--delete-%s=' % kind):
            return [['--new-%s=%s' % (kind, head.split('=', 1)[1])]] + restore
    swapped = [head]
    for arg in args[1:]:
        if arg.startswith('--add-') and not arg.startswith(('--add-ingress', '--add-egress')):
            swapped.append('--remove-' + arg[len('--add-'):])
        elif arg.startswith('--remove-'):
            swapped.append('--add-' + arg[len('--remove-'):])
        else:
            return []  # the target and zones of a zone or policy we make go with it
    return [swapped]


@engine.operation('firewalld.run')
def run_steps(session, path, offline, steps):
    """Run firewall-cmd steps [(permanent, args)...]; if one fails, undo the ones before it."""
    _run_steps(lambda args, permanent: command(session, path, offline, args, permanent), steps)


@engine.operation('firewalld.undo')
def undo_steps(session, path, offline, steps):
    """Undo firewall-cmd steps that were all made."""
    _undo_steps(lambda args, permanent: command(session, path, offline, args, permanent), steps)


def _run_steps(run, steps):
    done = []
    try:
        for step in steps:
            run(step[1], step[0])
            done.append(step)
    except Exception:
        _undo_steps(run, done)
        raise


def _undo_steps(run, done):
    reload = any(args == ['--reload'] for dummy, args in done)
    for permanent, args in reversed(done):
        if args != ['--reload']:
            for undo in inverse(args):
                run(undo, permanent)
    if reload:
        run(['--reload'], False)
