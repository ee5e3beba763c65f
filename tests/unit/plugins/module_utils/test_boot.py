# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.netns contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What netns_bridge leaves for the boot and for the containers' services (boot, services), without root."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os

import pytest

from ansible_collections.linuxnet.netns.plugins.module_utils._netns import boot, engine, services, validation
from ansible_collections.linuxnet.netns.plugins.module_utils._netns.engine import Plan
from ansible_collections.linuxnet.netns.plugins.module_utils._netns.validation import ValidationError
from ansible_collections.linuxnet.netns.tests.unit.plugins.module_utils.fakes import fsync_recorder


def test_unit_runs_the_code_with_the_options_before_network_online():
    text = boot.render_unit('dbr0', '/usr/bin/python3', '/etc/linuxnet-netns/docker_bridge.dbr0.boot.json')
    lines = text.splitlines()
    assert 'ExecStart=/usr/bin/python3 /var/lib/linuxnet-netns/boot.py /etc/linuxnet-netns/docker_bridge.dbr0.boot.json' in lines
    assert 'Type=oneshot' in lines and 'RemainAfterExit=yes' in lines
    assert 'Before=network-online.target' in lines
    assert any(line.startswith('After=network.target ') and 'docker.service' in line for line in lines)
    assert 'WantedBy=multi-user.target network-online.target' in lines


def test_service_unit_joins_the_container_and_escapes_for_systemd():
    text = services.render('dbr0', 'web', 'echo "$HOME" 100% done', ('resolv.conf', 'hosts'))
    lines = text.splitlines()
    assert 'NetworkNamespacePath=/run/netns/web' in lines
    assert 'BindReadOnlyPaths=-/etc/netns/web/resolv.conf:/etc/resolv.conf' in lines
    assert 'BindReadOnlyPaths=-/etc/netns/web/hosts:/etc/hosts' in lines
    assert 'ExecStart=/bin/sh -c "exec echo \\"$$HOME\\" 100%% done"' in lines
    assert 'After=linuxnet-netns-bridge-dbr0.service' in lines and 'Restart=on-failure' in lines
    assert not any(line.startswith(('Requires=', 'Wants=')) for line in lines)
    dropin = services.render('dbr0', 'db', None, ('resolv.conf',), restore_at_boot=False)
    assert 'ExecStart' not in dropin and 'After' not in dropin and '[Install]' not in dropin
    assert 'BindReadOnlyPaths=-/etc/netns/db/resolv.conf:/etc/resolv.conf' in dropin.splitlines()


@pytest.mark.parametrize('value', ['a\nb', '', '  ', None, 3])
def test_bad_commands(value):
    with pytest.raises(ValidationError, match='command must be one line of text'):
        validation.checked_command(value, 'container web')


@pytest.mark.parametrize('value', ['nginx', 'a b.service', 'linuxnet-netns-x:y.service', '../x.service'])
def test_bad_units(value):
    with pytest.raises(ValidationError, match='is not the name of a systemd service'):
        validation.checked_unit(value, 'container web')


def test_names_of_two_networks_never_collide():
    # 'a' with container 'b-c' and 'a-b' with container 'c'
    assert services.paths('a', 'b-c')[1] != services.paths('a-b', 'c')[1]


def test_manifest_lists_every_file_with_its_digest():
    text = boot.manifest({'b.py': b'2', 'a.py': b'1'}).decode()
    assert [line.split(' ')[1] for line in text.splitlines()] == ['a.py', 'b.py']


def test_payload_outside_a_zip_holds_this_code():
    files = boot.payload()
    assert 'ansible_collections/linuxnet/netns/plugins/module_utils/_netns/boot.py' in files
    assert 'ansible/module_utils/basic.py' in files or any(name.startswith('ansible/') for name in files)


@pytest.fixture
def dirs(tmp_path, monkeypatch):
    monkeypatch.setattr(boot, 'systemd_runs', lambda: False)
    monkeypatch.setattr(boot, 'payload', lambda module_file=None: {'ansible_collections/x.py': b'x = 1\n'})
    return dict(unit_dir=str(tmp_path / 'units'), lib_dir=str(tmp_path / 'lib'), params=str(tmp_path / 'reg' / 'p.json'))


def boot_item(dirs, **values):
    item = dict(network='dbr0', state='present', restore_at_boot=True, params=dict(name='dbr0', containers=[]),
                python='/usr/bin/python3', params_path=dirs['params'], unit_dir=dirs['unit_dir'], lib_dir=dirs['lib_dir'])
    item.update(values)
    return item


def applied(planner, item):
    plan = Plan()
    planner(None, [item], plan)
    plan.apply()
    plan.finish(True)
    return plan


def test_boot_files_made_then_unchanged_then_removed(dirs):
    plan = applied(boot.plan, boot_item(dirs))
    assert [change.summary.split(' (')[0] for change in plan.changes] == [
        'install the code run at boot in %s/lib' % dirs['lib_dir'],
        'write ' + dirs['params'], 'write %s/linuxnet-netns-bridge-dbr0.service' % dirs['unit_dir'],
        'enable %s/multi-user.target.wants/linuxnet-netns-bridge-dbr0.service' % dirs['unit_dir']]
    assert os.readlink(os.path.join(dirs['unit_dir'], 'multi-user.target.wants', 'linuxnet-netns-bridge-dbr0.service')) \
        == '../linuxnet-netns-bridge-dbr0.service'
    with open(os.path.join(dirs['lib_dir'], 'lib', 'ansible_collections', 'x.py')) as source:
        assert source.read() == 'x = 1\n'
    with open(dirs['params']) as source:
        assert json.load(source) == dict(name='dbr0', containers=[])
    assert applied(boot.plan, boot_item(dirs)).changes == []
    plan = applied(boot.plan, boot_item(dirs, state='absent'))
    assert len(plan.changes) == 4
    assert not os.path.exists(dirs['lib_dir']) and not os.path.exists(dirs['params'])
    assert os.listdir(dirs['unit_dir']) == ['multi-user.target.wants']


def test_the_code_for_the_boot_syncs_each_file_and_directory_once(dirs, monkeypatch):
    files = {'ansible_collections/a/x.py': b'x = 1\n', 'ansible_collections/a/y.py': b'y = 2\n',
             'ansible_collections/b/z.py': b'z = 3\n', 'ansible/w.py': b'w = 4\n'}
    monkeypatch.setattr(boot, 'payload', lambda module_file=None: files)
    synced = fsync_recorder(monkeypatch)
    boot.install_code(None, lib_dir=dirs['lib_dir'], listing=boot.manifest(files).decode())
    staged, lib_dir = os.path.join(dirs['lib_dir'], 'lib.new'), dirs['lib_dir'] + '/'
    code = [path[len(staged):] for path in synced[:len(files) + 5]]
    # each file of the code once, then lib.new's five directories once each, the innermost first
    assert sorted(os.path.dirname(path) for path in code[:len(files)]) == [
        '/ansible', '/ansible_collections/a', '/ansible_collections/a', '/ansible_collections/b']
    assert sorted(code[len(files):len(files) + 2]) == ['/ansible_collections/a/', '/ansible_collections/b/']
    assert sorted(code[len(files) + 2:len(files) + 4]) == ['/ansible/', '/ansible_collections/']
    assert code[len(files) + 4] == '/'
    # lib_dir, where lib.new became lib; then the launcher and MANIFEST, each durably (the file, then lib_dir)
    assert [path == lib_dir for path in synced[len(files) + 5:]] == [True, False, True, False, True]
    for name, data in files.items():
        with open(os.path.join(dirs['lib_dir'], 'lib', name), 'rb') as source:
            assert source.read() == data


@engine.operation('test.boot_disk_full')
def _disk_full(target):
    raise OSError(28, 'No space left on device')


def test_a_failure_after_the_boot_files_puts_back_what_was_there(dirs):
    plan = Plan()
    boot.plan(None, [boot_item(dirs)], plan)

    plan.add('something after', engine.Op(_disk_full))
    with pytest.raises(Exception, match='No space left on device'):
        plan.apply()
    assert not os.path.exists(dirs['params'])
    assert not os.path.exists(os.path.join(dirs['lib_dir'], 'lib'))
    assert not os.path.lexists(os.path.join(dirs['unit_dir'], 'multi-user.target.wants', 'linuxnet-netns-bridge-dbr0.service'))


def test_services_follow_the_containers(dirs):
    item = dict(network='dbr0', files=['resolv.conf'], restore_at_boot=True, unit_dir=dirs['unit_dir'],
                containers=[dict(name='web', command='/bin/true', service=None),
                            dict(name='db', command=None, service='postgresql.service'),
                            dict(name='cache', command=None, service=None)])
    plan = applied(services.plan, item)
    unit = os.path.join(dirs['unit_dir'], 'linuxnet-netns-dbr0:web.service')
    dropin = os.path.join(dirs['unit_dir'], 'postgresql.service.d', 'linuxnet-netns-dbr0:db.conf')
    assert os.path.isfile(unit) and os.path.isfile(dropin)
    assert sorted(services.found('dbr0', dirs['unit_dir'])) == sorted([unit, dropin])
    assert services.found('dbr', dirs['unit_dir']) == {}
    assert applied(services.plan, item).changes == []
    plan = applied(services.plan, dict(item, containers=[]))
    assert [change.summary.split(' (')[0] for change in plan.changes] == [
        'remove ' + unit, 'disable %s/multi-user.target.wants/linuxnet-netns-dbr0:web.service' % dirs['unit_dir'],
        'remove ' + dropin]
    assert not os.path.exists(os.path.dirname(dropin))


def test_boot_main_runs_the_module_as_ansible_does(tmp_path, monkeypatch):
    from ansible.module_utils import basic
    from ansible_collections.linuxnet.netns.plugins.module_utils._netns import bridge
    seen = {}

    def run(module):
        seen.update(name=module.params['name'], mode=module.params['mode'], at_boot=module.at_boot,
                    check=module.check_mode)
        module.fail_json(msg='bridge dbr0: no such device')
    monkeypatch.setattr(bridge, 'run', run)
    monkeypatch.setattr(basic, '_ANSIBLE_ARGS', None)
    params = tmp_path / 'p.json'
    params.write_text(u'{"name": "dbr0", "subnet": "10.88.1.0/24"}')
    with pytest.raises(SystemExit) as exited:
        boot.main([str(params)])
    assert exited.value.code == 1
    # the defaults filled in by AnsibleModule, as in a playbook run
    assert seen == dict(name='dbr0', mode='none', at_boot=True, check=False)
    assert boot.main([]) == 2
