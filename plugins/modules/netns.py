#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.netns contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: netns
short_description: Manage named network namespaces
version_added: 0.1.0
description:
  - Creates and removes named network namespaces the way C(ip netns add) and C(ip netns del) do
    (a bind mount under C(/run/netns) on a shared mount), so C(ip netns) sees and uses them.
  - Attaches an existing namespace (a process's, or docker's) under a name, as
    C(ip netns attach NAME PID) or C(ln -s /proc/PID/ns/net /run/netns/NAME) do.
  - Brings C(lo) up inside, and sets the namespace's id (nsid) as C(ip netns set) does.
  - Takes the lock C(ip netns) takes on C(/run/netns), so several forks or playbooks at once
    converge.
options:
  name:
    description:
      - Name of the namespace under C(/run/netns), or a list of names.
      - Names match exactly, so C(mario) is not C(mario2).
      - Must not be empty, start with C(-), or contain C(/) or control characters.
    type: list
    elements: str
  state:
    description:
      - C(present) creates (or attaches) the namespace; C(absent) removes the name.
      - Removing a namespace that is gone already does nothing.
    type: str
    choices: [present, absent]
    default: present
  loopback:
    description: Bring the C(lo) interface up inside the namespace.
    type: bool
    default: true
  pid:
    description:
      - Attach the network namespace of this process under I(name) instead of creating one.
      - Mutually exclusive with I(path).
    type: int
  path:
    description:
      - Attach the network namespace at this path (for example C(/var/run/docker/netns/ID))
        under I(name) instead of creating one.
    type: path
  nsid:
    description:
      - The id the module's own namespace gives this namespace (C(ip netns set NAME NSID)).
      - The kernel does not change an id once assigned; asking for another one fails.
    type: int
  force:
    description:
      - With I(state=absent), remove the name even if processes still use the namespace (they
        keep it alive; they are not killed). Without it the task fails and lists them.
      - With I(pid) or I(path), re-point a name that holds another namespace.
    type: bool
    default: false
extends_documentation_fragment:
  - linuxnet.netns.netns.aggregate
  - linuxnet.netns.netns.attributes
requirements:
  - pyroute2 >= 0.7.2 on the managed host
  - root on the managed host
notes:
  - A file at C(/run/netns/NAME) that is not a namespace (left by a crash) is replaced.
  - The namespace is created with C(unshare) (the module's thread then returns to its own) and pinned with a bind mount;
    pyroute2's own C(netns.create) is not used because it validates no name.
seealso:
  - module: linuxnet.netns.veth
  - module: linuxnet.netns.netns_link
author:
  - linuxnet.netns contributors (@linuxnet)
'''

EXAMPLES = r'''
- name: Create a namespace, as "ip netns add nstest" does
  linuxnet.netns.netns:
    name: nstest

- name: Create several at once
  linuxnet.netns.netns:
    name: [blue, red, green]

- name: 'Name the namespace of a running process (seed 004: ln -s /proc/PID/ns/net ...)'
  linuxnet.netns.netns:
    name: ns100
    pid: 31817

- name: Give a namespace a fixed nsid
  linuxnet.netns.netns:
    name: blue
    nsid: 7

- name: Remove a namespace, even if a process still holds it
  linuxnet.netns.netns:
    name: nstest
    state: absent
    force: true
'''

RETURN = r'''
namespaces:
  description: Each namespace the task names, as it is after the task (in check mode, as it is now).
  returned: when I(state=present)
  type: list
  elements: dict
  contains:
    name:
      description: The name under C(/run/netns).
      type: str
      sample: nstest
    path:
      description: The namespace file.
      type: str
      sample: /run/netns/nstest
    inode:
      description: The namespace's inode (what C(ip netns identify) and C(/proc/PID/ns/net) show).
      type: int
      sample: 4026532296
    nsid:
      description: The id the module's own namespace gives it, or null if none is assigned.
      type: int
      sample: 0
actions:
  description: What was done, or in check mode what would be done, one line per change.
  returned: always
  type: list
  elements: str
  sample: ["create namespace nstest", "bring lo up in namespace nstest"]
undone:
  description: When the task fails, what it had done and then undid, newest first.
  returned: failure
  type: list
  elements: str
  sample: ["create namespace blue"]
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.linuxnet.netns.plugins.module_utils._netns import argspec, engine, plan_netns


def main():
    options = argspec.item_options(plan_netns.OPTIONS, shared=False)
    module = AnsibleModule(**argspec.module_kwargs(options))
    engine.run(module, plan_netns.plan, options, plan_netns.REQUIRED, rules=plan_netns.RULES)


if __name__ == '__main__':
    main()
