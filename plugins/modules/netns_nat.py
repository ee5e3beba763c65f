#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.netns contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: netns_nat
short_description: Give a subnet behind a bridge or veth a way out (masquerade) and publish ports into it
version_added: 0.1.0
description:
  - Turns on IP forwarding, masquerades the I(source) subnets on their way out, accepts their
    forwarded traffic both ways, and publishes ports into the subnet like C(docker run -p), in
    the module's own namespace or in the namespace I(netns) acting as a router.
  - What seed 001 does by hand (C(echo 1 > /proc/sys/net/ipv4/ip_forward),
    C(iptables -t nat -A POSTROUTING -s SUBNET -j MASQUERADE), two C(FORWARD) accept rules),
    idempotently, with nftables.
  - The rules live in one nftables table the collection owns, C(inet linuxnet_netns). Each rule
    set I(name) has base chains of its own there, named C(prerouting.NAME), C(output.NAME),
    C(forward.NAME) and C(postrouting.NAME) (only those it needs), so several rule sets (one per
    bridge, say) coexist and each is replaced without touching the others. No other table is
    ever changed. The table is removed with its last rule set.
  - Every change to the table is one C(nft -f -) transaction, which the kernel applies whole or
    not at all.
options:
  name:
    description:
      - Identifies the rule set, so that several coexist (one per bridge, for example).
      - Letters, digits, C(_), C(.) and C(-), at most 64 characters; it becomes part of the
        chain names.
      - Required, at the top level or in each I(aggregate) item.
    type: str
  state:
    description:
      - C(present) makes the rule set exactly what the options say; C(absent) removes its chains
        (and the table, if no other rule set is left in it).
      - C(absent) leaves the forwarding sysctls as they are, since other things may rely on them.
    type: str
    choices: [present, absent]
    default: present
  source:
    description:
      - The subnet, or list of subnets, behind I(in_interface) (IPv4 and IPv6), e.g. C(10.0.0.0/24).
      - Must be a network address; C(10.0.0.1/24) is refused with a hint to C(10.0.0.0/24).
      - With I(state=present), at least one of I(source) and I(publish) is required.
    type: list
    elements: str
  in_interface:
    description:
      - The bridge or veth the subnet is behind (the inside). A trailing C(*) matches every
        interface whose name starts with the rest, as in nftables.
      - Forwarded traffic is accepted from it, and back to it for established connections and
        published ports. Without it, the I(source) subnets themselves are matched.
      - Masquerading then applies to what leaves through any other interface, as docker does.
    type: str
  out_interface:
    description:
      - The interface towards the outside. When given, only traffic leaving through it is
        masqueraded and forwarded out.
    type: str
  ip_forward:
    description:
      - Turn on forwarding in the namespace (C(net.ipv4.ip_forward), and
        C(net.ipv6.conf.all.forwarding) when an IPv6 I(source) or publication is given).
      - C(false) leaves the settings as they are (it does not turn forwarding off).
      - Note that IPv6 forwarding makes the kernel ignore router advertisements on interfaces
        whose C(accept_ra) is C(1).
    type: bool
    default: true
  masquerade:
    description:
      - Masquerade the I(source) subnets (rewrite their source address to the outgoing
        interface's address) on their way out.
      - C(false) only forwards, for subnets the outside has routes back to. The masquerading that
        published ports need (see I(publish)) is kept either way.
    type: bool
    default: true
  masquerade_exclude:
    description:
      - Destination networks that the I(source) subnets reach without masquerading, because
        they route back to the subnet themselves. In a multi-host cluster, these are the other hosts'
        container subnets, so that a container on another host sees the real source address
        (what flannel's C(host-gw) does).
      - Each must be a network of the same IP version as one of the I(source) subnets.
    type: list
    elements: str
  publish:
    description:
      - Ports published into the subnet, like C(docker run -p HOST_ADDRESS:HOST_PORT:PORT/PROTOCOL).
      - Reachable from other hosts and from the host itself, as with docker's C(userland-proxy=false),
        by destination NAT in prerouting and in output. Traffic from the host itself, and from the
        subnet to its own published port (hairpin), is masqueraded so that the answers come back
        through the translation. A server reaching its own published port needs hairpin mode on
        its bridge port (C(bridge link set dev PORT hairpin on)), which this module does not set.
      - Without I(host_address), every local address of the host (of I(netns)) is published except
        loopback, because the kernel does not route C(127.0.0.1) out of a bridge unless
        C(route_localnet) is on. From the host itself, connect to one of its other addresses, or
        publish on C(127.0.0.1) explicitly (see I(host_address)).
    type: list
    elements: dict
    suboptions:
      protocol:
        description: The protocol.
        type: str
        choices: [tcp, udp, sctp]
        default: tcp
      host_port:
        description: The port on the host (1-65535).
        type: int
        required: true
      host_address:
        description:
          - Publish on this address of the host only.
          - Must be of the same IP version as I(address).
          - An address of C(127.0.0.0/8) is reachable from the host itself and from nowhere else - the
            DNAT is in the output chain only, C(route_localnet) is turned on on I(in_interface)
            (required then; off again with the rule set's last such port), and an input rule drops
            what arrives for C(127.0.0.0/8) on any interface but C(lo) unless it answers or was
            DNAT'ed (CNI portmap's guard after CVE-2020-8558). C(::1) is refused - IPv6 has no
            C(route_localnet).
        type: str
      address:
        description: The address of the server inside (the destination), IPv4 or IPv6.
        type: str
        required: true
      port:
        description: The port of the server inside; defaults to I(host_port).
        type: int
extends_documentation_fragment:
  - linuxnet.netns.netns
  - linuxnet.netns.netns.aggregate
  - linuxnet.netns.netns.firewall
  - linuxnet.netns.netns.attributes
requirements:
  - nftables (the C(nft) command) on the managed host, and a kernel with nf_tables NAT in the
    C(inet) family (Linux 5.2 or later)
notes:
  - Idempotence compares nft's own listings, never the module's text with nft's. The desired rule
    set is loaded into a throwaway network namespace (which also proves nft and the kernel accept
    it, before anything changes) and listed there; the result is compared with the listing of the
    rule set's chains in the real table. So C(rules) and the diff show the rules as C(nft list)
    shows them, and anything changed by hand in these chains is put back.
  - In nftables an C(accept) ends only the chain it is in; a C(drop) in any other table's chain
    on the same hook is final. So with I(firewall=auto) (the default) the module also opens the
    rule set's flows in the firewalls of other owners that drop them (see I(firewall));
    with I(state=absent), give I(in_interface) too, so that a firewalld zone binding of it goes.
  - Published ports are not checked against other rule sets or programs using the same port.
  - C(/proc/sys/net) is resolved for the thread that opens it, so the sysctls are written with
    the module's thread inside the namespace.
seealso:
  - module: linuxnet.netns.netns
  - name: nftables wiki, Performing Network Address Translation
    description: NAT with nftables, including the C(inet) family.
    link: https://wiki.nftables.org/wiki-nftables/index.php/Performing_Network_Address_Translation_(NAT)
author:
  - linuxnet.netns contributors (@linuxnet)
'''

EXAMPLES = r'''
- name: Give 10.0.0.0/24 behind br0 a way out, as seed 001 does by hand
  linuxnet.netns.netns_nat:
    name: br0
    source: 10.0.0.0/24
    in_interface: br0
    out_interface: eth0

- name: The same on a host with Docker or firewalld, where the user opens the firewall by hand
  linuxnet.netns.netns_nat:
    name: br0
    source: 10.0.0.0/24
    in_interface: br0
    firewall: none   # warns, naming what drops the traffic and what to add

- name: Namespace "router" masquerades its bridge and publishes a web server behind it
  linuxnet.netns.netns_nat:
    netns: router
    name: lan
    source: [10.0.0.0/24, "fd00:1::/64"]
    in_interface: br0
    publish:
      - host_port: 8080
        address: 10.0.0.2
        port: 80
      - protocol: udp
        host_address: 203.0.113.2
        host_port: 53
        address: 10.0.0.3

- name: One rule set per bridge, in one task
  linuxnet.netns.netns_nat:
    out_interface: eth0
    aggregate:
      - {name: blue, source: 10.1.0.0/24, in_interface: br-blue}
      - {name: red, source: 10.2.0.0/24, in_interface: br-red}

- name: Remove a rule set (and the table, if it was the last)
  linuxnet.netns.netns_nat:
    netns: router
    name: lan
    state: absent
'''

RETURN = r'''
table:
  description: The nftables table the rule sets live in.
  returned: always
  type: str
  sample: inet linuxnet_netns
rules:
  description:
    - The chains of the task's rule sets as C(nft list) shows them after the task (in check mode,
      as it would show them); empty for a rule set that is absent.
  returned: always
  type: list
  elements: str
  sample:
    - "chain forward.br0 {"
    - "  type filter hook forward priority filter; policy accept;"
    - "  iifname \"br0\" accept"
    - "  oifname \"br0\" ct state established,related accept"
    - "}"
    - "chain postrouting.br0 {"
    - "  type nat hook postrouting priority srcnat; policy accept;"
    - "  ip saddr 10.0.0.0/24 oifname != \"br0\" masquerade"
    - "}"
actions:
  description: What was done, or in check mode what would be done, one line per change.
  returned: always
  type: list
  elements: str
  sample:
    - turn on ipv4 forwarding in netns router
    - add rule set br0 (forward.br0, postrouting.br0) in table inet linuxnet_netns in netns router
undone:
  description: When the task fails, what it had done and then undid, newest first.
  returned: failure
  type: list
  elements: str
  sample: ["turn on ipv4 forwarding in netns router"]
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.linuxnet.netns.plugins.module_utils._netns import argspec, engine, plan_nat


def main():
    options = argspec.item_options(plan_nat.OPTIONS)
    module = AnsibleModule(**argspec.module_kwargs(options))
    engine.run(module, plan_nat.plan, options, plan_nat.REQUIRED)


if __name__ == '__main__':
    main()
