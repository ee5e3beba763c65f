# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.netns contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""netns_nat's items as rule sets: every check of a rule set, before anything is read (pure)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.linuxnet.netns.plugins.module_utils._netns import isolation, ports, publish, validation
from ansible_collections.linuxnet.netns.plugins.module_utils._netns.validation import ValidationError

NAME_MAX = 64
NAME_PATTERN = re.compile(r'^[A-Za-z0-9_.-]+$')  # it becomes part of nftables chain names


def rule_set_name(value, what='name'):
    if not isinstance(value, str) or not value:
        raise ValidationError('%s must be a non-empty string, got %r' % (what, value))
    if len(value) > NAME_MAX:
        raise ValidationError('%s %r is %d characters long; at most %d are allowed'
                              % (what, value, len(value), NAME_MAX))
    if not NAME_PATTERN.match(value):
        raise ValidationError("%s %r may contain only letters, digits, '_', '.' and '-' "
                              '(it becomes part of nftables chain names)' % (what, value))
    return value


def _interface(value, what):
    if value in (None, ''):
        return None
    validation.interface_name(value, what)
    for char in '"\\':
        if char in value:
            raise ValidationError('%s %r contains %r, which nftables cannot match' % (what, value, char))
    return value


def _publication(entry, position, sources, in_interface=None):
    where = 'publish item %d: ' % position
    protocol = ports.protocol(entry.get('protocol'), where)
    host_port = publish.port(entry.get('host_port'), where + 'host_port')
    port = publish.port(entry.get('port') if entry.get('port') is not None else host_port, where + 'port')
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
            ports.loopback_host_address(host_address, where, in_interface)
    return dict(protocol=protocol, host_port=host_port, host_address=host_address,
                address=address, port=port, family=address.version,
                hairpin=[net for net in sources if address in net],
                loopback=host_address is not None and host_address.is_loopback)


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
        publications = [_publication(entry or {}, position, sources, in_if)
                        for position, entry in enumerate(item.get('publish') or [], 1)]
        _no_overlap(publications)
        if not sources and not publications:
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
        families = sorted(set([net.version for net in sources] + [p['family'] for p in publications]))
        spec.update(sources=sources, in_interface=in_if, out_interface=out_if, publish=publications,
                    masquerade=bool(item.get('masquerade', True)), masquerade_exclude=exclude,
                    ip_forward=bool(item.get('ip_forward', True)), families=families,
                    isolation=isolation.from_item(item, in_if))
        return spec
    except ValidationError as exc:
        raise ValidationError('%s%s' % (where, exc))


def _no_overlap(publications):
    found = publish.clash([dict(entry, position=position) for position, entry in enumerate(publications, 1)])
    if found:
        other, entry = found
        raise ValidationError('publish items %d and %d both take %s port %d%s'
                              % (other['position'], entry['position'], entry['protocol'], entry['host_port'],
                                 ' on %s' % other['host_address'] if other['host_address'] else ''))
