# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.netns contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""netns_bridge's isolation: icc, internal networks, and networks of one host kept apart.

- icc=false: every container's host-side veth is an isolated bridge port
  (IFLA_BRPORT_ISOLATED, the kernel's own rule: isolated ports never reach
  each other; the bridge itself, hence the host, routing and DNAT, still
  reaches them all), and the forward chain drops bridge -> same bridge
  unless DNAT'ed. Where br_netfilter hands bridged IPv4 to the inet hooks
  (net.bridge.bridge-nf-call-iptables=1, as docker sets it), a connection
  DNAT'ed to a container of the same bridge is bridged from the client's
  port, not routed, so isolated ports would cut published ports off from
  the network's own containers: there the ports stay open and the forward
  rule alone keeps containers apart (it sees every bridged packet then).
  Read when planned: a rerun (or the boot's) follows a change of it.
- internal=true: no masquerade, no default route in the containers, and the
  network's forward chain drops everything between the bridge and any
  other interface: containers reach each other and the host, nothing else.
- isolate=true (default): the network's forward chain drops traffic between
  its bridge and the bridges of the other networks netns_bridge made on this
  host, both ways, unless it is a published port's (DNAT'ed). Every such
  bridge is in netdev group BRIDGE_GROUP, which the rules match: a network's
  rules do not name the others, so networks made later in the same play
  leave them as they are (a second run changes nothing). Each network's own
  rules cut it off from the others: one with isolate=false is still cut off
  from every network that isolates itself.

What is planned here is text and items, with no kernel in sight: the
controller's filter reads it too. The bridge ports' stage is bridge_ports.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re

from ansible_collections.linuxnet.netns.plugins.module_utils._netns.validation import ValidationError

MODULE_OPTIONS = dict(
    icc=dict(type='bool', default=True),
    internal=dict(type='bool', default=False),
    isolate=dict(type='bool', default=True),
)

# The netdev group (ip link set ... group N) of every bridge netns_bridge makes: isolate's rules match it
# (iifgroup/oifgroup) rather than a list of the other networks, which would change as networks come
BRIDGE_GROUP = 0x6e6e
_REGISTRY = re.compile(r'^docker_bridge\.(?P<name>[A-Za-z0-9_.-]+)\.json$')


# -- the plan (pure) ----------------------------------------------------------------------

def other_networks(registry_dir, name):
    """The bridges of the other networks netns_bridge made on this host, from their registries' names."""
    try:
        found = os.listdir(registry_dir)
    except OSError:
        return []
    names = set()
    for entry in found:
        match = _REGISTRY.match(entry)
        # docker_bridge.NAME.boot.json is the boot's copy of a network's options, not a network
        if match and match.group('name') != name and not match.group('name').endswith('.boot'):
            names.add(match.group('name'))
    return sorted(names)


def check(settings, wanted):
    """Refuse what an internal network cannot do, before anything is read."""
    if not settings.get('internal'):
        return
    if settings.get('mode') not in (None, 'none'):
        raise ValidationError('internal: an internal network is local to this host (no way out, no route to '
                              'the peers); give mode none, or internal false')
    for container in wanted:
        if container['publish']:
            raise ValidationError('container %s publishes ports, but the network is internal (nothing comes in '
                                  'from outside it); drop publish, or set internal false' % container['name'])


def nat_extras(settings):
    """The keys netns_bridge adds to its netns_nat item (not netns_nat options): see from_item."""
    internal = bool(settings.get('internal'))
    extras = dict(masquerade=bool(settings.get('masquerade', True)) and not internal)
    if internal:
        extras['internal'] = True
    if not settings.get('icc', True):
        extras['icc'] = False
    if settings.get('isolate', True):
        extras['isolate'] = True
    return extras


def default_route_wanted(settings):
    return not settings.get('internal')


def port_items(settings, wanted, present):
    """One item per container's host-side veth: isolated bridge port or not (icc), hairpin always.

    Hairpin: a container's connection to its own published port comes back, DNAT'ed, through the very
    port it left by; the bridge sends nothing back out of the port it came in by without hairpin mode.
    """
    if not present:
        return []
    isolated = not settings.get('icc', True)
    return [dict(name=container['veth'], isolated=isolated, hairpin=True) for container in wanted]


def from_item(item, in_interface):
    """A rule set's isolation (from netns_bridge's item), or None."""
    internal = bool(item.get('internal'))
    icc = item.get('icc', True) is not False
    isolate = bool(item.get('isolate'))
    if not in_interface or not (internal or isolate or not icc):
        return None
    return dict(internal=internal, icc=icc, isolate=isolate)


def forward_rules(spec):
    """The drops that come first in the rule set's forward chain."""
    found = spec.get('isolation')
    if not found:
        return []
    bridge = '"%s"' % spec['in_interface']
    rules = []
    if found['internal']:
        rules.append('iifname %s oifname != %s drop' % (bridge, bridge))
        rules.append('oifname %s iifname != %s drop' % (bridge, bridge))
    if not found.get('icc', True):
        # seen only where br_netfilter hands bridged packets to the inet hooks; else the ports are isolated
        rules.append('iifname %s oifname %s ct status & dnat == 0 drop' % (bridge, bridge))
    if found.get('isolate'):
        # the other networks' bridges: a published port is published to them too
        rules.append('iifname %s oifgroup %d oifname != %s ct status & dnat == 0 drop' % (bridge, BRIDGE_GROUP, bridge))
        rules.append('iifgroup %d iifname != %s oifname %s ct status & dnat == 0 drop' % (BRIDGE_GROUP, bridge, bridge))
    return rules
