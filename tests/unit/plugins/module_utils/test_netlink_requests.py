# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.netns contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The requests the collection packs itself, read back by pyroute2's decoders: what the kernel will be told."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import struct

import pytest

from ansible_collections.linuxnet.netns.plugins.module_utils._netns import netlink_requests as requests

pyroute2 = pytest.importorskip('pyroute2')
from pyroute2.netlink.rtnl.ifaddrmsg import ifaddrmsg  # noqa: E402
from pyroute2.netlink.rtnl.ifinfmsg import ifinfmsg  # noqa: E402
from pyroute2.netlink.rtnl.rtmsg import rtmsg  # noqa: E402


def read_back(request, kind):
    msg_type, flags, body = request
    data = struct.pack('=IHHII', 16 + len(body), msg_type, flags, 1, 0) + body
    msg = kind(data)
    msg.decode()
    return msg


def test_a_veth_pair_with_its_peer_in_another_namespace():
    msg = read_back(requests.new_link('veth', 'vethc1', master=4, up=True, mtu=1450,
                                      peer=dict(name='eth0', mac='02:42:0a:00:00:02', net_ns_fd=7)), ifinfmsg)
    assert msg['flags'] == msg['change'] == 1 and msg['index'] == 0
    assert msg.get_attr('IFLA_IFNAME') == 'vethc1'
    assert msg.get_attr('IFLA_MASTER') == 4 and msg.get_attr('IFLA_MTU') == 1450
    info = msg.get_attr('IFLA_LINKINFO')
    assert info.get_attr('IFLA_INFO_KIND') == 'veth'
    peer = info.get_attr('IFLA_INFO_DATA').get_attr('VETH_INFO_PEER')
    assert peer.get_attr('IFLA_IFNAME') == 'eth0' and peer.get_attr('IFLA_NET_NS_FD') == 7
    assert peer.get_attr('IFLA_ADDRESS') == '02:42:0a:00:00:02'
    assert requests.new_link('veth', 'v', peer=dict(name='p'))[1] == requests.NLM_F_CREATE | requests.NLM_F_EXCL


def test_a_link_is_changed_by_index_or_found_by_name():
    down = read_back(requests.set_link(index=3, up=False, master=0), ifinfmsg)
    assert (down['index'], down['flags'], down['change'], down.get_attr('IFLA_MASTER')) == (3, 0, 1, 0)
    untouched = read_back(requests.set_link(name='eth0', mtu=1400), ifinfmsg)
    assert (untouched['index'], untouched['change'], untouched.get_attr('IFLA_IFNAME')) == (0, 0, 'eth0')
    assert untouched.get_attr('IFLA_MTU') == 1400
    moved = read_back(requests.set_link(index=5, net_ns_fd=9), ifinfmsg)
    assert moved.get_attr('IFLA_NET_NS_FD') == 9


def test_a_link_without_ipv6_link_local_address_leaves_its_admin_state():
    msg = read_back(requests.set_link(name='eth0', ipv6_link_local=False), ifinfmsg)
    assert (msg['index'], msg['change'], msg.get_attr('IFLA_IFNAME')) == (0, 0, 'eth0')
    inet6 = msg.get_attr('IFLA_AF_SPEC').get_attr('AF_INET6')
    assert inet6.get_attr('IFLA_INET6_ADDR_GEN_MODE') == 1  # IN6_ADDR_GEN_MODE_NONE, "addrgenmode none"
    assert read_back(requests.set_link(name='eth0'), ifinfmsg).get_attr('IFLA_AF_SPEC') is None


@pytest.mark.parametrize('family, address, attrs', [
    (4, '10.0.0.2', {'IFA_LOCAL': '10.0.0.2', 'IFA_ADDRESS': '10.0.0.2'}),
    (6, 'fd00::2', {'IFA_ADDRESS': 'fd00::2'}),
])
def test_an_address_as_ip_address_add_sends_it(family, address, attrs):
    msg = read_back(requests.address(True, 2, family, address, 24 if family == 4 else 64, nodad=family == 6),
                    ifaddrmsg)
    assert msg['index'] == 2 and msg['prefixlen'] == (24 if family == 4 else 64)
    assert msg['flags'] == (requests.IFA_F_NODAD if family == 6 else 0)
    assert dict((name, value) for name, value in msg['attrs']) == attrs


def test_a_route_with_two_paths_in_a_table_beyond_255():
    identity = dict(family=4, dst='10.9.0.0', dst_len=16, src=None, src_len=0, tos=0, table=1000, priority=7,
                    scope=0, proto=3, type=1)
    hops = [dict(gateway='10.1.0.1', hops=0), dict(gateway='10.1.0.2', oif=3, hops=2, flags=4)]
    msg = read_back(requests.route('replace', identity, nexthops=hops, prefsrc='10.1.0.9'), rtmsg)
    assert (msg['table'], msg.get_attr('RTA_TABLE'), msg['dst_len'], msg['proto']) == (252, 1000, 16, 3)
    assert msg.get_attr('RTA_DST') == '10.9.0.0' and msg.get_attr('RTA_PRIORITY') == 7
    assert msg.get_attr('RTA_PREFSRC') == '10.1.0.9'
    paths = msg.get_attr('RTA_MULTIPATH')
    assert [(hop['hops'], hop['flags'], hop['oif'], hop.get_attr('RTA_GATEWAY')) for hop in paths] == [
        (0, 0, 0, '10.1.0.1'), (2, 4, 3, '10.1.0.2')]


def test_a_single_path_route_and_its_delete():
    identity = dict(family=6, dst='::', dst_len=0, src='fd00:1::', src_len=64, tos=0, table=254, priority=1024,
                    scope=0, flags=4)
    msg_type, flags, body = requests.route('del', identity, path=dict(gateway='fd00::1', oif=2))
    msg = read_back((msg_type, flags, body), rtmsg)
    assert msg_type == requests.RTM_DELROUTE and flags == 0
    assert (msg['family'], msg['flags'], msg['src_len'], msg.get_attr('RTA_SRC')) == (10, 4, 64, 'fd00:1::')
    assert msg.get_attr('RTA_DST') is None and msg.get_attr('RTA_GATEWAY') == 'fd00::1'
    assert msg.get_attr('RTA_OIF') == 2


def test_a_vxlan_with_its_settings_as_pyroute2_would_send_them():
    msg = read_back(requests.new_link('vxlan', 'vxlan-dbr0', up=True, mtu=1450, master=None,
                                      data=dict(vxlan_id=42, vxlan_port=4789, vxlan_local='198.18.0.11', vxlan_link=3)),
                    ifinfmsg)
    info = msg.get_attr('IFLA_LINKINFO')
    assert info.get_attr('IFLA_INFO_KIND') == 'vxlan' and msg.get_attr('IFLA_MTU') == 1450
    data = dict(info.get_attr('IFLA_INFO_DATA')['attrs'])
    assert data == {'IFLA_VXLAN_ID': 42, 'IFLA_VXLAN_PORT': 4789, 'IFLA_VXLAN_LOCAL': '198.18.0.11',
                    'IFLA_VXLAN_LINK': 3}
    settings = dict(vxlan_id=7, vxlan_port=4790, vxlan_group6='ff05::7', vxlan_local6='fd00::1')
    six = read_back(requests.new_link('vxlan', 'v6', data=settings), ifinfmsg)
    data = dict(six.get_attr('IFLA_LINKINFO').get_attr('IFLA_INFO_DATA')['attrs'])
    assert (data['IFLA_VXLAN_GROUP6'], data['IFLA_VXLAN_LOCAL6'], data['IFLA_VXLAN_PORT']) == ('ff05::7', 'fd00::1', 4790)


@pytest.mark.parametrize('command, msg_type, flags', [
    ('append', requests.RTM_NEWNEIGH, requests.NLM_F_CREATE | requests.NLM_F_APPEND),
    ('del', requests.RTM_DELNEIGH, 0),
])
def test_a_flood_entry_as_bridge_fdb_sends_it(command, msg_type, flags):
    from pyroute2.netlink.rtnl.ndmsg import ndmsg
    request = requests.forwarding_entry(command, 6, '00:00:00:00:00:00', '198.18.0.12')
    assert request[:2] == (msg_type, flags)
    msg = read_back(request, ndmsg)
    # what pyroute2's fdb() sent: family AF_BRIDGE, state noarp|permanent, flag self
    assert (msg['family'], msg['ifindex'], msg['state'], msg['flags']) == (7, 6, 0xc0, 0x02)
    assert (msg.get_attr('NDA_LLADDR'), msg.get_attr('NDA_DST')) == ('00:00:00:00:00:00', '198.18.0.12')
    six = read_back(requests.forwarding_entry(command, 6, '02:00:00:00:00:01', 'fd00::12'), ndmsg)
    assert six.get_attr('NDA_DST') == 'fd00::12'


def test_a_neighbour_as_ip_neigh_sends_it():
    from pyroute2.netlink.rtnl.ndmsg import ndmsg
    request = requests.neighbour('add', 6, '10.88.13.1', lladdr='aa:aa:aa:aa:aa:31', state=requests.NUD_STALE)
    assert request[:2] == (requests.RTM_NEWNEIGH, requests.NLM_F_CREATE | requests.NLM_F_EXCL)
    msg = read_back(request, ndmsg)
    assert (msg['family'], msg['ifindex'], msg['state']) == (2, 6, 0x04)
    assert (msg.get_attr('NDA_DST'), msg.get_attr('NDA_LLADDR')) == ('10.88.13.1', 'aa:aa:aa:aa:aa:31')
    gone = read_back(requests.neighbour('del', 6, 'fd00:88::1'), ndmsg)
    assert requests.neighbour('del', 6, 'fd00:88::1')[0] == requests.RTM_DELNEIGH
    assert (gone['family'], gone.get_attr('NDA_DST'), gone.get_attr('NDA_LLADDR')) == (10, 'fd00:88::1', None)


def test_the_dumps_of_one_device_ask_the_kernel_to_filter():
    msg_type, flags, body = requests.forwarding_entries(6)
    # an ifinfomsg with the device's index: the layout rtnl_fdb_dump filters by
    assert msg_type == requests.RTM_GETNEIGH and len(body) == 16 and struct.unpack_from('=BxHi', body) == (7, 0, 6)
    msg_type, flags, body = requests.neighbours(6)
    assert msg_type == requests.RTM_GETNEIGH and struct.unpack_from('=B', body) == (0,)
    assert body[12:] == struct.pack('=HHI', 8, requests.NDA_IFINDEX, 6)
