# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.netns contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""info (netns_info's engine) without root: mountinfo parsing, naming, filters, peer lookup, reports."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.linuxnet.netns.plugins.module_utils._netns import info, info_discovery

DEV = 4
HOST_INODE, BLUE_INODE, RED_INODE = 4026531840, 4026532296, 4026532400


def namespace(inode, own=False, names=(), paths=(), pids=(), links=None, docker=()):
    entry = info_discovery.Namespace((DEV, inode), own)
    entry.names = list(names)
    entry.paths = list(paths)
    entry.docker = list(docker)
    entry.pids = [{'pid': pid, 'command': 'sleep'} for pid in pids]
    if links is not None:
        entry.links = dict((link['index'], link) for link in links)
    return entry


def link(name, index, kind='veth', link_index=None, link_netnsid=None, **more):
    base = dict(name=name, index=index, kind=kind, link_index=link_index, link_netnsid=link_netnsid,
                operstate='UP', up=True, mtu=1500, mac='02:00:00:00:00:%02x' % index, master=None)
    base.update(more)
    return base


def test_mountinfo_lists_network_namespace_mounts_only():
    lines = [
        '36 25 0:4 net:[4026532296] /run/netns/blue rw shared:5 - nsfs nsfs rw\n',
        '37 25 0:4 net:[4026532400] /srv/my\\040ns rw - nsfs nsfs rw\n',
        '38 25 0:4 mnt:[4026532500] /run/mnt-ns rw - nsfs nsfs rw\n',
        '22 1 8:1 / / rw,relatime - ext4 /dev/sda1 rw\n',
        'garbage\n',
    ]
    assert info_discovery.nsfs_mounts(lines) == ['/run/netns/blue', '/srv/my ns']


def test_unescape_mount_path():
    assert info_discovery.unescape_mount_path('/a\\040b\\011c\\134d') == '/a b\tc\\d'


def test_reference_prefers_name_then_init_then_path_then_process():
    assert namespace(1, names=['blue'], paths=['/run/netns/blue'], pids=[1]).reference == 'blue'
    assert namespace(2, paths=['/var/run/docker/netns/default'], pids=[1, 50]).reference == '/proc/1/ns/net'
    assert namespace(3, paths=['/var/run/docker/netns/abc'], pids=[7]).reference == '/var/run/docker/netns/abc'
    assert namespace(4, pids=[7, 9]).reference == '/proc/7/ns/net'
    assert namespace(5).reference is None
    assert namespace(5).label == 'netns with inode 5'


def test_openers_try_own_path_first_then_files_then_processes():
    entry = namespace(1, own=True, paths=['/run/netns/x'], pids=[3])
    assert entry.openers() == [info_discovery.OWN_PATH, '/run/netns/x', '/proc/3/ns/net']


def host_of(*entries):
    host = info_discovery.Host()
    for entry in entries:
        host.found.append(entry)
        host._by_ident[entry.ident] = entry
    return host


def test_select_by_name_matches_names_and_docker_ids_exactly():
    own = namespace(HOST_INODE, own=True, pids=[1])
    blue = namespace(BLUE_INODE, names=['blue'])
    blue2 = namespace(BLUE_INODE + 1, names=['blue2'])
    container = namespace(RED_INODE, docker=['b63ec59b3d9e'])
    host = host_of(own, blue, blue2, container)
    assert host.select() == [own, blue, blue2, container]
    assert host.select(names=['blue']) == [blue]
    assert host.select(names=['b63ec59b3d9e', 'blue2']) == [blue2, container]
    assert host.select(names=['nope']) == []
    assert host.own is own


def test_cross_links_skip_local_ends_and_tunnels_without_device():
    entry = namespace(BLUE_INODE, links=[
        link('lo', 1, kind=None),
        link('v1', 2, link_index=9, link_netnsid=0),
        link('v2', 3, link_index=4),
        link('tun0', 5, kind='ipip', link_index=0, link_netnsid=1),
    ])
    assert [found['name'] for found in info.cross_links(entry)] == ['v1']


def test_likely_first_puts_the_namespace_pointing_back_first():
    blue = namespace(BLUE_INODE, names=['blue'], links=[link('v1', 2, link_index=7, link_netnsid=3)])
    own = namespace(HOST_INODE, own=True, links=[link('eth0', 7, kind=None)])
    decoy = namespace(RED_INODE, names=['red'], links=[link('x', 7, link_index=5, link_netnsid=0)])
    peer = namespace(RED_INODE + 1, names=['zz'], links=[link('v0', 7, link_index=2, link_netnsid=0)])
    unread = namespace(RED_INODE + 2, pids=[40])
    everyone = [own, blue, decoy, peer, unread]
    assert info.likely_first(blue, everyone) == [peer, own, decoy, unread, blue]


def test_resolve_nsids_asks_until_every_nsid_is_known():
    own = namespace(HOST_INODE, own=True, links=[link('vh0', 12, link_index=2, link_netnsid=0)])
    red = namespace(RED_INODE, names=['red'], links=[link('r0', 4, link_index=3, link_netnsid=1)])
    blue = namespace(BLUE_INODE, names=['blue'], links=[
        link('vh1', 2, link_index=12, link_netnsid=0),
        link('r1', 3, link_index=4, link_netnsid=1),
    ])
    given = {id(own): 0, id(red): 1, id(blue): None}
    asked = []

    def nsid_given_to(other):
        asked.append(other)
        return given[id(other)]

    found = info.resolve_nsids(blue, [own, blue, red], nsid_given_to)
    assert found == {0: own, 1: red}
    assert asked == [own, red]  # both point back, so no other namespace is asked


def test_resolve_nsids_stops_at_namespaces_it_cannot_find():
    blue = namespace(BLUE_INODE, links=[link('v1', 2, link_index=12, link_netnsid=6)])
    own = namespace(HOST_INODE, own=True, links=[])
    assert info.resolve_nsids(blue, [own, blue], lambda other: None) == {}


def test_link_report_names_peer_and_parent_with_their_namespaces():
    own = namespace(HOST_INODE, own=True, pids=[1], links=[link('vh0', 12, link_index=2, link_netnsid=0)])
    blue = namespace(BLUE_INODE, names=['blue'], links=[
        link('vh1', 2, link_index=12, link_netnsid=0),
        link('mv0', 3, kind='macvlan', link_index=2),
        link('lost', 4, link_index=30, link_netnsid=9),
        link('lo', 1, kind=None),
    ])
    blue.addresses = [dict(index=2, family=4, address='10.1.1.1', prefixlen=16, scope=0, flags=0)]
    by_nsid = {0: own}

    def links_of(other):
        return other.links

    reports = dict((found['name'], found) for found in
                   info.namespace_report(blue, True, by_nsid, links_of)['links'])
    assert reports['vh1']['peer'] == dict(index=12, name='vh0', netnsid=0, netns='/proc/1/ns/net',
                                          netns_inode=HOST_INODE)
    assert reports['vh1']['parent'] is None
    assert reports['vh1']['addresses'] == ['10.1.1.1/16']
    assert reports['mv0']['peer'] is None
    assert reports['mv0']['parent'] == dict(index=2, name='vh1', netnsid=None, netns='blue', netns_inode=BLUE_INODE)
    assert reports['lost']['peer'] == dict(index=30, name=None, netnsid=9, netns=None, netns_inode=None)
    assert reports['lo']['peer'] is None and reports['lo']['parent'] is None
    assert [found['name'] for found in info.namespace_report(blue, True, by_nsid, links_of)['links']] == \
        ['lo', 'vh1', 'mv0', 'lost']


def test_address_and_route_reports_use_names_ip_uses():
    entry = namespace(BLUE_INODE, names=['blue'], links=[link('eth0', 2)])
    entry.addresses = [dict(index=2, family=6, address='fe80::1', prefixlen=64, scope=253, flags=0)]
    entry.routes = [
        dict(family=4, dst='0.0.0.0', dst_len=0, table=254, proto=3, scope=0, type=1, flags=0,
             gateway='10.1.1.3', oif=2, priority=None, prefsrc=None, multipath=False),
        dict(family=6, dst='2001:db8::', dst_len=32, table=100, proto=186, scope=0, type=6, flags=0,
             gateway=None, oif=None, priority=1024, prefsrc=None, multipath=False),
    ]
    report = info.namespace_report(entry, True, {}, None)
    assert report['addresses'] == [dict(interface='eth0', address='fe80::1/64', family=6, scope='link')]
    assert report['routes'] == [
        dict(family=4, dest='default', gateway='10.1.1.3', interface='eth0', table='main', metric=None,
             source=None, proto='boot', scope='global', type='unicast', multipath=False),
        dict(family=6, dest='2001:db8::/32', gateway=None, interface=None, table='100', metric=1024,
             source=None, proto='186', scope='global', type='blackhole', multipath=False),
    ]


def test_report_without_detail_has_no_links():
    entry = namespace(BLUE_INODE, names=['blue'], paths=['/run/netns/blue'], pids=[5])
    entry.nsid = 3
    assert info.namespace_report(entry, False) == dict(
        netns='blue', inode=BLUE_INODE, nsid=3, own=False, names=['blue'], docker=[],
        paths=['/run/netns/blue'], pids=[{'pid': 5, 'command': 'sleep'}])


def test_kernel_routes_of_the_local_table_are_left_out():
    class Session(object):
        def links(self):
            return {'eth0': link('eth0', 2)}

        def addresses(self):
            return []

        def routes(self, family):
            return [dict(table=255, proto=2, family=family), dict(table=255, proto=3, family=family),
                    dict(table=254, proto=2, family=family)]

    entry = namespace(BLUE_INODE)
    info.read_state(entry, Session())
    assert [(route['table'], route['proto']) for route in entry.routes] == [(255, 3), (254, 2)] * 2
    assert list(entry.links) == [2]
