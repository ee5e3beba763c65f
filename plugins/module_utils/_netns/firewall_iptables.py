# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.netns contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Openings for our networks in an iptables filter table (nf_tables or legacy backend).

Docker, kube-proxy and hand-written rules put a FORWARD policy of DROP in
iptables' filter table; in that table an accept of ours elsewhere does not
help. As CNI's firewall plugin does, our rules live in chains of our own,
LINUXNET-FORWARD (and LINUXNET-INPUT for an overlay's UDP port), jumped to
from the place the table's owner keeps for others: Docker's DOCKER-USER
when it is there, else the top of FORWARD (INPUT). Each rule carries the
comment ``linuxnet-netns:NETWORK``, so that networks share the chains and
each replaces only its own rules. Nobody else's rule or policy is changed.

Writes are one ``iptables-restore --noflush`` transaction. Rules are
rendered as iptables-save prints them, so a rerun compares text with text.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress

from ansible_collections.linuxnet.netns.plugins.module_utils._netns import engine, namespaces, nftables

FORWARD_CHAIN = 'LINUXNET-FORWARD'
INPUT_CHAIN = 'LINUXNET-INPUT'
COMMENT_PREFIX = 'linuxnet-netns:'
DOCKER_USER = 'DOCKER-USER'
TOOLS = {4: 'iptables', 6: 'ip6tables'}
PROC_TABLES = {4: '/proc/thread-self/net/ip_tables_names', 6: '/proc/thread-self/net/ip6_tables_names'}
NFT_FAMILY = {4: 'ip', 6: 'ip6'}
HOST_PREFIX = {4: 32, 6: 128}


def comment(name):
    return '-m comment --comment "%s%s"' % (COMMENT_PREFIX, name)


def _host(address):
    address = ipaddress.ip_address(u'%s' % address)
    return '%s/%d' % (address, HOST_PREFIX[address.version])


def forward_rules(flows, family):
    """LINUXNET-FORWARD's rules for one network (plan_firewall's flows), as iptables-save prints them."""
    tail = '%s -j ACCEPT' % comment(flows['name'])
    rules = []
    bridge, out = flows['interface'], flows.get('out_interface')
    to_out = ' -o %s' % out if out else ''
    if bridge:
        # out of the bridge: to the outside, and (with br_netfilter) to the same bridge
        rules.append('-i %s%s %s' % (bridge, to_out, tail))
        rules.append('-o %s -m conntrack --ctstate RELATED,ESTABLISHED %s' % (bridge, tail))
    for net in flows['sources']:
        if net.version == family and not bridge:
            rules.append('-s %s%s %s' % (net, to_out, tail))
            rules.append('-d %s -m conntrack --ctstate RELATED,ESTABLISHED %s' % (net, tail))
    to_bridge = ' -o %s' % bridge if bridge else ''
    for entry in flows['published']:
        if entry['address'].version == family:
            rules.append('-d %s%s -p %s -m %s --dport %d -m conntrack --ctstate DNAT %s'
                         % (_host(entry['address']), to_bridge, entry['protocol'], entry['protocol'],
                            entry['port'], tail))
    for net in flows['peers']:
        if net.version == family:
            rules.append('-s %s%s %s' % (net, to_bridge, tail))
    return ['-A %s %s' % (FORWARD_CHAIN, rule) for rule in rules]


def input_rules(flows, family):
    overlay = flows.get('overlay')
    if not overlay:
        return []
    return ['-A %s -s %s -p udp -m udp --dport %d %s -j ACCEPT'
            % (INPUT_CHAIN, _host(remote), overlay['port'], comment(flows['name']))
            for remote in overlay['remotes'] if remote.version == family]


def owner_of(rule):
    marker = '--comment "%s' % COMMENT_PREFIX
    start = rule.find(marker)
    if start < 0:
        return None
    return rule[start + len(marker):].split('"', 1)[0]


# -- reading --------------------------------------------------------------------------

class Table(object):
    """The filter table of one iptables family and backend, as iptables-save lists it."""

    def __init__(self, family, backend, save_text):
        self.family = family
        self.backend = backend  # 'nft' or 'legacy'
        self.policies = {}
        self.chains = []
        self.rules = {}
        for line in save_text.splitlines():
            if line.startswith(':'):
                name, policy = line[1:].split()[:2]
                self.chains.append(name)
                self.policies[name] = policy
                self.rules.setdefault(name, [])
            elif line.startswith('-A '):
                self.rules.setdefault(line.split()[1], []).append(line)

    @property
    def label(self):
        return '%s (%s) table filter' % (TOOLS[self.family], self.backend)

    def tool(self, suffix=''):
        return '%s-%s%s' % (TOOLS[self.family], self.backend, suffix)

    def drops(self, chain):
        """Whether chain (FORWARD, INPUT) drops what no rule accepts: its policy, or a bare DROP/REJECT."""
        if self.policies.get(chain) == 'DROP':
            return True
        return any(rule in ('-A %s -j DROP' % chain, '-A %s -j REJECT' % chain)
                   or (rule.startswith('-A %s -j REJECT ' % chain)) for rule in self.rules.get(chain, []))

    def lets_through(self, interface):
        """Whether some rule of the table (made by hand, say) already accepts what comes from interface."""
        return bool(interface) and any(' -i %s ' % interface in rule and rule.endswith(' -j ACCEPT')
                                       and owner_of(rule) is None
                                       for rules in self.rules.values() for rule in rules)

    def managed_by_ufw(self):
        return 'ufw-user-forward' in self.rules

    def jumps_to(self, chain):
        """The rules that jump to chain, wherever they are."""
        return [rule for rules in self.rules.values() for rule in rules if rule.endswith(' -j %s' % chain)]

    def entry_point(self, chain):
        """Where a jump to our chain goes: Docker's DOCKER-USER for forwarding, if there."""
        if chain == FORWARD_CHAIN and DOCKER_USER in self.rules:
            return DOCKER_USER
        return 'FORWARD' if chain == FORWARD_CHAIN else 'INPUT'


def read_tables(session, nft_objects, families):
    """The iptables filter tables that exist in session's namespace, of both backends.

    Neither is listed through a command that would create it: the nf_tables
    one is known from nft's ruleset, the legacy one from /proc.
    """
    tables = []
    for family in families:
        has_nft = any(obj.get('table', {}).get('family') == NFT_FAMILY[family]
                      and obj['table'].get('name') == 'filter' for obj in nft_objects)
        legacy_names = namespaces.read_inside(session.fd, PROC_TABLES[family])
        has_legacy = legacy_names is not None and 'filter' in legacy_names.split()
        for backend, present in (('nft', has_nft), ('legacy', has_legacy)):
            if not present:
                continue
            tool = nftables.find('%s-%s-save' % (TOOLS[family], backend))
            if tool is None:
                tables.append(Missing(family, backend))
                continue
            text = nftables.run_program(session.fd, [tool, '-t', 'filter'])
            tables.append(Table(family, backend, text))
    return tables


class Missing(object):
    """A table that exists, whose tool is not installed: we can neither read it nor open it."""

    def __init__(self, family, backend):
        self.family = family
        self.backend = backend

    @property
    def label(self):
        return '%s (%s) table filter' % (TOOLS[self.family], self.backend)

    def tool(self, suffix=''):
        return '%s-%s%s' % (TOOLS[self.family], self.backend, suffix)


# -- planning -------------------------------------------------------------------------

def chain_target(table, chain, ours_by_owner):
    """Our chain's rules once each owner in ours_by_owner has those rules (others' kept in place)."""
    kept = [rule for rule in table.rules.get(chain, []) if owner_of(rule) not in ours_by_owner]
    for owner in sorted(ours_by_owner):
        kept.extend(ours_by_owner[owner])
    return kept


def restore_script(table, chain, target):
    """The iptables-restore --noflush lines that turn our chain (and its jump) into target."""
    current = table.rules.get(chain) if chain in table.chains else None
    jumps = table.jumps_to(chain)
    if not target:
        if current is None:
            return []
        lines = ['-D %s' % jump[3:] for jump in jumps]
        return lines + ['-F %s' % chain, '-X %s' % chain]
    if current == target and jumps:
        return []
    # declaring the chain creates it, or empties it if it is there: it is ours alone
    lines = [':%s - [0:0]' % chain] + list(target)
    if not jumps:
        lines.append('-I %s -j %s' % (table.entry_point(chain), chain))
    return lines


def after_restore(table, chain, target):
    """The table as it will be once restore_script(table, chain, target) is loaded (for later planning)."""
    if not target:
        for rules in table.rules.values():
            rules[:] = [rule for rule in rules if not rule.endswith(' -j %s' % chain)]
        table.rules.pop(chain, None)
        if chain in table.chains:
            table.chains.remove(chain)
        return
    if chain not in table.chains:
        table.chains.append(chain)
    if not table.jumps_to(chain):
        entry = table.entry_point(chain)
        table.rules.setdefault(entry, []).insert(0, '-A %s -j %s' % (entry, chain))
    table.rules[chain] = list(target)


@engine.operation('iptables.restore')
def restore(session, tool, lines):
    """Apply lines to the filter table with tool (iptables-nft-restore...), one transaction."""
    load(session.fd, tool, lines)


def load(session_fd, tool, lines):
    if not lines:
        return
    path = nftables.find(tool)
    if path is None:
        raise nftables.NftError('%s not found' % tool)
    script = '*filter\n%s\nCOMMIT\n' % '\n'.join(lines)
    nftables.run_program(session_fd, [path, '-w', '--noflush'], script)


def by_hand(table, chain, rules):
    """The commands a user would run to let rules through table by hand."""
    tool = TOOLS[table.family] if table.backend == 'nft' else table.tool()
    entry = table.entry_point(chain) if isinstance(table, Table) else 'FORWARD'
    return '; '.join(['%s -I %s %s' % (tool, entry, rule.split(' ', 2)[2]) for rule in rules])
