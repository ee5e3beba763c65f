# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.netns contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What a route is here: the kernel's identity of a route, a task's item as a route, and routes as read.

A route is identified as the kernel identifies it: family, table,
destination, IPv6 source prefix (ip route's "from"), tos and metric; two
routes that differ in any of these live side by side in the kernel, so they
are two routes here too.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress

from ansible_collections.linuxnet.netns.plugins.module_utils._netns import argspec, validation

TABLES = {'main': 254, 'local': 255, 'default': 253}
SCOPES = {'global': 0, 'universe': 0, 'site': 200, 'link': 253, 'host': 254}
DEFAULT_METRIC = {4: 0, 6: 1024}
RTPROT_KERNEL = 2
RTPROT_BOOT = 3  # what "ip route add" sets
RTNH_F_ONLINK = 4
UNICAST = 1
# the route types that share the identity of a unicast route (one of them and a unicast route with the
# same identity cannot both exist); local, broadcast, anycast and multicast live in table local
TYPES = {1: 'unicast', 6: 'blackhole', 7: 'unreachable', 8: 'prohibit', 9: 'throw'}
MAX_WEIGHT = 256


NEXTHOP_OPTIONS = dict(
    gateway=dict(type='str'),
    interface=dict(type='str'),
    weight=dict(type='int', default=1),
    onlink=dict(type='bool', default=False),
)

OPTIONS = dict(
    dest=dict(type='str'),
    gateway=dict(type='str'),
    interface=dict(type='str'),
    nexthops=dict(type='list', elements='dict', options=NEXTHOP_OPTIONS),
    metric=dict(type='int'),
    table=dict(type='str', default='main'),
    scope=dict(type='str', choices=list(SCOPES)),
    source=dict(type='str'),
    source_prefix=dict(type='str'),
    tos=dict(type='int', default=0),
    onlink=dict(type='bool', default=False),
    family=dict(type='str', choices=['ipv4', 'ipv6']),
    state=dict(type='str', default='present', choices=['present', 'absent']),
    exclusive=dict(type='bool', default=False),
)
RULES = (
    argspec.exclusive('nexthops', ('gateway', 'interface', 'onlink'),
                      message='nexthops replaces gateway, interface and onlink: give either nexthops or those'),
    argspec.one_of(('gateway', 'interface', 'nexthops'), 'a route needs a gateway or an interface (or nexthops)',
                   when=('state', 'present')),
    argspec.needs('onlink', True, ('gateway', 'interface')),
)
NEXTHOP_RULES = (
    argspec.one_of(('gateway', 'interface'), 'a next hop needs a gateway or an interface'),
    argspec.needs('onlink', True, ('gateway', 'interface')),
)


def table_id(value):
    if value in TABLES:
        return TABLES[value]
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise validation.ValidationError('table %r is not a number nor one of %s'
                                         % (value, ', '.join(sorted(TABLES))))
    if not 0 < number < 2 ** 32:
        raise validation.ValidationError('table %s is out of range (1..4294967295)' % value)
    return number


def _nexthops(item, where):
    """The nexthops option as (gateway address or None, interface or None, weight, onlink) tuples."""
    given = item.get('nexthops')
    if given is None:
        return None
    if len(given) < 2:
        raise validation.ValidationError('%snexthops needs two or more next hops (the kernel keeps a single '
                                         'one as a plain route): give one as gateway/interface' % where)
    hops = []
    for position, hop in enumerate(given, 1):
        what = '%snexthops item %d: ' % (where, position)
        gateway = validation.ip_address(hop['gateway'], 'gateway') if hop.get('gateway') else None
        if hop.get('interface'):
            validation.interface_name(hop['interface'], 'interface')
        argspec.check_rules(hop, NEXTHOP_RULES, what)
        weight = hop.get('weight') if hop.get('weight') is not None else 1
        if not 1 <= weight <= MAX_WEIGHT:
            raise validation.ValidationError('%sweight %d is out of range (1..%d)' % (what, weight, MAX_WEIGHT))
        hops.append((gateway, hop.get('interface') or None, weight, bool(hop.get('onlink'))))
    return hops


def desired_route(item):
    """A validated, normalised route: what the kernel would show for it."""
    where = item['_where']
    family = {'ipv4': 4, 'ipv6': 6}.get(item['family'])
    gateway = validation.ip_address(item['gateway'], 'gateway') if item['gateway'] else None
    hops = _nexthops(item, where)
    hint = gateway.version if gateway else next((hop[0].version for hop in hops or () if hop[0]), None)
    # "default" takes its family from family=, else from the gateway
    dest = validation.route_destination(item['dest'], family or hint)
    if family is not None and dest.version != family:
        raise validation.ValidationError('%sdest %s is IPv%d but family is %s'
                                         % (where, item['dest'], dest.version, item['family']))
    family = dest.version
    for address in [gateway] + [hop[0] for hop in hops or ()]:
        if address is not None and address.version != family:
            raise validation.ValidationError('%sgateway %s is IPv%d but dest %s is IPv%d; a gateway must be '
                                             'of the family of the route'
                                             % (where, address, address.version, item['dest'], family))
    source = validation.ip_address(item['source'], 'source') if item['source'] else None
    if source is not None and source.version != family:
        raise validation.ValidationError('%ssource %s is not IPv%d' % (where, source, family))
    source_prefix = None
    if item.get('source_prefix'):
        source_prefix = validation.network(item['source_prefix'], 'source_prefix')
        if family != 6 or source_prefix.version != 6:
            raise validation.ValidationError('%ssource_prefix %s: only IPv6 routes have a source prefix (for '
                                             'IPv4, use a routing rule)' % (where, item['source_prefix']))
        if source_prefix.prefixlen == 0:
            source_prefix = None  # "from ::/0" is no source prefix at all
    tos = item.get('tos') or 0
    if not 0 <= tos <= 255:
        raise validation.ValidationError('%stos %d is out of range (0..255)' % (where, tos))
    if tos and family == 6:
        raise validation.ValidationError('%stos: IPv6 routes have none (the kernel refuses it)' % where)
    if item['interface']:
        validation.interface_name(item['interface'], 'interface')
    metric = item['metric'] if item['metric'] is not None else DEFAULT_METRIC[family]
    if not 0 <= metric < 2 ** 32:
        raise validation.ValidationError('metric %d is out of range' % metric)
    if item['scope'] and family == 4:  # the kernel keeps no scope for IPv6 routes (always global)
        scope = SCOPES[item['scope']]
    elif family == 4 and gateway is None and not hops:
        scope = SCOPES['link']  # as "ip route add NET dev DEV" does
    else:
        scope = SCOPES['global']
    route = dict(family=family, table=table_id(item['table']), dest=dest, metric=metric,
                 gateway=str(gateway) if gateway else None, interface=item['interface'] or None,
                 scope=scope, source=str(source) if source else None, onlink=bool(item['onlink']))
    # the identity and targets beyond what every route has, only where given: the plain form stays the
    # one earlier versions returned
    if source_prefix is not None:
        route['source_prefix'] = source_prefix
    if tos:
        route['tos'] = tos
    if hops is not None:
        route['nexthops'] = [dict(gateway=str(hop[0]) if hop[0] else None, interface=hop[1], weight=hop[2],
                                  onlink=hop[3]) for hop in hops]
    return route


def route_key(route):
    return (route['family'], route['table'], route['dest'], route.get('source_prefix'), route.get('tos', 0),
            route['metric'])


def _record_gateway(record):
    if record.get('gateway'):
        return record['gateway']
    via = record.get('via')
    return via[1] if via else None


def current_routes(session, family):
    """key -> route in the form desired_route gives, for the routes of a family a route asked for can meet."""
    found = {}
    for record in session.routes(family):
        if record['type'] not in TYPES:
            continue
        dest = ipaddress.ip_network(u'%s/%d' % (record['dst'], record['dst_len']), strict=False)
        route = dict(family=family, table=record['table'], dest=dest,
                     metric=record['priority'] if record['priority'] is not None else 0,
                     gateway=_record_gateway(record), interface=session.link_name(record['oif']),
                     scope=record['scope'], source=record['prefsrc'],
                     onlink=bool(record['flags'] & RTNH_F_ONLINK), proto=record['proto'])
        if record.get('src_len'):
            route['source_prefix'] = ipaddress.ip_network(u'%s/%d' % (record['src'], record['src_len']),
                                                          strict=False)
        if record.get('tos'):
            route['tos'] = record['tos']
        if record.get('nexthops'):
            route['nexthops'] = [dict(gateway=_record_gateway(hop), interface=session.link_name(hop['oif']),
                                      weight=hop['weight'], onlink=bool(hop['flags'] & RTNH_F_ONLINK))
                                 for hop in record['nexthops']]
        if record.get('nh_id') is not None:
            route['nhid'] = record['nh_id']
        if record['type'] != UNICAST:
            route['type'] = record['type']
        found[route_key(route)] = route
    return found


def hops_match(current, want):
    """Whether the nexthops are the same set; a wanted hop without interface takes any."""
    if len(current) != len(want):
        return False
    left = list(current)
    for hop in want:
        for candidate in left:
            if (candidate['gateway'] == hop['gateway'] and candidate['weight'] == hop['weight']
                    and candidate['onlink'] == hop['onlink']
                    and (not hop['interface'] or candidate['interface'] == hop['interface'])):
                left.remove(candidate)
                break
        else:
            return False
    return True


def differs(current, want):
    if current.get('type', UNICAST) != want.get('type', UNICAST):
        return True
    if want.get('nexthops'):
        if not current.get('nexthops') or not hops_match(current['nexthops'], want['nexthops']):
            return True
        return current['scope'] != want['scope'] or current['source'] != want['source']
    if current.get('nexthops'):
        return True
    for key in ('gateway', 'scope', 'source', 'onlink'):
        if current[key] != want[key]:
            return True
    return bool(want['interface']) and current['interface'] != want['interface']


def shown(route):
    if route is None:
        return None
    return dict((key, str(value) if key in ('dest', 'source_prefix') else value) for key, value in route.items()
                if key not in ('family', 'proto'))


def _hop_label(hop):
    text = 'nexthop'
    if hop['gateway']:
        text += ' via %s' % hop['gateway']
    if hop['interface']:
        text += ' dev %s' % hop['interface']
    if hop['weight'] != 1:
        text += ' weight %d' % hop['weight']
    if hop['onlink']:
        text += ' onlink'
    return text


def label(route):
    kind = route.get('type', UNICAST)
    text = '' if kind == UNICAST else TYPES[kind] + ' '
    text += '%s' % ('default' if route['dest'].prefixlen == 0 else route['dest'])
    if route.get('source_prefix'):
        text += ' from %s' % route['source_prefix']
    if route.get('tos'):
        text += ' tos 0x%02x' % route['tos']
    if route.get('nhid') is not None:
        text += ' nhid %d' % route['nhid']
    if route['gateway'] and not route.get('nexthops'):
        text += ' via %s' % route['gateway']
    if route['interface'] and not route.get('nexthops'):
        text += ' dev %s' % route['interface']
    if route['table'] != TABLES['main']:
        text += ' table %d' % route['table']
    if route['metric'] != DEFAULT_METRIC[route['family']]:
        text += ' metric %d' % route['metric']
    for hop in route.get('nexthops') or ():
        text += ' ' + _hop_label(hop)
    return text


def route_identity(route):
    """What the kernel needs to find or make a route besides where it leads."""
    source = route.get('source_prefix')
    return dict(family=route['family'], dst=str(route['dest'].network_address), dst_len=route['dest'].prefixlen,
                src=str(source.network_address) if source else None, src_len=source.prefixlen if source else 0,
                tos=route.get('tos', 0), table=route['table'], priority=route['metric'], scope=route['scope'],
                proto=route.get('proto', RTPROT_BOOT), type=route.get('type', UNICAST))
