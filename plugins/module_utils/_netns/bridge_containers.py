# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.netns contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""netns_bridge's containers: their checks, host-side veth names, published ports and addresses (pure).

Messages name netns_bridge's options (containers, subnet...).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import ipaddress
import re

from ansible_collections.linuxnet.netns.plugins.module_utils._netns import ports, publish
from ansible_collections.linuxnet.netns.plugins.module_utils._netns import validation
from ansible_collections.linuxnet.netns.plugins.module_utils._netns.validation import INTERFACE_NAME_MAX, ValidationError

CONTAINER_NAME = re.compile(r'^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$')
CONTAINER_KEYS = ('name', 'address', 'mtu', 'dns', 'dns_search', 'dns_options', 'publish', 'command', 'service',
                  'ipv6_address')


class PlanError(ValidationError):
    """The request cannot be planned: the message says what to change."""


# -- values as users write them ---------------------------------------------------------------

def as_text(value):
    return u'%s' % (value,)


def given(value):
    return value not in (None, '')


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


def as_list(value, what):
    if value is None:
        return []
    if isinstance(value, (str, bytes)):
        return [value]
    if not isinstance(value, (list, tuple)):
        raise PlanError('%s must be a list, got %r' % (what, value))
    return list(value)


# -- the containers ------------------------------------------------------------------------------

def veth_name(prefix, name):
    """The host end's name: prefix + container name, shortened with a hash to fit an interface name."""
    full = prefix + name
    if len(full.encode('utf-8')) <= INTERFACE_NAME_MAX:
        return full
    digest = hashlib.sha1(name.encode('utf-8')).hexdigest()[:4]
    keep = INTERFACE_NAME_MAX - len(prefix) - len(digest) - 1
    return '%s%s-%s' % (prefix, name[:keep], digest)


def _publications(entry, where):
    """One publication per port of entry (a port range is several)."""
    if isinstance(entry, int) and not isinstance(entry, bool):
        entry = str(entry)
    if isinstance(entry, str):
        parsed = publish.from_text(entry)
        if parsed is None:
            raise PlanError('%s: %r is not %s' % (where, entry, publish.TEXT_FORM))
        entry = parsed
    if not isinstance(entry, dict):
        raise PlanError('%s: %r is neither a string nor a dict' % (where, entry))
    unknown = sorted(set(entry) - set(publish.KEYS))
    if unknown:
        raise PlanError('%s: unknown keys %s (known: %s)' % (where, ', '.join(unknown), ', '.join(publish.KEYS)))
    if not given(entry.get('host_port')):
        raise PlanError('%s: host_port is required' % where)
    protocol = ports.protocol(entry.get('protocol'), where + ': ')
    extra = {}
    if given(entry.get('host_address')):
        address = checked_address(entry['host_address'], where + ': host_address')
        if address.is_loopback:
            ports.loopback_host_address(address, where + ': ', 'the bridge')
        extra['host_address'] = str(address)
    return [dict(extra, protocol=protocol, host_port=host_port, port=port)
            for host_port, port in ports.pairs(entry['host_port'], entry.get('port'), where + ': ')]


def containers(entries, veth_prefix):
    """The containers as validated dicts, in list order."""
    found = []
    names = set()
    for position, entry in enumerate(as_list(entries, 'containers'), 1):
        where = 'containers item %d' % position
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
        container = dict(name=name, veth=veth_name(veth_prefix, name),
                         address=checked_address(entry['address'], where + ': address') if given(entry.get('address')) else None,
                         ipv6_address=checked_address(entry['ipv6_address'], where + ': ipv6_address')
                         if given(entry.get('ipv6_address')) else None,
                         mtu=validation.number(entry['mtu'], where + ': mtu', 68, 65535, PlanError) if given(entry.get('mtu')) else None,
                         dns=entry.get('dns'), dns_search=entry.get('dns_search'),
                         dns_options=entry.get('dns_options'),
                         publish=[one for number, item in enumerate(as_list(entry.get('publish'), where + ': publish'), 1)
                                  for one in _publications(item, '%s: publish item %d' % (where, number))],
                         command=validation.checked_command(entry['command'], where) if given(entry.get('command')) else None,
                         service=validation.checked_unit(entry['service'], where) if given(entry.get('service')) else None)
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


def allocate(wanted, subnet, gateway, registered):
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

    for container in wanted:
        if container['address'] is not None:
            claim(container, container['address'], 'its')
    for container in wanted:
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
    for container in wanted:
        if container['address'] is None:
            for address in free:
                if address not in taken:
                    claim(container, address, 'a free')
                    break
            else:
                raise PlanError('subnet %s has no free address left for container %s; give the host a larger '
                                'subnet' % (subnet, container['name']))


def published(wanted):
    """What the containers publish, as netns_nat's publications; two that take one port are refused."""
    # without a host address, a port of a dual-stack container is published on both families;
    # imported here: bridge_ipv6 builds on this module
    from ansible_collections.linuxnet.netns.plugins.module_utils._netns.bridge_ipv6 import targets
    entries = [dict(entry, container=container['name'], address=str(address),
                    family=address.version, host_address=entry.get('host_address'))
               for container in wanted for entry in container['publish'] for address in targets(container, entry)]
    found = publish.clash(entries)
    if found:
        other, entry = found
        raise PlanError('containers %s and %s both publish %s port %d'
                        % (other['container'], entry['container'], entry['protocol'], entry['host_port']))
    return [dict(entry, address=str(address))
            for container in wanted for entry in container['publish'] for address in targets(container, entry)]


def first_overlap(networks):
    """The positions (in order) of two overlapping networks of the list, else None.

    Sorted by first address, a network overlaps an earlier one exactly when it starts within the
    widest reach so far: n log n, where comparing every pair cost the role's filter O(H^2) per host.
    """
    spans = sorted((int(network.network_address), int(network.broadcast_address), position)
                   for position, network in enumerate(networks))
    reach = None
    for first, last, position in spans:
        if reach is not None and first <= reach[0]:
            return tuple(sorted((reach[1], position)))
        if reach is None or last > reach[0]:
            reach = (last, position)
    return None


def first_shared(values):
    """The positions (in order) of the first value given twice in the list (None values aside), else None."""
    seen = {}
    for position, value in enumerate(values):
        if value is None:
            continue
        if value in seen:
            return seen[value], position
        seen[value] = position
    return None
