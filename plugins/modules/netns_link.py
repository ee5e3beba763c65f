#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.netns contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: netns_link
short_description: Manage bridges, vxlan, macvlan and other links in a network namespace, and move interfaces between namespaces
version_added: 0.1.0
description:
  - Creates links of kind C(bridge), C(dummy), C(vlan), C(vxlan) and C(macvlan) in a namespace
    and converges their MTU, MAC address, master bridge and admin state.
  - Moves an existing interface (a physical NIC too) into I(netns) from I(from_netns), and
    back (C(ip link set DEV netns NS)).
  - Attributes the kernel cannot change in place (a vxlan's vni, local or remote address, port,
    underlay device; a vlan's id or parent; a macvlan's mode or parent) are applied by deleting
    and recreating the link. A link of another kind is an error unless I(recreate=true).
options:
  name:
    description:
      - Name of the link. At most 15 bytes.
      - Required, at the top level or in every I(aggregate) item.
    type: str
  kind:
    description:
      - Kind of link to create. Left out, the link must already exist in I(netns) or
        I(from_netns) (a physical NIC, or a link made elsewhere).
      - C(dummy) and C(vlan) need the kernel's dummy and 8021q drivers.
    type: str
    choices: [bridge, dummy, vlan, vxlan, macvlan]
  from_netns:
    description:
      - Where to find the interface if it is not in I(netns) yet; it is moved into I(netns).
      - A name under C(/run/netns) or an absolute path. Left out, only I(netns) is looked at.
      - To move an interface back to the host, leave out I(netns) and set I(from_netns).
      - Moving drops the interface's addresses and bridge, as the kernel does.
    type: str
  mtu:
    description:
      - MTU of the link, within what its driver takes (68 to 65535 for bridge, vxlan, macvlan and
        vlan; C(lo) and C(dummy) take more), and for C(macvlan) and C(vlan) at most the parent's.
      - A bridge gets its MTU once it exists, so that the kernel keeps it when ports join.
    type: int
  mac:
    description: MAC address of the link.
    type: str
  master:
    description: Bridge to attach the link to; C("") detaches it.
    type: str
  state:
    description:
      - C(present) and C(up) make sure the link exists and is up; C(down) that it exists and is
        down; C(absent) deletes it (a physical interface cannot be deleted).
    type: str
    choices: [present, up, down, absent]
    default: present
  recreate:
    description:
      - Replace a link of another kind that holds I(name) instead of failing.
      - A link is also replaced when what the kernel cannot change in place differs (vni, dstport,
        addresses or device of a C(vxlan); id or parent of a C(vlan); parent or mode of a C(macvlan)).
        The new link is made under a temporary name first and renamed into place once the old one
        is deleted, so a link the kernel refuses (a vni another vxlan has) leaves the old one
        untouched; where both cannot exist at once (the same vni and port, the same macvlan MAC) the
        old one goes first. If a later change of the task fails, the deleted link is made again
        (same index, settings, mtu, MAC, master, state and addresses; not routes through it).
    type: bool
    default: false
  parent:
    description: Lower device of a C(vlan) or C(macvlan) link, in I(netns).
    type: str
  vlan_id:
    description: VLAN id (1-4094) of a C(vlan) link.
    type: int
  vni:
    description: VXLAN network identifier of a C(vxlan) link.
    type: int
  local:
    description: Source address of a C(vxlan) link's packets.
    type: str
  remote:
    description: Unicast address of the other end of a C(vxlan) link.
    type: str
  group:
    description: Multicast group of a C(vxlan) link.
    type: str
  remotes:
    description:
      - Unicast addresses of the other ends of a C(vxlan) link that has several, for overlays
        without multicast. Broadcast and unknown-destination frames are sent to each of them
        (head-end replication), as C(bridge fdb append 00:00:00:00:00:00 dev NAME dst ADDRESS)
        does for each address.
      - The list is exact and is converged in place, without recreating the link; C([]) removes
        every such entry. Left out, the link's forwarding database is not looked at.
      - Mutually exclusive with I(remote) and I(group).
    type: list
    elements: str
  dstport:
    description: UDP port of a C(vxlan) link. Defaults to the IANA port 4789 (the kernel's own default is 8472).
    type: int
  device:
    description: Underlay device of a C(vxlan) link.
    type: str
  macvlan_mode:
    description: Mode of a C(macvlan) link; defaults to C(bridge).
    type: str
    choices: [private, vepa, bridge, passthru, source]
extends_documentation_fragment:
  - linuxnet.netns.netns
  - linuxnet.netns.netns.aggregate
  - linuxnet.netns.netns.attributes
seealso:
  - module: linuxnet.netns.veth
author:
  - linuxnet.netns contributors (@linuxnet)
'''

EXAMPLES = r'''
- name: A bridge, as "ip link add br0 type bridge; ip link set br0 up" (seed 002)
  linuxnet.netns.netns_link:
    name: br0
    kind: bridge

- name: A vxlan overlay to another host
  linuxnet.netns.netns_link:
    name: vxlan42
    kind: vxlan
    vni: 42
    local: 198.18.0.11
    remote: 198.18.0.12
    device: eth0
    master: br0

- name: A routed vxlan overlay to several hosts, without multicast
  linuxnet.netns.netns_link:
    name: vxlan-dbr0
    kind: vxlan
    vni: 42
    local: 198.18.0.11
    device: eth0
    remotes: [198.18.0.12, 198.18.0.13]

- name: Move veth0s1 back from namespace nstest to the host (seed 001)
  linuxnet.netns.netns_link:
    name: veth0s1
    from_netns: nstest

- name: Move a NIC from the host (the namespace of PID 1) into a namespace
  linuxnet.netns.netns_link:
    name: eth1
    netns: router
    from_netns: /proc/1/ns/net

- name: Delete a bridge
  linuxnet.netns.netns_link:
    name: br0
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
  sample: ["create bridge br0 in the module's own namespace"]
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
    options = argspec.item_options(plan_links.LINK_OPTIONS)
    module = AnsibleModule(**argspec.module_kwargs(options))
    engine.run(module, plan_links.plan_link, options, plan_links.LINK_REQUIRED)


if __name__ == '__main__':
    main()
