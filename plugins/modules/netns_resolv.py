#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.netns contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: netns_resolv
short_description: Manage the DNS resolver configuration and hosts file of a network namespace
version_added: 0.1.0
description:
  - Writes C(/etc/netns/NAME/resolv.conf), and C(/etc/netns/NAME/hosts) when I(hosts) is given.
    C(ip netns exec NAME) bind-mounts each file of C(/etc/netns/NAME) over its namesake in
    C(/etc), so processes started that way resolve names with these files instead of the
    host's.
  - Replaces what seeds write by hand with
    C(mkdir -p /etc/netns/ns1; echo "nameserver 8.8.8.8" > /etc/netns/ns1/resolv.conf).
  - The files are rendered from the options, the same options always giving the same bytes,
    and compared with what is on disk byte for byte; a file that differs is replaced whole.
  - Each file is written atomically (a temporary file in the same directory, fsync, rename), so
    a process in the namespace sees the old file or the new one, never part of one.
  - The directory is not synced after each change, so a crash can take back the last changes
    (the file stays whole, old or new); the next run puts them back. On a disk this saves two
    journal commits per namespace.
  - The namespace itself need not exist. The files can be written before C(ip netns add) or
    M(linuxnet.netns.netns) creates it, and are kept when it is removed.
options:
  name:
    description:
      - Name of the namespace, as under C(/run/netns); the files go to C(/etc/netns/NAME).
      - Must not be empty, C(.) or C(..), start with C(-), or contain C(/) or control characters,
        so it cannot point outside C(/etc/netns).
    type: str
  state:
    description:
      - C(present) writes C(resolv.conf), and C(hosts) if I(hosts) is given; a C(hosts) file
        is left as it is when I(hosts) is not given.
      - C(absent) removes both C(resolv.conf) and C(hosts) (whichever exist, whether or not
        this module wrote them), then C(/etc/netns/NAME) if nothing else is left in it.
        Other files there are kept. C(/etc/netns) itself is never removed.
      - Removing what is gone already does nothing.
    type: str
    choices: [present, absent]
    default: present
  nameservers:
    description:
      - IPv4 or IPv6 addresses of the DNS servers, in the order the resolver asks them.
      - Required with I(state=present).
      - An IPv6 link-local address may carry its interface, as in C(fe80::1%eth0).
      - The resolver uses the first three only; more is allowed, with a warning.
    type: list
    elements: str
  search:
    description:
      - The search list of domains tried for names with fewer dots than C(ndots).
      - Each must be a domain name (international names in their C(xn--) form).
    type: list
    elements: str
  options:
    description:
      - Resolver options, each C(NAME) or C(NAME:NUMBER) as resolv.conf(5) lists them, for
        example C(ndots:2), C(timeout:1), C(attempts:3), C(rotate), C(edns0), C(trust-ad).
      - An option glibc does not know is written anyway, with a warning.
    type: list
    elements: str
  hosts:
    description:
      - The complete content of C(/etc/netns/NAME/hosts), one line per entry. When given, the
        namespace no longer sees the host's C(/etc/hosts); add C(localhost) entries yourself if
        the namespace needs them.
      - An empty list writes a hosts file with no entries.
      - Left out, a C(hosts) file is neither written nor removed.
    type: list
    elements: dict
    suboptions:
      address:
        description: An IPv4 or IPv6 address.
        type: str
        required: true
      names:
        description: The host name and its aliases.
        type: list
        elements: str
        required: true
extends_documentation_fragment:
  - linuxnet.netns.netns.aggregate
  - linuxnet.netns.netns.attributes
requirements:
  - root on the managed host (C(become=true))
notes:
  - Directories are created with mode C(0755), files written with mode C(0644) whatever the
    umask; an existing file of the right content but another mode gets C(0644).
  - No symbolic link is followed below C(/etc). If C(/etc/netns), C(/etc/netns/NAME) or one of the
    managed files is a symlink, the task fails and names it, and nothing is written.
  - C(ip netns exec) bind-mounts a file only over one that exists in C(/etc); a host without
    C(/etc/hosts) gets no namespace hosts file either.
  - Unlike the other modules of the collection, this one does not need pyroute2 on the host, as
    it only writes files.
seealso:
  - module: linuxnet.netns.netns
author:
  - linuxnet.netns contributors (@linuxnet)
'''

EXAMPLES = r'''
- name: DNS for namespace ns1, as "echo nameserver 8.8.8.8 > /etc/netns/ns1/resolv.conf" does
  linuxnet.netns.netns_resolv:
    name: ns1
    nameservers: [8.8.8.8]

- name: Several servers, a search list and options
  linuxnet.netns.netns_resolv:
    name: nstest
    nameservers: [198.51.100.53, 2001:db8::53]
    search: [corp.example.com, example.com]
    options: [ndots:2, rotate, timeout:1]

- name: A hosts file of its own too
  linuxnet.netns.netns_resolv:
    name: nstest
    nameservers: [198.51.100.53]
    hosts:
      - {address: 127.0.0.1, names: [localhost]}
      - {address: "::1", names: [localhost, ip6-localhost, ip6-loopback]}
      - {address: 192.168.11.100, names: [gateway.lab, gateway]}

- name: Same servers for several namespaces in one task
  linuxnet.netns.netns_resolv:
    nameservers: [198.51.100.53]
    aggregate:
      - name: blue
      - name: red
        search: [red.example.com]

- name: Remove resolv.conf and hosts of ns1, and /etc/netns/ns1 if then empty
  linuxnet.netns.netns_resolv:
    name: ns1
    state: absent
'''

RETURN = r'''
files:
  description:
    - The files the task manages, for each item in order. With I(state=present) C(resolv.conf),
      and C(hosts) if I(hosts) is given; with I(state=absent) both, whether they existed or not.
  returned: always
  type: list
  elements: str
  sample: ["/etc/netns/nstest/resolv.conf", "/etc/netns/nstest/hosts"]
actions:
  description:
    - What was done, or in check mode what would be done, one line per change.
    - When the task fails, only what it did and left in effect (a change it could not undo).
  returned: always
  type: list
  elements: str
  sample: ["create directory /etc/netns/nstest", "create /etc/netns/nstest/resolv.conf"]
undone:
  description: When the task fails, what it had done and then undid, newest first.
  returned: failure
  type: list
  elements: str
  sample: ["create bridge br0 in the module's own namespace"]
diff:
  description:
    - With C(--diff), the content of each managed file, keyed by its path, before and after
      the task; null for a file that does not exist.
  returned: in diff mode
  type: dict
  contains:
    before:
      description: Path to file content as it was.
      type: dict
      sample: {"/etc/netns/nstest/resolv.conf": null}
    after:
      description: Path to file content as it is after the task (in check mode, as it would be).
      type: dict
      sample:
        /etc/netns/nstest/resolv.conf: "# Managed by linuxnet.netns.netns_resolv\nnameserver 198.51.100.53\n"
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.linuxnet.netns.plugins.module_utils._netns import argspec, engine, plan_resolv


def main():
    options = argspec.item_options(plan_resolv.OPTIONS, shared=False)
    module = AnsibleModule(**argspec.module_kwargs(options))
    engine.run(module, plan_resolv.plan, options, plan_resolv.REQUIRED, needs_netlink=False)


if __name__ == '__main__':
    main()
