# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.netns contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Planner of the netns_route module.

A route is identified as the kernel identifies it: family, table,
destination and metric. What it points at (gateway, interface, scope,
source, onlink) is compared and, if different, replaced in place.
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

OPTIONS = dict(
    dest=dict(type='str'),
    gateway=dict(type='str'),
    interface=dict(type='str'),
    metric=dict(type='int'),
    table=dict(type='str', default='main'),
    scope=dict(type='str', choices=list(SCOPES)),
    source=dict(type='str'),
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


def desired_route(item):
    """A validated, normalised route: what the kernel would show for it."""
    where = item['_where']
    family = {'ipv4': 4, 'ipv6': 6}.get(item['family'])
    gateway = validation.ip_address(item['gateway'], 'gateway') if item['gateway'] else None
    # "default" takes its family from family=, else from the gateway
    dest = validation.route_destination(item['dest'], family or (gateway.version if gateway else None))
    if family is not None and dest.version != family:
        raise validation.ValidationError('%sdest %s is IPv%d but family is %s'
                                         % (where, item['dest'], dest.version, item['family']))
    family = dest.version
    if gateway is not None and gateway.version != family:
        raise validation.ValidationError('%sgateway %s is IPv%d but dest %s is IPv%d; a gateway must be '
                                         'of the family of the route'
                                         % (where, gateway, gateway.version, item['dest'], family))
    source = validation.ip_address(item['source'], 'source') if item['source'] else None
    if source is not None and source.version != family:
        raise validation.ValidationError('%ssource %s is not IPv%d' % (where, source, family))
    if item['interface']:
        validation.interface_name(item['interface'], 'interface')
    if item['state'] == 'present' and gateway is None and not item['interface']:
        raise validation.ValidationError('%sa route needs a gateway or an interface' % where)
    if item['onlink'] and (gateway is None or not item['interface']):
        raise validation.ValidationError('%sonlink needs gateway and interface' % where)
    metric = item['metric'] if item['metric'] is not None else DEFAULT_METRIC[family]
    if not 0 <= metric < 2 ** 32:
        raise validation.ValidationError('metric %d is out of range' % metric)
    if item['scope'] and family == 4:  # the kernel keeps no scope for IPv6 routes (always global)
        scope = SCOPES[item['scope']]
    elif family == 4 and gateway is None:
        scope = SCOPES['link']  # as "ip route add NET dev DEV" does
    else:
        scope = SCOPES['global']
    return dict(family=family, table=table_id(item['table']), dest=dest, metric=metric,
                gateway=str(gateway) if gateway else None, interface=item['interface'] or None,
                scope=scope, source=str(source) if source else None, onlink=bool(item['onlink']))


def route_key(route):
    return (route['family'], route['table'], route['dest'], route['metric'])


def current_routes(session, family):
    """key -> route in the form desired_route gives, for the unicast routes of a family."""
    found = {}
    for record in session.routes(family):
        if record['type'] != UNICAST or record['multipath']:
            continue
        dest = ipaddress.ip_network(u'%s/%d' % (record['dst'], record['dst_len']), strict=False)
        route = dict(family=family, table=record['table'], dest=dest,
                     metric=record['priority'] if record['priority'] is not None else 0,
                     gateway=record['gateway'], interface=session.link_name(record['oif']),
                     scope=record['scope'], source=record['prefsrc'],
                     onlink=bool(record['flags'] & RTNH_F_ONLINK), proto=record['proto'])
        found[route_key(route)] = route
    return found


def differs(current, want):
    for key in ('gateway', 'scope', 'source', 'onlink'):
        if current[key] != want[key]:
            return True
    return bool(want['interface']) and current['interface'] != want['interface']


def shown(route):
    if route is None:
        return None
    return dict((key, str(value) if key == 'dest' else value) for key, value in route.items()
                if key not in ('family', 'proto'))


def label(route):
    text = '%s' % ('default' if route['dest'].prefixlen == 0 else route['dest'])
    if route['gateway']:
        text += ' via %s' % route['gateway']
    if route['interface']:
        text += ' dev %s' % route['interface']
    if route['table'] != TABLES['main']:
        text += ' table %d' % route['table']
    if route['metric'] != DEFAULT_METRIC[route['family']]:
        text += ' metric %d' % route['metric']
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
            _check_interface(host, session, route)
            _check_reachable(host, session, route)
    for session, route in absent:
        _plan_absent(plan, session, route, kernel(session, route['family']))
    for session_id, routes in wanted.items():
        session = sessions[session_id]
        for key, route in routes.items():
            current = kernel(session, route['family']).get(key)
            plan.state('%s:%s' % (session.label, label(route)), shown(current), shown(route if current is None or differs(current, route) else current))
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
                if current['table'] == table and current['proto'] != RTPROT_KERNEL and key not in routes:
                    _plan_remove(plan, session, current, kernel(session, family))


def _plan_absent(plan, session, route, kernel):
    current = kernel.get(route_key(route))
    matches = current is not None and not (
        (route['gateway'] and current['gateway'] != route['gateway'])
        or (route['interface'] and current['interface'] != route['interface']))
    plan.state('%s:%s' % (session.label, label(route)), shown(current) if matches else None, None)
    if matches:
        _plan_remove(plan, session, current, kernel)


def _plan_remove(plan, session, current, kernel):
    plan.add('remove route %s from %s' % (label(current), session.label),
             lambda: _request(session, 'del', current),
             lambda: _request(session, 'add', current))
    kernel.pop(route_key(current), None)


def _check_interface(host, session, route):
    """Refuse, before any change, a route through an interface the namespace does not have."""
    if not route['interface'] or not session.exists or session.link(route['interface']) is not None:
        return
    message = 'interface %s of route %s does not exist in %s' % (route['interface'], label(route), session.label)
    if host.check_mode:
        host.warn(message + '; assuming an earlier task creates it')
        return
    raise PlanFailure(message)


def _check_reachable(host, session, route):
    """Refuse, before any change, a gateway that no connected route reaches (as the kernel would)."""
    gateway = route['gateway']
    if gateway is None or route['onlink'] or not session.exists:
        return
    address = ipaddress.ip_address(u'%s' % gateway)
    if address.version == 6 and address.is_link_local and route['interface']:
        return
    for record in session.routes(route['family']):
        if record['gateway'] or record['type'] not in (UNICAST, 2):  # 2: local
            continue
        net = ipaddress.ip_network(u'%s/%d' % (record['dst'], record['dst_len']), strict=False)
        if net.prefixlen and address in net and (
                not route['interface'] or session.link_name(record['oif']) == route['interface']):
            return
    message = ('gateway %s is not reachable in %s: no connected route%s covers it (add an address '
               'in its subnet first, or set onlink=true with an interface)'
               % (gateway, session.label, ' on %s' % route['interface'] if route['interface'] else ''))
    if host.check_mode:
        host.warn(message + '; assuming an earlier task adds one')
        return
    raise PlanFailure(message)


def _request(session, command, route):
    kwargs = dict(dst=str(route['dest'].network_address), dst_len=route['dest'].prefixlen,
                  table=route['table'], priority=route['metric'], scope=route['scope'],
                  family=2 if route['family'] == 4 else 10)
    if command != 'del':
        kwargs['proto'] = RTPROT_BOOT
    if route['gateway']:
        kwargs['gateway'] = route['gateway']
    if route['interface']:
        kwargs['oif'] = session.index_of(route['interface'])
    if route['source']:
        kwargs['prefsrc'] = route['source']
    if route['onlink']:
        kwargs['flags'] = RTNH_F_ONLINK
    session.call('%s route %s' % (command, label(route)), 'route', command, **kwargs)
