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

from ansible_collections.linuxnet.netns.plugins.module_utils._netns import netlink_requests as requests
from ansible_collections.linuxnet.netns.plugins.module_utils._netns import validation
from ansible_collections.linuxnet.netns.plugins.module_utils._netns.engine import Op, about, netns_of, operation
from ansible_collections.linuxnet.netns.plugins.module_utils._netns.route_model import (  # noqa: F401 pylint: disable=unused-import
    OPTIONS, RULES, RTNH_F_ONLINK, RTPROT_BOOT, RTPROT_KERNEL, UNICAST, current_routes, desired_route, differs, label,
    route_identity, route_key, shown, hops_match)

REQUIRED = ('dest',)


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
                         Op(_request, session, command='add', route=route),
                         Op(_request, session, command='del', route=route))
            elif differs(current, route):
                plan.add('change route %s in %s (was %s)' % (label(route), session.label, label(current)),
                         Op(_request, session, command='replace', route=route),
                         Op(_request, session, command='replace', route=current))
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
        return bool(current.get('nexthops')) and hops_match(current['nexthops'], route['nexthops'])
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
             Op(_request, session, command='del', route=current),
             Op(_request, session, command='add', route=current))
    kernel.pop(route_key(current), None)


def _check_interface(host, session, route, interface):
    """Refuse, before any change, a route through an interface the namespace does not have."""
    if interface and session.exists:
        host.require(session.link(interface) is not None,
                     'interface %s of route %s does not exist in %s' % (interface, label(route), session.label))


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
    host.require(False, 'gateway %s is not reachable in %s: no connected route%s covers it (add an address '
                 'in its subnet first, or set onlink=true with an interface)'
                 % (gateway, session.label, ' on %s' % hop['interface'] if hop['interface'] else ''),
                 'assuming an earlier task adds one')


@operation('route.request')
def _request(session, command, route):
    identity = route_identity(route)
    if command == 'del':
        identity['proto'] = 0  # any: the kernel deletes the route whoever made it
    what = '%s route %s' % (command, label(route))
    if route.get('nhid') is not None and command != 'del':
        # only undo ever puts a route through a nexthop object back
        return session.send(what, requests.route_through_nexthop_object(identity, route['nhid'],
                                                                        replace=command == 'replace'))
    path = nexthops = None
    if not route.get('nexthops'):
        path = _path(session, route)
        identity['flags'] = path.pop('flags', 0)
    elif command != 'del':
        nexthops = [dict(_path(session, hop), hops=hop['weight'] - 1) for hop in route['nexthops']]
    session.send(what, requests.route(command, identity, path, nexthops, route['source']))


def _path(session, path):
    """The request's gateway, interface (oif) and onlink flag of a route or one of its nexthops."""
    request = {}
    if path['gateway']:
        request['gateway'] = path['gateway']
    if path['interface']:
        request['oif'] = session.index_of(path['interface'])
    if path['onlink']:
        request['flags'] = RTNH_F_ONLINK
    return request
