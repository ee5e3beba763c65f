#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.netns contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: netns_route
short_description: Manage IPv4 and IPv6 routes in a network namespace
version_added: 0.1.0
description:
  - Adds, changes and removes routes, as C(ip route add|replace|del) do, in any namespace.
  - A route is identified as the kernel identifies it (family, table, destination, IPv6 source
    prefix, tos, metric); a route with the same identity but another gateway, interface, scope,
    source, onlink flag or nexthops is replaced in place, as C(ip route replace) does. So is a
    multipath route, a route through a nexthop object (C(nhid)) or a blackhole, unreachable or
    prohibit route of that identity; the route asked for takes its place.
  - Routes that differ in their identity live side by side; a route without I(source_prefix) is
    another route than the source-specific ones to the same destination, and is added beside them.
  - A gateway that no connected route reaches is refused before anything changes, unless
    I(onlink=true).
options:
  dest:
    description:
      - Destination in CIDR form, or C(default) (IPv4 unless I(gateway) or I(family) say IPv6).
      - Required, at the top level or in every I(aggregate) item.
    type: str
  gateway:
    description: Next hop address.
    type: str
  interface:
    description: Outgoing interface, in I(netns).
    type: str
  nexthops:
    description:
      - A multipath (ECMP) route's next hops, two or more, as C(ip route add DEST nexthop via A
        nexthop via B) makes them. Mutually exclusive with I(gateway), I(interface) and I(onlink).
      - Compared as a set (the order does not matter); a next hop without I(interface) matches
        the kernel's on any interface.
    type: list
    elements: dict
    suboptions:
      gateway:
        description: The next hop's address.
        type: str
      interface:
        description: Its outgoing interface, in I(netns).
        type: str
      weight:
        description: Its share of the flows, 1 to 256.
        type: int
        default: 1
      onlink:
        description: Take the gateway as directly reachable on I(interface).
        type: bool
        default: false
  metric:
    description: Route metric (priority). Defaults to the kernel's, 0 for IPv4 and 1024 for IPv6.
    type: int
  table:
    description: Routing table, by number or as C(main), C(local) or C(default).
    type: str
    default: main
  scope:
    description:
      - Route scope. Defaults as C(ip route) does, C(link) for an IPv4 route without gateway,
        C(global) otherwise.
    type: str
    choices: [global, universe, site, link, host]
  source:
    description: Preferred source address (C(src)).
    type: str
  source_prefix:
    description:
      - The IPv6 source prefix of a source-specific route (C(ip -6 route add DEST from PREFIX)),
        part of the route's identity. IPv4 routes have none (use a routing rule).
    type: str
  tos:
    description: The type of service (DS field) an IPv4 route applies to, part of its identity.
    type: int
    default: 0
  onlink:
    description: Take the gateway as directly reachable on I(interface) even without a matching route.
    type: bool
    default: false
  family:
    description: Address family of a C(default) route without gateway.
    type: str
    choices: [ipv4, ipv6]
  state:
    description: Whether the route is there. With C(absent), I(gateway) and I(interface), when given, must match too.
    type: str
    choices: [present, absent]
    default: present
  exclusive:
    description:
      - Remove the other routes of the same table and family, except those the kernel made
        (connected and local routes). Several items of one task form one desired set.
    type: bool
    default: false
extends_documentation_fragment:
  - linuxnet.netns.netns
  - linuxnet.netns.netns.aggregate
  - linuxnet.netns.netns.attributes
seealso:
  - module: linuxnet.netns.netns_addr
author:
  - linuxnet.netns contributors (@linuxnet)
'''

EXAMPLES = r'''
- name: Default route of namespace nstest via the host end (seed 001)
  linuxnet.netns.netns_route:
    netns: nstest
    dest: default
    gateway: 192.168.11.100

- name: Dual-stack default routes of a container
  linuxnet.netns.netns_route:
    netns: c1
    aggregate:
      - {dest: default, gateway: 10.1.0.1}
      - {dest: default, gateway: 'fd00:1::1'}

- name: Route to another host's containers (host-gw)
  linuxnet.netns.netns_route:
    dest: 10.2.0.0/24
    gateway: 198.18.0.12

- name: An ECMP default route over two gateways, the second taking two flows in three
  linuxnet.netns.netns_route:
    netns: r1
    dest: default
    nexthops:
      - {gateway: 10.1.0.1}
      - {gateway: 10.1.0.2, weight: 2}

- name: Source-specific IPv6 route (ip -6 route add fd00:99::/64 from fd00:1::/64 via fd00:1::fe)
  linuxnet.netns.netns_route:
    dest: fd00:99::/64
    source_prefix: fd00:1::/64
    gateway: fd00:1::fe

- name: Remove it
  linuxnet.netns.netns_route:
    dest: 10.2.0.0/24
    state: absent
'''

RETURN = r'''
actions:
  description:
    - What was done, or in check mode what would be done, one line per change.
    - When the task fails, only what it did and left in effect (a change it could not undo).
  returned: always
  type: list
  elements: str
  sample: ["add route default via 192.168.11.100 in netns nstest"]
undone:
  description: When the task fails, what it had done and then undid, newest first.
  returned: failure
  type: list
  elements: str
  sample: ["create bridge br0 in the module's own namespace"]
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.linuxnet.netns.plugins.module_utils._netns import argspec, engine, plan_routes


def main():
    options = argspec.item_options(plan_routes.OPTIONS)
    module = AnsibleModule(**argspec.module_kwargs(options))
    engine.run(module, plan_routes.plan, options, plan_routes.REQUIRED, rules=plan_routes.RULES)


if __name__ == '__main__':
    main()
