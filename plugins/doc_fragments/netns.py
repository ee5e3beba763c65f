# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.netns contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):

    # The option every module that acts inside a namespace shares (module_utils/argspec.py).
    DOCUMENTATION = r'''
options:
  netns:
    description:
      - The network namespace to act in.
      - A name under C(/run/netns) (what C(ip netns add) creates), or an absolute path to a
        namespace file such as C(/proc/PID/ns/net) or C(/var/run/docker/netns/ID).
      - Left out, the namespace the module runs in (on most hosts, the host's own).
      - In check mode a namespace that does not exist yet is treated as empty, with a warning,
        so that a play that creates it in an earlier task can be checked on a fresh host.
    type: str
requirements:
  - pyroute2 >= 0.7.2 on the managed host (Debian/Ubuntu C(python3-pyroute2), or C(pip install pyroute2))
  - root on the managed host (use C(become))
notes:
  - The module talks netlink through pyroute2; it does not run C(ip).
  - It enters each namespace once per task with C(setns) on its own thread, reads the state
    once, and applies only what differs. A change that fails half-way undoes the changes the
    task already made.
'''

    # Shared by every module that takes a list of items.
    AGGREGATE = r'''
options:
  aggregate:
    description:
      - A list of items, each with the options of this module (except I(aggregate)).
      - Top-level options are defaults for every item, so one task converges hundreds of
        objects while entering each namespace and reading its state only once.
      - Every item is checked before anything changes.
    type: list
    elements: dict
'''

    # The firewalls of other owners (module_utils/plan_firewall.py), for netns_nat and netns_bridge.
    FIREWALL = r'''
options:
  firewall:
    description:
      - What to do about the firewalls of other tools on the host that would drop this network's
        forwarded traffic - Docker's C(FORWARD) policy C(DROP) and C(DOCKER-USER), plain iptables
        rules (nf_tables or legacy backend), firewalld, ufw, other nftables tables. With
        C(br_netfilter) loaded, traffic between containers of one bridge goes through them too.
      - C(auto) opens exactly this network's flows - out of the bridge and the replies, between its
        containers, published ports after DNAT, the I(peers)' subnets and the overlay's UDP port from
        the peers' underlay addresses - where each owner expects others to add theirs. iptables -
        chains C(LINUXNET-FORWARD) (and C(LINUXNET-INPUT) for the overlay, when C(INPUT) drops)
        jumped to from C(DOCKER-USER) when Docker made it, else from the top of C(FORWARD)
        (C(INPUT)); rules carry the comment C(linuxnet-netns:NAME). firewalld (running) - the
        zone C(linuxnet) (target C(ACCEPT), the bridge and VXLAN device, the peers' subnets as
        sources) and the policy C(linuxnet-vxlan), permanent and runtime, so that
        C(firewall-cmd --reload) and a restart keep them; creating or deleting them costs one
        C(firewall-cmd --reload). firewalld enabled on a systemd host but not running - the same in
        its permanent configuration (C(firewall-offline-cmd)), so that it lets the network through
        once it starts. ufw (active) - C(ufw route allow) rules with the comment
        C(linuxnet-netns:NAME).
      - Only filters that drop are opened. Nobody else's rule or policy is ever changed or flushed;
        what this network added goes with it (I(state=absent)) or when this is set to C(none).
      - C(none) changes no other firewall, and warns, naming each filter that drops this network's
        traffic and what to add there.
      - An nftables table of another owner whose forward hook drops is never changed - no
        convention says where others add to it - and a warning says what to add.
    type: str
    choices: [auto, none]
    default: auto
'''

    ATTRIBUTES = r'''
attributes:
  check_mode:
    support: full
    description: Nothing changes in check mode, not even a namespace created as a side effect;
      C(changed) and C(actions) tell what would be done.
  diff_mode:
    support: full
    description: C(diff) holds C(before) and C(after) of every object the task manages.
  platform:
    support: full
    platforms: linux
    description: Linux only.
'''
