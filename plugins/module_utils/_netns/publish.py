# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.netns contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Published ports, as netns_nat's rule sets and netns_bridge's containers give them.

One reading of a publication's text form, one port check, and one rule
for when two publications take the same port of the host.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.linuxnet.netns.plugins.module_utils._netns import validation
from ansible_collections.linuxnet.netns.plugins.module_utils._netns.validation import ValidationError

PROTOCOLS = ('tcp', 'udp', 'sctp')
KEYS = ('host_port', 'port', 'protocol', 'host_address')
TEXT_FORM = '[HOST_ADDRESS:]HOST_PORT[:PORT][/PROTOCOL]'
# ports may be ranges (8000-8010); the protocol is any word here, so that a wrong one is named as such
_TEXT = re.compile(r'^(?:(?P<host_address>\[[0-9A-Fa-f:.]+\]|\d+\.\d+\.\d+\.\d+):)?(?P<host_port>\d+(?:-\d+)?)'
                   r'(?::(?P<port>\d+(?:-\d+)?))?(?:/(?P<protocol>[A-Za-z0-9]+))?$')


def from_text(text):
    """The keys of a publication written as TEXT_FORM (docker's -p), or None if it is not one."""
    match = _TEXT.match(text.strip())
    if not match:
        return None
    entry = dict((key, value) for key, value in match.groupdict().items() if value is not None)
    if 'host_address' in entry:
        entry['host_address'] = entry['host_address'].strip('[]')
    return entry


def port(value, what):
    """A TCP, UDP or SCTP port number (1..65535)."""
    if value is None:
        raise ValidationError('%s %r is out of range (1..65535)' % (what, value))
    return validation.number(value, what, 1, 65535)


def clash(entries):
    """The first two entries that take the same port of the host, as (earlier, later), or None.

    entries: dicts with protocol, host_port, family, and host_address
    (None: every address of the host), normalized the same way.
    """
    seen = {}
    for entry in entries:
        key = (entry['protocol'], entry['host_port'], entry['family'])
        for other in seen.get(key, []):
            if None in (other['host_address'], entry['host_address']) or other['host_address'] == entry['host_address']:
                return other, entry
        seen.setdefault(key, []).append(entry)
    return None
