# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.netns contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The collection's netlink reader against pyroute2, on dumps the kernel itself sent.

tests/unit/fixtures/netlink/kernel.json holds real dumps (capture.py, run in tests/sandbox.sh):
links of every kind this kernel has, IPv4/IPv6 addresses with flags and a peer, routes with
via/src/tos/onlink/metrics/multipath/nhid/pref/expires in several tables, blackholes, an IPv4
route through an IPv6 gateway (RTA_VIA), IPv6 source-specific routes, and an nsid answer. Each
message is decoded by netlink_messages.py and by pyroute2, and every field the reader gives is compared.
Every attribute pyroute2 finds in a message must be either compared or listed in IGNORED with
the reason: a new attribute in a fixture fails the suite until someone decides.

pytest runs the comparison with the pyroute2 of its own Python (the venv's 0.9.7), and once
more with Debian's /usr/bin/python3 (0.7.2), which has no pytest: this file is also a script,

    PYTHONPATH=.build/collections /usr/bin/python3 tests/unit/plugins/module_utils/test_netlink_conformance.py

that prints one line per dump and exits 1 on the first difference.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import binascii
import json
import os
import socket
import struct
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURE = os.path.join(HERE, '..', '..', 'fixtures', 'netlink', 'kernel.json')
DEBIAN_PYTHON = '/usr/bin/python3'

if __name__ == '__main__':
    # the tree that holds ansible_collections: this checkout's .build/collections, or the one it sits in
    TOP = os.path.abspath(os.path.join(HERE, '..', '..', '..', '..'))
    PARENT = os.path.dirname(os.path.dirname(TOP))
    sys.path.insert(0, os.path.dirname(PARENT) if os.path.basename(PARENT) == 'ansible_collections'
                    else os.path.join(TOP, '.build', 'collections'))

from ansible_collections.linuxnet.netns.plugins.module_utils._netns import netlink, netlink_messages, netlink_reader  # noqa: E402

# Attributes the reader leaves out on purpose, and why.
IGNORED = {
    'IFA_LABEL': 'the ifindex names the link already; labels (eth0:1) are not managed',
    'IFA_CACHEINFO': 'lifetimes and timestamps, which change every second',
    'IFA_PROTO': 'who added the address; not managed',
    'UNKNOWN(11)': 'IFA_PROTO, which pyroute2 0.7 does not know',
    'IFA_RT_PRIORITY': 'metric of the prefix route; not managed',
    'RTA_CACHEINFO': 'counters and ages, which change every second',
    'RTA_EXPIRES': 'seconds left of an expiring IPv6 route, a countdown; not managed',
    'RTA_FLOW': 'realms; not managed',
}
# A vxlan's kind data the reader leaves out (netlink_messages.VXLAN_ATTRIBUTES is what it reads), and why.
VXLAN_IGNORED = {
    'IFLA_VXLAN_PORT_RANGE': 'the source ports of the outer UDP header; not set or compared',
    'UNKNOWN': 'attributes newer than pyroute2 knows (33 on this kernel); not set or compared',
}
ROUTE_ATTRIBUTES = {'RTA_DST', 'RTA_SRC', 'RTA_OIF', 'RTA_GATEWAY', 'RTA_PRIORITY', 'RTA_PREFSRC', 'RTA_METRICS',
                    'RTA_MULTIPATH', 'RTA_TABLE', 'RTA_VIA', 'RTA_PREF', 'RTA_ENCAP_TYPE', 'UNKNOWN(30)'}
ADDRESS_ATTRIBUTES = {'IFA_ADDRESS', 'IFA_LOCAL', 'IFA_BROADCAST', 'IFA_FLAGS'}
RTA_NH_ID = 30  # newer than both pyroute2 versions: they show it as UNKNOWN without its value


def fixture():
    with open(FIXTURE) as source:
        return json.load(source)


def messages(name, data=None):
    data = data or fixture()
    return [binascii.unhexlify(message) for message in data['dumps'][name]]


def _attr_names(msg):
    names = set()
    for name, value in msg['attrs']:
        if name == 'UNKNOWN':
            name = 'UNKNOWN(%d)' % value['header']['type']
        names.add(name)
    return names


def _unaccounted(msg, compared):
    return sorted(_attr_names(msg) - compared - set(IGNORED))


def _family(af):
    return 6 if af == socket.AF_INET6 else 4


def _raw_attribute(message, header_size, kind):
    """An attribute's value straight from the bytes, for what pyroute2 cannot decode."""
    offset = 16 + header_size
    while offset + 4 <= len(message):
        length, found = struct.unpack_from('=HH', message, offset)
        if found & 0x3fff == kind:
            return message[offset + 4:offset + length]
        offset += (length + 3) & ~3
    return None


def _metric_number(name):
    from pyroute2.netlink.rtnl.rtmsg import rtmsg
    return [entry[0] for entry in rtmsg.metrics.nla_map].index(name)


def pyroute2_route(message):
    from pyroute2.netlink.rtnl.rtmsg import rtmsg
    msg = rtmsg(message)
    msg.decode()
    family = _family(msg['family'])
    zero = '::' if family == 6 else '0.0.0.0'

    def via(value):
        return None if value is None else (_family(value['family']), value['addr'])

    def hop(entry):
        attrs = dict(entry['attrs'])
        return dict(oif=entry['oif'], flags=entry['flags'], weight=entry['hops'] + 1,
                    gateway=attrs.get('RTA_GATEWAY'), via=via(attrs.get('RTA_VIA')))

    metrics = msg.get_attr('RTA_METRICS')
    nh_id = _raw_attribute(message, 12, RTA_NH_ID)
    table = msg.get_attr('RTA_TABLE')
    decoded = dict(
        family=family, dst=msg.get_attr('RTA_DST') or zero, dst_len=msg['dst_len'],
        src=msg.get_attr('RTA_SRC') or zero, src_len=msg['src_len'], tos=msg['tos'],
        table=table if table is not None else msg['table'], proto=msg['proto'], scope=msg['scope'],
        type=msg['type'], flags=msg['flags'], gateway=msg.get_attr('RTA_GATEWAY'),
        via=via(msg.get_attr('RTA_VIA')), oif=msg.get_attr('RTA_OIF'), priority=msg.get_attr('RTA_PRIORITY'),
        prefsrc=msg.get_attr('RTA_PREFSRC'), multipath=msg.get_attr('RTA_MULTIPATH') is not None,
        nexthops=[hop(entry) for entry in msg.get_attr('RTA_MULTIPATH') or ()],
        nh_id=struct.unpack('=I', nh_id)[0] if nh_id is not None else None,
        pref=msg.get_attr('RTA_PREF'),
        metrics=None if metrics is None else dict((_metric_number(name), value) for name, value in metrics['attrs']),
        encap_type=msg.get_attr('RTA_ENCAP_TYPE'))
    return decoded, _unaccounted(msg, ROUTE_ATTRIBUTES)


def pyroute2_address(message):
    from pyroute2.netlink.rtnl.ifaddrmsg import ifaddrmsg
    msg = ifaddrmsg(message)
    msg.decode()
    local, remote = msg.get_attr('IFA_LOCAL'), msg.get_attr('IFA_ADDRESS')
    flags = msg.get_attr('IFA_FLAGS')
    decoded = dict(
        index=msg['index'], family=_family(msg['family']), address=local or remote,
        peer=remote if local and remote != local else None, prefixlen=msg['prefixlen'],
        broadcast=msg.get_attr('IFA_BROADCAST'), scope=msg['scope'],
        flags=flags if flags is not None else msg['flags'])
    return decoded, _unaccounted(msg, ADDRESS_ATTRIBUTES)


OPERSTATES = {'UNKNOWN': 'UNKNOWN', 'NOTPRESENT': 'NOTPRESENT', 'DOWN': 'DOWN', 'LOWERLAYERDOWN': 'LOWERLAYERDOWN',
              'TESTING': 'TESTING', 'DORMANT': 'DORMANT', 'UP': 'UP'}


def pyroute2_link(message):
    from pyroute2.netlink.rtnl.ifinfmsg import ifinfmsg
    msg = ifinfmsg(message)
    msg.decode()
    info = msg.get_attr('IFLA_LINKINFO')
    kind = info.get_attr('IFLA_INFO_KIND') if info else None
    details = info.get_attr('IFLA_INFO_DATA') if info else None
    details = {} if details is None or isinstance(details, (str, bytes)) else dict(details.get('attrs', ()))
    unaccounted = []
    if kind == 'vxlan':  # read by the collection itself: what it reads is compared, the rest accounted for
        read = set('IFLA_VXLAN_' + name for name in netlink_messages.VXLAN_ATTRIBUTES)
        unaccounted = sorted(set(details) - read - set(VXLAN_IGNORED))
        details = dict((name, value) for name, value in details.items() if name in read)
    mac = msg.get_attr('IFLA_ADDRESS')
    decoded = dict(
        index=msg['index'], name=msg.get_attr('IFLA_IFNAME'), kind=kind, mtu=msg.get_attr('IFLA_MTU'),
        min_mtu=msg.get_attr('IFLA_MIN_MTU') or None, max_mtu=msg.get_attr('IFLA_MAX_MTU') or None,
        mac=mac or None, up=bool(msg['flags'] & 1), master_index=msg.get_attr('IFLA_MASTER'),
        link_index=msg.get_attr('IFLA_LINK'), link_netnsid=msg.get_attr('IFLA_LINK_NETNSID'),
        operstate=OPERSTATES.get(msg.get_attr('IFLA_OPERSTATE')), group=msg.get_attr('IFLA_GROUP'), data=details)
    return decoded, unaccounted


def ours_link(message):
    link = netlink_messages.link_from_message(message, 0)
    return dict(link, data=dict(link['data']))


NEIGHBOUR_ATTRIBUTES = {'NDA_DST', 'NDA_LLADDR'}
NEIGHBOUR_IGNORED = {
    'NDA_CACHEINFO': 'ages and counters, which change every second',
    'NDA_PROBES': 'how often the kernel asked; not managed',
    'NDA_MASTER': "the bridge of a port's entry; entries are read by device",
    'NDA_VLAN': 'vlan of a bridge entry; not managed',
    'NDA_FLAGS_EXT': 'extended flags; not managed',
    'UNKNOWN(15)': 'NDA_FLAGS_EXT, which pyroute2 0.7 does not know',
    'NDA_PROTOCOL': 'who added the entry; not managed',
}


def pyroute2_neighbour(message):
    from pyroute2.netlink.rtnl.ndmsg import ndmsg
    msg = ndmsg(message)
    msg.decode()
    mac = msg.get_attr('NDA_LLADDR')
    decoded = dict(family=msg['family'], index=msg['ifindex'], state=msg['state'], flags=msg['flags'],
                   dst=msg.get_attr('NDA_DST'), lladdr=mac.lower() if mac else None)
    names = _attr_names(msg)
    return decoded, sorted(names - NEIGHBOUR_ATTRIBUTES - set(NEIGHBOUR_IGNORED))


def pyroute2_nsid(message):
    from pyroute2.netlink.rtnl.nsidmsg import nsidmsg
    msg = nsidmsg(message)
    msg.decode()
    nsid = msg.get_attr('NETNSA_NSID')
    return dict(nsid=nsid if nsid is not None and nsid >= 0 else None), []


DUMPS = (
    ('nsid', lambda message: dict(nsid=netlink_messages.nsid_from_message(message, 0)), pyroute2_nsid),
    ('links', ours_link, pyroute2_link),
    ('addresses', lambda message: netlink_messages.address_from_message(message, 0), pyroute2_address),
    ('routes4', lambda message: netlink_messages.route_from_message(message, 0), pyroute2_route),
    ('routes6', lambda message: netlink_messages.route_from_message(message, 0), pyroute2_route),
    ('neighbours', lambda message: netlink_messages.neighbour_from_message(message, 0), pyroute2_neighbour),
    ('fdb', lambda message: netlink_messages.neighbour_from_message(message, 0), pyroute2_neighbour),
)


def differences(name, ours, theirs):
    """Human-readable differences of one dump: [] when the reader agrees with pyroute2 everywhere."""
    found = []
    for number, message in enumerate(messages(name)):
        mine = ours(message)
        other, unaccounted = theirs(message)
        if unaccounted:
            found.append('%s #%d: attributes neither compared nor ignored: %s' % (name, number, unaccounted))
        for key in sorted(set(mine) | set(other)):
            if mine.get(key, '<missing>') != other.get(key, '<missing>'):
                found.append('%s #%d %s: reader %r, pyroute2 %r' % (name, number, key, mine.get(key, '<missing>'),
                                                                    other.get(key, '<missing>')))
    return found


def compare_all():
    try:
        from importlib.metadata import version as installed
        version = installed('pyroute2')
    except Exception:  # pylint: disable=broad-except
        version = '?'
    found = []
    for name, ours, theirs in DUMPS:
        mismatch = differences(name, ours, theirs)
        print('pyroute2 %s, %s: %d messages, %d differences' % (version, name, len(messages(name)), len(mismatch)))
        found.extend(mismatch)
    return found


# ---- pytest -----------------------------------------------------------------------------------------

def test_every_field_agrees_with_this_pythons_pyroute2():
    assert compare_all() == []


def test_every_field_agrees_with_debians_pyroute2():
    import pytest
    if not os.path.exists(DEBIAN_PYTHON) or subprocess.call(
            [DEBIAN_PYTHON, '-c', 'import pyroute2'], stderr=subprocess.DEVNULL) != 0:
        pytest.skip('%s has no pyroute2' % DEBIAN_PYTHON)
    run = subprocess.run([DEBIAN_PYTHON, os.path.abspath(__file__)], stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, universal_newlines=True, check=False)
    assert run.returncode == 0, run.stdout
    assert 'pyroute2 0.7' in run.stdout


def test_the_fixture_holds_what_the_reader_must_get_right():
    routes = [netlink_messages.route_from_message(message, 0) for message in messages('routes4') + messages('routes6')]
    by_dst = dict(('%s/%d%s' % (route['dst'], route['dst_len'],
                                ' from %s/%d' % (route['src'], route['src_len']) if route['src_len'] else ''),
                   route) for route in routes if route['table'] != 255)
    ecmp = by_dst['10.86.0.0/16']['nexthops']
    assert [(hop['gateway'], hop['weight']) for hop in ecmp] == [('198.18.77.250', 1), ('198.18.77.249', 3)]
    assert by_dst['10.86.0.0/16']['gateway'] is None and by_dst['10.86.0.0/16']['multipath']
    assert by_dst['10.91.0.0/16']['via'] == (6, 'fe80::1') and by_dst['10.91.0.0/16']['gateway'] is None
    assert by_dst['10.92.0.0/16']['nh_id'] == 1 and by_dst['10.92.0.0/16']['gateway'] == '198.18.77.246'
    assert by_dst['10.93.0.0/16']['nh_id'] == 3 and len(by_dst['10.93.0.0/16']['nexthops']) == 2
    assert by_dst['fd00:87::/48']['nh_id'] == 6
    assert by_dst['10.84.0.0/16']['tos'] == 0x10
    assert by_dst['10.85.0.0/16']['flags'] & 4  # RTNH_F_ONLINK
    assert by_dst['10.87.0.0/16']['metrics'] == {2: 1400, 8: 1360}  # RTAX_MTU, RTAX_ADVMSS
    assert by_dst['fd00:99::/64 from fd00:1::/64']['gateway'] == 'fd00:1::fe'
    assert by_dst['fd00:99::/64 from fd00:2::/64']['gateway'] == 'fd00:2::fe'
    assert by_dst['fd00:82::/48']['pref'] == 1 and by_dst['fd00:83::/48']['pref'] == 3  # high, low
    assert by_dst['fd00:81::/48']['nexthops'][0]['weight'] == 2
    assert by_dst['fd00:83::/48']['table'] == 100 and by_dst['10.83.0.0/16']['table'] == 4000000
    addresses = dict((a['address'], a) for a in (netlink_messages.address_from_message(m, 0) for m in messages('addresses')))
    assert addresses['198.18.78.1']['peer'] == '198.18.78.2'
    assert addresses['fd00:78::1']['flags'] & 0x200  # IFA_F_NOPREFIXROUTE, beyond the header's 8 bits
    assert addresses['fd00:79::1']['flags'] & 0x20  # IFA_F_DEPRECATED
    kinds = set(netlink_messages.link_from_message(m, 0)['kind'] for m in messages('links'))
    assert kinds >= {'bridge', 'veth', 'vxlan', 'macvlan'}
    assert netlink_messages.nsid_from_message(messages('nsid')[0], 0) == 0


def test_the_fixture_holds_the_vxlan_settings_and_entries_the_overlay_reads():
    links = dict((link['name'], link) for link in (netlink_messages.link_from_message(message, 0)
                                                   for message in messages('links')))
    assert links['vx6']['data'] == dict(
        links['vx6']['data'], IFLA_VXLAN_ID=43, IFLA_VXLAN_PORT=4790, IFLA_VXLAN_LOCAL6='fd00:77::1', IFLA_VXLAN_TTL=5,
        IFLA_VXLAN_TOS=0x10, IFLA_VXLAN_LEARNING=0, IFLA_VXLAN_GBP=True)
    assert links['vx0']['data']['IFLA_VXLAN_LINK'] == links['e1']['index']
    fdb = [netlink_messages.neighbour_from_message(message, 0) for message in messages('fdb')]
    flood = sorted((entry['index'], entry['dst']) for entry in fdb if entry['lladdr'] == '00:00:00:00:00:00')
    assert flood == sorted([(links['vx0']['index'], '198.18.77.9'), (links['vx0']['index'], '198.18.77.10'),
                            (links['vx6']['index'], 'fd00:77::9')])
    assert [(entry['index'], entry['dst']) for entry in fdb if entry['lladdr'] == '02:00:00:00:aa:01'] == [
        (links['vx0']['index'], '198.18.77.11')]
    neighbours = dict((entry['dst'], entry) for entry in (netlink_messages.neighbour_from_message(message, 0)
                                                          for message in messages('neighbours')))
    assert neighbours['10.77.0.9']['state'] == 0x04 and neighbours['10.77.0.9']['lladdr'] == '02:00:00:00:aa:02'
    assert neighbours['fd00:7a::9']['state'] == 0x80 and neighbours['198.18.77.99']['state'] == 0x40


def test_nhid_agrees_with_ip():
    data = fixture()
    shown = dict((entry['dst'], entry['nhid']) for entry in data['ip']['routes4'] + data['ip']['routes6']
                 if 'nhid' in entry)
    read = dict(('%s/%d' % (route['dst'], route['dst_len']), route['nh_id'])
                for route in (netlink_messages.route_from_message(m, 0) for m in messages('routes4') + messages('routes6'))
                if route['nh_id'] is not None)
    assert read == shown and len(read) == 3


# ---- cut short or malformed: a clear error, never a partial state ----------------------------------

def _every_cut(message):
    return [message[:length] for length in range(len(message))]


def test_every_message_cut_short_is_refused():
    import pytest
    for name, ours, dummy in DUMPS:
        for message in messages(name)[:6]:
            for cut in _every_cut(message):
                with pytest.raises((netlink_messages.MalformedMessage, struct.error)):
                    ours(cut)


def test_a_length_field_that_lies_is_refused():
    import pytest
    message = bytearray(messages('routes4')[0])
    struct.pack_into('=I', message, 0, len(message) + 4)
    with pytest.raises(netlink_messages.MalformedMessage, match='cut short: it claims'):
        netlink_messages.route_from_message(bytes(message), 0)
    message = bytearray(messages('routes4')[0])
    struct.pack_into('=H', message, 16 + 12, 200)  # the first attribute claims more than the message has
    with pytest.raises(netlink_messages.MalformedMessage, match='attribute .* claims 200 bytes'):
        netlink_messages.route_from_message(bytes(message), 0)
    message = bytearray(messages('routes4')[0])
    struct.pack_into('=H', message, 16 + 12, 2)  # shorter than an attribute header
    with pytest.raises(netlink_messages.MalformedMessage):
        netlink_messages.route_from_message(bytes(message), 0)


def test_an_address_of_the_wrong_size_is_refused():
    import pytest
    route = messages('routes4')[0]
    family_v6 = bytearray(route)
    family_v6[16] = socket.AF_INET6  # IPv4 addresses read as IPv6 ones
    with pytest.raises(netlink_messages.MalformedMessage, match='address of 4 bytes for family 10'):
        netlink_messages.route_from_message(bytes(family_v6), 0)


def test_a_multipath_nexthop_that_lies_is_refused():
    import pytest
    for message in messages('routes4'):
        if netlink_messages.route_from_message(message, 0)['nexthops']:
            break
    data = bytearray(message)
    offset = 16 + 12
    while struct.unpack_from('=HH', data, offset)[1] != netlink_messages.RTA_MULTIPATH:
        offset += (struct.unpack_from('=H', data, offset)[0] + 3) & ~3
    struct.pack_into('=H', data, offset + 4, 250)  # the first rtnexthop claims 250 bytes
    with pytest.raises(netlink_messages.MalformedMessage, match='RTA_MULTIPATH: a nexthop claims 250 bytes'):
        netlink_messages.route_from_message(bytes(data), 0)


def test_the_reader_turns_a_malformed_answer_into_a_clear_failure():
    import pytest

    class Answers(object):
        def __init__(self, datagrams):
            self.datagrams = list(datagrams)

        def send(self, data):
            pass

        def recv(self, size):
            return self.datagrams.pop(0)

    reader = netlink_reader.Reader.__new__(netlink_reader.Reader)
    reader.label, reader.sequence = 'netns t', 0
    message = bytearray(messages('routes4')[0])
    struct.pack_into('=I', message, 8, 1)  # the sequence number of the request
    struct.pack_into('=H', message, 16 + 12, 200)
    reader.sock = Answers([bytes(message)])
    with pytest.raises(netlink.NetlinkFailure, match=r'^list routes in netns t: malformed answer from the kernel: '
                                                     r'attribute \d+ at byte \d+ claims 200 bytes'):
        reader.dump('list routes', 26, b'', netlink_messages.route_from_message)
    reader.sock = Answers([bytes(message[:40])])
    with pytest.raises(netlink.NetlinkFailure, match='malformed answer from the kernel: a message claims'):
        reader.dump('list routes', 26, b'', netlink_messages.route_from_message)


if __name__ == '__main__':
    problems = compare_all()
    for problem in problems:
        print(problem)
    sys.exit(1 if problems else 0)
