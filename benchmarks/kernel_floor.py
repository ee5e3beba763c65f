# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.netns contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The kernel's floor: the benchmark's containers made by one process with the fewest netlink requests.

    /usr/bin/python3 benchmarks/kernel_floor.py up N      (inside tests/sandbox.sh only)
    /usr/bin/python3 benchmarks/kernel_floor.py down N

No Ansible, no reading, no planning, no pyroute2: the requests are packed by hand (struct) and
sent on raw NETLINK_ROUTE sockets, so what is left is what the kernel must be asked. Per
container:

- the namespace as ``ip netns add`` makes it: unshare(CLONE_NEWNET), bind-mount the thread's
  namespace on /run/netns/cI, and a netlink socket opened while inside (a socket stays in the
  namespace it was made in), then setns back;
- one RTM_NEWLINK on the host's socket: the veth pair, the host end ``veth-cI`` already on its
  bridge and up, the peer ``eth0`` made directly in the container's namespace (IFLA_NET_NS_FD).
  These go in batches of BATCH messages per sendmsg: the kernel runs every message of a
  datagram in turn. (The peer cannot be made up in the same request: Linux 6.18 answers
  ENOTCONN when the peer's ifinfomsg asks for IFF_UP);
- four messages in one sendmsg on the container's socket: lo up, eth0 up (eth0 is ifindex 2:
  the first link made in a new namespace after lo), its address, the default route;
- resolv.conf written as the shell does (mkdir, one write).

No request asks for an acknowledgement: rtnetlink handles a request inside sendmsg, and queues an
error message on the socket only if it failed, so every socket is read without waiting at the
end, and any error there fails the run. ``down`` does what ``ip netns del`` does (detach the
mount, unlink), the kernel destroying the namespaces and their veths in the background, as in
shell_baseline.sh.

Same names and addresses as benchmarks/topology.py, several bridges past topology.NETWORK_SIZE.
"""

import ctypes
import os
import resource
import socket
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import topology  # noqa: E402  (beside this file)

NETLINK_ROUTE = 0
RTM_NEWLINK, RTM_NEWADDR, RTM_NEWROUTE = 16, 20, 24
NLMSG_ERROR = 2
NLM_F_REQUEST, NLM_F_EXCL, NLM_F_CREATE = 0x1, 0x200, 0x400
IFLA_IFNAME, IFLA_MASTER, IFLA_LINKINFO, IFLA_NET_NS_FD = 3, 10, 18, 28
IFLA_INFO_KIND, IFLA_INFO_DATA, VETH_INFO_PEER = 1, 2, 1
IFA_ADDRESS, IFA_LOCAL = 1, 2
RTA_GATEWAY, RTA_OIF = 5, 4
IFF_UP = 0x1
RT_TABLE_MAIN, RTPROT_BOOT, RT_SCOPE_UNIVERSE, RTN_UNICAST = 254, 3, 0, 1
CLONE_NEWNET = 0x40000000
MS_BIND, MNT_DETACH = 4096, 2
BATCH = 128
CONTAINER_ETH0 = 2

libc = ctypes.CDLL(None, use_errno=True)


def checked(result, what):
    if result != 0:
        code = ctypes.get_errno()
        raise OSError(code, '%s: %s' % (what, os.strerror(code)))


def attr(kind, payload):
    length = 4 + len(payload)
    return struct.pack('=HH', length, kind) + payload + b'\0' * ((4 - length % 4) % 4)


def name_attr(kind, name):
    return attr(kind, name.encode() + b'\0')


def message(kind, flags, body):
    return struct.pack('=IHHII', 16 + len(body), kind, NLM_F_REQUEST | flags, 0, 0) + body


def ifinfo(index=0, flags=0, change=0):
    return struct.pack('=BxHiII', socket.AF_UNSPEC, 0, index, flags, change)


def new_veth(name, bridge_index, peer_name, peer_netns_fd):
    peer = ifinfo() + name_attr(IFLA_IFNAME, peer_name) + \
        attr(IFLA_NET_NS_FD, struct.pack('=I', peer_netns_fd))
    linkinfo = name_attr(IFLA_INFO_KIND, 'veth') + attr(IFLA_INFO_DATA, attr(VETH_INFO_PEER, peer))
    body = ifinfo(flags=IFF_UP, change=IFF_UP) + name_attr(IFLA_IFNAME, name) + \
        attr(IFLA_MASTER, struct.pack('=I', bridge_index)) + attr(IFLA_LINKINFO, linkinfo)
    return message(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, body)


def new_bridge(name):
    body = ifinfo(flags=IFF_UP, change=IFF_UP) + name_attr(IFLA_IFNAME, name) + \
        attr(IFLA_LINKINFO, name_attr(IFLA_INFO_KIND, 'bridge'))
    return message(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, body)


def link_up(index):
    return message(RTM_NEWLINK, 0, ifinfo(index=index, flags=IFF_UP, change=IFF_UP))


def new_address(index, address, prefix):
    packed = socket.inet_aton(address)
    body = struct.pack('=BBBBI', socket.AF_INET, prefix, 0, RT_SCOPE_UNIVERSE, index) + \
        attr(IFA_LOCAL, packed) + attr(IFA_ADDRESS, packed)
    return message(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, body)


def new_default_route(gateway, index):
    body = struct.pack('=BBBBBBBBI', socket.AF_INET, 0, 0, 0, RT_TABLE_MAIN, RTPROT_BOOT, RT_SCOPE_UNIVERSE,
                       RTN_UNICAST, 0) + attr(RTA_GATEWAY, socket.inet_aton(gateway)) + \
        attr(RTA_OIF, struct.pack('=I', index))
    return message(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, body)


def rtnl_socket():
    sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_ROUTE)
    sock.bind((0, 0))
    sock.connect((0, 0))  # the kernel: send() needs no address
    return sock


def raise_queued_errors(sock, what):
    """Errors the kernel queued for requests sent without an acknowledgement asked."""
    while True:
        try:
            data = sock.recv(65536, socket.MSG_DONTWAIT)
        except BlockingIOError:
            return
        offset = 0
        while offset < len(data):
            length, kind = struct.unpack_from('=IH', data, offset)
            if kind == NLMSG_ERROR:
                code = -struct.unpack_from('=i', data, offset + 16)[0]
                if code:
                    raise OSError(code, '%s: %s' % (what, os.strerror(code)))
            offset += (length + 3) & ~3


def new_named_netns(name, home_fd):
    """``ip netns add NAME``, plus a netlink socket and a descriptor inside; back home after."""
    path = '/run/netns/%s' % name
    os.close(os.open(path, os.O_RDONLY | os.O_CREAT | os.O_EXCL, 0))
    checked(libc.unshare(CLONE_NEWNET), 'unshare')
    try:
        checked(libc.mount(b'/proc/thread-self/ns/net', path.encode(), None, MS_BIND, None), 'mount %s' % path)
        sock = rtnl_socket()
        netns_fd = os.open('/proc/thread-self/ns/net', os.O_RDONLY)
    finally:
        checked(libc.setns(home_fd, CLONE_NEWNET), 'setns home')
    return sock, netns_fd


def up(count):
    # two descriptors a container until its second pass: past the usual soft limit of 1024 at N=500
    dummy_soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    home_fd = os.open('/proc/thread-self/ns/net', os.O_RDONLY)
    host = rtnl_socket()
    host.setsockopt(socket.SOL_SOCKET, 33, 1 << 24)  # SO_RCVBUFFORCE: room for any errors of a batch
    bridges = {}
    for network, dummy_indexes in topology.networks(count):
        host.send(new_bridge(topology.bridge(network)))
        raise_queued_errors(host, 'bridge')
        bridges[network] = socket.if_nametoindex(topology.bridge(network))
        host.send(new_address(bridges[network], topology.gateway(network), topology.PREFIX))
    inside = {}
    batch = []
    for index in range(1, count + 1):
        name = 'c%d' % index
        inside[index] = new_named_netns(name, home_fd)
        batch.append(new_veth(topology.host_end(name), bridges[topology.network_of(index)], 'eth0',
                              inside[index][1]))
        if len(batch) == BATCH or index == count:
            host.send(b''.join(batch))
            batch = []
            raise_queued_errors(host, 'veth')
    for index in range(1, count + 1):
        sock, netns_fd = inside[index]
        sock.send(link_up(1) + link_up(CONTAINER_ETH0) + new_address(CONTAINER_ETH0, topology.container_address(index), topology.PREFIX) +
                  new_default_route(topology.gateway(topology.network_of(index)), CONTAINER_ETH0))
        raise_queued_errors(sock, 'c%d' % index)
        sock.close()
        os.close(netns_fd)
        os.mkdir('/etc/netns/c%d' % index)
        with open('/etc/netns/c%d/resolv.conf' % index, 'w') as out:
            out.write('nameserver %s\n' % topology.gateway(topology.network_of(index)))
    raise_queued_errors(host, 'host')


def down(count):
    for index in range(1, count + 1):
        path = '/run/netns/c%d' % index
        checked(libc.umount2(path.encode(), MNT_DETACH), 'umount %s' % path)
        os.unlink(path)


def main():
    action, count = sys.argv[1], int(sys.argv[2])
    try:
        {'up': up, 'down': down}[action](count)
    except OSError as exc:
        sys.exit('kernel_floor.py %s: %s' % (action, exc))


if __name__ == '__main__':
    main()
