# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.netns contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""netns_nat's rule sets as nftables text (pure).

Every rule set lives in the one table the collection owns, in base chains
of its own named KIND.NAME (prerouting.br0, postrouting.br0...): several
rule sets coexist, each is replaced without touching the others, and the
table goes when its last chain does.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.linuxnet.netns.plugins.module_utils._netns import isolation, nftables, ports

TABLE_FAMILY = 'inet'
TABLE_NAME = 'linuxnet_netns'
TABLE = '%s %s' % (TABLE_FAMILY, TABLE_NAME)

# Kind of chain -> its declaration. The kind is the chain name's first
# dot-separated part, so the owner of a chain is everything after it.
CHAINS = (
    ('prerouting', 'type nat hook prerouting priority dstnat; policy accept;'),
    ('output', 'type nat hook output priority -100; policy accept;'),
    ('forward', 'type filter hook forward priority filter; policy accept;'),
    ('postrouting', 'type nat hook postrouting priority srcnat; policy accept;'),
    (ports.GUARD_KIND, 'type filter hook input priority filter; policy accept;'),
)
KINDS = tuple(kind for kind, dummy in CHAINS)
LOOPBACK = {4: '127.0.0.0/8', 6: '::1'}
FAMILY_WORD = {4: 'ip', 6: 'ip6'}


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
        if entry.get('loopback'):
            out.append('%s daddr %s %s' % (ip, entry['host_address'], dnat))  # the host's own, never prerouting
        elif entry['host_address'] is not None:
            pre.append('%s daddr %s %s' % (ip, entry['host_address'], dnat))
            out.append('%s daddr %s %s' % (ip, entry['host_address'], dnat))
        else:
            # Only what is addressed to this host: traffic passing through keeps its way.
            pre.append('meta nfproto %s fib daddr type local %s' % ('ipv4' if ip == 'ip' else 'ipv6', dnat))
            # Loopback is left out: it takes route_localnet, turned on only for a publication on 127.0.0.1.
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
        if any(other.endswith('/0') for other in exempt):
            continue  # every destination exempt (::/0: netns_bridge's routed IPv6): no masquerade at all
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
                 forward=isolation.forward_rules(spec) + _forward_rules(spec) + fwd_published,
                 postrouting=post_published + _masquerade_rules(spec))
    rules[ports.GUARD_KIND] = ports.guard_rules(spec)
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
