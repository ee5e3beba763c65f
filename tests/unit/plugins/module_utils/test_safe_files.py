# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.netns contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""safe_files without root, and the netns_bridge registry read and written through it."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import stat

import pytest

from ansible_collections.linuxnet.netns.plugins.module_utils._netns import bridge, safe_files
from ansible_collections.linuxnet.netns.plugins.module_utils._netns.engine import Plan, PlanFailure
from ansible_collections.linuxnet.netns.plugins.module_utils._netns.validation import ValidationError

from ansible_collections.linuxnet.netns.tests.unit.plugins.module_utils.fakes import fsync_recorder


@pytest.fixture
def tree(tmp_path):
    (tmp_path / 'etc').mkdir()
    return safe_files.Tree(str(tmp_path / 'etc'))


def test_a_write_is_whole_synced_and_keeps_the_previous_version(tree, monkeypatch):
    synced = []
    real_fsync = os.fsync
    monkeypatch.setattr(os, 'fsync', lambda fd: synced.append(os.readlink('/proc/self/fd/%d' % fd)) or real_fsync(fd))
    assert tree.make_dirs(['a', 'b']) == [['a'], ['a', 'b']]
    assert tree.make_dirs(['a', 'b']) == []
    tree.write_file(['a', 'b'], 'f', b'one\n', keep_previous=True)
    tree.write_file(['a', 'b'], 'f', b'two\n', 0o600, keep_previous=True)
    where = tree.path(['a', 'b'])
    assert sorted(os.listdir(where)) == ['f', 'f.prev']  # no temporary file left
    assert tree.read_file(['a', 'b'], 'f').data == b'two\n'
    assert tree.read_file(['a', 'b'], 'f.prev').data == b'one\n'
    assert tree.read_file(['a', 'b'], 'f').mode == 0o600
    # each write: the temporary file, then its directory (and each directory made, its parent)
    assert synced[-2].startswith(os.path.join(where, '.f.')) and synced[-1] == where


def test_a_write_that_fails_leaves_the_old_file_and_no_temporary(tree, monkeypatch):
    tree.make_dirs(['d'])
    tree.write_file(['d'], 'f', b'old\n')

    def refused(*args, **kwargs):
        raise OSError(28, 'No space left on device')

    monkeypatch.setattr(os, 'rename', refused)
    with pytest.raises(OSError):
        tree.write_file(['d'], 'f', b'new\n')
    assert os.listdir(tree.path(['d'])) == ['f']
    assert tree.read_file(['d'], 'f').data == b'old\n'


def test_no_symlink_below_the_root_is_followed(tree, tmp_path):
    outside = tmp_path / 'outside'
    outside.mkdir()
    (outside / 'f').write_text(u'secret\n')
    os.symlink(str(outside), tree.path(['d']))
    with pytest.raises(safe_files.UnsafePath, match=r'/etc/d is a symbolic link \(to .*outside\); refusing to follow'):
        tree.write_file(['d'], 'f', b'x')
    with pytest.raises(safe_files.UnsafePath, match='is a symbolic link'):
        tree.read_file(['d'], 'f')
    with pytest.raises(safe_files.UnsafePath, match='is a symbolic link'):
        tree.make_dirs(['d', 'e'])
    os.unlink(tree.path(['d']))
    tree.make_dirs(['d'])
    os.symlink(str(outside / 'f'), tree.path(['d'], 'f'))
    with pytest.raises(safe_files.UnsafePath, match=r'/etc/d/f is a symbolic link'):
        tree.read_file(['d'], 'f')
    with pytest.raises(safe_files.UnsafePath, match=r'/etc/d/f is a symbolic link'):
        tree.set_mode(['d'], 'f', 0o600)
    # a write replaces a symlink planted at the file's name, and keeps no "previous version" of it
    tree.write_file(['d'], 'f', b'mine\n', keep_previous=True)
    assert (outside / 'f').read_text() == u'secret\n'
    assert sorted(os.listdir(tree.path(['d']))) == ['f']


def test_remove_keeps_the_last_version_when_asked(tree):
    tree.make_dirs(['d'])
    tree.write_file(['d'], 'f', b'last\n')
    tree.remove_file(['d'], 'f', keep_previous=True)
    assert os.listdir(tree.path(['d'])) == ['f.prev']
    assert tree.read_file(['d'], 'f') is None
    assert tree.entries(['nothing']) is None


# ---- the registry of netns_bridge ---------------------------------------------------------------

def registry_text(**containers):
    return json.dumps(dict(version=1, bridge='dbr0', routes=[], vxlan=None, containers=dict(
        (name, dict(address=address, veth='ve-' + name)) for name, address in containers.items())), indent=4) + '\n'


@pytest.fixture
def path(tmp_path):
    return str(tmp_path / 'etc' / 'linuxnet-netns' / 'docker_bridge.dbr0.json')


@pytest.mark.parametrize('damage, why', [('', 'is empty'), ('\n', 'is empty'),
                                         ('{"containers": {"web": {"addr', 'is cut off or not JSON'),
                                         ('[]', 'holds no containers mapping')])
def test_a_damaged_registry_is_read_from_its_previous_version_with_a_warning(path, damage, why):
    bridge._write(path, registry_text(web='10.88.1.2'))()
    bridge._write(path, registry_text(web='10.88.1.2', db='10.88.1.3'))()
    with open(path, 'w') as target:
        target.write(damage)
    warnings = []
    assert bridge.read_registry(path, warnings.append) == registry_text(web='10.88.1.2')
    assert len(warnings) == 1 and warnings[0].startswith('the registry %s %s' % (path, why))
    assert 'read its previous version %s.prev instead' % path in warnings[0]


def test_a_damaged_registry_without_an_intact_previous_version_is_refused(path):
    bridge._write(path, registry_text(web='10.88.1.2'))()
    with open(path, 'w') as target:
        target.write('{"containers": {"we')
    message = '^the registry %s is cut off or not JSON .*no intact previous version \\(%s.prev\\)' % (path, path)
    with pytest.raises(ValidationError, match=message):
        bridge.read_registry(path)
    with open(path + '.prev', 'w') as target:
        target.write('')
    with pytest.raises(ValidationError, match='not taken for "nothing made here"'):
        bridge.read_registry(path)


def test_a_removed_registry_is_none(path):
    # whether its .prev stays is bridge._write's call (the task forgets the registry last)
    bridge._write(path, registry_text(web='10.88.1.2'))()
    bridge._write(path, None)()
    assert bridge.read_registry(path) is None
    assert 'docker_bridge.dbr0.json' not in os.listdir(os.path.dirname(path))


def test_a_registry_directory_that_is_a_symlink_is_refused(path, tmp_path):
    (tmp_path / 'elsewhere').mkdir()
    os.makedirs(os.path.dirname(os.path.dirname(path)))
    os.symlink(str(tmp_path / 'elsewhere'), os.path.dirname(path))
    with pytest.raises(safe_files.UnsafePath, match='linuxnet-netns is a symbolic link'):
        bridge._write(path, registry_text(web='10.88.1.2'))()
    with pytest.raises(ValidationError, match='^cannot read the registry .*linuxnet-netns is a symbolic link'):
        bridge.read_registry(path)
    assert os.listdir(str(tmp_path / 'elsewhere')) == []


# ---- the operations and the planning of one file, as data -----------------------------------------

def data_of(plan):
    return [(change['summary'], change['apply']['op'], change['apply']['args'], change['undo']['op'],
             change['undo']['args']) for change in plan.as_data()]


def test_plan_file_creates_updates_sets_the_mode_and_removes_as_data(tmp_path):
    root = str(tmp_path)
    path = os.path.join(root, 'a', 'b', 'f')
    plan = Plan()
    assert safe_files.plan_file(plan, path, u'one\n', root=root, what='a test')
    assert data_of(plan) == [('create %s (a test)' % path, 'file.write',
                              dict(path=path, root=root, data=u'one\n', mode=0o644, make_dirs=True), 'file.remove',
                              dict(path=path, root=root, remove_empty_dirs=[os.path.dirname(path), os.path.join(root, 'a')]))]
    assert plan.before == {path: None} and plan.after == {path: u'one\n'}
    plan.apply()
    assert open(path).read() == u'one\n' and stat.S_IMODE(os.stat(path).st_mode) == 0o644
    owner = [os.getuid(), os.getgid()]

    plan = Plan()
    assert safe_files.plan_file(plan, path, u'two\n', root=root, created='write', diff=False)
    assert data_of(plan) == [('update ' + path, 'file.write', dict(path=path, root=root, data=u'two\n', mode=0o644),
                              'file.write', dict(path=path, root=root, data=u'one\n', mode=0o644, owner=owner,
                                                 make_dirs=True))]
    assert plan.before == {}
    plan.apply()
    os.chmod(path, 0o600)

    plan = Plan()
    safe_files.plan_file(plan, path, u'two\n', root=root)
    assert data_of(plan) == [('set mode 0644 on %s (was 0600)' % path, 'file.mode', dict(path=path, root=root, mode=0o644),
                              'file.mode', dict(path=path, root=root, mode=0o600))]
    plan.apply()
    assert not safe_files.plan_file(Plan(), path, u'two\n', root=root)

    plan = Plan()
    safe_files.plan_file(plan, path, None, root=root, remove_empty_dir=True)
    assert data_of(plan)[0][:3] == ('remove ' + path, 'file.remove', dict(path=path, root=root,
                                                                          remove_empty_dirs=[os.path.dirname(path)]))
    plan.apply()
    assert os.listdir(os.path.join(root, 'a')) == []


def test_undoing_a_planned_file_puts_back_bytes_mode_and_owner(tmp_path):
    root = str(tmp_path)
    path = os.path.join(root, 'f')
    with open(path, 'wb') as target:
        target.write(b'\xff old\n')
    os.chmod(path, 0o640)
    plan = Plan()
    safe_files.plan_file(plan, path, None, root=root)
    assert plan.as_data()[0]['undo']['args']['data'] == b'\xff old\n'  # not UTF-8: kept as bytes
    plan.apply()
    assert not os.path.exists(path)
    with pytest.raises(PlanFailure, match='undid: remove'):
        plan.give_up('a later change failed')
    with open(path, 'rb') as source:
        assert source.read() == b'\xff old\n'
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o640


def test_plan_link_enables_and_disables_and_its_undo_removes_the_directories_it_made(tmp_path):
    root = str(tmp_path)
    wants = os.path.join(root, 'units', 'multi-user.target.wants')
    link = os.path.join(wants, 'x.service')
    plan = Plan()
    assert safe_files.plan_link(plan, link, '../x.service', 'enabled', root=root)
    assert data_of(plan) == [('enable %s (enabled)' % link, 'file.symlink',
                              dict(path=link, root=root, points_to='../x.service', make_dirs=True), 'file.symlink',
                              dict(path=link, root=root, points_to=None, remove_empty_dirs=[wants, os.path.dirname(wants)]))]
    plan.apply()
    assert os.readlink(link) == '../x.service'
    assert not safe_files.plan_link(Plan(), link, '../x.service', 'enabled', root=root)
    with pytest.raises(PlanFailure):
        plan.give_up('a later change failed')
    assert os.listdir(root) == []

    plan = Plan()
    safe_files.plan_link(plan, link, '../x.service', 'enabled', root=root)
    plan.apply()
    plan = Plan()
    safe_files.plan_link(plan, link, None, 'enabled', root=root)
    assert data_of(plan)[0][0] == 'disable %s (enabled)' % link
    plan.apply()
    assert not os.path.lexists(link)


def test_a_symlinked_directory_on_the_way_to_a_link_is_refused(tmp_path):
    (tmp_path / 'elsewhere').mkdir()
    (tmp_path / 'units').symlink_to(tmp_path / 'elsewhere')
    with pytest.raises(safe_files.UnsafePath, match='units is a symbolic link'):
        safe_files.plan_link(Plan(), str(tmp_path / 'units' / 'w' / 'x.service'), '../x', 'enabled', root=str(tmp_path))


def test_put_writes_keeping_the_previous_version_and_removes_both(tmp_path):
    root = str(tmp_path / 'etc')  # not there yet: the trusted root is made too
    path = os.path.join(root, 'reg', 'r.json')
    first = safe_files.put(path, u'1\n', root, keep_previous=True)
    assert first.as_data() == dict(op='file.write', on=None, args=dict(
        path=path, root=root, data=u'1\n', keep_previous=True, make_dirs=True))
    first()
    safe_files.put(path, u'2\n', root, keep_previous=True)()
    assert sorted(os.listdir(os.path.dirname(path))) == ['r.json', 'r.json.prev']
    gone = safe_files.put(path, None, root, keep_previous=True)
    assert gone.as_data()['op'] == 'file.remove'
    gone()
    gone()  # a file already gone is no failure
    assert os.listdir(os.path.dirname(path)) == []


def test_a_durable_tree_syncs_each_directory_it_changes(tmp_path, monkeypatch):
    synced = fsync_recorder(monkeypatch)
    path = str(tmp_path / 'registry' / 'state.json')
    safe_files.write(None, path=path, data='{}', root=str(tmp_path), make_dirs=True)
    assert synced[0] == str(tmp_path) + '/', 'the new directory is in its parent'
    assert os.path.dirname(synced[1]) == str(tmp_path / 'registry') and not synced[1].endswith('/'), 'the data'
    assert synced[2:] == [str(tmp_path / 'registry') + '/'], 'then the rename'
    del synced[:]
    safe_files.remove(None, path=path, root=str(tmp_path), remove_empty_dirs=[str(tmp_path / 'registry')])
    assert synced == [str(tmp_path / 'registry') + '/', str(tmp_path) + '/']
