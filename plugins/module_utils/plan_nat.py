# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.netns contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Planner of the netns_nat module: masquerade, forwarding and published ports.

Every rule set lives in the one table the collection owns, in base chains
of its own named KIND.NAME (prerouting.br0, postrouting.br0...): several
rule sets coexist, each is replaced without touching the others, and the
table goes when its last chain does. Nothing outside that table is
changed, apart from the forwarding sysctls.

Idempotence compares listings, never our text with nft's: the desired
rules are loaded into a throwaway namespace and listed there by the same
nft and kernel that list the real table, so the normal form nft prints
(it drops an implied ``meta nfproto``, merges set elements...) is the same
on both sides whatever the nft version.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.linuxnet.netns.plugins.module_utils import namespaces, nftables, plan_firewall, validation
from ansible_collections.linuxnet.netns.plugins.module_utils.engine import PlanFailure, about, netns_of
from ansible_collections.linuxnet.netns.plugins.module_utils.validation import ValidationError

TABLE_FAMILY = 'inet'
TABLE_NAME = 'linuxnet_netns'
TABLE = '%s %s' % (TABLE_FAMILY, TABLE_NAME)
NAME_MAX = 64
_NAME_RE = re.compile(r'^[A-Za-z0-9_.-]+$')

# Kind of chain -> its declaration. The kind is the chain name's first
# dot-separated part, so the owner of a chain is everything after it.
CHAINS = (
    ('prerouting', 'type nat hook prerouting priority dstnat; policy accept;'),
    ('output', 'type nat hook output priority -100; policy accept;'),
    ('forward', 'type filter hook forward priority filter; policy accept;'),
    ('postrouting', 'type nat hook postrouting priority srcnat; policy accept;'),
)
KINDS = tuple(kind for kind, dummy in CHAINS)

SYSCTL = {
    4: ('ipv4', '/proc/sys/net/ipv4/ip_forward'),
    6: ('ipv6', '/proc/sys/net/ipv6/conf/all/forwarding'),
}
LOOPBACK = {4: '127.0.0.0/8', 6: '::1'}
FAMILY_WORD = {4: 'ip', 6: 'ip6'}

PUBLISH_OPTIONS = dict(
    protocol=dict(type='str', default='tcp', choices=['tcp', 'udp']),
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


# -- validation (pure) ----------------------------------------------------
def rule_set_name(value):
    if not isinstance(value, str) or not value:
        raise ValidationError('name must be a non-empty string, got %r' % (value,))
    if len(value) > NAME_MAX:
        raise ValidationError('name %r is %d characters long; at most %d are allowed'
                              % (value, len(value), NAME_MAX))
    if not _NAME_RE.match(value):
        raise ValidationError("name %r may contain only letters, digits, '_', '.' and '-' "
                              '(it becomes part of nftables chain names)' % value)
    return value


def _interface(value, what):
    if value in (None, ''):
        return None
    validation.interface_name(value, what)
    for char in '"\\':
        if char in value:
            raise ValidationError('%s %r contains %r, which nftables cannot match' % (what, value, char))
    return value


def _port(value, what):
    if value is None or isinstance(value, bool) or not 1 <= int(value) <= 65535:
        raise ValidationError('%s %r is out of range (1..65535)' % (what, value))
    return int(value)


def _publication(entry, position, sources):
    where = 'publish item %d: ' % position
    protocol = entry.get('protocol') or 'tcp'
    if protocol not in ('tcp', 'udp'):
        raise ValidationError('%sprotocol %r is not supported; use tcp or udp' % (where, protocol))
    host_port = _port(entry.get('host_port'), where + 'host_port')
    port = _port(entry.get('port') if entry.get('port') is not None else host_port, where + 'port')
    if entry.get('address') in (None, ''):
        raise ValidationError('%saddress (the destination inside) is required' % where)
    address = validation.ip_address(entry['address'], where + 'address')
    if address.is_loopback or address.is_unspecified or address.is_multicast:
        raise ValidationError('%saddress %s cannot receive forwarded traffic; give the address '
                              'of the server behind the bridge' % (where, address))
    host_address = None
    if entry.get('host_address') not in (None, ''):
        host_address = validation.ip_address(entry['host_address'], where + 'host_address')
        if host_address.version != address.version:
            raise ValidationError('%shost_address %s and address %s are of different IP versions'
                                  % (where, host_address, address))
        if host_address.is_loopback:
            raise ValidationError('%shost_address %s is a loopback address: the kernel does not '
                                  'route loopback traffic to another interface; leave host_address '
                                  'out (every other local address is published) or give one of the '
                                  "host's own addresses" % (where, host_address))
    return dict(protocol=protocol, host_port=host_port, host_address=host_address,
                address=address, port=port, family=address.version,
                hairpin=[net for net in sources if address in net])


def rule_set(item):
    """The item as a normalized rule set, or ValidationError; reads nothing."""
    where = item.get('_where', '')
    try:
        name = rule_set_name(item.get('name'))
        spec = dict(name=name, state=item.get('state') or 'present')
        if spec['state'] == 'absent':
            return spec
        sources = []
        for value in validation.as_list(item.get('source')):
            net = validation.network(value, 'source')
            if net not in sources:
                sources.append(net)
        in_if = _interface(item.get('in_interface'), 'in_interface')
        out_if = _interface(item.get('out_interface'), 'out_interface')
        if in_if and in_if == out_if:
            raise ValidationError('in_interface and out_interface are both %s; traffic is forwarded '
                                  'from one to the other, so they must differ' % in_if)
        publish = [_publication(entry or {}, position, sources)
                   for position, entry in enumerate(item.get('publish') or [], 1)]
        _no_overlap(publish)
        if not sources and not publish:
            raise ValidationError('rule set %s has nothing to do: give source (the subnets to '
                                  'masquerade and forward) or publish' % name)
        exclude = []
        for value in validation.as_list(item.get('masquerade_exclude')):
            net = validation.network(value, 'masquerade_exclude')
            if net.version not in [source.version for source in sources]:
                raise ValidationError('masquerade_exclude %s: no source subnet of IPv%d to exempt from '
                                      'masquerading' % (net, net.version))
            if net not in exclude:
                exclude.append(net)
        families = sorted(set([net.version for net in sources] + [p['family'] for p in publish]))
        spec.update(sources=sources, in_interface=in_if, out_interface=out_if, publish=publish,
                    masquerade=bool(item.get('masquerade', True)), masquerade_exclude=exclude,
                    ip_forward=bool(item.get('ip_forward', True)), families=families)
        return spec
    except ValidationError as exc:
        raise ValidationError('%s%s' % (where, exc))


def _no_overlap(publish):
    seen = {}
    for position, entry in enumerate(publish, 1):
        key = (entry['protocol'], entry['host_port'], entry['family'])
        for other_position, other in seen.get(key, []):
            if None in (other, entry['host_address']) or other == entry['host_address']:
                raise ValidationError('publish items %d and %d both take %s port %d%s'
                                      % (other_position, position, entry['protocol'],
                                         entry['host_port'],
                                         ' on %s' % other if other else ''))
        seen.setdefault(key, []).append((position, entry['host_address']))


# -- rendering (pure) -----------------------------------------------------
def chain_name(kind, name):
    return '%s.%s' % (kind, name)


def owner_of(chain):
    """The rule set a chain of our table belongs to, or None if not one of ours."""
    kind, dot, owner = chain.partition('.')
    return owner if dot and kind in KINDS and owner else None


def _quote(interface):
    return '"%s"' % interface


def _destination(entry):
    if entry['family'] == 6:
        return '[%s]:%d' % (entry['address'], entry['port'])
    return '%s:%d' % (entry['address'], entry['port'])


def _publish_rules(spec):
    pre, out, fwd, post = [], [], [], []
    in_if = spec['in_interface']
    to_inside = 'oifname %s ' % _quote(in_if) if in_if else ''
    for entry in spec['publish']:
        ip = FAMILY_WORD[entry['family']]
        proto = entry['protocol']
        dnat = '%s dport %d dnat %s to %s' % (proto, entry['host_port'], ip, _destination(entry))
        if entry['host_address'] is not None:
            pre.append('%s daddr %s %s' % (ip, entry['host_address'], dnat))
            out.append('%s daddr %s %s' % (ip, entry['host_address'], dnat))
        else:
            # Only what is addressed to this host: traffic passing through keeps its way.
            pre.append('meta nfproto %s fib daddr type local %s' % ('ipv4' if ip == 'ip' else 'ipv6', dnat))
            # Loopback is left out: the kernel will not route 127.0.0.1 out of a bridge.
            out.append('fib daddr type local %s daddr != %s %s'
                       % (ip, LOOPBACK[entry['family']], dnat))
        inside = '%s daddr %s %s dport %d ct status dnat' % (ip, entry['address'], proto, entry['port'])
        fwd.append('%s%s accept' % (to_inside, inside))
        # From the host itself, and hairpin from the subnet: the server would
        # answer the client directly, around the translation, unless the
        # connection comes from this host.
        post.append('%s%s fib saddr type local masquerade' % (to_inside, inside))
        for net in entry['hairpin']:
            post.append('%s%s saddr %s %s masquerade' % (to_inside, ip, net, inside))
    return pre, out, fwd, post


def _forward_rules(spec):
    in_if, out_if = spec['in_interface'], spec['out_interface']
    rules = []
    from_outside = 'iifname %s ' % _quote(out_if) if out_if else ''
    to_outside = ' oifname %s' % _quote(out_if) if out_if else ''
    if in_if:
        rules.append('iifname %s%s accept' % (_quote(in_if), to_outside))
        rules.append('%soifname %s ct state established,related accept' % (from_outside, _quote(in_if)))
        return rules
    for net in spec['sources']:
        rules.append('%s saddr %s%s accept' % (FAMILY_WORD[net.version], net, to_outside))
    for net in spec['sources']:
        rules.append('%s%s daddr %s ct state established,related accept'
                     % (from_outside, FAMILY_WORD[net.version], net))
    return rules


def _masquerade_rules(spec):
    if not spec['masquerade']:
        return []
    rules = []
    for net in spec['sources']:
        ip = FAMILY_WORD[net.version]
        # Networks routed without translation (other hosts' container subnets) see the real source.
        exempt = [str(other) for other in spec.get('masquerade_exclude') or () if other.version == net.version]
        unless = ' %s daddr != { %s }' % (ip, ', '.join(exempt)) if exempt else ''
        if spec['out_interface']:
            rules.append('%s saddr %s oifname %s%s masquerade' % (ip, net, _quote(spec['out_interface']), unless))
        elif spec['in_interface']:
            rules.append('%s saddr %s oifname != %s%s masquerade' % (ip, net, _quote(spec['in_interface']), unless))
        else:
            rules.append('%s saddr %s %s daddr != %s%s masquerade' % (ip, net, ip, net, unless))
    return rules


def render(spec):
    """{chain name: [declaration, rules...]} for a present rule set, in hook order.

    Chains without rules are left out rather than hooked in empty.
    """
    if spec['state'] == 'absent':
        return {}
    pre, out, fwd_published, post_published = _publish_rules(spec)
    rules = dict(prerouting=pre, output=out,
                 forward=_forward_rules(spec) + fwd_published,
                 postrouting=post_published + _masquerade_rules(spec))
    chains = {}
    for kind, declaration in CHAINS:
        if rules[kind]:
            chains[chain_name(kind, spec['name'])] = [declaration] + rules[kind]
    return chains


def text_lines(chains):
    """Chains as the lines the diff and the result show."""
    lines = []
    for chain in ordered(chains):
        lines.append('chain %s {' % chain)
        lines.extend('  %s' % line for line in chains[chain])
        lines.append('}')
    return lines


def ordered(chains):
    def key(chain):
        kind = chain.partition('.')[0]
        return (owner_of(chain) or '', KINDS.index(kind) if kind in KINDS else len(KINDS), chain)
    return sorted(chains, key=key)


def owned(table, name):
    """The chains of rule set name in a table's chains."""
    return dict((chain, lines) for chain, lines in (table or {}).items() if owner_of(chain) == name)


def replaced(table, name, chains):
    """The table's chains once rule set name is chains; None when nothing is left."""
    result = dict((chain, lines) for chain, lines in (table or {}).items()
                  if owner_of(chain) != name)
    result.update(chains)
    return result or None


def scratch_script(specs):
    """One script declaring every rendered rule set in a table of its own."""
    lines = []
    for index, chains in enumerate(specs):
        lines.extend(nftables.table_script(TABLE_FAMILY, '%s_%d' % (TABLE_NAME, index),
                                           [(chain, chains[chain]) for chain in ordered(chains)]))
    return '\n'.join(lines) + '\n'


# -- planning ---------------------------------------------------------------
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
        _plan_item(host, plan, ref, space, spec, desired, chains)
    if open_firewalls:
        plan_firewall.plan(host, openings, plan)


def _plan_item(host, plan, ref, space, spec, desired, rendered):
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
                         _sysctl_setter(host, ref, path, 1), _sysctl_setter(host, ref, path, value))

    current = space.table
    target = replaced(current, name, desired)
    if owned(current, name) != desired:
        # Load our own text, not nft's listing of it: a listing read back in is not always
        # listed the same again (a set of one element prints without braces, then as a value).
        loaded = replaced(current, name, rendered)
        apply_lines = nftables.transaction(TABLE_FAMILY, TABLE_NAME, current, loaded)
        undo_lines = nftables.transaction(TABLE_FAMILY, TABLE_NAME, loaded, current)
        plan.add(_summary(name, label, current, target, desired),
                 _loader(host, ref, apply_lines), _loader(host, ref, undo_lines))
        space.table = target

    plan.state(_key(spec, ref), before, after)
    plan.returns['rules'].extend(after['rules'])


def _summary(name, label, current, target, desired):
    if not desired:
        text = 'remove rule set %s from table %s in %s' % (name, TABLE, label)
        if target is None:
            text += ', and the table with it (no rule set is left)'
        return text
    verb = 'update' if owned(current, name) else 'add'
    return '%s rule set %s (%s) in table %s in %s' % (verb, name, ', '.join(ordered(desired)), TABLE, label)


def _loader(host, ref, lines):
    script = '\n'.join(lines) + '\n'

    def load():
        if lines:
            nftables.load(host.session(ref).fd, script)
    return load


def _sysctl_setter(host, ref, path, value):
    return lambda: write_sysctl(host.session(ref), path, value)
