#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.netns contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: netns_addr
short_description: Manage IPv4 and IPv6 addresses of an interface in a network namespace
version_added: 0.1.0
description:
  - Adds and removes addresses of an interface, as C(ip addr add) and C(ip addr del) do, in any
    namespace. Addresses are compared in normal form (C(2001:db8::1/64) is C(2001:0db8:0::1/64)).
  - Items of one task that name the same interface form one desired set.
options:
  interface:
    description:
      - The interface, in I(netns).
      - Required, at the top level or in every I(aggregate) item.
    type: str
  address:
    description: One address or a list, in CIDR form with the prefix (C(10.0.0.1/24), C(2001:db8::1/64)).
    type: list
    elements: str
  state:
    description: Whether the addresses are there (C(present)) or not (C(absent)).
    type: str
    choices: [present, absent]
    default: present
  exclusive:
    description:
      - Remove the interface's other global-scope addresses (IPv4 and IPv6). Link-local and
        host-scope addresses stay.
    type: bool
    default: false
  dad:
    description:
      - What to do about IPv6 duplicate address detection for new addresses.
      - C(wait) waits until they leave the tentative state (up to I(dad_timeout), then warns),
        so the next task can use them; C(skip) adds them with C(nodad), usable at once (what
        docker does in containers); C(ignore) neither.
    type: str
    choices: [wait, skip, ignore]
    default: wait
  dad_timeout:
    description: Seconds to wait with I(dad=wait).
    type: float
    default: 10
extends_documentation_fragment:
  - linuxnet.netns.netns
  - linuxnet.netns.netns.aggregate
  - linuxnet.netns.netns.attributes
seealso:
  - module: linuxnet.netns.netns_route
author:
  - linuxnet.netns contributors (@linuxnet)
'''

EXAMPLES = r'''
- name: The host end (seed 001)
  linuxnet.netns.netns_addr:
    interface: veth0s0
    address: 192.168.11.100/24

- name: The namespace end
  linuxnet.netns.netns_addr:
    netns: nstest
    interface: veth0s1
    address: 192.168.11.101/24

- name: Dual stack, exactly these global addresses, IPv6 usable at once
  linuxnet.netns.netns_addr:
    netns: c1
    interface: eth0
    address: [10.1.0.2/24, 'fd00:1::2/64']
    exclusive: true
    dad: skip

- name: Remove an address
  linuxnet.netns.netns_addr:
    interface: veth0s0
    address: 192.168.11.100/24
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
  sample: ["add 192.168.11.101/24 to veth0s1 in netns nstest"]
undone:
  description: When the task fails, what it had done and then undid, newest first.
  returned: failure
  type: list
  elements: str
  sample: ["create bridge br0 in the module's own namespace"]
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.linuxnet.netns.plugins.module_utils._netns import argspec, engine, plan_addresses


def main():
    options = argspec.item_options(plan_addresses.OPTIONS)
    module = AnsibleModule(**argspec.module_kwargs(options))
    engine.run(module, plan_addresses.plan, options, plan_addresses.REQUIRED)


if __name__ == '__main__':
    main()
