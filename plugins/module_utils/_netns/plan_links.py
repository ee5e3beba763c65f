# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.netns contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The options and planners of the veth and netns_link modules (the planners live in links/).

Both converge the same link attributes (mtu, mac, master, admin state) with
one RTM_NEWLINK per link; they differ in how a link comes to exist: a veth
is made with its peer already in the peer's namespace (so no half-made pair
is ever visible in the wrong place), other kinds are made in place or an
existing interface is moved in.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.linuxnet.netns.plugins.module_utils._netns.links import kinds, other, veth

STATES = ['present', 'up', 'down', 'absent']
LINK_KINDS = kinds.LINK_KINDS

# What every link has, whichever module manages it.
_COMMON_OPTIONS = dict(
    name=dict(type='str'),
    mtu=dict(type='int'),
    mac=dict(type='str'),
    master=dict(type='str'),
    state=dict(type='str', default='present', choices=STATES),
    recreate=dict(type='bool', default=False),
)

VETH_OPTIONS = dict(
    _COMMON_OPTIONS,
    peer=dict(type='str'),
    peer_netns=dict(type='str'),
    peer_mac=dict(type='str'),
)
VETH_REQUIRED = ('name',)

LINK_OPTIONS = dict(
    _COMMON_OPTIONS,
    kind=dict(type='str', choices=LINK_KINDS),
    from_netns=dict(type='str'),
    parent=dict(type='str'),
    **kinds.options()
)
LINK_REQUIRED = ('name',)

plan_veth = veth.plan_veth
plan_link = other.plan_link
