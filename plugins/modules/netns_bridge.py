#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.netns contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: netns_bridge
short_description: A docker-style bridge network of network namespaces on one host, in one task
version_added: 0.2.0
description:
  - A bridge with a gateway address, and one network namespace per entry of I(containers), as
    docker's default bridge network gives each container - a veth (host end on the bridge, C(eth0)
    inside), C(lo) up, an address, a default route via the bridge, its own C(resolv.conf) and
    C(hosts), NAT out of the host and published ports; with I(mode) C(host-gw) or C(vxlan), routes
    (or an overlay) to the I(peers)' subnets.
  - What the modules M(linuxnet.netns.netns), M(linuxnet.netns.netns_link), M(linuxnet.netns.veth),
    M(linuxnet.netns.netns_addr), M(linuxnet.netns.netns_route), M(linuxnet.netns.netns_resolv) and
    M(linuxnet.netns.netns_nat) do, planned by the same code, in one module process that opens and
    reads each namespace once. The role P(linuxnet.netns.docker_bridge#role) is built on it.
  - A registry on the host (I(registry_dir)/C(docker_bridge.NAME.json)) records what the module
    made. A container left out of I(containers) loses its namespace, veth, address, routes, DNS
    files and published ports; nothing the registry does not name is ever removed.
  - Each container keeps its address across runs; a container without one gets the lowest free
    address of I(subnet).
  - IPv4 only.
options:
  name:
    description: The bridge, in the module's own namespace. Also names the registry and the NAT rule set.
    type: str
    required: true
  state:
    description:
      - C(present) makes the bridge network as asked. C(absent) removes everything the registry
        names (I(containers) is then ignored), and the registry.
    type: str
    choices: [present, absent]
    default: present
  containers:
    description:
      - One dict per container, each a network namespace called I(name) (1 to 64 letters, digits,
        C(_), C(.) or C(-)).
      - A Linux bridge takes at most 1023 ports, counting those it already has that are not this
        network's; more containers are refused before any change, naming the numbers.
      - Keys - C(name) (required); C(address), an address of I(subnet); C(mtu); C(dns),
        C(dns_search) and C(dns_options), which replace the top-level ones for this container;
        C(publish), a list of C([HOST_ADDRESS:]HOST_PORT[:PORT][/PROTOCOL]) strings or dicts with
        C(host_port), C(port), C(protocol) and C(host_address).
      - Published ports - C(PROTOCOL) is C(tcp) (the default), C(udp) or C(sctp); ports may be ranges of
        equal length (C(8000-8010:9000-9010), each host port to the port at the same place); an IPv6
        host address goes in brackets (C([2001:db8::1]:8080:80)). A host address of C(127.0.0.0/8)
        (C(127.0.0.1:8080:80)) is reachable from the host itself and from nowhere else - the DNAT is
        in the output chain only, C(route_localnet) is turned on on the bridge (off again with the
        last such port) and an input rule drops what arrives for C(127.0.0.0/8) on any interface but
        C(lo) unless it answers or was DNAT'ed (the guard CNI's portmap added after CVE-2020-8558).
        C(::1) is refused (IPv6 has no C(route_localnet)). Every container's veth is a hairpin bridge
        port, so a container reaches its own published port through the host's address too.
      - C(ipv6_address), an address of I(subnet6) (else the one it had, else the lowest free one).
        Without a host address, a port is published on IPv4 and, in a dual-stack network, on IPv6 too.
      - C(command), a command line run inside the container as the systemd service
        C(linuxnet-netns-NAME:CONTAINER.service); or C(service), an existing unit (such as
        C(nginx.service)) given the same settings by the drop-in
        C(UNIT.d/linuxnet-netns-NAME:CONTAINER.conf). Either joins the container's namespace
        (C(NetworkNamespacePath=)), sees its C(resolv.conf) and C(hosts) over the host's as
        C(ip netns exec) shows them, starts after the network's boot unit (see I(restore_at_boot)),
        restarts on failure (C(command)), comes back after a reboot, and is stopped and removed
        with the container. Where systemd runs, a new or changed service is (re)started.
    type: list
    elements: dict
    default: []
  subnet:
    description:
      - This host's container subnet in CIDR form, IPv4, C(/30) or larger. Its first address is
        the bridge's (the containers' gateway). Required when I(state=present).
      - Several networks (each its own I(name), I(subnet), NAT rules and registry) live side by side
        on one host; a subnet that overlaps an address of another interface of the host (such as
        another network's bridge) is refused before any change, and so is a container, veth or VXLAN
        device another network's registry names (namespace and interface names are the host's).
    type: str
  subnet6:
    description:
      - This host's IPv6 container subnet (C(/64) usually, C(/126) at most), which makes the network
        dual stack. Its first address is the bridge's, the containers' IPv6 gateway; every container
        gets an IPv6 address (kept across runs in the registry), an IPv6 default route, and its
        addresses without duplicate address detection (usable at once).
      - IPv6-only networks are not supported - I(subnet) is still required.
      - Without it, as Docker does for IPv4-only networks, a container's C(eth0) is made with no IPv6
        link-local address either (C(addrgenmode none)), so that the bridge does not flood its IPv6
        start-up packets (duplicate address detection, MLD) to every other container. Containers made
        before keep theirs.
    type: str
  gateway_mode_ipv6:
    description:
      - How the IPv6 subnet reaches the outside (Docker's option of the same name). C(nat) - masqueraded
        as the host's address (NAT66), except towards the I(peers)' subnets. C(routed) - not translated,
        the containers' addresses are seen outside; the network must route I(subnet6) to this host.
      - Published ports are forwarded in both modes. In mode C(routed), what the outside starts towards a
        container's own address is not opened in other owners' firewalls (I(firewall)); a host firewall
        that drops forwarded traffic (Docker's) lets in only the published ports, through the host's addresses.
    type: str
    choices: [nat, routed]
    default: nat
  mtu:
    description:
      - MTU of the bridge and the veths (both ends), and of the VXLAN device in mode C(vxlan).
      - Left out - 1500; in mode C(vxlan) the MTU of the underlay device (I(vxlan_device), else the one
        holding I(underlay_address)) less the encapsulation, 50 for an IPv4 underlay and 70 for IPv6
        (1450 if that device is not found). Each run follows the underlay's MTU as it is then.
      - A value larger than the underlay carries is warned, not refused.
    type: int
  mode:
    description:
      - How the containers reach the I(peers)' containers. C(none) - they do not. C(host-gw) - a
        route to each peer's subnet via its underlay address. C(vxlan) - an overlay, the VXLAN
        device I(vxlan_interface), with routes to the peers' subnets through it.
    type: str
    choices: [none, host-gw, vxlan]
    default: none
  peers:
    description:
      - The other hosts of the cluster, one dict each - C(subnet) (required), C(underlay) (its
        address on the underlay; required in modes C(host-gw) and C(vxlan)), C(gateway) (defaults
        to the first address of C(subnet)) and C(host) (a name for messages).
      - With I(subnet6) - C(subnet6), C(gateway6) (defaults to its first address) and C(underlay6) (the
        peer's IPv6 underlay address). In mode C(host-gw) the route to a peer's C(subnet6) goes via
        its C(underlay6), so a peer with C(subnet6) needs one (an IPv4-only underlay cannot carry IPv6
        in that mode; use mode C(vxlan), which carries IPv6 over an IPv4 overlay).
      - Their subnets must not overlap this host's or each other's. The filter
        P(linuxnet.netns.docker_bridge_cluster#filter) computes them from the inventory.
      - Destinations in the peers' subnets are not masqueraded, so their containers see the
        sender's own address.
      - A peer left out of the list is forgotten - its route, its flood entry, and in mode C(vxlan) the
        forwarding entries the kernel learnt behind its underlay address and the neighbour entries of
        its overlay addresses.
    type: list
    elements: dict
    default: []
  underlay_address:
    description: This host's address on the underlay, the overlay's local address. Required in mode C(vxlan).
    type: str
  underlay_address6:
    description:
      - This host's IPv6 address on the underlay, what its peers route this host's I(subnet6) via in mode
        C(host-gw) (as C(underlay6) in their I(peers)). Checked here, used by the peers.
    type: str
  vxlan_interface:
    description: Name of the VXLAN device in mode C(vxlan). Defaults to C(vxlan-) and I(name), cut to 15 bytes.
    type: str
  vxlan_vni:
    description:
      - VXLAN network identifier. The kernel takes a VNI and I(vxlan_port) once per host, so several
        networks in mode C(vxlan) on one host need one each; one already taken is refused before any
        change.
    type: int
    default: 42
  vxlan_port:
    description: UDP port of the overlay.
    type: int
    default: 4789
  vxlan_device:
    description: The underlay interface the overlay uses; left out, the kernel picks it by route.
    type: str
  dns:
    description: Nameservers of every container's C(resolv.conf), unless the container gives its own.
    type: list
    elements: str
    default: [8.8.8.8, 8.8.4.4]
  dns_search:
    description: Search domains of every container's C(resolv.conf).
    type: list
    elements: str
    default: []
  dns_options:
    description: Resolver options of every container's C(resolv.conf), such as C(ndots:2).
    type: list
    elements: str
    default: []
  hosts_file:
    description: Give every container a C(hosts) file with C(localhost) and its own name and address.
    type: bool
    default: true
  veth_prefix:
    description:
      - Prefix of the host ends' names, followed by the container's name (shortened with a hash to
        15 bytes). Changing it replaces every veth.
    type: str
    default: ve-
  masquerade:
    description: Masquerade what the containers send out of the host (but not to the I(peers)' subnets).
    type: bool
    default: true
  icc:
    description:
      - Inter-container communication (Docker's option of the same name). C(false) - the containers of
        this network cannot reach each other, while the published ports (through the host's
        addresses, the gateway's included) and the way out still work.
      - Each container's veth becomes an isolated bridge port (C(bridge link set ... isolated on)),
        and the network's forward chain drops what goes from the bridge to itself unless it was
        DNAT'ed. Where br_netfilter hands bridged IPv4 to iptables/nftables
        (C(net.bridge.bridge-nf-call-iptables=1), as Docker sets it), a published port's connection
        between two containers of one bridge is bridged, not routed, so there the ports are left
        open and that forward rule alone keeps the containers apart. The choice is made when the
        task runs (and again at boot).
    type: bool
    default: true
  internal:
    description:
      - An internal network (Docker's C(--internal)) - the containers reach each other and the host
        (its gateway address), nothing else - no masquerade, no default route in the containers,
        and the network's forward chain drops everything between the bridge and any other
        interface. Nothing can be published into it, and it takes I(mode=none).
    type: bool
    default: false
  isolate:
    description:
      - Keep this network apart from the other networks M(linuxnet.netns.netns_bridge) made on this
        host, as Docker's bridge networks are - the network's forward chain drops what goes between
        its bridge and theirs, both ways, except connections to published ports (DNAT'ed).
      - Every bridge this module makes is in netdev group 28270 (C(ip link set BRIDGE group 28270)),
        and the rules match that group rather than naming the other networks - so a network made
        later, or removed, changes nothing of this one's rules. C(false) lifts only this network's
        rules - a network with I(isolate=true) still keeps itself apart from this one.
    type: bool
    default: true
  force_remove:
    description:
      - Remove a container's namespace name even while processes still run in it (the namespace,
        and its veth, live on until they exit; the host end of the veth is deleted).
    type: bool
    default: false
  registry_dir:
    description: Where the registry of what the module made is kept (and the options run at boot).
    type: path
    default: /etc/linuxnet-netns
  restore_at_boot:
    description:
      - Bring the network back at boot with no controller run - namespaces, veths, addresses,
        routes, C(/etc/netns) files, NAT, published ports, the routes or overlay to the peers,
        the firewall openings and sysctls - exactly as this task makes them.
      - The module leaves on the host its own code (C(/var/lib/linuxnet-netns/lib), copied from
        what Ansible sent, and C(/var/lib/linuxnet-netns/boot.py), which runs it), this task's
        options (I(registry_dir)/C(docker_bridge.NAME.boot.json)) and a oneshot unit
        C(/etc/systemd/system/linuxnet-netns-bridge-NAME.service), enabled in
        C(multi-user.target), that runs them after C(network.target) and before
        C(network-online.target). The same code plans against the same options, so the
        first playbook run after a reboot reports no change. What it did, or what failed, is in
        the journal (C(journalctl -u linuxnet-netns-bridge-NAME)).
      - C(false), or I(state=absent), removes them (the code with the last network that uses it).
    type: bool
    default: true
extends_documentation_fragment:
  - linuxnet.netns.netns.firewall
  - linuxnet.netns.netns.attributes
requirements:
  - pyroute2 >= 0.7.2 on the managed host (Debian/Ubuntu C(python3-pyroute2), or C(pip install pyroute2))
  - nft (nftables) on the managed host, for NAT and published ports
  - root on the managed host (use C(become))
notes:
  - The module talks netlink through pyroute2; it does not run C(ip). NAT and published ports are
    the rule set I(name) in the nftables table C(inet linuxnet_netns), as M(linuxnet.netns.netns_nat) makes them.
  - A change that fails half-way undoes every change the task already made.
  - C(diff) has one section per planner (C(netns), C(links), C(veths), C(addresses), C(routes),
    C(resolv), C(nat), C(firewall), C(boot), C(services)) and C(registry); a bridge port whose
    hairpin or isolated flag changes has its own entry (C(VETH port)).
seealso:
  - module: linuxnet.netns.netns_nat
  - module: linuxnet.netns.veth
author:
  - linuxnet.netns contributors (@linuxnet)
'''

EXAMPLES = r'''
- name: Published ports - one for the host alone, a range, udp; containers kept apart (icc=false)
  linuxnet.netns.netns_bridge:
    name: dbr1
    subnet: 10.88.3.0/24
    icc: false
    containers:
      - name: admin
        publish: ['127.0.0.1:8080:80', '9000-9002:9000-9002', '5353:53/udp']
      - name: worker

- name: An internal network - its containers reach each other and the host, nothing else
  linuxnet.netns.netns_bridge:
    name: dbr2
    subnet: 10.88.4.0/24
    internal: true
    containers: [{name: db1}, {name: db2}]

- name: Three containers on dbr0, one of them publishing a port (seeds 001, 002 and 004)
  linuxnet.netns.netns_bridge:
    name: dbr0
    subnet: 10.88.1.0/24
    dns: [198.51.100.53]
    containers:
      - name: web
        publish: ['8080:80']
      - name: db
        address: 10.88.1.10
      - name: cache

- name: The same containers, routed to another host's (flannel host-gw style)
  linuxnet.netns.netns_bridge:
    name: dbr0
    subnet: 10.88.1.0/24
    mode: host-gw
    peers:
      - {host: node2, subnet: 10.88.2.0/24, underlay: 198.18.0.12}
    containers: [{name: web}, {name: db}, {name: cache}]

- name: A web server in a container, as a systemd service that survives a reboot
  linuxnet.netns.netns_bridge:
    name: dbr0
    subnet: 10.88.1.0/24
    containers:
      - name: web
        publish: ['8080:80']
        command: /usr/bin/python3 -m http.server --bind 0.0.0.0 80

- name: Dual stack - every container also gets an IPv6 address, NAT66 out, port 8080 on both families
  linuxnet.netns.netns_bridge:
    name: dbr0
    subnet: 10.88.1.0/24
    subnet6: fd00:88:1::/64
    containers:
      - name: web
        publish: ['8080:80']
      - name: db
        ipv6_address: 'fd00:88:1::10'

- name: Remove everything the module made for dbr0
  linuxnet.netns.netns_bridge:
    name: dbr0
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
  sample: ["create namespace web", "create veth ve-web <-> eth0 (peer in netns web)"]
undone:
  description: When the task fails, what it had done and then undid, newest first.
  returned: failure
  type: list
  elements: str
  sample: ["create bridge dbr0 in the module's own namespace"]
bridge:
  description: The bridge.
  returned: success
  type: str
  sample: dbr0
subnet:
  description: This host's container subnet.
  returned: success
  type: str
  sample: 10.88.1.0/24
gateway:
  description: The bridge's address, every container's default gateway.
  returned: success
  type: str
  sample: 10.88.1.1
subnet6:
  description: This host's IPv6 container subnet, or null when the network is IPv4 only.
  returned: success
  type: str
  sample: fd00:88:1::/64
gateway6:
  description: The bridge's IPv6 address, every container's IPv6 default gateway (null without I(subnet6)).
  returned: success
  type: str
  sample: fd00:88:1::1
mtu:
  description: MTU of the bridge and the veths.
  returned: success
  type: int
  sample: 1500
containers:
  description: The containers, with the address (and C(address6)) each has (or will have, in check mode).
  returned: success
  type: list
  elements: dict
  sample: [{name: web, address: 10.88.1.2, veth: ve-web, mtu: 1500, publish: [{protocol: tcp, host_port: 8080, port: 80}],
            command: null, service: null}]
removed:
  description: Containers the registry named that are no longer asked for, removed by this run.
  returned: success
  type: list
  elements: str
  sample: [cache]
registry:
  description: Path of the registry file.
  returned: success
  type: str
  sample: /etc/linuxnet-netns/docker_bridge.dbr0.json
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.linuxnet.netns.plugins.module_utils._netns import bridge


def main():
    module = AnsibleModule(argument_spec=bridge.OPTIONS, supports_check_mode=True)
    bridge.run(module)


if __name__ == '__main__':
    main()
