# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.netns contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Planner of the netns_addr module: addresses of one interface per group of items."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import time

from ansible_collections.linuxnet.netns.plugins.module_utils._netns import engine, validation
from ansible_collections.linuxnet.netns.plugins.module_utils._netns import netlink_requests as requests
from ansible_collections.linuxnet.netns.plugins.module_utils._netns.engine import PlanFailure, about, netns_of

IFA_F_DADFAILED = 0x08
IFA_F_TENTATIVE = 0x40
RT_SCOPE_UNIVERSE = 0

OPTIONS = dict(
    interface=dict(type='str'),
    address=dict(type='list', elements='str'),
    state=dict(type='str', default='present', choices=['present', 'absent']),
    exclusive=dict(type='bool', default=False),
    dad=dict(type='str', default='wait', choices=['wait', 'skip', 'ignore']),
    dad_timeout=dict(type='float', default=10.0),
)
REQUIRED = ('interface',)


def group_items(items):
    """Items by (netns, interface), in first-seen order: one desired set per interface."""
    groups = {}
    for item in items:
        with about(item):
            interface = validation.interface_name(item['interface'], 'interface')
            addresses = [validation.interface_address(value) for value in item['address'] or []]
            if not addresses and not (item['exclusive'] and item['state'] == 'present'):
                raise validation.ValidationError('address is required (or exclusive=true with no '
                                                 'address, to remove every global address)')
            if item['dad_timeout'] < 0:
                raise validation.ValidationError('dad_timeout must not be negative')
            key = (netns_of(item), interface)
        group = groups.setdefault(key, dict(present=[], absent=[], exclusive=False,
                                            dad=item['dad'], dad_timeout=item['dad_timeout']))
        group[item['state']].extend(addresses)
        group['exclusive'] = group['exclusive'] or item['exclusive']
    for (netns, interface), group in groups.items():
        both = set(group['present']) & set(group['absent'])
        if both:
            raise validation.ValidationError('%s is asked both present and absent on %s'
                                             % (', '.join(sorted(str(a) for a in both)), interface))
    return groups


def current_addresses(session, link):
    """ip_interface -> kernel record, for the link's addresses."""
    if link is None or link['index'] is None:
        return {}
    found = {}
    for record in session.addresses():
        if record['index'] == link['index']:
            found[ipaddress.ip_interface(u'%s/%d' % (record['address'], record['prefixlen']))] = record
    return found


def plan(host, items, plan):
    for (netns, interface), group in group_items(items).items():
        session = host.session(netns)
        link = session.link(interface)
        host.require(link is not None, 'interface %s does not exist in %s' % (interface, session.label))
        current = current_addresses(session, link)
        wanted = list(dict.fromkeys(group['present']))
        remove = [a for a in dict.fromkeys(group['absent']) if a in current]
        if group['exclusive']:
            remove += [a for a, record in current.items()
                       if record['scope'] == RT_SCOPE_UNIVERSE and a not in wanted and a not in remove]
        add = [a for a in wanted if a not in current]
        key = '%s:%s' % (session.label, interface)
        plan.state(key, sorted(str(a) for a in current),
                   sorted(str(a) for a in (set(current) - set(remove)) | set(wanted)))
        for address in remove:
            _plan_del(plan, session, interface, address)
        for address in add:
            _plan_add(plan, session, interface, address, group['dad'])
        new_ipv6 = [a for a in add if a.version == 6]
        if new_ipv6 and group['dad'] == 'wait':
            plan.after_apply(lambda applied, s=session, i=interface, n=new_ipv6, t=group['dad_timeout']:
                             applied and wait_for_dad(host, s, i, n, t))


@engine.operation('address.add')
def add_address(session, interface, address, nodad=False):
    """Add address ('10.0.0.1/24') to interface; nodad: an IPv6 address usable at once."""
    session.send('add %s' % address, _request(True, session, interface, address, nodad))


@engine.operation('address.remove')
def remove_address(session, interface, address):
    session.send('remove %s' % address, _request(False, session, interface, address))


def _request(add, session, interface, address, nodad=False):
    address = ipaddress.ip_interface(u'%s' % address)
    return requests.address(add, session.index_of(interface), address.version, address.ip,
                            address.network.prefixlen, nodad)


def _plan_add(plan, session, interface, address, dad):
    nodad = dad == 'skip' and address.version == 6
    plan.add('add %s to %s in %s' % (address, interface, session.label),
             engine.Op(add_address, session, interface=interface, address=str(address), nodad=nodad),
             engine.Op(remove_address, session, interface=interface, address=str(address)))


def _plan_del(plan, session, interface, address):
    plan.add('remove %s from %s in %s' % (address, interface, session.label),
             engine.Op(remove_address, session, interface=interface, address=str(address)),
             engine.Op(add_address, session, interface=interface, address=str(address)))


def wait_for_dad(host, session, interface, addresses, timeout):
    """Wait until new IPv6 addresses leave the tentative state, so the next task can use them."""
    index = session.index_of(interface)
    deadline = time.time() + timeout
    pending = set(addresses)
    while True:
        session.forget_addresses()  # re-read: the kernel changes the flags as DAD runs
        flags = dict((ipaddress.ip_interface(u'%s/%d' % (r['address'], r['prefixlen'])), r['flags'])
                     for r in session.addresses() if r['index'] == index)
        failed = [a for a in pending if flags.get(a, 0) & IFA_F_DADFAILED]
        if failed:
            raise PlanFailure('duplicate address detection failed for %s on %s in %s: another host '
                              'has it' % (', '.join(str(a) for a in failed), interface, session.label))
        pending = set(a for a in pending if flags.get(a, 0) & IFA_F_TENTATIVE)
        if not pending:
            return
        if time.time() >= deadline:
            host.warn('%s on %s in %s still tentative after %.0fs (is the link down or without '
                      'carrier?); set dad=skip to use addresses at once'
                      % (', '.join(sorted(str(a) for a in pending)), interface, session.label, timeout))
            return
        time.sleep(0.1)
