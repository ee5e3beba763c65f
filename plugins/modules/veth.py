#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.netns contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: veth
short_description: Manage veth pairs across network namespaces
version_added: 0.1.0
description:
  - Creates a veth pair with one end (I(name)) in I(netns) and the other (I(peer)) in
    I(peer_netns), in one netlink request, so the peer never appears in the wrong namespace
    and a name taken there (C(eth0) in a container) is no problem.
  - Converges MTU (both ends), MAC addresses, the bridge of the I(name) end and the admin state.
  - An existing pair whose peer sits in another namespace is moved, not recreated.
  - A name that exists but is not a veth, or is a veth with another peer, is an error that says
    so, unless I(recreate=true).
options:
  name:
    description:
      - Name of the end in I(netns). At most 15 bytes.
      - Required, at the top level or in every I(aggregate) item.
    type: str
  peer:
    description: Name of the other end, in I(peer_netns). Required unless I(state=absent).
    type: str
  peer_netns:
    description:
      - Namespace of the I(peer) end; a name under C(/run/netns) or an absolute path such as
        C(/proc/PID/ns/net). Defaults to I(netns).
    type: str
  mtu:
    description:
      - MTU of both ends, 68 to 65535 (what the veth driver takes).
    type: int
  mac:
    description: MAC address of the I(name) end (case does not matter).
    type: str
  peer_mac:
    description: MAC address of the I(peer) end.
    type: str
  master:
    description: Bridge (in I(netns)) to attach the I(name) end to; C("") detaches it.
    type: str
  state:
    description:
      - C(present) and C(up) make sure the pair exists with both ends up; C(down) that it exists
        with both ends down; C(absent) removes it (deleting one end deletes both).
    type: str
    choices: [present, up, down, absent]
    default: present
  recreate:
    description:
      - Replace a link that is in the way (a non-veth named I(name), a veth with another peer,
        or a link named I(peer) in I(peer_netns)) instead of failing.
      - The new pair is made under temporary names first and renamed into place once the links in
        its way are deleted, so a pair the kernel refuses leaves them untouched. If a later change
        of the task fails, a deleted link is made again (same index, mtu, MAC, master, state and
        addresses; not the routes through it).
    type: bool
    default: false
extends_documentation_fragment:
  - linuxnet.netns.netns
  - linuxnet.netns.netns.aggregate
  - linuxnet.netns.netns.attributes
seealso:
  - module: linuxnet.netns.netns
  - module: linuxnet.netns.netns_link
author:
  - linuxnet.netns contributors (@linuxnet)
'''

EXAMPLES = r'''
- name: Connect the host to namespace nstest (seed 001, experiment 1)
  linuxnet.netns.veth:
    name: veth0s0
    peer: veth0s1
    peer_netns: nstest

- name: A docker-style container link, eth0 inside, host end on a bridge
  linuxnet.netns.veth:
    name: veth-c1
    peer: eth0
    peer_netns: c1
    master: docker0
    mtu: 1450

- name: Into the namespace of a running process (seed 000)
  linuxnet.netns.veth:
    name: veth0
    peer: veth0container
    peer_netns: /proc/4242/ns/net

- name: Many pairs in one task
  linuxnet.netns.veth:
    master: br0
    aggregate:
      - {name: veth-c1, peer: eth0, peer_netns: c1}
      - {name: veth-c2, peer: eth0, peer_netns: c2}

- name: Remove a pair
  linuxnet.netns.veth:
    name: veth0s0
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
  sample: ["create veth veth0s0 <-> veth0s1 (peer in netns nstest)"]
undone:
  description: When the task fails, what it had done and then undid, newest first.
  returned: failure
  type: list
  elements: str
  sample: ["create bridge br0 in the module's own namespace"]
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.linuxnet.netns.plugins.module_utils._netns import argspec, engine, plan_links


def main():
    options = argspec.item_options(plan_links.VETH_OPTIONS)
    module = AnsibleModule(**argspec.module_kwargs(options))
    engine.run(module, plan_links.plan_veth, options, plan_links.VETH_REQUIRED)


if __name__ == '__main__':
    main()
