# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.netns contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Openings for our networks in ufw, as its own rules.

ufw rebuilds its iptables chains from /etc/ufw/user.rules whenever it
reloads, so a rule it did not make does not last there: ours are ufw rules
(``ufw route allow ...`` for forwarded traffic, ``ufw allow ...`` for the
overlay's UDP port), each with the comment ``linuxnet-netns:NETWORK``,
which is how we find ours in ``ufw show added`` and remove only them.
Replies pass ufw's own RELATED,ESTABLISHED rule.

Commands are rendered as ``ufw show added`` prints them, so a rerun
compares text with text.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.linuxnet.netns.plugins.module_utils._netns import engine, nftables
from ansible_collections.linuxnet.netns.plugins.module_utils._netns.engine import PlanFailure

COMMENT = "comment 'linuxnet-netns:%s'"


def rules(flows):
    """The ufw rules (as `ufw show added` lists them, without 'ufw ') that open one network."""
    found = []
    tail = COMMENT % flows['name']
    bridge = flows['interface']
    if bridge:
        found.append('route allow in on %s %s' % (bridge, tail))
    else:
        found.extend('route allow from %s %s' % (net, tail) for net in flows['sources'])
    to_bridge = 'out on %s ' % bridge if bridge else ''
    for entry in flows['published']:
        if entry['protocol'] not in ('tcp', 'udp'):
            # ufw's protocols (ufw.util.supported_protocols) have ports only for tcp and udp, and no sctp
            raise PlanFailure('ufw is active and cannot open %s port %d to %s (ufw has no %s rules): add the rule '
                              'to /etc/ufw/before.rules yourself and set firewall: none'
                              % (entry['protocol'], entry['port'], entry['address'], entry['protocol']))
        found.append('route allow %sto %s port %d proto %s %s'
                     % (to_bridge, entry['address'], entry['port'], entry['protocol'], tail))
    for net in flows['peers']:
        found.append('route allow %sfrom %s %s' % (to_bridge, net, tail))
    overlay = flows.get('overlay')
    for remote in (overlay or {}).get('remotes', []):
        found.append('allow from %s to any port %d proto udp %s' % (remote, overlay['port'], tail))
    return found


def deletion(rule):
    """The arguments that delete rule: 'route allow ...' -> route delete allow ..."""
    words = rule.split(' ')
    if words[0] == 'route':
        return ['route', 'delete'] + _args(' '.join(words[1:]))
    return ['delete'] + _args(rule)


def _args(rule):
    """rule as an argv: the comment's quotes are ufw's listing, not part of the text."""
    head, marker, text = rule.partition(" comment '")
    args = head.split(' ')
    if marker:
        args += ['comment', text[:-1]]
    return args


class Ufw(object):
    def __init__(self, path, added):
        self.path = path
        self.added = added

    def ours(self, name):
        tail = COMMENT % name
        return [rule for rule in self.added if rule.endswith(' ' + tail)]


def read(session, tables):
    """ufw, when it is active here (its chains are in an iptables table), else None."""
    if not any(getattr(table, 'managed_by_ufw', lambda: False)() for table in tables):
        return None
    path = nftables.find('ufw')
    if path is None:
        return None
    text = nftables.run_program(session.fd, [path, 'show', 'added'])
    added = [line[len('ufw '):] for line in text.splitlines() if line.startswith('ufw ')]
    return Ufw(path, added)


def plan(host, ref, space, flows_list, plan):
    ufw = space.ufw
    for flows in flows_list:
        current = ufw.ours(flows['name'])
        wanted = rules(flows) if flows['state'] == 'present' else []
        opens = flows['state'] == 'present' and flows['firewall'] == 'auto'
        if flows['state'] == 'present' and not opens:
            missing = [rule for rule in wanted if rule not in current]
            if missing:
                space.warn(plan, '%s: ufw is active and drops what network %s forwards (its default route '
                                 'policy); firewall=none, so nothing was added. Add by hand: %s'
                           % (space.label, flows['name'], '; '.join('ufw ' + rule for rule in missing)))
        target = wanted if opens else []
        for rule in current:
            if rule not in target:
                plan.add('remove ufw rule %s' % rule, _ufw(space, ufw, deletion(rule)), _ufw(space, ufw, _args(rule)))
        for rule in target:
            if rule not in current:
                plan.add('add ufw rule %s' % rule, _ufw(space, ufw, _args(rule)), _ufw(space, ufw, deletion(rule)))
        plan.state('ufw %s' % flows['name'], current, target)


def _ufw(space, ufw, args):
    return engine.Op(run_ufw, space.session, argv=[ufw.path] + args)


@engine.operation('ufw.run')
def run_ufw(session, argv):
    nftables.run_program(session.fd, argv)
