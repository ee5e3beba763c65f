# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.netns contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""netns_bridge's IPv6 side (dual stack), pure: what subnet6 adds to the IPv4 plan.

plan_bridge plans the IPv4 network; with subnet6 every container also gets
an IPv6 address (given as ipv6_address, kept from the registry, else the
lowest free one), an IPv6 default route via the bridge's first address of
subnet6, addresses without DAD (usable at once), and the subnet is
masqueraded out (gateway_mode_ipv6=nat, Docker's default) or routed as it is
(routed). Peers are reached as over IPv4: in host-gw by their IPv6 underlay
address, in vxlan through the overlay, whatever its underlay's family.
Messages name netns_bridge's options.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress

from ansible_collections.linuxnet.netns.plugins.module_utils._netns import bridge_containers, isolation
from ansible_collections.linuxnet.netns.plugins.module_utils._netns.bridge_containers import (
    PlanError, allocate as allocate_in, as_text, checked_address, checked_network, given)

GATEWAY_MODES = ('nat', 'routed')
PEER_KEYS = ('subnet6', 'gateway6', 'underlay6')
SUBNET6_RULE = 'must be IPv6 and hold a gateway and a container (/126 or larger; /64 is usual)'
EVERYWHERE6 = '::/0'  # a masquerade exemption of every destination: no masquerade at all


def network_key(value):
    """Sort key of networks of both families (IPv4 first): ipaddress does not order across them."""
    net = ipaddress.ip_network(as_text(value))
    return net.version, net


def checked_subnet6(value, what):
    subnet = checked_network(value, what)
    if subnet.version != 6 or subnet.prefixlen > 126:
        raise PlanError('%s %s %s' % (what, subnet, SUBNET6_RULE))
    return subnet


def host_fields(host, values, what):
    """A cluster entry's IPv6 keys (subnet6, gateway6, underlay6) that values give: none for an IPv4 host."""
    fields = {}
    if given(values.get('subnet6')):
        subnet = checked_subnet6(values['subnet6'], what + '6')
        fields['subnet6'] = str(subnet)
        gateway = values.get('gateway6')
        gateway = checked_address(gateway, what + '6 gateway') if given(gateway) else subnet.network_address + 1
        if gateway not in subnet or gateway == subnet.network_address:
            raise PlanError('%s6 gateway %s is not a host address of %s' % (what, gateway, subnet))
        fields['gateway6'] = str(gateway)
    if given(values.get('underlay6')):
        underlay = checked_address(values['underlay6'], host + ' underlay6')
        if underlay.version != 6:
            raise PlanError('%s underlay6 %s is not an IPv6 address' % (host, underlay))
        fields['underlay6'] = str(underlay)
    return fields


def check_cluster(cluster, remedy):
    """Refuse hosts whose IPv6 subnets overlap or that share an IPv6 underlay address."""
    with_subnet6 = [entry for entry in cluster if entry.get('subnet6')]
    pair = bridge_containers.first_overlap([ipaddress.ip_network(entry['subnet6']) for entry in with_subnet6])
    if pair is not None:
        entry, other = with_subnet6[pair[0]], with_subnet6[pair[1]]
        raise PlanError('hosts %s and %s would get overlapping IPv6 subnets %s and %s; %s'
                        % (entry['host'], other['host'], entry['subnet6'], other['subnet6'], remedy))
    pair = bridge_containers.first_shared([entry.get('underlay6') or None for entry in cluster])
    if pair is not None:
        entry, other = cluster[pair[0]], cluster[pair[1]]
        raise PlanError('hosts %s and %s have the same IPv6 underlay address %s'
                        % (entry['host'], other['host'], entry['underlay6']))


def checked_settings(settings, me):
    """Refuse what this version does not do, before anything is planned."""
    mode = settings.get('gateway_mode_ipv6') or 'nat'
    if mode not in GATEWAY_MODES:
        raise PlanError('gateway_mode_ipv6 %r is not one of %s' % (mode, ', '.join(GATEWAY_MODES)))
    return mode


# -- containers ---------------------------------------------------------------------------

def registered(address, veth, address6=None):
    """A container's registry entry; address6 only in a dual-stack one, so IPv4 registries read as before."""
    entry = dict(address=address, veth=veth)
    if address6:
        entry['address6'] = str(address6)
    return entry


def allocate(wanted, me, registered):
    """Give every container address6: its ipv6_address, else the one it had, else the lowest free one."""
    if not me.get('subnet6'):
        for container in wanted:
            if container.get('ipv6_address') is not None:
                raise PlanError('container %s: ipv6_address %s needs subnet6 (the network is IPv4 only)'
                                % (container['name'], container['ipv6_address']))
            container['address6'] = None
        return
    subnet = ipaddress.ip_network(me['subnet6'])
    for container in wanted:
        if container.get('ipv6_address') is not None and container['ipv6_address'].version != 6:
            raise PlanError('container %s: ipv6_address %s is not IPv6' % (container['name'], container['ipv6_address']))
    # the IPv4 allocation, run on the IPv6 addresses: one rule for given, kept and free addresses
    shadows = [dict(name=c['name'], address=c.get('ipv6_address')) for c in wanted]
    previous = dict((name, dict(address=entry.get('address6'))) for name, entry in registered.items())
    allocate_in(shadows, subnet, ipaddress.ip_address(me['gateway6']), previous)
    for container, shadow in zip(wanted, shadows):
        container['address6'] = shadow['address']


def targets(container, entry):
    """The container's addresses a publication leads to: an IPv4 or IPv6 host address picks its family,
    none publishes on every family the container has."""
    host_address = entry.get('host_address')
    family = ipaddress.ip_address(as_text(host_address)).version if given(host_address) else None
    found = [address for address in (container['address'], container.get('address6'))
             if address is not None and family in (None, address.version)]
    if not found:
        raise PlanError('container %s publishes on %s, an IPv6 address, but the network has no subnet6'
                        % (container['name'], host_address))
    return found


# -- across hosts -------------------------------------------------------------------------

def peer_routes(me, peers, mode, vxlan):
    """Routes to the peers' IPv6 subnets: via their IPv6 underlay address (host-gw) or the overlay (vxlan)."""
    if not me.get('subnet6'):
        return []
    routes = []
    for peer in peers:
        if not peer.get('subnet6'):
            continue
        if vxlan:
            routes.append(dict(dest=peer['subnet6'], gateway=peer['gateway6'], interface=vxlan, onlink=True))
        elif mode == 'host-gw':
            if not peer.get('underlay6'):
                raise PlanError('host %s has subnet6 %s but no underlay6: mode host-gw routes IPv6 via the peers\' '
                                'IPv6 underlay addresses, so an IPv4-only underlay cannot carry it; give every host '
                                'its underlay_address6, or use mode vxlan (IPv6 over an IPv4 overlay)'
                                % (peer['host'], peer['subnet6']))
            routes.append(dict(dest=peer['subnet6'], gateway=peer['underlay6']))
    return routes


# -- the plan -----------------------------------------------------------------------------

def _add_address(items, address, **where):
    for item in items:
        if all(item.get(key) == value for key, value in where.items()):
            item['address'] = item['address'] + [address]
            item['dad'] = 'skip'  # usable at once: nobody else on a bridge of ours has the address
            return


def extend(plan, me, peers, settings, wanted, known, vxlan):
    """Add the IPv6 side to plan_bridge's plan (host_plan's dict), in place; known: the registry read."""
    mode = checked_settings(settings, me)
    by_name = dict((c['name'], c) for c in wanted)
    for entry in plan['containers']:
        address6 = by_name[entry['name']].get('address6')
        entry['address6'] = str(address6) if address6 is not None else None
    plan.update(subnet6=me.get('subnet6'), gateway6=me.get('gateway6'), gateway_mode_ipv6=mode)
    # a container that had an IPv6 address and has none now loses its IPv6 default route too
    for name in sorted(by_name):
        if by_name[name].get('address6') is None and (known['containers'].get(name) or {}).get('address6'):
            plan['routes'].append(dict(netns=name, dest='default', family='ipv6', state='absent'))
    if not me.get('subnet6') or plan['nat'] is None or plan['nat'].get('state') == 'absent':
        return plan
    subnet = ipaddress.ip_network(me['subnet6'])
    gateway = me['gateway6']
    _add_address(plan['addresses'], '%s/%d' % (gateway, subnet.prefixlen), interface=settings['name'])
    if vxlan:
        _add_address(plan['addresses'], '%s/128' % gateway, interface=vxlan)
    for container in wanted:
        _add_address(plan['addresses'], '%s/%d' % (container['address6'], subnet.prefixlen),
                     netns=container['name'])
        if isolation.default_route_wanted(settings):
            plan['routes'].append(dict(netns=container['name'], dest='default', gateway=gateway, exclusive=True))
        else:  # internal: no way out, on either family
            plan['routes'].append(dict(netns=container['name'], dest='default', family='ipv6', state='absent'))
    for item in plan['resolv']:
        if item.get('hosts') and item['name'] in by_name:
            item['hosts'].append(dict(address=str(by_name[item['name']]['address6']), names=[item['name']]))
    peer_subnets = [peer['subnet6'] for peer in peers if peer.get('subnet6')]
    nat = plan['nat']
    nat['source'] = nat['source'] + [str(subnet)]
    if nat['masquerade']:
        nat['masquerade_exclude'] = nat['masquerade_exclude'] + (
            [EVERYWHERE6] if mode == 'routed' else sorted(peer_subnets, key=network_key))
    firewall = plan['firewall']
    firewall['sources'] = firewall['sources'] + [str(subnet)]
    firewall['peers'] = firewall['peers'] + peer_subnets
    return plan
