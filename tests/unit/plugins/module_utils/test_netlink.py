# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.netns contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""netlink without a kernel: dumps that concurrent changes interrupt, and what the kernel said."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import socket
import struct

import pytest

from ansible_collections.linuxnet.netns.plugins.module_utils._netns import netlink, netlink_messages, netlink_reader
from ansible_collections.linuxnet.netns.plugins.module_utils._netns import netlink_requests as requests
from ansible_collections.linuxnet.netns.plugins.module_utils._netns.netlink import NetlinkDumpInterrupted, NetlinkFailure


@pytest.fixture(autouse=True)
def no_pauses(monkeypatch):
    monkeypatch.setattr(netlink, 'DUMP_PAUSE', 0)


# ---- netlink dumps interrupted by concurrent changes --------------------------------------------------

class Dumper(object):
    """Answers a dump as the kernel does under concurrent changes: interrupted the first times."""

    def __init__(self, interruptions):
        self.interruptions = interruptions
        self.calls = 0

    def __call__(self):
        self.calls += 1
        if self.calls <= self.interruptions:
            raise NetlinkDumpInterrupted()
        return iter([dict(index=1), dict(index=2)])


def session():
    bare = netlink.Session.__new__(netlink.Session)  # no socket: _dump only needs the label
    bare.label = 'netns t'
    return bare


def test_an_interrupted_dump_is_read_again():
    dumper = Dumper(1)
    assert len(session()._dump(dumper)) == 2
    assert dumper.calls == 2


def test_a_dump_interrupted_every_time_fails_clearly():
    dumper = Dumper(netlink.DUMP_ATTEMPTS)
    with pytest.raises(NetlinkFailure, match='^netlink dump in netns t kept being interrupted by concurrent changes$'):
        session()._dump(dumper)
    assert dumper.calls == netlink.DUMP_ATTEMPTS


# ---- what the kernel said --------------------------------------------------------------------------

class Refusal(Exception):
    def __init__(self, code, text):
        super(Refusal, self).__init__(code, text)
        self.code = code


def test_describe_adds_the_kernels_own_words():
    assert netlink_reader.describe(Refusal(17, 'A VXLAN device with the specified VNI already exists.')) == (
        'File exists (errno 17): A VXLAN device with the specified VNI already exists')
    assert netlink_reader.describe(Refusal(17, 'File exists')) == 'File exists (errno 17)'
    assert netlink_reader.kernel_says(Refusal(95, 'Unknown device type')) == 'Unknown device type'
    assert netlink_reader.kernel_says(Refusal(95, 'Operation not supported')) is None


# ---- reading through a plain socket: the kernel's bytes, decoded --------------------------------------

def attribute(kind, value):
    return pad(struct.pack('=HH', 4 + len(value), kind) + value)


def pad(data):
    return data + b'\0' * (-len(data) % 4)


def message(msg_type, body, sequence=1, flags=2):  # 2: NLM_F_MULTI
    return struct.pack('=IHHII', 16 + len(body), msg_type, flags, sequence, 0) + body


def link_message(index, name, kind=None, **extra):
    attrs = attribute(3, name.encode() + b'\0') + attribute(4, struct.pack('=I', extra.get('mtu', 1500)))
    attrs += attribute(1, bytes(bytearray([2, 0x42, 10, 88, 1, index])))
    attrs += attribute(16, struct.pack('=B', 6))  # IF_OPER_UP
    if kind:
        attrs += attribute(18 | 0x8000, attribute(1, kind.encode() + b'\0'))
    if 'master' in extra:
        attrs += attribute(10, struct.pack('=I', extra['master']))
    if 'netnsid' in extra:
        attrs += attribute(5, struct.pack('=I', extra['peer']))
        attrs += attribute(37, struct.pack('=i', extra['netnsid']))
    return message(16, struct.pack('=BxHiII', 0, 1, index, 0x1, 0) + attrs)


def test_a_link_is_read_from_the_kernels_bytes():
    data = link_message(7, 've-web', 'veth', master=3, netnsid=0, peer=2)
    link = netlink_messages.link_from_message(data, 0)
    assert link == dict(index=7, name='ve-web', kind='veth', mtu=1500, min_mtu=None, max_mtu=None,
                        mac='02:42:0a:58:01:07', up=True, master_index=3, link_index=2, link_netnsid=0,
                        operstate='UP', group=None, data={})
    bare = netlink_messages.link_from_message(link_message(1, 'lo'), 0)
    assert bare['kind'] is None and bare['link_netnsid'] is None and bare['master_index'] is None


def test_an_address_and_a_route_are_read_from_the_kernels_bytes():
    address = message(20, struct.pack('=BBBBI', 2, 24, 0x80, 0, 5) + attribute(2, bytes(bytearray([10, 88, 1, 2])))
                      + attribute(1, bytes(bytearray([10, 88, 1, 2]))) + attribute(8, struct.pack('=I', 0x80)))
    assert netlink_messages.address_from_message(address, 0) == dict(
        index=5, family=4, address='10.88.1.2', peer=None, prefixlen=24, broadcast=None, scope=0, flags=0x80)
    route = message(24, struct.pack('=BBBBBBBBI', 2, 0, 0, 0, 254, 3, 0, 1, 0)
                    + attribute(15, struct.pack('=I', 254)) + attribute(5, bytes(bytearray([10, 88, 1, 1])))
                    + attribute(4, struct.pack('=I', 5)))
    assert netlink_messages.route_from_message(route, 0) == dict(
        family=4, dst='0.0.0.0', dst_len=0, src='0.0.0.0', src_len=0, tos=0, table=254, proto=3, scope=0, type=1,
        flags=0, gateway='10.88.1.1', via=None, oif=5, priority=None, prefsrc=None, multipath=False, nexthops=[],
        nh_id=None, pref=None, metrics=None, encap_type=None)


class FakeSocket(object):
    """Answers each request with the datagrams given, in order."""

    def __init__(self, datagrams):
        self.datagrams = list(datagrams)
        self.sent = []

    def send(self, data):
        self.sent.append(data)

    def recv(self, size):
        return self.datagrams.pop(0)


def reader(datagrams):
    bare = netlink_reader.Reader.__new__(netlink_reader.Reader)
    bare.label = 'netns t'
    bare.sock = FakeSocket(datagrams)
    bare.sequence = 0
    return bare


def done(sequence=1, flags=2, code=0):
    return message(3, struct.pack('=i', code), sequence, flags)


def link_message_seq(index, name, sequence):
    data = bytearray(link_message(index, name))
    struct.pack_into('=I', data, 8, sequence)
    return bytes(data)


def test_a_dump_spans_datagrams_and_skips_answers_to_other_requests():
    first = link_message(1, 'lo') + link_message_seq(9, 'old', 0)
    second = link_message(2, 'eth0', 'veth') + done()
    found = reader([first, second]).dump('list links', 18, b'\0' * 16, netlink_messages.link_from_message)
    assert [link['name'] for link in found] == ['lo', 'eth0']


def test_a_refused_request_names_what_and_where():
    refusal = message(2, struct.pack('=i', -1) + b'\0' * 16)
    with pytest.raises(NetlinkFailure, match=r'^ask the nsid in netns t failed: Operation not permitted \(errno 1\)$'):
        reader([refusal]).request('ask the nsid', 90, b'', netlink_messages.nsid_from_message)


def test_an_interrupted_dump_says_so_even_when_only_its_end_is_flagged():
    with pytest.raises(NetlinkDumpInterrupted):
        reader([link_message(1, 'lo') + done(flags=2 | netlink_reader.NLM_F_DUMP_INTR)]).dump(
            'list links', 18, b'', netlink_messages.link_from_message)


def _link_with_kind(kind, kind_data):
    info = attribute(1, kind.encode() + b'\0') + attribute(2 | 0x8000, kind_data)
    data = bytearray(link_message(4, 'x0'))
    data += attribute(18 | 0x8000, info)
    struct.pack_into('=I', data, 0, len(data))
    return netlink_messages.link_from_message(bytes(data), 0)


def test_kind_data_is_decoded_by_pyroute2_only_when_a_planner_reads_it():
    link = _link_with_kind('macvlan', attribute(1, struct.pack('=I', 4)))  # IFLA_MACVLAN_MODE bridge
    assert link['kind'] == 'macvlan'
    assert link['data']._decoded is None
    assert link['data']['IFLA_MACVLAN_MODE'] == 'bridge' and dict(link['data'])['IFLA_MACVLAN_MODE'] == 'bridge'


def test_a_vxlan_is_read_without_pyroute2_in_its_names():
    kind_data = (attribute(1, struct.pack('=I', 42)) + attribute(15, struct.pack('>H', 4789))
                 + attribute(4, bytes(bytearray([198, 18, 0, 1]))) + attribute(3, struct.pack('=I', 2))
                 + attribute(7, b'\1') + attribute(23, b'')  # learning, gbp (a flag)
                 + attribute(10, struct.pack('>HH', 0, 0))  # the source port range: not read
                 + attribute(17, socket.inet_pton(socket.AF_INET6, 'fd00::1')) + attribute(99, b'new'))
    link = _link_with_kind('vxlan', kind_data)
    assert link['data'] == {'IFLA_VXLAN_ID': 42, 'IFLA_VXLAN_PORT': 4789, 'IFLA_VXLAN_LOCAL': '198.18.0.1',
                            'IFLA_VXLAN_LINK': 2, 'IFLA_VXLAN_LEARNING': 1, 'IFLA_VXLAN_GBP': True,
                            'IFLA_VXLAN_LOCAL6': 'fd00::1'}


def test_a_vxlan_attribute_cut_short_is_refused():
    with pytest.raises(netlink_messages.MalformedMessage, match='attribute 15 holds 1 bytes, 2 expected'):
        _link_with_kind('vxlan', attribute(15, b'\1'))


def test_forwarding_and_neighbour_entries_read_from_the_bytes():
    def neighbour(family, index, state, flags, attrs):
        body = netlink_messages.NEIGHBOUR_HEADER.pack(family, index, state, flags, 0) + attrs
        return struct.pack('=IHHII', 16 + len(body), 28, 0, 1, 0) + body
    flood = neighbour(7, 6, 0xc0, 2, attribute(2, b'\0' * 6) + attribute(1, bytes(bytearray([198, 18, 0, 12]))))
    assert netlink_messages.neighbour_from_message(flood, 0) == dict(
        family=7, index=6, state=0xc0, flags=2, dst='198.18.0.12', lladdr='00:00:00:00:00:00')
    learnt = neighbour(10, 6, 4, 0, attribute(1, socket.inet_pton(socket.AF_INET6, 'fd00::12'))
                       + attribute(2, bytes(bytearray([0xAA, 0xBB, 0, 0, 0, 0x31]))))
    assert netlink_messages.neighbour_from_message(learnt, 0) == dict(
        family=10, index=6, state=4, flags=0, dst='fd00::12', lladdr='aa:bb:00:00:00:31')
    bare = neighbour(7, 3, 0x80, 2, attribute(2, bytes(bytearray([2, 0, 0, 0, 0, 1]))))  # a port's own MAC
    assert netlink_messages.neighbour_from_message(bare, 0)['dst'] is None


# ---- links as read and as planned --------------------------------------------------------------------

def test_an_absent_namespace_is_planned_against_like_any_other():
    absent = netlink.AbsentSession('netns new')
    view = absent.links()
    absent.plan_link('v0', dict(index=None, kind='veth', mtu=1400, data={}))
    assert absent.link('v0')['name'] == 'v0' and view['v0']['mtu'] == 1400  # one view, kept up to date
    absent.plan_link_update('v0', up=True)
    assert absent.link('v0')['up'] and absent.kernel_links() == {} and absent.kernel_link('v0') is None
    with pytest.raises(TypeError):
        absent.link('v0')['data']['x'] = 1
    absent.plan_link_gone('v0')
    assert absent.links() == {} and absent.link_name(None) is None


def test_a_change_given_as_data_finds_the_other_namespace_by_its_descriptor():
    here = netlink.AbsentSession('here')
    assert netlink.session_on(None, here) is here
    with pytest.raises(NetlinkFailure, match='no namespace of this task is open on descriptor 12345'):
        netlink.session_on(12345, here)


def refusal_with_words(code, words, capped=True):
    """An error answer as Linux 4.12+ sends it with NETLINK_EXT_ACK (and NETLINK_CAP_ACK) on."""
    echoed = message(16, b'\0' * 16, 1, 5)[:16] if capped else message(16, b'\0' * 16, 1, 5)
    text = netlink_messages.attribute(netlink_reader.NLMSGERR_ATTR_MSG, words.encode() + b'\0')
    flags = netlink_reader.NLM_F_ACK_TLVS | (netlink_reader.NLM_F_CAPPED if capped else 0)
    return message(2, struct.pack('=i', -code) + echoed + text, 1, flags)


@pytest.mark.parametrize('capped', [True, False])
def test_a_refusal_carries_the_kernels_own_words(capped):
    with pytest.raises(NetlinkFailure) as failure:
        reader([refusal_with_words(95, 'Unknown device type.', capped)]).request('create veth v0', 16, b'', None)
    assert str(failure.value) == ('create veth v0 in netns t failed: Operation not supported (errno 95): '
                                  'Unknown device type')
    assert failure.value.said == 'Unknown device type' and failure.value.code == 95


def test_an_acknowledgement_is_an_empty_answer():
    assert reader([message(2, struct.pack('=i', 0) + b'\0' * 16)]).request('add', 20, b'', None, 5) == []


def session_reading(links, answers):
    """A Session that read links, whose socket answers the next requests with answers."""
    bare = netlink.Session.__new__(netlink.Session)
    bare.label = 'netns t'
    bare.reader = reader(answers)
    bare._stale = set()
    bare._forwarding = {}
    bare._read_links = lambda: [dict(link) for link in links]
    return bare


def test_a_link_this_plan_made_is_looked_up_once_and_then_known():
    session = session_reading([dict(name='lo', index=1)], [link_message(2, 'eth0')])
    session.plan_link('eth0', dict(index=None))
    assert session.index_of('eth0') == 2 and session.index_of('eth0') == 2
    assert len(session.reader.sock.sent) == 1 and session.link_name(2) == 'eth0'


def test_a_link_the_plan_replaces_is_looked_up_each_time():
    session = session_reading([dict(name='eth0', index=2)], [link_message(2, 'eth0'), link_message_seq(3, 'eth0', 2)])
    session.plan_link('eth0', dict(index=None))  # the old eth0 goes, a new one comes
    assert session.index_of('eth0') == 2 and session.index_of('eth0') == 3


def test_bringing_up_a_planned_link_keeps_the_links_read():
    acks = [message(2, struct.pack('=i', 0) + b'\0' * 16, sequence) for sequence in (1, 2)]
    session = session_reading([dict(name='lo', index=1)], acks)
    session.links()
    session.send('bring eth0 up', (16, 0, b''), planned=True)
    session.forget_state()
    assert session._kernel_links is not None  # not read again
    session.send('rename eth0', (16, 0, b''))
    session.forget_state()
    assert session._kernel_links is None


def test_a_bridge_port_flag_set_forgets_the_ports_and_keeps_the_links_read():
    acks = [message(2, struct.pack('=i', 0) + b'\0' * 16, sequence) for sequence in (1, 2)]
    session = session_reading([dict(name='br0', index=1), dict(name='ve-a', index=2)], acks)
    session.links()
    session._bridge_ports = {'ve-a': {}}
    session.send('set the hairpin flag of ve-a', requests.bridge_port(2, {}))
    session.forget_state()
    assert session._kernel_links is not None and session._bridge_ports is None
    session._bridge_ports = {'ve-a': {}}
    session.send('delete ve-a', requests.delete_link(2))
    session.forget_state()
    assert session._kernel_links is None and session._bridge_ports is None


def test_a_links_forwarding_entries_are_read_once_until_an_entry_changes():
    def flood(sequence, dst):
        body = netlink_messages.NEIGHBOUR_HEADER.pack(7, 6, 0xc0, 2, 0) + attribute(2, b'\0' * 6)
        return message(28, body + attribute(1, bytes(bytearray(dst))), sequence)
    ack = message(2, struct.pack('=i', 0) + b'\0' * 16, 2)
    answers = [flood(1, [198, 18, 0, 12]) + done(1), ack, flood(3, [198, 18, 0, 13]) + done(3)]
    session = session_reading([dict(name='vx0', index=6)], answers)
    session.links()
    first = session.forwarding_entries(6)
    assert session.forwarding_entries(6) is first and len(session.reader.sock.sent) == 1
    assert [entry['dst'] for entry in first] == ['198.18.0.12']
    session.send('del flood entry', requests.forwarding_entry('del', 6, '00:00:00:00:00:00', '198.18.0.12'))
    session.forget_state()
    assert session._kernel_links is not None  # a forwarding entry changes no link: they are not read again
    assert [entry['dst'] for entry in session.forwarding_entries(6)] == ['198.18.0.13']
    assert len(session.reader.sock.sent) == 3
