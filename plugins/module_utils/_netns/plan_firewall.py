# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.netns contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Our networks' traffic through the firewalls other tools run on the host.

In netfilter a packet passes only if every base chain on its hook accepts
it: the accepts in our own nftables table do nothing against Docker's
FORWARD policy DROP, firewalld's reject or ufw's route policy. So each
filter found in the namespace is opened for exactly the flows of our
networks, where its owner expects others to add theirs:

- iptables (nf_tables or legacy backend): chains of ours jumped to from
  DOCKER-USER or FORWARD (firewall_iptables);
- firewalld: a zone and a policy of ours, runtime and permanent
  (firewall_firewalld);
- ufw: its route rules (firewall_ufw);
- any other nftables table whose forward hook drops: nobody's convention
  says where to add to it, so the user is told what to add.

With I(firewall=none) nothing is opened: every filter that drops our
traffic is named in a warning with what to add. A flow item:

    name: the network (rule set); state; firewall: auto or none
    interface: the bridge (or None: sources name the containers)
    out_interface: where forwarded traffic may go (None: anywhere)
    sources: [IP networks of the containers]
    published: [{protocol, address, port}] reached after DNAT
    peers: [IP networks routed in from other hosts]
    overlay: {interface, port, remotes: [underlay addresses]} or None
    forget: {interfaces, sources} this network had and no longer has
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import ipaddress

from ansible_collections.linuxnet.netns.plugins.module_utils._netns import (
    engine, firewall_firewalld, firewall_iptables, firewall_ufw, nftables)
from ansible_collections.linuxnet.netns.plugins.module_utils._netns.engine import PlanFailure, netns_of
from ansible_collections.linuxnet.netns.plugins.module_utils._netns.validation import ValidationError

MODES = ('auto', 'none')
OWN_TABLE = ('inet', 'linuxnet_netns')

OPTION = dict(type='str', default='auto', choices=list(MODES))  # documented in doc_fragments/netns.py


def flows_item(name, state='present', firewall='auto', netns=None, interface=None, out_interface=None,
               sources=(), published=(), peers=(), overlay=None, forget=None):
    """A flow item (see the module docstring), with networks and addresses parsed."""
    if firewall not in MODES:
        raise ValidationError('firewall %r is not one of %s' % (firewall, ', '.join(MODES)))

    def nets(values):
        return [ipaddress.ip_network(u'%s' % value, strict=False) for value in values or ()]
    overlay = dict(overlay, remotes=[ipaddress.ip_address(u'%s' % a) for a in overlay['remotes']]) \
        if overlay else None
    return dict(name=name, state=state, firewall=firewall, netns=netns, interface=interface,
                out_interface=out_interface, sources=nets(sources),
                published=[dict(entry, address=ipaddress.ip_address(u'%s' % entry['address']))
                           for entry in published or ()],
                peers=nets(peers), overlay=overlay, forget=forget or dict(interfaces=[], sources=[]))


def families(flows):
    if flows['state'] == 'absent':
        return [4, 6]  # which families it had is not known: its rules go from both
    found = set(net.version for net in flows['sources'] + flows['peers'])
    found.update(entry['address'].version for entry in flows['published'])
    if flows['overlay']:
        found.update(address.version for address in flows['overlay']['remotes'])
    return sorted(found) or [4]


class Namespace(object):
    """What filters forwarded traffic in one namespace, read once per task."""

    def __init__(self, session, host_namespace, want_families):
        self.session = session
        self.label = session.label
        self.objects = []
        self.tables = []
        self.firewalld = None
        self.ufw = None
        self.nft_drops = []
        self.warned = set()
        if not session.exists:
            return
        try:
            self.objects = nftables.ruleset_json(session.fd)
            self.tables = firewall_iptables.read_tables(session, self.objects, want_families)
        except nftables.NftError as exc:
            raise PlanFailure('reading the firewall in %s: %s' % (self.label, exc))
        if host_namespace:
            # firewalld and ufw keep the host's own namespace; a namespace of ours has neither
            self.firewalld = firewall_firewalld.read(session, self.objects)
            self.ufw = firewall_ufw.read(session, self.tables)
        self.nft_drops = [drop for drop in nftables.forward_drops(self.objects, OWN_TABLE)
                          if not _owned_elsewhere(drop)]

    def warn(self, plan, text):
        if text not in self.warned:
            self.warned.add(text)
            plan.warnings.append(text)


def _owned_elsewhere(drop):
    """A forward drop that iptables (handled as a table) or firewalld (handled by its API) owns."""
    if drop['family'] in ('ip', 'ip6') and drop['table'] == 'filter':
        return True
    return drop['family'] == 'inet' and drop['table'] == 'firewalld'


def plan(host, items, plan):
    """Plan the openings of every flow item, namespace by namespace."""
    by_namespace = {}
    for item in items:
        by_namespace.setdefault(netns_of(item), []).append(item)
    for ref, flows_list in by_namespace.items():
        session = host.session(ref)
        wanted = sorted(set(family for flows in flows_list for family in families(flows)))
        space = Namespace(session, ref is None, wanted)
        _plan_iptables(host, ref, space, flows_list, plan)
        if space.firewalld is not None:
            firewall_firewalld.plan(host, ref, space, flows_list, plan)
        if space.ufw is not None:
            firewall_ufw.plan(host, ref, space, flows_list, plan)
        _warn_nft_drops(space, flows_list, plan)


def _opens(flows):
    return flows['state'] == 'present' and flows['firewall'] == 'auto'


def _plan_iptables(host, ref, space, flows_list, plan):
    for table in space.tables:
        if not isinstance(table, firewall_iptables.Table):
            for flows in flows_list:
                if flows['state'] == 'present':
                    space.warn(plan, '%s: the %s exists and %s is not installed: if it drops forwarded '
                                     'traffic, network %s cannot pass there; install it so that the module '
                                     'can open it, or check it by hand'
                               % (space.label, table.label, table.tool(), flows['name']))
            continue
        if table.managed_by_ufw() and space.ufw is not None:
            continue  # ufw's own rules open it (firewall_ufw)
        for chain, render, hook in ((firewall_iptables.FORWARD_CHAIN, firewall_iptables.forward_rules, 'FORWARD'),
                                    (firewall_iptables.INPUT_CHAIN, firewall_iptables.input_rules, 'INPUT')):
            _plan_chain(host, ref, space, table, chain, render, hook, flows_list, plan)


def _plan_chain(host, ref, space, table, chain, render, hook, flows_list, plan):
    drops = table.drops(hook)
    ours = {}
    for flows in flows_list:
        rules = render(flows, table.family) if flows['state'] == 'present' else []
        if rules and drops and flows['firewall'] == 'none' and not table.lets_through(flows['interface']):
            space.warn(plan, '%s: the %s drops in %s what network %s needs (policy %s); firewall=none, so '
                             'nothing was opened. Let it through by hand, e.g. %s'
                       % (space.label, table.label, hook, flows['name'], table.policies.get(hook),
                          firewall_iptables.by_hand(table, chain, rules)))
        if _opens(flows) and (drops or chain in table.chains):
            ours[flows['name']] = rules
        else:
            ours[flows['name']] = []
    current = list(table.rules.get(chain, [])) if chain in table.chains else []
    target = firewall_iptables.chain_target(table, chain, ours)
    key = '%s %s' % (table.label, chain)
    lines = firewall_iptables.restore_script(table, chain, target)
    if lines:
        after = copy.deepcopy(table)
        firewall_iptables.after_restore(after, chain, target)
        undo = firewall_iptables.restore_script(after, chain, current if chain in table.chains else [])
        verb = 'open' if target else 'close'
        where = table.entry_point(chain) if target and not table.jumps_to(chain) else None
        names = ', '.join(sorted(ours))
        plan.add('%s %s in %s: chain %s%s' % (verb, names, space.label, chain,
                                              ', jumped to from %s' % where if where else ''),
                 engine.Op(firewall_iptables.restore, space.session, tool=table.tool('-restore'), lines=lines),
                 engine.Op(firewall_iptables.restore, space.session, tool=table.tool('-restore'), lines=undo))
        firewall_iptables.after_restore(table, chain, target)
    if _mine(current, ours) or _mine(target, ours):
        plan.state('%s (%s)' % (key, space.label) if ref is not None else key,
                   _mine(current, ours), _mine(target, ours))


def _mine(rules, ours):
    return [rule for rule in rules if firewall_iptables.owner_of(rule) in ours]


def _warn_nft_drops(space, flows_list, plan):
    for flows in flows_list:
        if flows['state'] != 'present':
            continue
        bridge = flows['interface'] or 'BRIDGE'
        for drop in space.nft_drops:
            if drop['family'] == 'ip' and 4 not in families(flows) or drop['family'] == 'ip6' and 6 not in families(flows):
                continue
            if bridge in drop['accepts']['iifname'] and bridge in drop['accepts']['oifname']:
                continue  # someone already let the bridge through there
            fix = '; '.join('nft insert rule %s %s %s %s accept' % (drop['family'], drop['table'], drop['chain'], match)
                            for match in ('iifname "%s"' % bridge,
                                          'oifname "%s" ct state established,related' % bridge,
                                          'oifname "%s" ct status dnat' % bridge))
            space.warn(plan, '%s: table %s %s, chain %s hooks forward with policy drop: it drops what network %s '
                             'forwards, whatever our own table accepts (in nftables a drop anywhere is final). '
                             'It belongs to another owner, so it is left as it is; let the network through '
                             'there, e.g. %s' % (space.label, drop['family'], drop['table'], drop['chain'],
                                                 flows['name'], fix))
