# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.netns contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Planning of a docker-style bridge network on one host (module netns_bridge).

From the containers asked for, the module's options, this host's subnet,
its peers and the registry (what was made on this host before), host_plan
computes the items of every planner the network needs (netns, netns_link,
veth, netns_addr, netns_route, netns_resolv, netns_nat), each container's
address (given, kept from the registry, else the lowest free one) and the
registry to write. Whatever the registry names and the request no longer
wants is planned absent; nothing else is ever removed. Pure Python; its
messages name the module's options (the role docker_bridge's variables
are the same names with the prefix docker_bridge_).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import json

from ansible_collections.linuxnet.netns.plugins.module_utils._netns import (
    bridge_containers, bridge_ipv6, isolation, nat_rules, validation)
from ansible_collections.linuxnet.netns.plugins.module_utils._netns.bridge_containers import (
    PlanError, allocate, as_list, as_text, containers, given, published)

REGISTRY_VERSION = 1
VXLAN_OVERHEAD = 50  # outer Ethernet, IPv4, UDP and VXLAN headers
DEFAULT_MTU = 1500
MODES = ('none', 'host-gw', 'vxlan')
CONTAINER_INTERFACE = 'eth0'
LOCALHOST_ENTRIES = [dict(address='127.0.0.1', names=['localhost']),
                     dict(address='::1', names=['localhost', 'ip6-localhost', 'ip6-loopback'])]


SUBNET_RULE = 'must be IPv4 and hold a gateway and a container (/30 or larger)'


def subnet_holds_a_network(subnet):
    return subnet.version == 4 and subnet.prefixlen <= 30


def cluster_entry(host, subnet, underlay, gateway=None, index=None):
    """One host of the cluster as check_cluster and host_plan take it; the gateway defaults to the first address."""
    return dict(host=host, underlay=underlay, subnet=str(subnet),
                gateway=str(gateway if gateway is not None else subnet.network_address + 1), index=index)


def check_cluster(cluster, remedy):
    """Refuse hosts whose subnets overlap or that share an underlay address; remedy: what to do about it."""
    pair = bridge_containers.first_overlap([ipaddress.ip_network(entry['subnet']) for entry in cluster])
    if pair is not None:
        entry, other = cluster[pair[0]], cluster[pair[1]]
        raise PlanError(
            'hosts %s and %s would get overlapping subnets %s and %s%s; %s'
            % (entry['host'], other['host'], entry['subnet'], other['subnet'],
               ' (carved from their underlay addresses %s and %s)' % (entry['underlay'], other['underlay'])
               if entry.get('index') is not None and other.get('index') is not None else '', remedy))
    pair = bridge_containers.first_shared([entry['underlay'] for entry in cluster])
    if pair is not None:
        entry, other = cluster[pair[0]], cluster[pair[1]]
        raise PlanError('hosts %s and %s have the same underlay address %s'
                        % (entry['host'], other['host'], entry['underlay']))


def _registry(text, bridge):
    """What netns_bridge made on the host before: the registry file's text (None: none), or an empty one."""
    empty = dict(version=REGISTRY_VERSION, bridge=bridge, containers={}, routes=[], vxlan=None)
    if text is None:
        return empty, False
    try:
        registry = json.loads(text)
        registered = dict((name, bridge_ipv6.registered(entry.get('address'), entry['veth'], entry.get('address6')))
                          for name, entry in registry['containers'].items())
        return dict(empty, containers=registered, routes=list(registry.get('routes') or []),
                    vxlan=registry.get('vxlan')), True
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise PlanError('the registry of bridge %s (what netns_bridge made on this host) is unreadable: %s; '
                        'fix or remove it, then remove by hand what it made' % (bridge, exc))


# -- the plan ---------------------------------------------------------------------------

def _mac(address):
    """02:42 and the IPv4 address, as docker gives containers: stable, and unique where the address is."""
    return '02:42:' + ':'.join('%02x' % byte for byte in ipaddress.ip_address(as_text(address)).packed)


def _settings(settings):
    s = dict(settings)
    if s.get('mode') not in MODES:
        raise PlanError('mode %r is not one of %s' % (s.get('mode'), ', '.join(MODES)))
    if s.get('state', 'present') not in ('present', 'absent'):
        raise PlanError('state %r is not present or absent' % s.get('state'))
    for key in ('name', 'vxlan_interface'):
        validation.interface_name(s.get(key), key)
    nat_rules.rule_set_name(s['name'])  # its NAT rule set is named after it
    if s['name'] == s['vxlan_interface']:
        raise PlanError('name and vxlan_interface are both %s' % s['name'])
    return s


def _dns(container, s):
    def pick(key):
        value = container.get(key)
        return as_list(value if value is not None else s.get(key), 'dns option %s' % key)

    item = dict(name=container['name'], nameservers=pick('dns'))
    if not item['nameservers']:
        raise PlanError('container %s has no DNS server: set dns, or the container\'s dns' % container['name'])
    for key, option in (('dns_search', 'search'), ('dns_options', 'options')):
        if pick(key):
            item[option] = pick(key)
    if s.get('hosts_file', True):
        item['hosts'] = LOCALHOST_ENTRIES + [dict(address=str(container['address']), names=[container['name']])]
    return item


class _HostPlan(object):
    """One host's plan: what it has (registry, cluster) and what its settings want."""

    def __init__(self, settings, me, peers, registry):
        self.s = s = _settings(settings)
        self.present = s.get('state', 'present') == 'present'
        self.me = me
        self.subnet = ipaddress.ip_network(self.me['subnet'])
        self.gateway = ipaddress.ip_address(self.me['gateway'])
        self.bridge = s['name']
        self.vxlan = s['vxlan_interface'] if self.present and s['mode'] == 'vxlan' else None
        self.known, self.registered = _registry(registry, self.bridge)
        self.mtu = validation.number(s['mtu'], 'mtu', 68, 65535, PlanError) if given(s.get('mtu')) else (
            DEFAULT_MTU - VXLAN_OVERHEAD if self.vxlan else DEFAULT_MTU)
        # a host on its way out keeps no route to the others: they are removed with the rest
        self.peers = list(peers) if s['mode'] != 'none' and self.present else []

    def peer_routes(self):
        """Routes to the other hosts' subnets, by destination."""
        routes = []
        for peer in self.peers:
            if self.vxlan:
                routes.append(dict(dest=peer['subnet'], gateway=peer['gateway'], interface=self.vxlan, onlink=True))
            else:
                routes.append(dict(dest=peer['subnet'], gateway=peer['underlay']))
        routes += bridge_ipv6.peer_routes(self.me, self.peers, self.s['mode'], self.vxlan)
        return sorted(routes, key=lambda route: bridge_ipv6.network_key(route['dest']))

    def host_links(self):
        """The bridge and the VXLAN device (or their removal), and their addresses."""
        links, addresses = [], []
        if self.present:
            # a bridge without a MAC of its own takes its lowest port's, and changes with the ports
            bridge = dict(name=self.bridge, kind='bridge', mac=_mac(self.gateway), _group=isolation.BRIDGE_GROUP)
            if self.vxlan:
                bridge['mtu'] = self.mtu  # the overlay's, even before the bridge has ports to follow
            links.append(bridge)
            addresses.append(dict(interface=self.bridge, address=['%s/%d' % (self.gateway, self.subnet.prefixlen)],
                                  exclusive=True))
        elif self.registered:
            links.append(dict(name=self.bridge, kind='bridge', state='absent'))
        if self.vxlan:
            links.append(self._vxlan_link())
            # the gateway address, again, as the overlay's source and the peers' next hop (as flannel does)
            addresses.append(dict(interface=self.vxlan, address=['%s/32' % self.gateway], exclusive=True))
        elif self.known['vxlan']:
            links.append(dict(name=self.known['vxlan'], kind='vxlan', state='absent'))
        return links, addresses

    def _vxlan_link(self):
        if self.me['underlay'] is None:
            raise PlanError('mode vxlan needs underlay_address (the overlay\'s local address)')
        link = dict(name=self.vxlan, kind='vxlan',
                    vni=validation.number(self.s['vxlan_vni'], 'vxlan_vni', 1, (1 << 24) - 1, PlanError),
                    dstport=validation.number(self.s['vxlan_port'], 'vxlan_port', 1, 65535, PlanError),
                    local=self.me['underlay'], mtu=self.mtu,
                    remotes=sorted(set(peer['underlay'] for peer in self.peers),
                                   key=lambda address: ipaddress.ip_address(as_text(address))))
        if given(self.s.get('vxlan_device')):
            link['device'] = self.s['vxlan_device']
        return link

    def container_items(self, wanted, gone):
        """The items of the netns, veth, netns_addr, netns_route and netns_resolv tasks for the containers."""
        items = dict(netns=[], veths=[], addresses=[], routes=[], resolv=[])
        for container in wanted:
            name = container['name']
            items['netns'].append(dict(name=name))
            previous = self.known['containers'].get(name)
            if previous and previous['veth'] != container['veth']:
                # renamed host end (another veth_prefix): the old pair goes, with eth0 inside
                items['veths'].append(dict(name=previous['veth'], peer=CONTAINER_INTERFACE, peer_netns=name,
                                           state='absent'))
            veth = dict(name=container['veth'], peer=CONTAINER_INTERFACE, peer_netns=name, master=self.bridge,
                        mtu=container['mtu'] or self.mtu, peer_mac=_mac(container['address']))
            if container.get('address6') is None:
                # As Docker does for an endpoint without IPv6. A link-local address would cost its DAD
                # and MLD packets, flooded by the bridge to every other container: O(N^2) kernel work
                # that made N=2000 containers 2.8 times slower (docs/performance.md, session 7).
                veth['_peer_ipv6_link_local'] = False
            items['veths'].append(veth)
            items['addresses'].append(dict(netns=name, interface=CONTAINER_INTERFACE, exclusive=True,
                                           address=['%s/%d' % (container['address'], self.subnet.prefixlen)]))
            if isolation.default_route_wanted(self.s):
                items['routes'].append(dict(netns=name, dest='default', gateway=str(self.gateway), exclusive=True))
            else:
                items['routes'].append(dict(netns=name, dest='default', state='absent'))
            items['resolv'].append(_dns(container, self.s))
        for name in gone:
            items['netns'].append(dict(name=name, state='absent', force=bool(self.s.get('force_remove'))))
            items['veths'].append(dict(name=self.known['containers'][name]['veth'], state='absent'))
            items['resolv'].append(dict(name=name, state='absent'))
        return items

    def nat(self, wanted):
        if self.present:
            # the other hosts route back to this subnet: their containers see the real source
            return dict(name=self.bridge, source=[str(self.subnet)], in_interface=self.bridge,
                        publish=published(wanted),
                        masquerade_exclude=sorted((peer['subnet'] for peer in self.peers), key=ipaddress.ip_network),
                        **isolation.nat_extras(self.s))
        return dict(name=self.bridge, state='absent') if self.registered else None

    def firewall(self, wanted, stale_routes):
        """What the firewalls of other owners must let through (plan_firewall's flow item, unparsed)."""
        item = dict(name=self.bridge, state='present' if self.present else 'absent',
                    firewall=self.s.get('firewall') or 'auto', interface=self.bridge,
                    sources=[str(self.subnet)] if self.present else [],
                    published=[dict(protocol=rule['protocol'], address=rule['address'], port=rule['port'])
                               for rule in published(wanted)] if self.present else [],
                    peers=[peer['subnet'] for peer in self.peers],
                    forget=dict(interfaces=[self.known['vxlan']] if self.known['vxlan'] and
                                self.known['vxlan'] != self.vxlan else [],
                                sources=stale_routes))
        if self.vxlan:
            item['overlay'] = dict(interface=self.vxlan, port=int(self.s['vxlan_port']),
                                   remotes=[peer['underlay'] for peer in self.peers])
        return item

    def registries(self, wanted, route_dests, stale_routes):
        """The registry after the run, and the one written before any change, with what may go too."""
        after = dict(version=REGISTRY_VERSION, bridge=self.bridge,
                     containers=dict((c['name'], bridge_ipv6.registered(str(c['address']), c['veth'], c['address6']))
                                     for c in wanted),
                     routes=route_dests, vxlan=self.vxlan)
        # written before any change, so a run that fails half-way still knows what it may have made
        during = dict(after, containers=dict(self.known['containers'], **after['containers']),
                      routes=sorted(route_dests + stale_routes, key=bridge_ipv6.network_key),
                      vxlan=self.vxlan or self.known['vxlan'])
        return dict(registry=after if self.present else None, registry_during=during,
                    registry_grows=self.present and (not self.registered or during != self.known),
                    registry_shrinks=after != during if self.present else self.registered)


def host_plan(entries, settings, me, peers, registry=None):
    """The items of every planner for this host (me: its subnet, gateway and underlay address), and its
    registry (text, None: there is none) before and after; settings are netns_bridge's options."""
    host = _HostPlan(settings, me, peers, registry)
    wanted = containers(entries if host.present else [], host.s.get('veth_prefix') or '')
    isolation.check(host.s, wanted)
    allocate(wanted, host.subnet, host.gateway, host.known['containers'])
    bridge_ipv6.allocate(wanted, me, host.known['containers'])
    names = set(container['name'] for container in wanted)
    gone = [name for name in sorted(host.known['containers']) if name not in names]
    routes = host.peer_routes()
    route_dests = [route['dest'] for route in routes]
    stale_routes = [dest for dest in host.known['routes'] if dest not in route_dests]
    links, addresses = host.host_links()
    items = host.container_items(wanted, gone)
    plan = dict(
        subnet=str(host.subnet), gateway=str(host.gateway), mtu=host.mtu, mode=host.s['mode'],
        containers=[dict(name=c['name'], address=str(c['address']), veth=c['veth'], mtu=c['mtu'] or host.mtu,
                         publish=c['publish'], command=c['command'], service=c['service']) for c in wanted],
        removed=gone, peers=host.peers, links=links, netns=items['netns'], veths=items['veths'],
        addresses=addresses + items['addresses'],
        routes=routes + items['routes'] + [dict(dest=dest, state='absent') for dest in stale_routes],
        resolv=items['resolv'], nat=host.nat(wanted), firewall=host.firewall(wanted, stale_routes))
    plan.update(host.registries(wanted, route_dests, stale_routes))
    plan['bridge_ports'] = isolation.port_items(host.s, wanted, host.present)
    return bridge_ipv6.extend(plan, me, host.peers, host.s, wanted, host.known, host.vxlan)
