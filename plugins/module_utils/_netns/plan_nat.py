# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.netns contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Planner of the netns_nat module: masquerade, forwarding and published ports.

The items are checked as rule sets (nat_rules) and rendered as nftables
text (nat_render); here they are compared with the kernel's and planned.
Nothing outside the collection's table is changed, apart from the
forwarding sysctls.

Idempotence compares listings, never our text with nft's: the desired
rules are loaded into a throwaway namespace and listed there by the same
nft and kernel that list the real table, so the normal form nft prints
(it drops an implied ``meta nfproto``, merges set elements...) is the same
on both sides whatever the nft version.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.linuxnet.netns.plugins.module_utils._netns import engine, namespaces, nftables, plan_firewall, ports
from ansible_collections.linuxnet.netns.plugins.module_utils._netns.engine import PlanFailure, about, netns_of
from ansible_collections.linuxnet.netns.plugins.module_utils._netns.nat_render import (
    TABLE, TABLE_FAMILY, TABLE_NAME, ordered, owned, render, replaced, scratch_script, text_lines)
from ansible_collections.linuxnet.netns.plugins.module_utils._netns.nat_rules import rule_set
from ansible_collections.linuxnet.netns.plugins.module_utils._netns.validation import ValidationError

SYSCTL = {
    4: ('ipv4', '/proc/sys/net/ipv4/ip_forward'),
    6: ('ipv6', '/proc/sys/net/ipv6/conf/all/forwarding'),
}

PUBLISH_OPTIONS = dict(
    protocol=dict(type='str', default='tcp', choices=['tcp', 'udp', 'sctp']),
    host_port=dict(type='int', required=True),
    host_address=dict(type='str'),
    address=dict(type='str', required=True),
    port=dict(type='int'),
)

OPTIONS = dict(
    name=dict(type='str'),
    state=dict(type='str', default='present', choices=['present', 'absent']),
    source=dict(type='list', elements='str'),
    in_interface=dict(type='str'),
    out_interface=dict(type='str'),
    ip_forward=dict(type='bool', default=True),
    masquerade=dict(type='bool', default=True),
    masquerade_exclude=dict(type='list', elements='str'),
    publish=dict(type='list', elements='dict', options=PUBLISH_OPTIONS),
    firewall=plan_firewall.OPTION,
)
REQUIRED = ('name',)


class Namespace(object):
    """Our table and the sysctls of one namespace, read once.

    The model is updated as items are planned, so that a later item of an
    aggregate sees what the earlier ones will have done.
    """

    def __init__(self, session):
        self.session = session
        self.label = session.label
        self.table = None
        self.sysctl = {}
        if not session.exists:
            return
        try:
            objects = nftables.ruleset_json(session.fd)
            if any(obj.get('table', {}).get('family') == TABLE_FAMILY
                   and obj['table'].get('name') == TABLE_NAME for obj in objects):
                listing = nftables.list_table(session.fd, TABLE_FAMILY, TABLE_NAME)
                self.table = nftables.parse_listing(listing).get((TABLE_FAMILY, TABLE_NAME), {})
        except nftables.NftError as exc:
            raise PlanFailure('reading nftables in %s: %s' % (self.label, exc))

    def sysctl_value(self, family):
        if family not in self.sysctl:
            self.sysctl[family] = read_sysctl(self.session, SYSCTL[family][1])
        return self.sysctl[family]


def read_sysctl(session, path):
    """The value at path as this namespace sees it, or None if it has no such setting."""
    if not session.exists:
        return 0  # a namespace made by an earlier task starts with forwarding off
    text = namespaces.read_inside(session.fd, path)
    if text is None:
        return None
    try:
        return int(text.strip())
    except ValueError:
        return None


def write_sysctl(session, path, value):
    with namespaces.entered(session.fd):
        with open(path, 'w') as handle:
            handle.write('%d\n' % value)


def _key(spec, ref):
    return spec['name'] if ref is None else '%s (netns %s)' % (spec['name'], ref)


def flows(item, spec, ref):
    """What the firewalls of other owners must let through for this rule set (plan_firewall)."""
    if spec['state'] == 'absent':
        return plan_firewall.flows_item(spec['name'], 'absent', item.get('firewall') or 'auto', ref,
                                        interface=item.get('in_interface') or None)
    return plan_firewall.flows_item(
        spec['name'], 'present', item.get('firewall') or 'auto', ref, interface=spec['in_interface'],
        out_interface=spec['out_interface'], sources=spec['sources'],
        published=[dict(protocol=entry['protocol'], address=entry['address'], port=entry['port'])
                   for entry in spec['publish']])


def plan(host, items, plan, open_firewalls=True):
    """Plan the rule sets; open_firewalls: also plan_firewall's openings for them (netns_nat)."""
    # Every item is checked and rendered before the kernel is asked anything.
    specs = []
    seen = set()
    openings = []
    for item in items:
        ref = netns_of(item)
        spec = rule_set(item)
        if (ref, spec['name']) in seen:
            raise ValidationError('%srule set %s is named twice in one task'
                                  % (item.get('_where', ''), spec['name']))
        seen.add((ref, spec['name']))
        specs.append((ref, spec, render(spec)))
        with about(item):
            openings.append(flows(item, spec, ref))

    if nftables.find() is None:
        raise PlanFailure(nftables.MISSING)
    present = [chains for dummy, dummy, chains in specs if chains]
    listed = {}
    if present:
        try:
            listing = nftables.listed_in_scratch(scratch_script(present))
        except nftables.NftError as exc:
            raise PlanFailure('nftables does not accept the rules: %s' % exc)
        tables = nftables.parse_listing(listing)
        for index in range(len(present)):
            listed[index] = tables.get((TABLE_FAMILY, '%s_%d' % (TABLE_NAME, index)), {})

    spaces = {}
    plan.returns.update(table=TABLE, rules=[])
    index = 0
    for ref, spec, chains in specs:
        session = host.session(ref)
        space = spaces.get(id(session))
        if space is None:
            space = spaces[id(session)] = Namespace(session)
        desired = {}
        if chains:
            desired, index = listed[index], index + 1
        _plan_item(plan, ref, space, spec, desired, chains)
    if open_firewalls:
        plan_firewall.plan(host, openings, plan)


def _plan_item(plan, ref, space, spec, desired, rendered):
    name = spec['name']
    label = space.label
    before = dict(table=TABLE, rules=text_lines(owned(space.table, name)))
    after = dict(table=TABLE, rules=text_lines(desired))

    if spec['state'] == 'present' and spec['ip_forward']:
        before['ip_forward'], after['ip_forward'] = {}, {}
        for family in spec['families']:
            word, path = SYSCTL[family]
            value = space.sysctl_value(family)
            if value is None:
                raise PlanFailure('%s has no %s: %s forwarding cannot be turned on there (is IPv6 '
                                  'disabled?)' % (label, path, word))
            before['ip_forward'][word], after['ip_forward'][word] = value, 1
            if value != 1:
                space.sysctl[family] = 1
                plan.add('turn on %s forwarding in %s' % (word, label),
                         engine.Op(set_sysctl, space.session, path=path, value=1),
                         engine.Op(set_sysctl, space.session, path=path, value=value))

    _plan_route_localnet(plan, space, spec, before, after)
    current = space.table
    target = replaced(current, name, desired)
    if owned(current, name) != desired:
        # Load our own text, not nft's listing of it: a listing read back in is not always
        # listed the same again (a set of one element prints without braces, then as a value).
        loaded = replaced(current, name, rendered)
        apply_lines = nftables.transaction(TABLE_FAMILY, TABLE_NAME, current, loaded)
        undo_lines = nftables.transaction(TABLE_FAMILY, TABLE_NAME, loaded, current)
        plan.add(_summary(name, label, current, target, desired),
                 engine.Op(load_rules, space.session, script=_script(apply_lines)),
                 engine.Op(load_rules, space.session, script=_script(undo_lines)))
        space.table = target

    plan.state(_key(spec, ref), before, after)
    plan.returns['rules'].extend(after['rules'])


def _plan_route_localnet(plan, space, spec, before, after):
    """route_localnet on the interface a publication on 127.0.0.1 goes out of; off again once the last goes."""
    interface = ports.route_localnet_wanted(spec)
    if interface is None:
        # off again only where our own guard says we turned it on
        if not any(chain.partition('.')[0] == ports.GUARD_KIND for chain in owned(space.table, spec['name'])):
            return
        interface, want = spec.get('in_interface'), 0
    else:
        want = 1
    if not interface:
        return
    path = ports.ROUTE_LOCALNET % interface
    value = read_sysctl(space.session, path)
    value = 0 if value is None else value  # an interface this task makes starts with it off
    before['route_localnet'], after['route_localnet'] = {interface: value}, {interface: want}
    if value != want:
        plan.add('turn %s route_localnet on %s in %s' % ('on' if want else 'off', interface, space.label),
                 engine.Op(set_sysctl, space.session, path=path, value=want),
                 engine.Op(set_sysctl, space.session, path=path, value=value))


def _summary(name, label, current, target, desired):
    if not desired:
        text = 'remove rule set %s from table %s in %s' % (name, TABLE, label)
        if target is None:
            text += ', and the table with it (no rule set is left)'
        return text
    verb = 'update' if owned(current, name) else 'add'
    return '%s rule set %s (%s) in table %s in %s' % (verb, name, ', '.join(ordered(desired)), TABLE, label)


@engine.operation('sysctl.write')
def set_sysctl(session, path, value):
    write_sysctl(session, path, value)


def _script(lines):
    return '\n'.join(lines) + '\n' if lines else ''


@engine.operation('nft.apply')
def load_rules(session, script):
    """Load an nft script (one transaction) in the session's namespace; '' changes nothing."""
    if script:
        nftables.load(session.fd, script)
