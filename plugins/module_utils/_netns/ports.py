# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.netns contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Published ports beyond one port of one address: port ranges, and the host's loopback address (pure).

A range (8000-8010:9000-9010) is published as one publication per port, as
docker does: each is checked for clashes and rendered like any other.

A loopback host address (127.0.0.1:8080:80) is served the way CNI's portmap
serves it: the output chain's DNAT sends the host's own connections into the
bridge, route_localnet=1 on the bridge lets their 127.0.0.1 source leave
lo's reach, the postrouting chain masquerades them, and an input guard
(CVE-2020-8558) drops what arrives for 127.0.0.0/8 on any other interface
than lo unless it answers or was translated by one of our connections.
Never a prerouting DNAT: that would publish the port to the whole network.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.linuxnet.netns.plugins.module_utils._netns import publish
from ansible_collections.linuxnet.netns.plugins.module_utils._netns.validation import ValidationError

_RANGE = re.compile(r'^\s*(\d+)\s*-\s*(\d+)\s*$')
ROUTE_LOCALNET = '/proc/sys/net/ipv4/conf/%s/route_localnet'
GUARD_KIND = 'input'


def port_range(value, what):
    """(first, last) of a port or a range of ports written N-M."""
    match = _RANGE.match(value) if isinstance(value, str) else None
    if match is None:
        number = publish.port(value, what)
        return number, number
    first = publish.port(match.group(1), what)
    last = publish.port(match.group(2), what)
    if last < first:
        raise ValidationError('%s %s: the range ends before it starts' % (what, value))
    return first, last


def pairs(host_port, port, where):
    """[(host port, port)] of a publication whose ports may be ranges of equal length."""
    host_first, host_last = port_range(host_port, where + 'host_port')
    if port in (None, ''):
        first, last = host_first, host_last
    else:
        first, last = port_range(port, where + 'port')
    if last - first != host_last - host_first:
        raise ValidationError('%shost ports %d-%d (%d) and ports %d-%d (%d) are ranges of different lengths; '
                              'give ranges of equal length, each host port goes to the port at the same place'
                              % (where, host_first, host_last, host_last - host_first + 1,
                                 first, last, last - first + 1))
    return [(host_first + offset, first + offset) for offset in range(host_last - host_first + 1)]


def protocol(value, where):
    value = value or 'tcp'
    if value not in publish.PROTOCOLS:
        raise ValidationError('%sprotocol %r is not supported; use %s' % (where, value, ', '.join(publish.PROTOCOLS)))
    return value


def loopback_host_address(address, where, in_interface):
    """Refuse a loopback host address the kernel cannot serve: ::1, or 127.0.0.0/8 without a bridge."""
    if address.version == 6:
        raise ValidationError('%shost_address %s: IPv6 has no route_localnet, the kernel never lets ::1 leave '
                              'lo, so it cannot be published into a bridge; publish on 127.0.0.1 (and connect to '
                              'it as such), or on one of the host\'s own IPv6 addresses' % (where, address))
    if not in_interface:
        raise ValidationError('%shost_address %s is a loopback address: give in_interface (the bridge or veth '
                              'the subnet is behind), where route_localnet is turned on to serve it'
                              % (where, address))


def route_localnet_wanted(spec):
    """The interface that must have route_localnet=1 for spec's loopback publications, or None."""
    if spec.get('state') == 'absent':
        return None
    if any(entry.get('loopback') for entry in spec.get('publish') or ()):
        return spec.get('in_interface')
    return None


def guard_rules(spec):
    """The CVE-2020-8558 guard: while route_localnet is on, 127.0.0.0/8 is reached only from lo."""
    if route_localnet_wanted(spec) is None:
        return []
    return ['iifname != "lo" ip daddr 127.0.0.0/8 ct state != { established, related } ct status & dnat == 0 drop']
