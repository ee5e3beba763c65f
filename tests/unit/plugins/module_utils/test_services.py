# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.netns contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The boot's and the services' plans as data, and the systemctl runs that applying them makes (no systemd)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest

from ansible_collections.linuxnet.netns.plugins.module_utils._netns import boot, nftables, services
from ansible_collections.linuxnet.netns.plugins.module_utils._netns.engine import Plan


@pytest.fixture
def systemd(tmp_path, monkeypatch):
    """A host where systemd runs: the systemctl commands are recorded; which units are active, asked of active."""
    runs = []
    active = set()

    def run_program(namespace, argv, *args, **kwargs):
        runs.append(argv)
        if argv[1:3] == ['--quiet', 'is-active'] and argv[3] not in active:
            raise nftables.NftError('inactive')
    monkeypatch.setattr(boot, 'systemd_runs', lambda: True)
    monkeypatch.setattr(nftables, 'run_program', run_program)
    monkeypatch.setattr(boot, 'payload', lambda module_file=None: {'ansible_collections/x.py': b'x = 1\n'})
    return dict(runs=runs, active=active, units=str(tmp_path / 'units'), lib=str(tmp_path / 'lib'),
                params=str(tmp_path / 'reg' / 'p.json'))


def ops(plan):
    return [(change['apply']['op'], change['apply']['args'], change['undo']['op'], change['undo']['args'])
            for change in plan.as_data()]


def test_the_boot_plan_is_data_and_reloads_systemd_once(systemd):
    item = dict(network='dbr0', state='present', restore_at_boot=True, params=dict(name='dbr0'), python='/usr/bin/python3',
                params_path=systemd['params'], unit_dir=systemd['units'], lib_dir=systemd['lib'])
    plan = Plan()
    boot.plan(None, [item], plan)
    found = ops(plan)
    assert [op[0] for op in found] == ['boot.install_code', 'file.write', 'file.write', 'file.symlink', 'systemd.systemctl']
    assert found[0][1] == dict(lib_dir=systemd['lib'], listing=boot.manifest(boot.payload()).decode())
    assert found[0][2:] == ('boot.restore_code', dict(lib_dir=systemd['lib'], listing=None))
    assert found[1][1]['data'] == '{\n  "name": "dbr0"\n}\n'
    assert found[4][1:] == (dict(args=['daemon-reload']), 'systemd.systemctl', dict(args=['daemon-reload']))
    plan.apply()
    plan.finish(True)
    assert systemd['runs'] == [['systemctl', 'daemon-reload']]
    assert sorted(os.listdir(systemd['lib'])) == ['MANIFEST', 'boot.py', 'lib']

    plan = Plan()
    boot.plan(None, [dict(item, state='absent')], plan)
    assert ops(plan)[0][:2] == ('boot.install_code', dict(lib_dir=systemd['lib'], listing=None))
    plan.apply()
    plan.finish(True)
    assert not os.path.exists(systemd['lib'])


def test_services_plan_systemctl_with_its_arguments_as_data(systemd):
    item = dict(network='dbr0', files=['resolv.conf'], restore_at_boot=True, unit_dir=systemd['units'],
                containers=[dict(name='web', command='/bin/true', service=None)])
    plan = Plan()
    services.plan(None, [item], plan)
    unit = 'linuxnet-netns-dbr0:web.service'
    assert [(op[0], op[1].get('args'), op[3].get('args')) for op in ops(plan)] == [
        ('file.write', None, None), ('file.symlink', None, None),
        ('systemd.systemctl', ['daemon-reload'], ['daemon-reload']),
        ('systemd.systemctl', ['restart', unit], ['stop', unit])]
    assert [change.summary for change in plan.changes][2:] == ['reload systemd units', 'start ' + unit]
    plan.apply()
    assert systemd['runs'] == [['systemctl', 'daemon-reload'], ['systemctl', 'restart', unit]]

    del systemd['runs'][:]
    systemd['active'].add(unit)
    gone = dict(item, containers=[])
    plan = Plan()
    services.plan_stop(None, [gone], plan)
    assert ops(plan) == [('systemd.systemctl', dict(args=['stop', unit]), 'systemd.systemctl', dict(args=['start', unit]))]
    assert plan.changes[0].summary == 'stop %s (container service of dbr0)' % unit
    plan.apply()
    assert systemd['runs'] == [['systemctl', '--quiet', 'is-active', unit], ['systemctl', 'stop', unit]]
