# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.netns contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""validation: the input checks and normal forms every module shares (pure, no kernel)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress

import pytest

from ansible_collections.linuxnet.netns.plugins.module_utils._netns import validation
from ansible_collections.linuxnet.netns.plugins.module_utils._netns.validation import ValidationError


# ---- interface names ------------------------------------------------------------------------

@pytest.mark.parametrize('value', ['eth0', 'br-t1', 'veth0s1', 'ul0.10', 'a', 'x' * 15, u'br\u00e9x', 'vx_42', 'e@1'])
def test_interface_name_accepted(value):
    assert validation.interface_name(value) == value


@pytest.mark.parametrize('value, message', [
    ('x' * 16, "is 16 bytes long; Linux allows at most 15 bytes"),
    # 15 characters, but the e-acute is two bytes in UTF-8: 16 bytes
    (u'br\u00e9' + 'x' * 12, 'is 16 bytes long; Linux allows at most 15 bytes'),
    # 8 characters of 3 bytes each: 24 bytes
    (u'\u20ac' * 8, 'is 24 bytes long'),
    ('br/0', "contains '/'"),
    ('br:0', "contains ':'"),
    ('br%d', "contains '%'"),
    ('br 0', "contains ' '"),
    ('br\t0', r"contains '\\t'"),
    ('br\n0', r"contains '\\n'"),
    ('br\x7f', r"contains '\\x7f'"),
    ('.', "'.' is not allowed"),
    ('..', "'..' is not allowed"),
    ('', 'must be a non-empty string'),
    (None, 'must be a non-empty string'),
    (42, 'must be a non-empty string'),
])
def test_interface_name_refused(value, message):
    with pytest.raises(ValidationError, match=message):
        validation.interface_name(value)


def test_interface_name_message_names_the_option():
    with pytest.raises(ValidationError, match="^master 'br/0' contains '/'"):
        validation.interface_name('br/0', 'master')


def test_interface_name_byte_length_is_what_counts():
    name = u'\u00e9' * 7 + 'x'  # 8 characters, 15 bytes: the longest allowed
    assert len(name.encode('utf-8')) == 15
    assert validation.interface_name(name) == name
    with pytest.raises(ValidationError, match='16 bytes'):
        validation.interface_name(name + 'x')


# ---- namespace names and references ----------------------------------------------------------

@pytest.mark.parametrize('value', ['nstest', 'ns.1', 'a-b_c', 'x' * 255, u'n\u00e9'])
def test_namespace_name_accepted(value):
    assert validation.namespace_name(value) == value


@pytest.mark.parametrize('value, message', [
    ('../../tmp/x', "contains '/'"),
    ('a/b', "contains '/'"),
    ('..', 'would escape /run/netns'),
    ('.', 'would escape /run/netns'),
    ('-n', "starts with '-'"),
    ('ns\x01', 'control characters'),
    ('ns\n', 'control characters'),
    ('', 'non-empty'),
    (None, 'non-empty'),
    ('x' * 256, 'longer than 255 bytes'),
    (u'\u00e9' * 128, 'longer than 255 bytes'),
])
def test_namespace_name_refused(value, message):
    with pytest.raises(ValidationError, match=message):
        validation.namespace_name(value)


@pytest.mark.parametrize('value, ref', [
    (None, None),
    ('', None),
    ('nstest', 'nstest'),
    ('/proc/1/ns/net', '/proc/1/ns/net'),
    ('/var/run/docker/netns/abc', '/var/run/docker/netns/abc'),
])
def test_namespace_ref(value, ref):
    assert validation.namespace_ref(value) == ref


@pytest.mark.parametrize('value, message', [
    ('../../tmp/x', "contains '/'"),
    ('..', 'would escape'),
    ('/proc/1/ns/net\0x', 'NUL byte'),
])
def test_namespace_ref_refused(value, message):
    with pytest.raises(ValidationError, match=message):
        validation.namespace_ref(value)


# ---- mtu ------------------------------------------------------------------------------------

# lo has 65536 and takes up to 2147483647 on a 6.x kernel; veth and bridge stop at 65535 (measured)
@pytest.mark.parametrize('value, normal', [(None, None), (68, 68), (1500, 1500), ('9000', 9000), (65535, 65535),
                                           (65536, 65536), (2147483647, 2147483647)])
def test_mtu_accepted(value, normal):
    assert validation.mtu(value) == normal


@pytest.mark.parametrize('value', [0, 20, 67, 2147483648, -1])
def test_mtu_refused(value):
    with pytest.raises(ValidationError, match=r'mtu %s is out of range \(68\.\.2147483647\)' % value):
        validation.mtu(value)


@pytest.mark.parametrize('value, low, high', [(1500, 68, 65535), (65535, 68, 65535), (70000, None, None),
                                              (None, 68, 65535)])
def test_mtu_for_link_accepted(value, low, high):
    validation.mtu_for_link(value, 'v0', low, high)


@pytest.mark.parametrize('value, low, high, message', [
    (65536, 68, 65535, r'^mtu 65536 is out of range for v0 \(68\.\.65535\)$'),
    (100, 1280, None, r'^mtu 100 is out of range for v0 \(1280\.\.2147483647\)$'),
])
def test_mtu_for_link_refused(value, low, high, message):
    with pytest.raises(ValidationError, match=message):
        validation.mtu_for_link(value, 'v0', low, high)


# ---- MAC addresses --------------------------------------------------------------------------

@pytest.mark.parametrize('value, normal', [
    ('02:42:ac:11:00:02', '02:42:ac:11:00:02'),
    ('02:42:AC:11:00:02', '02:42:ac:11:00:02'),
    ('02-42-Ac-11-00-0F', '02:42:ac:11:00:0f'),
    (' 02:ab:cd:ef:01:23 ', '02:ab:cd:ef:01:23'),
    (None, None),
])
def test_mac_normal_form(value, normal):
    assert validation.mac_address(value) == normal


def test_mac_case_does_not_matter():
    assert validation.mac_address('02:AB:CD:EF:01:23') == validation.mac_address('02:ab:cd:ef:01:23')


@pytest.mark.parametrize('value, message', [
    ('zz:00:00:00:00:01', "mac 'zz:00:00:00:00:01' is not a MAC address"),
    ('02:00:00:00:00', 'is not a MAC address'),
    ('02:00:00:00:00:00:01', 'is not a MAC address'),
    ('0200.0000.0001', 'is not a MAC address'),
    ('2:0:0:0:0:1', 'is not a MAC address'),
    ('01:00:5e:00:00:01', 'is a multicast address'),
    ('ff:ff:ff:ff:ff:ff', 'is a multicast address'),
])
def test_mac_refused(value, message):
    with pytest.raises(ValidationError, match=message):
        validation.mac_address(value)


# ---- addresses and networks -----------------------------------------------------------------

def test_ip_address():
    assert validation.ip_address('2001:0db8:0::1') == ipaddress.ip_address(u'2001:db8::1')
    with pytest.raises(ValidationError, match="gateway 'not-an-ip' is not an IP address"):
        validation.ip_address('not-an-ip', 'gateway')
    with pytest.raises(ValidationError, match='is not an IP address'):
        validation.ip_address('10.0.0.0/8')


@pytest.mark.parametrize('value, normal', [
    ('10.0.0.1/24', '10.0.0.1/24'),
    ('2001:0DB8:0::1/64', '2001:db8::1/64'),
    ('192.168.11.100/32', '192.168.11.100/32'),
])
def test_interface_address_normal_form(value, normal):
    assert str(validation.interface_address(value)) == normal


@pytest.mark.parametrize('value, message', [
    ('10.0.0.1', 'needs a prefix length'),
    ('10.0.0.1/33', 'is not an address in CIDR form'),
    ('10.0.0.300/24', 'is not an address in CIDR form'),
    ('2001:db8::1/129', 'is not an address in CIDR form'),
])
def test_interface_address_refused(value, message):
    with pytest.raises(ValidationError, match=message):
        validation.interface_address(value)


def test_network_host_bits_suggest_the_network():
    with pytest.raises(ValidationError) as caught:
        validation.network('10.1.0.1/16', 'dest')
    assert str(caught.value) == "dest '10.1.0.1/16' has host bits set; did you mean 10.1.0.0/16?"
    with pytest.raises(ValidationError, match=r'did you mean 2001:db8::/32\?'):
        validation.network('2001:db8::1/32')


def test_network_accepted_and_not_strict():
    assert str(validation.network('2001:0DB8:0070:0::/48')) == '2001:db8:70::/48'
    assert str(validation.network('10.1.0.0/16')) == '10.1.0.0/16'
    assert str(validation.network('10.1.0.1/16', strict=False)) == '10.1.0.0/16'
    with pytest.raises(ValidationError, match='is not a network in CIDR form'):
        validation.network('10.1.0.0/40')


@pytest.mark.parametrize('value, family, normal', [
    ('default', None, '0.0.0.0/0'),
    ('default', 4, '0.0.0.0/0'),
    ('default', 6, '::/0'),
    ('any', 6, '::/0'),
    ('all', None, '0.0.0.0/0'),
    ('10.2.0.0/24', None, '10.2.0.0/24'),
    ('10.2.0.9', None, '10.2.0.9/32'),
    ('2001:db8::9', None, '2001:db8::9/128'),
])
def test_route_destination(value, family, normal):
    assert str(validation.route_destination(value, family)) == normal


def test_route_destination_host_bits():
    with pytest.raises(ValidationError, match="dest '10.1.0.1/16' has host bits set; did you mean 10.1.0.0/16"):
        validation.route_destination('10.1.0.1/16')


@pytest.mark.parametrize('value, listed', [(None, []), ('a', ['a']), (['a', 'b'], ['a', 'b']), (('a',), ['a'])])
def test_as_list(value, listed):
    assert validation.as_list(value) == listed
