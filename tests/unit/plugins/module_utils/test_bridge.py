# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.netns contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""bridge (the netns_bridge task) without root: the module's options as plan_bridge takes them
(_cluster, _settings), the stages it makes of plan_bridge's items, and the registry
file (read, write, _record) on a temporary directory."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os

import pytest

from ansible_collections.linuxnet.netns.plugins.module_utils._netns import (
    bridge, engine, plan_bridge, plan_firewall, plan_links, plan_nat, plan_netns)
from ansible_collections.linuxnet.netns.plugins.module_utils._netns.engine import Plan
from ansible_collections.linuxnet.netns.plugins.module_utils._netns.validation import ValidationError
from ansible_collections.linuxnet.netns.tests.unit.plugins.module_utils.fakes import FakeHost, FakeSession


def params(**values):
    """The module's parameters as AnsibleModule hands them over: every option, defaults filled in."""
    base = dict((key, option.get('default')) for key, option in bridge.OPTIONS.items())
    base.update(name='dbr0', subnet='10.88.1.0/24')
    base.update(values)
    return base


def peer(**values):
    return dict(dict(host='node2', subnet='10.88.2.0/24', underlay='198.18.77.2'), **values)


# ---- _cluster: this host and its peers ---------------------------------------------------------------

def test_cluster_of_one_host():
    assert bridge._cluster(params()) == [dict(host=bridge.THIS_HOST, underlay=None, subnet='10.88.1.0/24',
                                              gateway='10.88.1.1', index=None)]


def test_cluster_with_peers_gateway_defaults_to_the_first_address():
    cluster = bridge._cluster(params(mode='host-gw', underlay_address='198.18.77.1', peers=[
        peer(), dict(subnet='10.88.3.0/24', underlay='198.18.77.3', gateway='10.88.3.254')]))
    assert [(entry['host'], entry['subnet'], entry['gateway'], entry['underlay']) for entry in cluster] == [
        (bridge.THIS_HOST, '10.88.1.0/24', '10.88.1.1', '198.18.77.1'),
        ('node2', '10.88.2.0/24', '10.88.2.1', '198.18.77.2'),
        # a peer without a host name is named by its position, in messages
        ('peers item 2', '10.88.3.0/24', '10.88.3.254', '198.18.77.3')]


def test_cluster_in_mode_none_needs_no_underlay():
    cluster = bridge._cluster(params(peers=[dict(subnet='10.88.2.0/24')]))
    assert cluster[1]['underlay'] is None


def test_absent_needs_no_subnet():
    cluster = bridge._cluster(params(state='absent', subnet=None))
    assert cluster[0]['subnet'] == '0.0.0.0/32'


@pytest.mark.parametrize('values, message', [
    (dict(subnet=None), '^subnet is required when state=present$'),
    (dict(subnet=''), '^subnet is required when state=present$'),
    (dict(subnet='10.88.1.1/24'), "^subnet '10.88.1.1/24' is not a network in CIDR form"),
    (dict(subnet='10.88.1.0/31'), r'^subnet 10.88.1.0/31 must be IPv4 and hold a gateway and a container \(/30 or larger\)$'),
    (dict(subnet='fd00:88::/64'), '^subnet fd00:88::/64 must be IPv4'),
    (dict(peers=[peer(colour='red')]), r'^peers item 1: unknown keys colour \(known: host, subnet, gateway, underlay, subnet6, gateway6, '
     r'underlay6\)$'),
    (dict(peers=[dict(host='node2')]), '^peers item 1: subnet is required$'),
    (dict(mode='host-gw', peers=[peer(underlay=None)]), '^peers item 1: underlay is required in mode host-gw$'),
    (dict(mode='vxlan', peers=[peer()]), r'^underlay_address is required in mode vxlan'),
    (dict(peers=[peer(subnet='10.88.0.0/16')]),
     '^hosts this host and node2 would get overlapping subnets 10.88.1.0/24 and 10.88.0.0/16;'),
    (dict(peers=[peer(), peer(host='node3', subnet='10.88.3.0/24')], mode='host-gw', underlay_address='198.18.77.1'),
     '^hosts node2 and node3 have the same underlay address 198.18.77.2$'),
    (dict(peers=[peer(underlay='nowhere')], mode='host-gw'), "^node2 underlay 'nowhere' is not an IP address$"),
    (dict(peers=[peer(subnet='10.88.2.0/31')]), '^peers item 1: subnet 10.88.2.0/31 must be IPv4'),
])
def test_cluster_refuses(values, message):
    with pytest.raises(ValidationError, match=message):
        bridge._cluster(params(**values))


def test_vxlan_absent_needs_no_underlay_address():
    assert len(bridge._cluster(params(state='absent', mode='vxlan', peers=[peer()]))) == 2


# ---- _settings, and messages in the module's words ----------------------------------------------------

def test_settings_are_the_modules_options():
    settings = bridge._settings(params(dns=['10.88.1.53'], veth_prefix='c-'))
    assert settings['name'] == 'dbr0'
    assert settings['vxlan_interface'] == 'vxlan-dbr0'  # the role's default for its default bridge
    assert settings['dns'] == ['10.88.1.53'] and settings['veth_prefix'] == 'c-'
    assert set(settings) == set(['state', 'mtu', 'mode', 'vxlan_vni', 'vxlan_port', 'vxlan_device', 'dns',
                                 'dns_search', 'dns_options', 'hosts_file', 'veth_prefix', 'masquerade',
                                 'force_remove', 'firewall', 'name', 'vxlan_interface', 'gateway_mode_ipv6',
                                 'icc', 'internal', 'isolate'])


def test_settings_vxlan_interface_fits_ifnamsiz_or_is_given():
    assert bridge._settings(params(name='a-long-bridge0'))['vxlan_interface'] == 'vxlan-a-long-br'
    assert bridge._settings(params(vxlan_interface='flannel.1'))['vxlan_interface'] == 'flannel.1'


def test_settings_are_what_plan_bridge_accepts():
    settings = bridge._settings(params(mode='vxlan', underlay_address='198.18.77.1'))
    cluster = bridge._cluster(params(mode='vxlan', underlay_address='198.18.77.1', peers=[peer()]))
    wanted = plan_bridge.host_plan([dict(name='web')], settings, cluster[0], cluster[1:])
    assert [link['name'] for link in wanted['links']] == ['dbr0', 'vxlan-dbr0']
    assert wanted['mtu'] == 1450


@pytest.mark.parametrize('containers, values, expected', [
    ([dict(name='web', ports=[80])], {}, 'containers item 1: unknown keys ports'),
    ([], dict(vxlan_interface='dbr0'), 'name and vxlan_interface are both dbr0'),
    ([dict(name='web', address='10.99.0.5')], {}, 'container web: its address 10.99.0.5 is not a host address'),
])
def test_messages_name_the_modules_options(containers, values, expected):
    with pytest.raises(ValidationError, match='^' + expected):
        wanted_for(containers, **values)


def test_the_veth_planners_remedy_is_said_in_the_modules_terms():
    session = FakeSession(links=[dict(name='ve-web', index=3, kind='bridge')])
    items = engine.trusted_items(plan_links.VETH_OPTIONS, [dict(name='ve-web', peer='eth0', peer_netns='web')])
    with pytest.raises(engine.PlanFailure, match='; remove it first, or give the veths another veth_prefix$'):
        bridge._plan_veths(FakeHost(session), items, Plan())


# ---- the registry file ------------------------------------------------------------------------------------

def registry(**containers):
    return dict(version=1, bridge='dbr0', routes=[], vxlan=None,
                containers=dict((name, dict(address=address, veth='ve-' + name)) for name, address in containers.items()))


def test_registry_path():
    assert bridge.registry_path(params(registry_dir='/etc/linuxnet-netns')) == \
        '/etc/linuxnet-netns/docker_bridge.dbr0.json'


def test_read_registry_missing_is_none(tmp_path):
    assert bridge.read_registry(str(tmp_path / 'docker_bridge.dbr0.json')) is None


def test_read_registry_unreadable_is_a_clear_error(tmp_path):
    with pytest.raises(ValidationError, match='^cannot read the registry %s: %s exists but is not a regular file$'
                       % (tmp_path, tmp_path)):
        bridge.read_registry(str(tmp_path))


def test_write_makes_the_directory_and_replaces_the_file_whole(tmp_path):
    path = str(tmp_path / 'etc' / 'linuxnet-netns' / 'docker_bridge.dbr0.json')
    one, two = bridge._registry_text(registry(web='10.88.1.2')), bridge._registry_text(registry(db='10.88.1.3'))
    bridge._write(path, one)()
    bridge._write(path, two)()
    assert bridge.read_registry(path) == two
    assert oct(os.stat(path).st_mode & 0o777) == oct(0o644)
    # no temporary file left; the version replaced is kept
    assert sorted(os.listdir(os.path.dirname(path))) == ['docker_bridge.dbr0.json', 'docker_bridge.dbr0.json.prev']


def test_write_none_removes_and_tolerates_a_missing_file(tmp_path):
    path = str(tmp_path / 'docker_bridge.dbr0.json')
    bridge._write(path, 'x')()
    bridge._write(path, None)()
    assert not os.path.exists(path)
    bridge._write(path, None)()


def test_record_nothing_when_the_text_is_the_same(tmp_path):
    path = str(tmp_path / 'r.json')
    text = bridge._registry_text(registry(web='10.88.1.2'))
    plan = Plan()
    bridge._record(plan, path, text, text, 'record what was made in')
    assert plan.changes == []


def test_record_a_new_registry_and_undo_it(tmp_path):
    path = str(tmp_path / 'registry' / 'r.json')
    plan = Plan()
    text = bridge._registry_text(registry(web='10.88.1.2'))
    bridge._record(plan, path, None, text, 'record what is about to be made in')
    assert [change.summary for change in plan.changes] == ['record what is about to be made in ' + path]
    assert not os.path.exists(path)  # planned, not written
    plan.apply()
    assert json.loads(bridge.read_registry(path)) == registry(web='10.88.1.2')
    plan.changes[0].undo()
    assert bridge.read_registry(path) is None


def test_record_a_change_and_undo_it_puts_back_the_old_text(tmp_path):
    path = str(tmp_path / 'r.json')
    old = bridge._registry_text(registry(web='10.88.1.2', cache='10.88.1.3'))
    bridge._write(path, old)()
    plan = Plan()
    bridge._record(plan, path, old, bridge._registry_text(registry(web='10.88.1.2')), 'record what was made in')
    plan.apply()
    assert json.loads(bridge.read_registry(path)) == registry(web='10.88.1.2')
    plan.changes[0].undo()
    assert bridge.read_registry(path) == old


def test_record_none_forgets_the_registry(tmp_path):
    path = str(tmp_path / 'r.json')
    old = bridge._registry_text(registry(web='10.88.1.2'))
    bridge._write(path, old)()
    plan = Plan()
    bridge._record(plan, path, old, None, 'forget the registry')
    plan.apply()
    assert not os.path.exists(path)
    plan.changes[0].undo()
    assert bridge.read_registry(path) == old


@engine.operation('test.refused')
def _refused(target):
    raise OSError(1, 'Operation not permitted')


def test_a_failing_later_change_undoes_the_registry_write(tmp_path):
    path = str(tmp_path / 'r.json')
    plan = Plan()
    bridge._record(plan, path, None, bridge._registry_text(registry(web='10.88.1.2')),
                   'record what is about to be made in')

    plan.add('create namespace web', engine.Op(_refused))
    with pytest.raises(engine.PlanFailure, match='undid: record what is about to be made in '):
        plan.apply()
    assert not os.path.exists(path)


# ---- _stages: plan_bridge's items as the planners' stages ---------------------------------------------------

def wanted_for(containers, old=None, **values):
    module_params = params(**values)
    cluster = bridge._cluster(module_params)
    return plan_bridge.host_plan(containers, bridge._settings(module_params), cluster[0], cluster[1:],
                                 bridge._registry_text(old))


def by_name(stages):
    return dict((stage.name, stage) for stage in stages)


def test_stages_in_the_planners_order_with_their_items():
    stages = bridge._stages(wanted_for([dict(name='web', publish=['8080:80']), dict(name='db')]))
    assert [stage.name for stage in stages] == ['links', 'netns', 'veths', 'bridge_ports', 'addresses', 'routes', 'resolv', 'nat',
                                                'firewall']
    stages = by_name(stages)
    assert stages['netns'].planner is plan_netns.plan
    assert stages['veths'].planner is bridge._plan_veths  # plan_links.plan_veth, its remedy in this module's terms
    # the nat stage leaves the other owners' firewalls to the firewall stage, which knows the peers
    assert stages['nat'].planner.func is plan_nat.plan and stages['nat'].planner.keywords == dict(open_firewalls=False)
    assert stages['firewall'].planner is plan_firewall.plan
    (flows,) = stages['firewall'].items
    assert (flows['name'], flows['state'], flows['firewall'], flows['interface']) == ('dbr0', 'present', 'auto', 'dbr0')
    assert [str(net) for net in flows['sources']] == ['10.88.1.0/24']
    assert [(e['protocol'], str(e['address']), e['port']) for e in flows['published']] == [('tcp', '10.88.1.2', 80)]
    # a namespace item names its namespaces as a list (the netns module's name option)
    assert [item['name'] for item in stages['netns'].items] == [['web'], ['db']]
    # defaults of the planner's options, then the entry; trusted: no aggregate position to name
    web = stages['netns'].items[0]
    assert web['state'] == 'present' and web['loopback'] is True and web['force'] is False
    assert web['_where'] == ''
    assert 'netns' in web  # the shared option every item has
    veth = stages['veths'].items[0]
    assert (veth['name'], veth['peer'], veth['peer_netns'], veth['master'], veth['mtu'], veth['peer_mac']) == \
        ('ve-web', 'eth0', 'web', 'dbr0', 1500, '02:42:0a:58:01:02')
    addresses = [item['address'] for item in stages['addresses'].items]
    assert addresses == [['10.88.1.1/24'], ['10.88.1.2/24'], ['10.88.1.3/24']]
    # the NAT rule set is one item
    nat, = stages['nat'].items
    assert (nat['name'], nat['source'], nat['in_interface']) == ('dbr0', ['10.88.1.0/24'], 'dbr0')
    assert nat['publish'] == [dict(protocol='tcp', host_port=8080, port=80, address='10.88.1.2')]


def test_stages_without_entries_are_left_out():
    """absent without a registry: nothing was made, so there is no stage at all (containers are ignored)."""
    assert bridge._stages(wanted_for([dict(name='web')], state='absent', subnet=None)) == []


def test_stages_of_absent_remove_what_the_registry_names():
    old = registry(web='10.88.1.2')
    stages = by_name(bridge._stages(wanted_for([], old=old, state='absent', subnet=None)))
    assert list(stages) == ['links', 'netns', 'veths', 'resolv', 'nat', 'firewall']
    assert [(item['name'], item['state']) for item in stages['netns'].items] == [(['web'], 'absent')]
    (flows,) = stages['firewall'].items
    assert (flows['state'], flows['interface'], flows['sources'], flows['published']) == ('absent', 'dbr0', [], [])
    # the veth planner leaves a veth to the kernel when its namespace goes (test_plan_links)
    assert [(item['name'], item['state']) for item in stages['veths'].items] == [('ve-web', 'absent')]
    assert [(item['name'], item['state']) for item in stages['nat'].items] == [('dbr0', 'absent')]


def test_a_renamed_host_end_is_removed_even_though_its_namespace_stays():
    old = registry(web='10.88.1.2')
    stages = bridge._stages(wanted_for([dict(name='web')], old=old, veth_prefix='c-'))
    veths = [(item['name'], item.get('state'), item.get('peer_netns')) for item in by_name(stages)['veths'].items]
    assert veths == [('ve-web', 'absent', 'web'), ('c-web', 'present', 'web')]


def test_the_registry_write_is_data(tmp_path):
    path = str(tmp_path / 'registry' / 'r.json')
    text = bridge._registry_text(registry(web='10.88.1.2'))
    plan = Plan()
    bridge._record(plan, path, None, text, 'record what is about to be made in')
    (change,) = plan.as_data()
    assert change['apply'] == dict(op='file.write', on=None, args=dict(
        path=path, root=str(tmp_path), data=text, keep_previous=True, make_dirs=True))
    assert change['undo'] == dict(op='file.remove', on=None, args=dict(
        path=path, root=str(tmp_path), with_previous=True, missing_ok=True))
    plan.apply()
    assert bridge.read_registry(path) == text
