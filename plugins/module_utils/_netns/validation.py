# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.netns contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Input checks and normal forms shared by every module.

Everything here is pure: no kernel, no file system, so that bad input is
refused before a namespace is entered and the planning logic can be unit
tested without root.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import re


IFNAMSIZ = 16  # the kernel's limit, including the terminating NUL
INTERFACE_NAME_MAX = IFNAMSIZ - 1  # bytes an interface name may have
NAME_MAX = 255
MTU_MIN = 68  # below it IPv4 stops working (the kernel's ETH_MIN_MTU); lo alone would go lower
MTU_MAX = 2 ** 31 - 1  # the kernel keeps an MTU in an int; lo and dummy take any up to it
ETH_MAX_MTU = 65535  # what veth, bridge, vxlan, macvlan and vlan drivers accept at most

_MAC_RE = re.compile(r'^[0-9a-f]{2}(:[0-9a-f]{2}){5}$')


class ValidationError(Exception):
    """Bad input: the message is meant for a person and names the value."""


def interface_name(value, what='interface name'):
    if not isinstance(value, str) or value == '':
        raise ValidationError('%s must be a non-empty string, got %r' % (what, value))
    raw = value.encode('utf-8')
    if len(raw) >= IFNAMSIZ:
        raise ValidationError('%s %r is %d bytes long; Linux allows at most %d bytes'
                              % (what, value, len(raw), IFNAMSIZ - 1))
    if value in ('.', '..'):
        raise ValidationError('%s %r is not allowed' % (what, value))
    for char in value:
        if char in '/%:' or char.isspace() or ord(char) < 32 or ord(char) == 127:
            raise ValidationError("%s %r contains %r; '/', '%%', ':', whitespace and control "
                                  'characters are not allowed' % (what, value, char))
    return value


def namespace_name(value):
    """A name under /run/netns: one path component that cannot escape it."""
    if not isinstance(value, str) or value == '':
        raise ValidationError('namespace name must be a non-empty string, got %r' % (value,))
    if value in ('.', '..'):
        raise ValidationError('namespace name %r would escape /run/netns' % value)
    if '/' in value:
        raise ValidationError("namespace name %r contains '/'; give a name under /run/netns "
                              'or, where a path is accepted, an absolute path' % value)
    if value.startswith('-'):
        raise ValidationError("namespace name %r starts with '-'" % value)
    if any(ord(char) < 32 or ord(char) == 127 for char in value):
        raise ValidationError('namespace name %r contains control characters' % value)
    if len(value.encode('utf-8')) > NAME_MAX:
        raise ValidationError('namespace name %r is longer than %d bytes' % (value, NAME_MAX))
    return value


def namespace_ref(value):
    """The I(netns) option: a name under /run/netns or an absolute path.

    Returns None for "the namespace the module runs in".
    """
    if value is None or value == '':
        return None
    if isinstance(value, str) and value.startswith('/'):
        if '\0' in value:
            raise ValidationError('namespace path %r contains a NUL byte' % value)
        return value
    return namespace_name(value)


def number(value, what, low, high, error=ValidationError):
    """An integer in low..high; a bool or a text that is no number is refused by name (raising error)."""
    if isinstance(value, bool):
        raise error('%s must be a number, got %r' % (what, value))
    try:
        result = int(value)
    except (TypeError, ValueError):
        raise error('%s must be a number, got %r' % (what, value))
    if not low <= result <= high:
        raise error('%s %d is out of range (%d..%d)' % (what, result, low, high))
    return result


def mtu(value, what='mtu'):
    """An MTU any link could take; each driver's own limit is checked against the link."""
    if value is None:
        return None
    if not MTU_MIN <= int(value) <= MTU_MAX:
        raise ValidationError('%s %s is out of range (%d..%d)' % (what, value, MTU_MIN, MTU_MAX))
    return int(value)


def mtu_for_link(value, name, low, high, what='mtu'):
    """value within what the link's driver accepts (low/high None: no such limit)."""
    if value is None:
        return
    if (low and value < low) or (high and value > high):
        raise ValidationError('%s %d is out of range for %s (%d..%d)' % (what, value, name, low or MTU_MIN,
                                                                         high or MTU_MAX))


def mac_address(value, what='mac'):
    if value is None:
        return None
    normal = str(value).strip().lower().replace('-', ':')
    if not _MAC_RE.match(normal):
        raise ValidationError('%s %r is not a MAC address like 02:42:ac:11:00:02' % (what, value))
    if int(normal[:2], 16) & 1:
        raise ValidationError('%s %r is a multicast address; a link needs a unicast one' % (what, value))
    return normal


def ip_address(value, what='address'):
    try:
        return ipaddress.ip_address(u'%s' % value)
    except ValueError:
        raise ValidationError('%s %r is not an IP address' % (what, value))


def interface_address(value, what='address'):
    """An address with its prefix, as on an interface: 10.0.0.1/24, 2001:db8::1/64."""
    text = u'%s' % value
    if '/' not in text:
        raise ValidationError('%s %r needs a prefix length, e.g. 10.0.0.1/24 or 2001:db8::1/64'
                              % (what, value))
    try:
        return ipaddress.ip_interface(text)
    except ValueError:
        raise ValidationError('%s %r is not an address in CIDR form' % (what, value))


def network(value, what='network', strict=True):
    """A network: host bits must be zero (10.1.0.0/16, not 10.1.0.1/16)."""
    text = u'%s' % value
    try:
        return ipaddress.ip_network(text, strict=strict)
    except ValueError as exc:
        if 'host bits set' in str(exc):
            raise ValidationError('%s %r has host bits set; did you mean %s?'
                                  % (what, value, ipaddress.ip_network(text, strict=False)))
        raise ValidationError('%s %r is not a network in CIDR form' % (what, value))


def route_destination(value, family=None):
    """C(default) or a CIDR; returns an ip_network. A bare address is a /32 or /128."""
    if value in ('default', 'any', 'all'):
        if family == 6:
            return ipaddress.ip_network(u'::/0')
        return ipaddress.ip_network(u'0.0.0.0/0')
    return network(value, 'dest')


def as_list(value):
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]


# a container's own service (netns_bridge): a systemd service's name, never one of the collection's own
UNIT_NAME = re.compile(r'^[A-Za-z0-9:_.@\\-]+\.service$')


def checked_command(value, where):
    if not isinstance(value, str) or not value.strip() or '\n' in value or '\r' in value:
        raise ValidationError('%s: command must be one line of text, got %r' % (where, value))
    return value.strip()


def checked_unit(value, where):
    if not isinstance(value, str) or not UNIT_NAME.match(value) or value.startswith('linuxnet-netns-'):
        raise ValidationError('%s: service %r is not the name of a systemd service (NAME.service)' % (where, value))
    return value
