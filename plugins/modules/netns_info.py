#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.netns contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: netns_info
short_description: List every network namespace on the host, and what is in each
version_added: 0.1.0
description:
  - Finds every network namespace on the host, not only the names under C(/run/netns) that
    C(ip netns list) shows. It looks at named namespaces (C(/run/netns/NAME), symlinks to
    C(/proc/PID/ns/net) included), docker's (C(/var/run/docker/netns/ID), the C(SandboxKey) of
    C(docker inspect)), any other bind mount of a namespace file (from C(/proc/self/mountinfo)),
    every process's C(/proc/PID/ns/net) (so namespaces that only processes hold are found, with
    their PIDs and commands), and the namespace the module runs in (C(own=true)).
  - A namespace found in several places (a name, a docker file and the processes in it) is
    reported once, with all of them.
  - For each it returns its inode and nsid, and unless I(detail=false) its links (kind, state,
    MTU, MAC, master, the veth peer or parent device and the namespace that one is in),
    addresses and routes.
  - Read only. It never creates a namespace and changes nothing, so check mode returns the same.
options:
  name:
    description:
      - Report only the namespaces with one of these names under C(/run/netns) or under
        C(/var/run/docker/netns). Names match exactly.
      - With I(pid) and I(path), a namespace is reported if it matches any of them. Without any
        of the three, every namespace is reported.
    type: list
    elements: str
  pid:
    description:
      - Report only the network namespaces of these processes (and those I(name) and I(path)
        select).
    type: list
    elements: int
  path:
    description:
      - Report only the namespaces at these paths, for example C(/proc/123/task/456/ns/net) or a
        bind mount in a place the module does not look at (and those I(name) and I(pid) select).
    type: list
    elements: path
  detail:
    description:
      - Read each namespace's links, addresses and routes.
      - With C(false) only which namespaces there are, where and who holds them, which is
        cheaper with hundreds of them.
    type: bool
    default: true
attributes:
  check_mode:
    support: full
    description: It changes nothing in any mode; check mode returns the same.
  diff_mode:
    support: none
    description: Nothing changes, so there is nothing to diff.
  platform:
    support: full
    platforms: linux
    description: Linux only.
requirements:
  - pyroute2 >= 0.7.2 on the managed host
  - root on the managed host
notes:
  - Namespaces that nothing pins where the module looks (held only by a thread other than a
    process's main thread, or by an open descriptor) are not found; give their path in I(path).
  - A veth's peer namespace is found from the nsid the link carries, looked up in the namespace
    the link is in. When the kernel lists such a link, it gives the peer's namespace an nsid if it
    had none, as C(ip link) does; this module asks for no nsid itself.
  - Routes that the kernel derives from addresses in the C(local) table are left out, as
    C(ip route show) leaves out that table; routes a user added there are reported.
  - Each namespace is entered once with C(setns) on the module's own thread and read through one
    netlink socket, which takes a few milliseconds per namespace.
seealso:
  - module: linuxnet.netns.netns
  - plugin: linuxnet.netns.netns
    plugin_type: become
author:
  - linuxnet.netns contributors (@linuxnet)
'''

EXAMPLES = r'''
- name: Every network namespace, docker's and unnamed ones too
  linuxnet.netns.netns_info:
  register: found

- name: Show which namespace each veth leads to
  ansible.builtin.debug:
    msg: "{{ item.0.netns }} {{ item.1.name }} -> {{ item.1.peer.name }} in {{ item.1.peer.netns }}"
  loop: "{{ found.namespaces | subelements('links') }}"
  when: item.1.peer is not none
  loop_control:
    label: "{{ item.0.netns }} {{ item.1.name }}"

- name: One namespace, by name
  linuxnet.netns.netns_info:
    name: blue
  register: blue

- name: Its addresses
  ansible.builtin.debug:
    msg: "{{ blue.namespaces[0].addresses | map(attribute='address') | list }}"

- name: The namespace of a container's process (seed 004, the Pid that docker inspect shows)
  linuxnet.netns.netns_info:
    pid: 31817

- name: Only which namespaces there are, who holds them, and where
  linuxnet.netns.netns_info:
    detail: false
  register: listed

- name: Name every namespace that only processes hold, so that ip netns sees it
  linuxnet.netns.netns:
    name: "proc{{ item.pids[0].pid }}"
    pid: "{{ item.pids[0].pid }}"
  loop: "{{ listed.namespaces | rejectattr('own') | selectattr('names', 'equalto', [])
            | selectattr('paths', 'equalto', []) }}"
  loop_control:
    label: "{{ item.netns }}"

# ad hoc: ansible host -b -m linuxnet.netns.netns_info -a name=blue
'''

RETURN = r'''
actions:
  description: What was done - always nothing, as for every module of this collection that changes nothing.
  returned: always
  type: list
  elements: str
  sample: []
namespaces:
  description:
    - One entry per network namespace, the module's own first, then named ones by name, docker's,
      other bind mounts, and those only processes hold, by lowest PID.
  returned: always
  type: list
  elements: dict
  contains:
    netns:
      description:
        - What the I(netns) option of this collection's modules (and the C(linuxnet.netns.netns)
          become plugin) takes to act in this namespace - its first name, else C(/proc/1/ns/net)
          if PID 1 is in it (the host's), else its first path, else C(/proc/PID/ns/net) of its
          first process. Null only for an own namespace without any of these.
      type: str
      sample: blue
    inode:
      description: The namespace's inode, as C(ip netns identify), C(lsns) and C(ls -l /proc/PID/ns/net) show it.
      type: int
      sample: 4026532296
    nsid:
      description: The id the module's own namespace gives it (C(ip netns list-id)), null if none.
      type: int
      sample: 0
    own:
      description: Whether it is the namespace the module runs in (usually the host's).
      type: bool
      sample: false
    names:
      description: Its names under C(/run/netns).
      type: list
      elements: str
      sample: [blue]
    docker:
      description: Its file names under C(/var/run/docker/netns) (container sandbox ids, or C(default)).
      type: list
      elements: str
      sample: [b63ec59b3d9e]
    paths:
      description: Every file that pins it - names, docker's files, other bind mounts (and a I(path) asked for).
      type: list
      elements: str
      sample: [/run/netns/blue]
    pids:
      description:
        - The processes in it (main threads only), by PID; the module itself is left out.
      type: list
      elements: dict
      contains:
        pid:
          description: The process id.
          type: int
          sample: 31817
        command:
          description: The command's name (C(/proc/PID/comm)).
          type: str
          sample: nginx
    links:
      description: Its links by index, as C(ip link) shows them.
      returned: when I(detail=true)
      type: list
      elements: dict
      contains:
        name:
          description: The interface name.
          type: str
          sample: veth1
        index:
          description: The interface index in this namespace.
          type: int
          sample: 3
        kind:
          description: The link kind (C(veth), C(bridge), C(dummy), C(vlan), ...); null for C(lo) and physical devices.
          type: str
          sample: veth
        state:
          description: The operational state (C(UP), C(DOWN), C(LOWERLAYERDOWN), C(UNKNOWN), ...).
          type: str
          sample: UP
        up:
          description: Whether it is administratively up (C(ip link set up)).
          type: bool
          sample: true
        mtu:
          description: The MTU.
          type: int
          sample: 1500
        mac:
          description: The MAC address, lower case; null for links without one.
          type: str
          sample: ea:52:58:cd:d7:07
        master:
          description: The bridge (or bond, VRF) it is enslaved to, null if none.
          type: str
          sample: br0
        addresses:
          description: Its addresses in CIDR form.
          type: list
          elements: str
          sample: [10.1.1.1/16]
        peer:
          description:
            - For a veth, its other end; null for other kinds.
            - C(name), C(netns) and C(netns_inode) are null when the peer's namespace was not found.
          type: dict
          contains:
            name:
              description: The peer's interface name.
              type: str
              sample: veth0
            index:
              description: The peer's index in its namespace.
              type: int
              sample: 4
            netnsid:
              description: The nsid this namespace gives the peer's (C(link-netnsid)); null if it is in this one.
              type: int
              sample: 0
            netns:
              description: The peer's namespace, as in I(netns) of its entry.
              type: str
              sample: /proc/1/ns/net
            netns_inode:
              description: The inode of the peer's namespace.
              type: int
              sample: 4026531840
        parent:
          description:
            - For a link on top of another (vlan, macvlan, ipvlan), that device, possibly in
              another namespace; null if none. The same keys as I(peer).
          type: dict
    addresses:
      description: Its addresses, as C(ip addr) shows them.
      returned: when I(detail=true)
      type: list
      elements: dict
      contains:
        interface:
          description: The link it is on.
          type: str
          sample: veth1
        address:
          description: The address with its prefix length.
          type: str
          sample: 10.1.1.1/16
        family:
          description: 4 or 6.
          type: int
          sample: 4
        scope:
          description: C(global), C(link), C(host), C(site).
          type: str
          sample: global
    routes:
      description:
        - Its IPv4 and IPv6 routes of every table, as C(ip route show table all) shows them,
          without those the kernel derives from addresses in the C(local) table.
      returned: when I(detail=true)
      type: list
      elements: dict
      contains:
        family:
          description: 4 or 6.
          type: int
          sample: 4
        dest:
          description: C(default) or the destination network in CIDR form.
          type: str
          sample: 10.1.0.0/16
        gateway:
          description: The next hop, null for a route to a link.
          type: str
          sample: 10.1.1.3
        interface:
          description: The outgoing link, null if none (a blackhole route, a multipath route).
          type: str
          sample: veth1
        table:
          description: C(main), C(local), C(default) or the table number, as I(table) of C(linuxnet.netns.netns_route) takes it.
          type: str
          sample: main
        metric:
          description: The metric (priority), null if the kernel reports none.
          type: int
          sample: 100
        source:
          description: The preferred source address, null if none.
          type: str
          sample: 10.1.1.1
        proto:
          description: Who made it (C(kernel), C(boot) for C(ip route add), C(static), C(dhcp), ... or a number).
          type: str
          sample: kernel
        scope:
          description: C(global), C(link), C(host), ...
          type: str
          sample: link
        type:
          description: C(unicast), C(local), C(blackhole), C(unreachable), C(prohibit), ...
          type: str
          sample: unicast
        multipath:
          description: Whether it has several next hops (which are not listed).
          type: bool
          sample: false
  sample:
    - netns: /proc/1/ns/net
      inode: 4026531840
      nsid: null
      own: true
      names: []
      docker: []
      paths: []
      pids: [{pid: 1, command: systemd}]
    - netns: blue
      inode: 4026532296
      nsid: 0
      own: false
      names: [blue]
      docker: []
      paths: [/run/netns/blue]
      pids: []
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.linuxnet.netns.plugins.module_utils._netns import info


def main():
    module = AnsibleModule(argument_spec=info.OPTIONS, supports_check_mode=True)
    info.run(module)


if __name__ == '__main__':
    main()
