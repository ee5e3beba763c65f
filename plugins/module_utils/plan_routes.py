# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.netns contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Planner of the netns_route module.

A route is identified as the kernel identifies it: family, table,
destination, IPv6 source prefix (ip route's "from"), tos and metric; two
routes that differ in any of these live side by side in the kernel, so they
are two routes here too. What a route leads to (gateway, interface, scope,
source, onlink, or the nexthops of a multipath route, or its type) is
compared and, if different, replaced in place as "ip route replace" does:
a multipath route, a route through a nexthop object (nhid) or a blackhole
with the identity of a route asked for is replaced by it, never added
beside it (which the kernel refuses with "File exists").
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress

from ansible_collections.linuxnet.netns.plugins.module_utils import validation
from ansible_collections.linuxnet.netns.plugins.module_utils.engine import PlanFailure, about, netns_of

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
REQUIRED = ('dest',)


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
    if item['gateway'] or item['interface'] or item['onlink']:
        raise validation.ValidationError('%snexthops replaces gateway, interface and onlink: give either '
                                         'nexthops or those' % where)
    if len(given) < 2:
        raise validation.ValidationError('%snexthops needs two or more next hops (the kernel keeps a single '
                                         'one as a plain route): give one as gateway/interface' % where)
    hops = []
    for position, hop in enumerate(given, 1):
        what = '%snexthops item %d: ' % (where, position)
        gateway = validation.ip_address(hop['gateway'], 'gateway') if hop.get('gateway') else None
        if hop.get('interface'):
            validation.interface_name(hop['interface'], 'interface')
        if gateway is None and not hop.get('interface'):
            raise validation.ValidationError('%sa next hop needs a gateway or an interface' % what)
        weight = hop.get('weight') if hop.get('weight') is not None else 1
        if not 1 <= weight <= MAX_WEIGHT:
            raise validation.ValidationError('%sweight %d is out of range (1..%d)' % (what, weight, MAX_WEIGHT))
        if hop.get('onlink') and (gateway is None or not hop.get('interface')):
            raise validation.ValidationError('%sonlink needs gateway and interface' % what)
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
    if item['state'] == 'present' and gateway is None and not item['interface'] and not hops:
        raise validation.ValidationError('%sa route needs a gateway or an interface (or nexthops)' % where)
    if item['onlink'] and (gateway is None or not item['interface']):
        raise validation.ValidationError('%sonlink needs gateway and interface' % where)
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


def _hops_match(current, want):
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
        if not current.get('nexthops') or not _hops_match(current['nexthops'], want['nexthops']):
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


def plan(host, items, plan):
    wanted = {}  # session -> key -> route
    exclusive = {}  # session -> set of (family, table)
    absent = []
    sessions = {}
    for item in items:
        with about(item):
            route = desired_route(item)
            session = host.session(netns_of(item))
        sessions[id(session)] = session
        if item['state'] == 'absent':
            absent.append((session, route))
            continue
        per_session = wanted.setdefault(id(session), {})
        key = route_key(route)
        if key in per_session and per_session[key] != route:
            raise validation.ValidationError('route %s is given twice with different targets' % label(route))
        per_session[key] = route
        if item['exclusive']:
            exclusive.setdefault(id(session), set()).add((route['family'], route['table']))

    tables = {}

    def kernel(session, family):
        # read and normalise each family's routes once per namespace
        if (id(session), family) not in tables:
            tables[(id(session), family)] = current_routes(session, family)
        return tables[(id(session), family)]

    for session_id, routes in wanted.items():
        session = sessions[session_id]
        for route in routes.values():
            for hop in _targets(route):
                _check_interface(host, session, route, hop['interface'])
                _check_reachable(host, session, route, hop)
    for session, route in absent:
        _plan_absent(plan, session, route, kernel(session, route['family']))
    for session_id, routes in wanted.items():
        session = sessions[session_id]
        for key, route in routes.items():
            current = kernel(session, route['family']).get(key)
            plan.state('%s:%s' % (session.label, label(route)), shown(current),
                       shown(route if current is None or differs(current, route) else current))
            if current is None:
                plan.add('add route %s in %s' % (label(route), session.label),
                         lambda s=session, r=route: _request(s, 'add', r),
                         lambda s=session, r=route: _request(s, 'del', r))
            elif differs(current, route):
                plan.add('change route %s in %s (was %s)' % (label(route), session.label, label(current)),
                         lambda s=session, r=route: _request(s, 'replace', r),
                         lambda s=session, r=current: _request(s, 'replace', r))
        for family, table in exclusive.get(session_id, ()):
            for key, current in list(kernel(session, family).items()):
                if (current['table'] == table and current['proto'] != RTPROT_KERNEL and key not in routes
                        and current.get('type', UNICAST) == UNICAST):
                    _plan_remove(plan, session, current, kernel(session, family))


def _targets(route):
    """Where a route leads, as next hops: its nexthops, or its one gateway and interface."""
    if route.get('nexthops'):
        return route['nexthops']
    return [dict(gateway=route['gateway'], interface=route['interface'], onlink=route['onlink'])]


def _matches_target(current, route):
    """Whether the gateway, interface or nexthops an absent route names are those of the kernel's."""
    if route.get('nexthops'):
        return bool(current.get('nexthops')) and _hops_match(current['nexthops'], route['nexthops'])
    if (route['gateway'] or route['interface']) and current.get('nexthops'):
        return False
    return not ((route['gateway'] and current['gateway'] != route['gateway'])
                or (route['interface'] and current['interface'] != route['interface']))


def _plan_absent(plan, session, route, kernel):
    current = kernel.get(route_key(route))
    matches = current is not None and _matches_target(current, route)
    plan.state('%s:%s' % (session.label, label(route)), shown(current) if matches else None, None)
    if matches:
        _plan_remove(plan, session, current, kernel)


def _plan_remove(plan, session, current, kernel):
    plan.add('remove route %s from %s' % (label(current), session.label),
             lambda: _request(session, 'del', current),
             lambda: _request(session, 'add', current))
    kernel.pop(route_key(current), None)


def _check_interface(host, session, route, interface):
    """Refuse, before any change, a route through an interface the namespace does not have."""
    if not interface or not session.exists or session.link(interface) is not None:
        return
    message = 'interface %s of route %s does not exist in %s' % (interface, label(route), session.label)
    if host.check_mode:
        host.warn(message + '; assuming an earlier task creates it')
        return
    raise PlanFailure(message)


def _check_reachable(host, session, route, hop):
    """Refuse, before any change, a gateway that no connected route reaches (as the kernel would)."""
    gateway = hop['gateway']
    if gateway is None or hop['onlink'] or not session.exists:
        return
    address = ipaddress.ip_address(u'%s' % gateway)
    if address.version == 6 and address.is_link_local and hop['interface']:
        return
    for record in session.routes(route['family']):
        if record['gateway'] or record['type'] not in (UNICAST, 2):  # 2: local
            continue
        net = ipaddress.ip_network(u'%s/%d' % (record['dst'], record['dst_len']), strict=False)
        if net.prefixlen and address in net and (
                not hop['interface'] or session.link_name(record['oif']) == hop['interface']):
            return
    message = ('gateway %s is not reachable in %s: no connected route%s covers it (add an address '
               'in its subnet first, or set onlink=true with an interface)'
               % (gateway, session.label, ' on %s' % hop['interface'] if hop['interface'] else ''))
    if host.check_mode:
        host.warn(message + '; assuming an earlier task adds one')
        return
    raise PlanFailure(message)


def _request(session, command, route):
    if route.get('nhid') is not None and command != 'del':
        # pyroute2 (0.7 and 0.9) cannot encode RTA_NH_ID: only undo ever puts such a route back
        return session.route_through_nexthop_object(route_identity(route), route['nhid'],
                                                    replace=command == 'replace')
    kwargs = dict(dst=str(route['dest'].network_address), dst_len=route['dest'].prefixlen,
                  table=route['table'], priority=route['metric'], scope=route['scope'],
                  family=2 if route['family'] == 4 else 10)
    if route.get('source_prefix'):
        kwargs['src'] = str(route['source_prefix'].network_address)
        kwargs['src_len'] = route['source_prefix'].prefixlen
    if route.get('tos'):
        kwargs['tos'] = route['tos']
    if route.get('type', UNICAST) != UNICAST:
        kwargs['type'] = route['type']
    if command != 'del':
        kwargs['proto'] = RTPROT_BOOT
    if route.get('nexthops') and command != 'del':
        kwargs['multipath'] = [_hop_request(session, hop) for hop in route['nexthops']]
    elif not route.get('nexthops'):
        kwargs.update(_path(session, route))
    if route['source']:
        kwargs['prefsrc'] = route['source']
    session.call('%s route %s' % (command, label(route)), 'route', command, **kwargs)


def _hop_request(session, hop):
    return dict(_path(session, hop), hops=hop['weight'] - 1)


def _path(session, path):
    """The request's gateway, interface and onlink flag of a route or one of its nexthops."""
    request = {}
    if path['gateway']:
        request['gateway'] = path['gateway']
    if path['interface']:
        request['oif'] = session.index_of(path['interface'])
    if path['onlink']:
        request['flags'] = RTNH_F_ONLINK
    return request


def route_identity(route):
    """What the kernel needs to find or make a route besides where it leads."""
    source = route.get('source_prefix')
    return dict(family=route['family'], dst=str(route['dest'].network_address), dst_len=route['dest'].prefixlen,
                src=str(source.network_address) if source else None, src_len=source.prefixlen if source else 0,
                tos=route.get('tos', 0), table=route['table'], priority=route['metric'], scope=route['scope'],
                proto=route.get('proto', RTPROT_BOOT), type=route.get('type', UNICAST))
