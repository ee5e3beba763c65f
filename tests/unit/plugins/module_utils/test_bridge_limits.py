# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.netns contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""bridge_limits: the underlay's MTU, the bridge's port limit, other networks on the host, peers that left."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

import pytest

from ansible_collections.linuxnet.netns.plugins.module_utils._netns import bridge_limits, changes, isolation, plan_bridge
from ansible_collections.linuxnet.netns.plugins.module_utils._netns.bridge_containers import PlanError

from ansible_collections.linuxnet.netns.tests.unit.plugins.module_utils.fakes import FakeHost, FakeSession, neighbour_entry

SETTINGS = dict(name='dbr0', state='present', mtu=None, mode='vxlan', vxlan_interface='vxlan-dbr0', vxlan_vni=42,
                vxlan_port=4789, vxlan_device=None, dns=['8.8.8.8'], dns_search=[], dns_options=[], hosts_file=True,
                veth_prefix='ve-', masquerade=True, force_remove=False)
ME = dict(host='h1', subnet='10.88.11.0/24', gateway='10.88.11.1', underlay='198.18.0.11', index=None)
PEERS = [dict(host='h2', subnet='10.88.12.0/24', gateway='10.88.12.1', underlay='198.18.0.12', index=None)]
UNDERLAY = (dict(name='eth0', index=1, mtu=9000), dict(name='eth1', index=2, mtu=1400))


def params(**values):
    return dict(dict(SETTINGS, underlay_address='198.18.0.11'), **values)


def host_with(links=UNDERLAY, addresses=None):
    addresses = addresses if addresses is not None else [
        dict(index=1, family=4, address='198.18.0.11', prefixlen=24),
        dict(index=2, family=6, address='2001:db8::11', prefixlen=64)]
    return FakeHost(FakeSession(links=links, addresses=addresses))


def wanted(count=2, **values):
    containers = [dict(name='c%d' % number) for number in range(count)]
    # room for more containers than a bridge takes
    me = ME if count < 250 else dict(ME, subnet='10.88.8.0/21', gateway='10.88.8.1')
    return plan_bridge.host_plan(containers, dict(SETTINGS, **values), me, PEERS, None)


# -- the MTU --------------------------------------------------------------------------------

def test_mtu_follows_the_device_holding_the_underlay_address_less_50():
    warnings = []
    assert bridge_limits.network_mtu(host_with(), params(), warnings.append) == 8950
    assert warnings == []


def test_an_ipv6_underlay_costs_70():
    assert bridge_limits.network_mtu(host_with(), params(underlay_address='2001:db8::11'), None) == 1330


def test_vxlan_device_names_the_underlay_device():
    assert bridge_limits.network_mtu(host_with(), params(vxlan_device='eth1'), None) == 1350


def test_a_given_mtu_is_kept_and_one_too_large_warned():
    warnings = []
    assert bridge_limits.network_mtu(host_with(), params(mtu=8950), warnings.append) == 8950
    assert warnings == []
    assert bridge_limits.network_mtu(host_with(), params(mtu=8951), warnings.append) == 8951
    assert len(warnings) == 1 and 'mtu 8951 is larger than the underlay eth0' in warnings[0]


@pytest.mark.parametrize('values', [dict(mode='host-gw'), dict(mode='none'), dict(state='absent'),
                                    dict(underlay_address='198.18.0.99')])
def test_no_vxlan_or_no_underlay_device_leaves_the_mtu_to_plan_bridge(values):
    assert bridge_limits.network_mtu(host_with(), params(**values), None) is None


def test_in_mode_vxlan_the_bridge_has_the_networks_mtu_too():
    assert wanted(mtu=8950)['links'][0] == dict(name='dbr0', kind='bridge', mac='02:42:0a:58:0b:01', mtu=8950,
                                                _group=28270)
    assert 'mtu' not in wanted(mode='host-gw', mtu=8950)['links'][0]  # it follows its ports


# -- the bridge's ports ------------------------------------------------------------------------

def test_1023_containers_fit_1024_do_not():
    session = FakeSession(links=UNDERLAY)
    bridge_limits.check_ports(session, params(), wanted(1023))
    with pytest.raises(PlanError, match=r'bridge dbr0 would need 1024 ports \(1024 containers\), but a Linux '
                                        r'bridge takes at most 1023'):
        bridge_limits.check_ports(session, params(), wanted(1024))


def test_ports_of_others_count():
    links = UNDERLAY + tuple(dict(name='x%d' % number, index=10 + number, master='dbr0') for number in range(3))
    session = FakeSession(links=links)
    bridge_limits.check_ports(session, params(), wanted(1020))
    with pytest.raises(PlanError, match=r'1024 ports \(1021 containers; 3 other ports already on it: x0, x1, x2\)'):
        bridge_limits.check_ports(session, params(), wanted(1021))


def test_containers_already_there_are_not_counted_twice():
    links = UNDERLAY + tuple(dict(name='ve-c%d' % number, index=10 + number, master='dbr0') for number in range(1023))
    bridge_limits.check_ports(FakeSession(links=links), params(), wanted(1023))


# -- other networks -----------------------------------------------------------------------------

def test_a_subnet_overlapping_another_interface_is_refused():
    session = FakeSession(links=UNDERLAY + (dict(name='other', index=5),),
                          addresses=[dict(index=5, family=4, address='10.88.11.129', prefixlen=25)])
    with pytest.raises(PlanError, match='subnet 10.88.11.0/24 overlaps 10.88.11.129/25 on other'):
        bridge_limits.check_subnet(session, params(), wanted())


def test_a_subnet6_overlapping_another_interface_is_refused():
    session = FakeSession(links=UNDERLAY + (dict(name='other', index=5),),
                          addresses=[dict(index=5, family=6, address='fd00:88:11::1', prefixlen=64)])
    plan = dict(wanted(), subnet6='fd00:88:11::/64')
    with pytest.raises(PlanError, match='subnet6 fd00:88:11::/64 overlaps fd00:88:11::1/64 on other'):
        bridge_limits.check_subnet(session, params(), plan)
    bridge_limits.check_subnet(session, params(), dict(plan, subnet6='fd00:88:12::/64'))


def test_the_networks_own_addresses_do_not_count():
    session = FakeSession(links=UNDERLAY + (dict(name='dbr0', index=5), dict(name='vxlan-dbr0', index=6)),
                          addresses=[dict(index=5, family=4, address='10.88.11.1', prefixlen=24),
                                     dict(index=6, family=4, address='10.88.11.1', prefixlen=32)])
    bridge_limits.check_subnet(session, params(), wanted())


def test_a_vni_and_port_another_vxlan_device_has_is_refused():
    other = dict(name='vxlan-other', index=7, kind='vxlan', data={'IFLA_VXLAN_ID': 42, 'IFLA_VXLAN_PORT': 4789})
    with pytest.raises(PlanError, match='vxlan_vni 42 on vxlan_port 4789 is taken by VXLAN device vxlan-other'):
        bridge_limits.check_vni(FakeSession(links=UNDERLAY + (other,)), params(), wanted())
    bridge_limits.check_vni(FakeSession(links=UNDERLAY + (other,)), params(), wanted(vxlan_vni=43))


def test_nothing_is_checked_on_the_way_out():
    other = dict(name='vxlan-other', index=7, kind='vxlan', data={'IFLA_VXLAN_ID': 42, 'IFLA_VXLAN_PORT': 4789})
    bridge_limits.check_host(FakeHost(FakeSession(links=UNDERLAY + (other,))), params(state='absent'),
                             wanted(state='absent'))


# -- peers that left ------------------------------------------------------------------------------

def entry(index, state=0x04, lladdr=None, dst=None):
    return neighbour_entry(index, lladdr, dst, state=state)


class DumpSession(FakeSession):
    """A session whose fdb and neigh dumps answer."""

    def __init__(self, fdb, neighbours, **kwargs):
        FakeSession.__init__(self, **kwargs)
        self.fdb, self.neigh = fdb, neighbours


def test_learnt_entries_towards_a_host_that_left_are_removed():
    fdb = [entry(6, lladdr='00:00:00:00:00:00', dst='198.18.0.13'),  # the flood list: the link planner's
           entry(6, lladdr='aa:aa:aa:aa:aa:12', dst='198.18.0.12'),
           entry(6, lladdr='aa:aa:aa:aa:aa:13', dst='198.18.0.13'),
           entry(6, lladdr='aa:aa:aa:aa:aa:99'),
           entry(9, lladdr='aa:aa:aa:aa:aa:14', dst='198.18.0.14')]  # another device's
    neighbours = [entry(6, dst='10.88.12.1'), entry(6, dst='10.88.13.1', lladdr='aa:aa:aa:aa:aa:31'),
                  entry(6, state=0x40, dst='10.88.14.1'), entry(6, dst='ff02::1')]
    session = DumpSession(fdb, neighbours, links=UNDERLAY + (dict(name='vxlan-dbr0', index=6, kind='vxlan'),))
    item = bridge_limits.peers_item(params(), wanted())
    assert item == dict(interface='vxlan-dbr0', remotes=['198.18.0.12'], gateways=['10.88.12.1'])
    plan = changes.Plan()
    bridge_limits.plan_forgotten_peers(FakeHost(session), [item], plan)
    assert plan.result(False)['actions'] == [
        'remove the forwarding entry aa:aa:aa:aa:aa:13 to 198.18.0.13 (no longer a peer) from vxlan-dbr0',
        'remove the neighbour entry 10.88.13.1 (no longer a peer) from vxlan-dbr0']
    session.calls = []
    plan.apply()
    assert session.calls == [('fdb', 'del', dict(ifindex=6, lladdr='aa:aa:aa:aa:aa:13', dst='198.18.0.13')),
                             ('neigh', 'del', dict(ifindex=6, dst='10.88.13.1'))]
    session.calls = []
    with pytest.raises(Exception, match='a later stage failed; undid: remove the neighbour'):
        plan.give_up('a later stage failed')
    # undone newest first; the neighbour back as stale, to be confirmed when next used
    assert session.calls == [
        ('neigh', 'add', dict(ifindex=6, dst='10.88.13.1', lladdr='aa:aa:aa:aa:aa:31', state=0x04)),
        ('fdb', 'append', dict(ifindex=6, lladdr='aa:aa:aa:aa:aa:13', dst='198.18.0.13'))]


def test_entries_are_left_alone_unless_a_peer_leaves_the_flood_list_in_this_run():
    # a host that left but still sends is learnt again; the rerun after its departure does not chase it
    fdb = [entry(6, lladdr='00:00:00:00:00:00', dst='198.18.0.12'),
           entry(6, lladdr='aa:aa:aa:aa:aa:13', dst='198.18.0.13')]
    session = DumpSession(fdb, [entry(6, dst='10.88.13.1')],
                          links=UNDERLAY + (dict(name='vxlan-dbr0', index=6, kind='vxlan'),))
    plan = changes.Plan()
    bridge_limits.plan_forgotten_peers(FakeHost(session), [bridge_limits.peers_item(params(), wanted())], plan)
    assert plan.result(False)['actions'] == []


def test_a_vxlan_device_made_by_this_task_has_learnt_nothing():
    session = DumpSession([], [], links=UNDERLAY)
    plan = changes.Plan()
    bridge_limits.plan_forgotten_peers(FakeHost(session), [bridge_limits.peers_item(params(), wanted())], plan)
    assert plan.result(False)['actions'] == [] and session.calls == []


def test_no_vxlan_device_no_stage():
    assert bridge_limits.peers_item(params(mode='host-gw'), wanted(mode='host-gw')) is None


# -- names another network has ------------------------------------------------------------------

def registry_dir_with(tmp_path, **registries):
    directory = tmp_path / 'registry'
    directory.mkdir()
    for network, registry in registries.items():
        (directory / ('docker_bridge.%s.json' % network)).write_text(json.dumps(registry))
    (directory / 'docker_bridge.other.boot.json').write_text('{}')  # a network's boot options, no network
    (directory / 'docker_bridge.broken.json').write_text('{"cut')
    return str(directory)


OTHER = dict(containers={'web': dict(address='10.88.12.2', veth='ot-web')}, vxlan='vxlan-other')


@pytest.mark.parametrize('containers, values, message', [
    ([{'name': 'web'}], {}, 'container web is network other\'s already'),
    ([{'name': 'web2'}], dict(veth_prefix='ot-', vxlan_interface='vx-mine'), None),
    ([{'name': 'eb'}], dict(veth_prefix='ot-w'), 'veth ot-web is network other\'s already.*another veth_prefix'),
    ([], dict(vxlan_interface='vxlan-other'), 'VXLAN device vxlan-other is network other\'s.*another vxlan_interface'),
])
def test_names_of_another_network_are_refused(tmp_path, containers, values, message):
    directory = registry_dir_with(tmp_path, other=OTHER, dbr0=dict(OTHER, vxlan='vxlan-dbr0'))
    plan = plan_bridge.host_plan(containers, dict(SETTINGS, **values), ME, PEERS, None)
    if message is None:
        bridge_limits.check_other_networks(params(registry_dir=directory), plan)
    else:
        with pytest.raises(PlanError, match=message):
            bridge_limits.check_other_networks(params(registry_dir=directory), plan)


def test_other_networks_are_the_registries_but_this_ones_and_boot_options(tmp_path):
    directory = registry_dir_with(tmp_path, other=OTHER, dbr0=OTHER)
    assert isolation.other_networks(directory, 'dbr0') == ['broken', 'other']  # the one reader of the names
    assert isolation.other_networks(str(tmp_path / 'none'), 'dbr0') == []
