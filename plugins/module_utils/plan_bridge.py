# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.netns contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Planning of a docker-style bridge network on one host (module netns_bridge, role docker_bridge).

From the containers asked for, this host's subnet, the other hosts of the
cluster and the registry (what was made on this host before), host_plan
computes the items of every planner the network needs (netns, netns_link,
veth, netns_addr, netns_route, netns_resolv, netns_nat), each container's
address (given, kept from the registry, else the lowest free one) and the
registry to write. Whatever the registry names and the request no longer
wants is planned absent; nothing else is ever removed. Pure Python: the
module runs it on the host, the filter docker_bridge_plan on the controller.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import hashlib
import ipaddress
import json
import re

from ansible_collections.linuxnet.netns.plugins.module_utils import services
from ansible_collections.linuxnet.netns.plugins.module_utils.validation import ValidationError

REGISTRY_VERSION = 1
VXLAN_OVERHEAD = 50  # outer Ethernet, IPv4, UDP and VXLAN headers
DEFAULT_MTU = 1500
IFNAMSIZ = 15
CONTAINER_NAME = re.compile(r'^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$')
RULE_SET_NAME = re.compile(r'^[A-Za-z0-9_.-]{1,64}$')
CONTAINER_KEYS = ('name', 'address', 'mtu', 'dns', 'dns_search', 'dns_options', 'publish', 'command', 'service')
PUBLISH_KEYS = ('host_port', 'port', 'protocol', 'host_address')
PUBLISH_TEXT = re.compile(r'^(?:(?P<host_address>\[[0-9A-Fa-f:.]+\]|\d+\.\d+\.\d+\.\d+):)?(?P<host_port>\d+)'
                          r'(?::(?P<port>\d+))?(?:/(?P<protocol>tcp|udp))?$')
MODES = ('none', 'host-gw', 'vxlan')
CONTAINER_INTERFACE = 'eth0'
LOCALHOST_ENTRIES = [dict(address='127.0.0.1', names=['localhost']),
                     dict(address='::1', names=['localhost', 'ip6-localhost', 'ip6-loopback'])]


class PlanError(ValidationError):
    """The request cannot be planned: the message says what to change."""


def as_text(value):
    return u'%s' % (value,)


def checked_address(value, what):
    try:
        return ipaddress.ip_address(as_text(value))
    except ValueError:
        raise PlanError('%s %r is not an IP address' % (what, value))


def is_address(value):
    try:
        ipaddress.ip_address(as_text(value))
        return True
    except ValueError:
        return False


def checked_network(value, what):
    try:
        return ipaddress.ip_network(as_text(value))
    except ValueError as exc:
        raise PlanError('%s %r is not a network in CIDR form (%s)' % (what, value, exc))


def checked_int(value, what, low, high):
    if isinstance(value, bool):
        raise PlanError('%s must be a number, got %r' % (what, value))
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise PlanError('%s must be a number, got %r' % (what, value))
    if not low <= number <= high:
        raise PlanError('%s %d is out of range (%d..%d)' % (what, number, low, high))
    return number


def given(value):
    return value not in (None, '')


ROLE_REMEDY = 'give one of them docker_bridge_host_index or docker_bridge_subnet (existing hosts keep theirs)'


def check_cluster(cluster, remedy=ROLE_REMEDY):
    """Refuse hosts whose subnets overlap or that share an underlay address; remedy: what to do about it."""
    for position, entry in enumerate(cluster):
        subnet = ipaddress.ip_network(entry['subnet'])
        for other in cluster[position + 1:]:
            if subnet.overlaps(ipaddress.ip_network(other['subnet'])):
                raise PlanError(
                    'hosts %s and %s would get overlapping subnets %s and %s%s; %s'
                    % (entry['host'], other['host'], entry['subnet'], other['subnet'],
                       ' (carved from their underlay addresses %s and %s)' % (entry['underlay'], other['underlay'])
                       if entry.get('index') is not None and other.get('index') is not None else '', remedy))
            if entry['underlay'] is not None and entry['underlay'] == other['underlay']:
                raise PlanError('hosts %s and %s have the same underlay address %s'
                                % (entry['host'], other['host'], entry['underlay']))


# -- the registry ------------------------------------------------------------------

def _registry(found, bridge):
    """What the role made on the host before: the registry file's content, or an empty one."""
    empty = dict(version=REGISTRY_VERSION, bridge=bridge, containers={}, routes=[], vxlan=None)
    if not found:
        return empty, False
    content = found
    if isinstance(found, dict) and 'content' in found:  # a slurp result
        content = base64.b64decode(found['content']).decode('utf-8')
    elif isinstance(found, dict) and 'containers' not in found:  # slurp of a missing file
        return empty, False
    try:
        registry = json.loads(content) if not isinstance(content, dict) else content
        containers = dict((name, dict(address=entry.get('address'), veth=entry['veth']))
                          for name, entry in registry['containers'].items())
        return dict(empty, containers=containers, routes=list(registry.get('routes') or []),
                    vxlan=registry.get('vxlan')), True
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise PlanError('the registry of bridge %s (what the role made on this host) is unreadable: %s; '
                        'fix or remove it, then remove by hand what the role made' % (bridge, exc))


# -- containers ---------------------------------------------------------------------

def _veth_name(prefix, name):
    """The host end's name: prefix + container name, shortened with a hash to fit 15 bytes."""
    full = prefix + name
    if len(full.encode('utf-8')) <= IFNAMSIZ:
        return full
    digest = hashlib.sha1(name.encode('utf-8')).hexdigest()[:4]
    keep = IFNAMSIZ - len(prefix) - len(digest) - 1
    return '%s%s-%s' % (prefix, name[:keep], digest)


def _list(value, what):
    if value is None:
        return []
    if isinstance(value, (str, bytes)):
        return [value]
    if not isinstance(value, (list, tuple)):
        raise PlanError('%s must be a list, got %r' % (what, value))
    return list(value)


def _publication(entry, where):
    if isinstance(entry, int) and not isinstance(entry, bool):
        entry = str(entry)
    if isinstance(entry, str):
        match = PUBLISH_TEXT.match(entry.strip())
        if not match:
            raise PlanError('%s: %r is not [HOST_ADDRESS:]HOST_PORT[:PORT][/PROTOCOL]' % (where, entry))
        entry = dict((key, value) for key, value in match.groupdict().items() if value is not None)
        if 'host_address' in entry:
            entry['host_address'] = entry['host_address'].strip('[]')
    if not isinstance(entry, dict):
        raise PlanError('%s: %r is neither a string nor a dict' % (where, entry))
    unknown = sorted(set(entry) - set(PUBLISH_KEYS))
    if unknown:
        raise PlanError('%s: unknown keys %s (known: %s)' % (where, ', '.join(unknown), ', '.join(PUBLISH_KEYS)))
    if not given(entry.get('host_port')):
        raise PlanError('%s: host_port is required' % where)
    host_port = checked_int(entry['host_port'], where + ': host_port', 1, 65535)
    port = checked_int(entry['port'], where + ': port', 1, 65535) if given(entry.get('port')) else host_port
    protocol = entry.get('protocol') or 'tcp'
    if protocol not in ('tcp', 'udp'):
        raise PlanError('%s: protocol %r is not tcp or udp' % (where, protocol))
    published = dict(protocol=protocol, host_port=host_port, port=port)
    if given(entry.get('host_address')):
        published['host_address'] = str(checked_address(entry['host_address'], where + ': host_address'))
    return published


def _containers(entries, veth_prefix):
    """The containers as validated dicts, in list order."""
    found = []
    names = set()
    for position, entry in enumerate(_list(entries, 'docker_bridge_containers'), 1):
        where = 'docker_bridge_containers item %d' % position
        if not isinstance(entry, dict):
            raise PlanError('%s must be a dict with at least a name, got %r' % (where, entry))
        unknown = sorted(set(entry) - set(CONTAINER_KEYS))
        if unknown:
            raise PlanError('%s: unknown keys %s (known: %s)' % (where, ', '.join(unknown), ', '.join(CONTAINER_KEYS)))
        name = entry.get('name')
        if not isinstance(name, str) or not CONTAINER_NAME.match(name):
            raise PlanError('%s: name %r must be 1 to 64 letters, digits, "_", "." or "-", starting with '
                            'a letter or digit' % (where, name))
        if name in names:
            raise PlanError('container %s is listed twice' % name)
        names.add(name)
        where = 'container %s' % name
        container = dict(name=name, veth=_veth_name(veth_prefix, name),
                         address=checked_address(entry['address'], where + ': address') if given(entry.get('address')) else None,
                         mtu=checked_int(entry['mtu'], where + ': mtu', 68, 65535) if given(entry.get('mtu')) else None,
                         dns=entry.get('dns'), dns_search=entry.get('dns_search'),
                         dns_options=entry.get('dns_options'),
                         publish=[_publication(item, '%s: publish item %d' % (where, number))
                                  for number, item in enumerate(_list(entry.get('publish'), where + ': publish'), 1)],
                         command=services.checked_command(entry['command'], where) if given(entry.get('command')) else None,
                         service=services.checked_unit(entry['service'], where) if given(entry.get('service')) else None)
        if container['command'] and container['service']:
            raise PlanError('%s: give command (a service made for it) or service (an existing unit), not both' % where)
        found.append(container)
    veths = {}
    for container in found:
        other = veths.setdefault(container['veth'], container['name'])
        if other != container['name']:
            raise PlanError('containers %s and %s would both get the host-side veth %s; rename one'
                            % (other, container['name'], container['veth']))
    return found


def _allocate(containers, subnet, gateway, registered):
    """Give every container an address: its own, else the one it had, else the lowest free one."""
    taken = {}

    def claim(container, address, how):
        if address not in subnet or address in (subnet.network_address, subnet.broadcast_address):
            raise PlanError('container %s: %s address %s is not a host address of this host\'s subnet %s'
                            % (container['name'], how, address, subnet))
        if address == gateway:
            raise PlanError('container %s: %s address %s is the bridge\'s gateway address'
                            % (container['name'], how, address))
        if address in taken:
            raise PlanError('containers %s and %s both ask for %s' % (taken[address], container['name'], address))
        taken[address] = container['name']
        container['address'] = address

    for container in containers:
        if container['address'] is not None:
            claim(container, container['address'], 'its')
    for container in containers:
        if container['address'] is not None:
            continue
        previous = (registered.get(container['name']) or {}).get('address')
        if previous:
            address = ipaddress.ip_address(as_text(previous))
            # keep it unless the subnet changed or a given address took it
            if address in subnet and address not in taken and address not in (
                    subnet.network_address, subnet.broadcast_address, gateway):
                claim(container, address, 'its previous')
    free = (address for address in subnet.hosts() if address != gateway)
    for container in containers:
        if container['address'] is None:
            for address in free:
                if address not in taken:
                    claim(container, address, 'a free')
                    break
            else:
                raise PlanError('subnet %s has no free address left for container %s; give the host a larger '
                                'subnet (docker_bridge_subnet_prefix or docker_bridge_subnet)'
                                % (subnet, container['name']))


def _published(containers):
    rules = []
    seen = {}
    for container in containers:
        for entry in container['publish']:
            key = (entry['protocol'], entry['host_port'])
            for other_name, other_address in seen.get(key, []):
                if None in (other_address, entry.get('host_address')) or other_address == entry.get('host_address'):
                    raise PlanError('containers %s and %s both publish %s port %d'
                                    % (other_name, container['name'], entry['protocol'], entry['host_port']))
            seen.setdefault(key, []).append((container['name'], entry.get('host_address')))
            rules.append(dict(entry, address=str(container['address'])))
    return rules


# -- the plan ---------------------------------------------------------------------------

def _mac(address):
    """02:42 and the IPv4 address, as docker gives containers: stable, and unique where the address is."""
    return '02:42:' + ':'.join('%02x' % byte for byte in ipaddress.ip_address(as_text(address)).packed)


def _settings(settings):
    s = dict(settings)
    if s.get('mode') not in MODES:
        raise PlanError('docker_bridge_mode %r is not one of %s' % (s.get('mode'), ', '.join(MODES)))
    if s.get('state', 'present') not in ('present', 'absent'):
        raise PlanError('docker_bridge_state %r is not present or absent' % s.get('state'))
    for key in ('interface', 'vxlan_interface'):
        name = s.get(key)
        if not isinstance(name, str) or not name or len(name.encode('utf-8')) > IFNAMSIZ or '/' in name:
            raise PlanError('docker_bridge_%s %r is not an interface name (1 to 15 bytes)' % (key, name))
    if not RULE_SET_NAME.match(s['interface']):
        raise PlanError('docker_bridge_interface %r may contain only letters, digits, "_", "." and "-" '
                        '(its NAT rule set is named after it)' % s['interface'])
    if s['interface'] == s['vxlan_interface']:
        raise PlanError('docker_bridge_interface and docker_bridge_vxlan_interface are both %s' % s['interface'])
    return s


def _dns(container, s):
    def pick(key):
        value = container.get(key)
        return _list(value if value is not None else s.get(key), 'dns option %s' % key)

    item = dict(name=container['name'], nameservers=pick('dns'))
    if not item['nameservers']:
        raise PlanError('container %s has no DNS server: set docker_bridge_dns or its dns' % container['name'])
    for key, option in (('dns_search', 'search'), ('dns_options', 'options')):
        if pick(key):
            item[option] = pick(key)
    if s.get('hosts_file', True):
        item['hosts'] = LOCALHOST_ENTRIES + [dict(address=str(container['address']), names=[container['name']])]
    return item


class _HostPlan(object):
    """One host's plan: what it has (registry, cluster) and what its settings want."""

    def __init__(self, settings, cluster, registry):
        self.s = s = _settings(settings)
        self.present = s.get('state', 'present') == 'present'
        me = [entry for entry in cluster if entry['host'] == s['host']]
        if not me:
            raise PlanError('host %s is missing from the cluster' % s['host'])
        self.me = me[0]
        self.subnet = ipaddress.ip_network(self.me['subnet'])
        self.gateway = ipaddress.ip_address(self.me['gateway'])
        self.bridge = s['interface']
        self.vxlan = s['vxlan_interface'] if self.present and s['mode'] == 'vxlan' else None
        self.known, self.registered = _registry(registry, self.bridge)
        self.mtu = checked_int(s['mtu'], 'docker_bridge_mtu', 68, 65535) if given(s.get('mtu')) else (
            DEFAULT_MTU - VXLAN_OVERHEAD if self.vxlan else DEFAULT_MTU)
        # a host on its way out keeps no route to the others: they are removed with the rest
        self.peers = [entry for entry in cluster if entry['host'] != s['host']] \
            if s['mode'] != 'none' and self.present else []

    def peer_routes(self):
        """Routes to the other hosts' subnets, by destination."""
        routes = []
        for peer in self.peers:
            if self.vxlan:
                routes.append(dict(dest=peer['subnet'], gateway=peer['gateway'], interface=self.vxlan, onlink=True))
            else:
                routes.append(dict(dest=peer['subnet'], gateway=peer['underlay']))
        return sorted(routes, key=lambda route: ipaddress.ip_network(route['dest']))

    def host_links(self):
        """The bridge and the VXLAN device (or their removal), and their addresses."""
        links, addresses = [], []
        if self.present:
            # a bridge without a MAC of its own takes its lowest port's, and changes with the ports
            links.append(dict(name=self.bridge, kind='bridge', mac=_mac(self.gateway)))
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
            raise PlanError('mode vxlan needs the underlay address of %s' % self.s['host'])
        link = dict(name=self.vxlan, kind='vxlan',
                    vni=checked_int(self.s['vxlan_vni'], 'docker_bridge_vxlan_vni', 1, (1 << 24) - 1),
                    dstport=checked_int(self.s['vxlan_port'], 'docker_bridge_vxlan_port', 1, 65535),
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
            items['veths'].append(dict(name=container['veth'], peer=CONTAINER_INTERFACE, peer_netns=name,
                                       master=self.bridge, mtu=container['mtu'] or self.mtu,
                                       peer_mac=_mac(container['address'])))
            items['addresses'].append(dict(netns=name, interface=CONTAINER_INTERFACE, exclusive=True,
                                           address=['%s/%d' % (container['address'], self.subnet.prefixlen)]))
            items['routes'].append(dict(netns=name, dest='default', gateway=str(self.gateway), exclusive=True))
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
                        masquerade=bool(self.s.get('masquerade', True)), publish=_published(wanted),
                        masquerade_exclude=sorted((peer['subnet'] for peer in self.peers), key=ipaddress.ip_network))
        return dict(name=self.bridge, state='absent') if self.registered else None

    def firewall(self, wanted, stale_routes):
        """What the firewalls of other owners must let through (plan_firewall's flow item, unparsed)."""
        item = dict(name=self.bridge, state='present' if self.present else 'absent',
                    firewall=self.s.get('firewall') or 'auto', interface=self.bridge,
                    sources=[str(self.subnet)] if self.present else [],
                    published=[dict(protocol=rule['protocol'], address=rule['address'], port=rule['port'])
                               for rule in _published(wanted)] if self.present else [],
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
                     containers=dict((c['name'], dict(address=str(c['address']), veth=c['veth'])) for c in wanted),
                     routes=route_dests, vxlan=self.vxlan)
        # written before any change, so a run that fails half-way still knows what it may have made
        during = dict(after, containers=dict(self.known['containers'], **after['containers']),
                      routes=sorted(route_dests + stale_routes, key=ipaddress.ip_network),
                      vxlan=self.vxlan or self.known['vxlan'])
        return dict(registry=after if self.present else None, registry_during=during,
                    registry_grows=self.present and (not self.registered or during != self.known),
                    registry_shrinks=after != during if self.present else self.registered)


def host_plan(containers, settings, cluster, registry=None):
    """The items of every task of the role for settings.host, and its registry before and after."""
    host = _HostPlan(settings, cluster, registry)
    wanted = _containers(containers if host.present else [], host.s.get('veth_prefix') or '')
    _allocate(wanted, host.subnet, host.gateway, host.known['containers'])
    names = set(container['name'] for container in wanted)
    gone = [name for name in sorted(host.known['containers']) if name not in names]
    routes = host.peer_routes()
    route_dests = [route['dest'] for route in routes]
    stale_routes = [dest for dest in host.known['routes'] if dest not in route_dests]
    links, addresses = host.host_links()
    items = host.container_items(wanted, gone)
    plan = dict(
        host=host.s['host'], subnet=str(host.subnet), gateway=str(host.gateway), mtu=host.mtu, mode=host.s['mode'],
        containers=[dict(name=c['name'], address=str(c['address']), veth=c['veth'], mtu=c['mtu'] or host.mtu,
                         publish=c['publish'], command=c['command'], service=c['service']) for c in wanted],
        removed=gone, peers=host.peers, links=links, netns=items['netns'], veths=items['veths'],
        addresses=addresses + items['addresses'],
        routes=routes + items['routes'] + [dict(dest=dest, state='absent') for dest in stale_routes],
        resolv=items['resolv'], nat=host.nat(wanted), firewall=host.firewall(wanted, stale_routes))
    plan.update(host.registries(wanted, route_dests, stale_routes))
    return plan
