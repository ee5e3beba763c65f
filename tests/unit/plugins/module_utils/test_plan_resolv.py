# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.netns contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""plan_resolv without root: input checks, rendering, and the planner on a temporary /etc/netns."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import shutil
import stat

import pytest

from ansible_collections.linuxnet.netns.plugins.module_utils._netns import engine, plan_resolv
from ansible_collections.linuxnet.netns.plugins.module_utils._netns.engine import Plan, PlanFailure
from ansible_collections.linuxnet.netns.plugins.module_utils._netns.validation import ValidationError

from ansible_collections.linuxnet.netns.tests.unit.plugins.module_utils.fakes import fsync_recorder

HEADER = plan_resolv.HEADER


def item(**values):
    base = dict(name='ns1', state='present', nameservers=None, search=None, options=None, hosts=None)
    base.update(values)
    return base


def wanted(**values):
    warnings = []
    return plan_resolv.Wanted(item(**values), warnings.append), warnings


@pytest.mark.parametrize('value, normal', [
    ('8.8.8.8', '8.8.8.8'),
    ('2001:DB8:0::0053', '2001:db8::53'),
    ('fe80::1%eth0', 'fe80::1%eth0'),
])
def test_nameserver_normal_form(value, normal):
    assert plan_resolv.nameserver(value) == normal


@pytest.mark.parametrize('value, message', [
    ('dns.google', "nameserver 'dns.google' is not an IP address"),
    ('8.8.8.8 ', 'contains whitespace'),
    ('10.0.0.0/8', 'is not an IP address'),
    ('fe80::1%eth 0', 'contains whitespace'),
    ('fe80::1%a\nnameserver 6.6.6.6', 'contains whitespace'),
    ('fe80::1%a\x01', 'contains control characters'),
    ('fe80::1%a:b', "zone 'a:b' contains ':'"),
    ('fe80::1%' + 'x' * 16, "zone 'x+' is 16 bytes long"),
    ('', 'non-empty'),
])
def test_nameserver_refused(value, message):
    with pytest.raises(ValidationError, match=message):
        plan_resolv.nameserver(value)


@pytest.mark.parametrize('value', ['example.com', 'example.com.', 'corp.example.com', 'xn--bcher-kva.example',
                                   '_srv.example', 'localhost'])
def test_domain_name_accepted(value):
    assert plan_resolv.domain_name(value) == value


@pytest.mark.parametrize('value, message', [
    ('example .com', 'contains whitespace'),
    ('example.com\tother', 'contains whitespace'),
    ('a\nnameserver 6.6.6.6', 'contains whitespace'),
    ('ex\x00ample', 'control characters'),
    ('', 'non-empty'),
    ('.', 'is not a domain name'),
    ('-x.example', 'is not a domain name'),
    ('a..b', 'is not a domain name'),
    ('b\u00fccher.example', 'xn--'),
    ('#comment', 'is not a domain name'),
    ('x' * 64 + '.example', 'is not a domain name'),
    ('.'.join(['a' * 60] * 5), 'longer than 253'),
])
def test_domain_name_refused(value, message):
    with pytest.raises(ValidationError, match=message):
        plan_resolv.domain_name(value)


@pytest.mark.parametrize('value, name', [('ndots:2', 'ndots'), ('rotate', 'rotate'), ('edns0', 'edns0'),
                                         ('trust-ad', 'trust-ad'), ('timeout:1', 'timeout')])
def test_option_accepted(value, name):
    assert plan_resolv.resolver_option(value) == (value, name)


@pytest.mark.parametrize('value, message', [
    ('ndots', 'needs a value'),
    ('rotate:2', 'takes no value'),
    ('ndots:two', 'NAME or NAME:NUMBER'),
    ('ndots: 2', 'whitespace'),
    ('Rotate', 'NAME or NAME:NUMBER'),
])
def test_option_refused(value, message):
    with pytest.raises(ValidationError, match=message):
        plan_resolv.resolver_option(value)


def test_host_entry():
    assert plan_resolv.host_entry({'address': '2001:DB8::1', 'names': ['gw.lab', 'gw']}) == \
        ('2001:db8::1', ['gw.lab', 'gw'])


@pytest.mark.parametrize('entry, message', [
    ({'address': '300.1.1.1', 'names': ['x']}, "address '300.1.1.1' is not an IP address"),
    ({'address': 'fe80::1%eth0', 'names': ['x']}, 'takes none'),
    ({'address': None, 'names': ['x']}, 'address is required'),
    ({'address': '10.0.0.1', 'names': []}, 'names is required'),
    ({'address': '10.0.0.1', 'names': ['a b']}, 'whitespace'),
    ('10.0.0.1 x', 'must be a dict'),
])
def test_host_entry_refused(entry, message):
    with pytest.raises(ValidationError, match=message):
        plan_resolv.host_entry(entry, 'hosts entry 1: ')


def test_render_resolv_conf():
    assert plan_resolv.render_resolv_conf(['198.51.100.53', '2001:db8::53'], ['a.example', 'example'],
                                          ['ndots:2', 'rotate']) == (
        HEADER
        + 'nameserver 198.51.100.53\n'
        + 'nameserver 2001:db8::53\n'
        + 'search a.example example\n'
        + 'options ndots:2 rotate\n')


def test_render_resolv_conf_leaves_out_empty_lines():
    assert plan_resolv.render_resolv_conf(['8.8.8.8']) == HEADER + 'nameserver 8.8.8.8\n'


def test_render_hosts():
    assert plan_resolv.render_hosts([('127.0.0.1', ['localhost']), ('::1', ['localhost', 'ip6-localhost'])]) == (
        HEADER + '127.0.0.1\tlocalhost\n' + '::1\tlocalhost ip6-localhost\n')
    assert plan_resolv.render_hosts([]) == HEADER


def test_as_text():
    assert plan_resolv.as_text(None) is None
    assert plan_resolv.as_text(b'nameserver 1.1.1.1\n') == u'nameserver 1.1.1.1\n'
    assert plan_resolv.as_text(b'\xff\n') == u'\ufffd\n'


def test_wanted_is_deterministic():
    one, warnings = wanted(nameservers=['8.8.8.8', '2001:DB8::53'], search=['example.com'], options=['ndots:2'])
    two, warnings = wanted(nameservers=['8.8.8.8', '2001:db8::53'], search=['example.com'], options=['ndots:2'])
    assert one.texts == two.texts
    assert list(one.texts) == ['resolv.conf']


def test_wanted_hosts_only_when_given():
    with_hosts, warnings = wanted(nameservers=['8.8.8.8'], hosts=[{'address': '10.0.0.1', 'names': ['gw']}])
    assert with_hosts.texts['hosts'] == HEADER + '10.0.0.1\tgw\n'
    empty, warnings = wanted(nameservers=['8.8.8.8'], hosts=[])
    assert empty.texts['hosts'] == HEADER


@pytest.mark.parametrize('values, message', [
    (dict(nameservers=None), 'nameservers is required with state=present'),
    (dict(nameservers=['8.8.8.8', '8.8.8.8']), 'nameserver 8.8.8.8 is given twice'),
    (dict(nameservers=['8.8.8.8'], search=['Example.com', 'example.com.']), 'given twice'),
    (dict(nameservers=['8.8.8.8'], options=['ndots:1', 'ndots:2']), 'option ndots is given twice'),
    (dict(nameservers=['8.8.8.8'], hosts=[{'address': '10.0.0.1', 'names': ['ok']},
                                          {'address': 'gateway', 'names': ['x']}]),
     "namespace ns1: hosts entry 2: address 'gateway' is not an IP address"),
    (dict(name='..', nameservers=['8.8.8.8']), 'would escape'),
    (dict(name='a/b', nameservers=['8.8.8.8']), "contains '/'"),
    (dict(name='', nameservers=['8.8.8.8']), 'non-empty'),
])
def test_wanted_refused(values, message):
    with pytest.raises(ValidationError, match=message):
        wanted(**values)


def test_wanted_names_the_aggregate_item():
    with pytest.raises(ValidationError, match='^aggregate item 2: nameserver'):
        plan_resolv.Wanted(item(nameservers=['x'], _where='aggregate item 2: '), lambda text: None)


def test_wanted_warnings():
    want, warnings = wanted(nameservers=['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4'], options=['no-such-opt'])
    assert any('first 3 nameservers; 10.0.0.4 will be ignored' in text for text in warnings)
    assert any("'no-such-opt' is not one glibc knows" in text for text in warnings)


def test_absent_needs_no_content():
    want, warnings = wanted(state='absent')
    assert want.texts == {}


@engine.operation('test.resolv_disk_full')
def _disk_full(target):
    raise OSError(28, 'No space left on device')


@pytest.fixture
def etc(tmp_path, monkeypatch):
    """A directory standing in for /etc; ETC_NETNS is its netns, not yet there."""
    monkeypatch.setattr(plan_resolv, 'ETC_NETNS', str(tmp_path / 'netns'))
    return tmp_path


def planned(*items):
    plan = Plan()
    items = [dict(item(**values), _where='') for values in items]
    plan_resolv.plan(None, items, plan)
    return plan


def tree(root):
    """Every path below root with its type, mode and content: to see that nothing changed."""
    found = {}
    for directory, dirs, files in os.walk(str(root)):
        for entry in dirs + files:
            path = os.path.join(directory, entry)
            st = os.lstat(path)
            content = None
            if stat.S_ISREG(st.st_mode):
                with open(path, 'rb') as handle:
                    content = handle.read()
            elif stat.S_ISLNK(st.st_mode):
                content = os.readlink(path)
            found[os.path.relpath(path, str(root))] = (stat.S_IFMT(st.st_mode), stat.S_IMODE(st.st_mode), content)
    return found


def test_plan_creates_then_converges(etc):
    plan = planned(dict(nameservers=['8.8.8.8'], hosts=[{'address': '10.0.0.1', 'names': ['gw']}]))
    resolv = str(etc / 'netns' / 'ns1' / 'resolv.conf')
    assert [change.summary for change in plan.changes] == [
        'create directory %s' % (etc / 'netns'),
        'create directory %s' % (etc / 'netns' / 'ns1'),
        'create %s' % resolv,
        'create %s' % (etc / 'netns' / 'ns1' / 'hosts'),
    ]
    assert plan.before[resolv] is None
    assert plan.after[resolv] == HEADER + 'nameserver 8.8.8.8\n'
    assert plan.returns['files'] == [resolv, str(etc / 'netns' / 'ns1' / 'hosts')]
    assert not (etc / 'netns').exists(), 'planning must change nothing'

    old_umask = os.umask(0o077)
    try:
        plan.apply()
    finally:
        os.umask(old_umask)
    assert (etc / 'netns' / 'ns1' / 'resolv.conf').read_bytes() == b'# Managed by linuxnet.netns.netns_resolv\n' \
        b'nameserver 8.8.8.8\n'
    assert stat.S_IMODE(os.stat(str(etc / 'netns')).st_mode) == 0o755
    assert stat.S_IMODE(os.stat(str(etc / 'netns' / 'ns1')).st_mode) == 0o755
    assert stat.S_IMODE(os.stat(resolv).st_mode) == 0o644
    assert sorted(os.listdir(str(etc / 'netns' / 'ns1'))) == ['hosts', 'resolv.conf']

    again = planned(dict(nameservers=['8.8.8.8'], hosts=[{'address': '10.0.0.1', 'names': ['gw']}]))
    assert not again.changed
    assert again.before == again.after


def test_plan_updates_content_and_mode(etc):
    planned(dict(nameservers=['8.8.8.8'])).apply()
    resolv = etc / 'netns' / 'ns1' / 'resolv.conf'
    plan = planned(dict(nameservers=['1.1.1.1']))
    assert [change.summary for change in plan.changes] == ['update %s' % resolv]
    assert plan.before[str(resolv)] == HEADER + 'nameserver 8.8.8.8\n'
    plan.apply()
    assert resolv.read_text() == HEADER + 'nameserver 1.1.1.1\n'

    os.chmod(str(resolv), 0o600)
    plan = planned(dict(nameservers=['1.1.1.1']))
    assert [change.summary for change in plan.changes] == ['set mode 0644 on %s (was 0600)' % resolv]
    plan.apply()
    assert stat.S_IMODE(os.stat(str(resolv)).st_mode) == 0o644


def test_plan_leaves_an_unmanaged_hosts_file(etc):
    planned(dict(nameservers=['8.8.8.8'], hosts=[])).apply()
    plan = planned(dict(nameservers=['8.8.8.8']))
    assert not plan.changed
    assert (etc / 'netns' / 'ns1' / 'hosts').exists()


def test_aggregate_creates_the_root_once(etc):
    plan = planned(dict(name='blue', nameservers=['8.8.8.8']), dict(name='red', nameservers=['8.8.4.4']))
    assert [change.summary for change in plan.changes].count('create directory %s' % (etc / 'netns')) == 1
    plan.apply()
    assert (etc / 'netns' / 'red' / 'resolv.conf').read_text() == HEADER + 'nameserver 8.8.4.4\n'


def test_same_namespace_twice_is_refused(etc):
    with pytest.raises(ValidationError, match='named twice'):
        planned(dict(nameservers=['8.8.8.8']), dict(state='absent'))


def test_bad_item_anywhere_reads_nothing(etc):
    with pytest.raises(ValidationError):
        planned(dict(name='ok', nameservers=['8.8.8.8']), dict(name='bad', nameservers=['nope']))
    assert not (etc / 'netns').exists()


def test_absent_removes_files_then_the_empty_directory(etc):
    planned(dict(nameservers=['8.8.8.8'], hosts=[])).apply()
    plan = planned(dict(state='absent'))
    ns1 = etc / 'netns' / 'ns1'
    assert [change.summary for change in plan.changes] == [
        'remove %s' % (ns1 / 'resolv.conf'), 'remove %s' % (ns1 / 'hosts'), 'remove directory %s' % ns1]
    assert plan.after == {str(ns1 / 'resolv.conf'): None, str(ns1 / 'hosts'): None}
    plan.apply()
    assert not ns1.exists()
    assert (etc / 'netns').is_dir()
    assert not planned(dict(state='absent')).changed


def test_absent_keeps_a_directory_with_other_files(etc):
    planned(dict(nameservers=['8.8.8.8'])).apply()
    (etc / 'netns' / 'ns1' / 'nsswitch.conf').write_text('hosts: files dns\n')
    plan = planned(dict(state='absent'))
    assert [change.summary for change in plan.changes] == ['remove %s' % (etc / 'netns' / 'ns1' / 'resolv.conf')]
    plan.apply()
    assert sorted(os.listdir(str(etc / 'netns' / 'ns1'))) == ['nsswitch.conf']


@pytest.mark.parametrize('where', ['netns', 'netns/ns1', 'netns/ns1/resolv.conf', 'netns/ns1/hosts'])
def test_symlinks_are_refused(etc, where):
    (etc / 'netns' / 'ns1').mkdir(parents=True)
    elsewhere = etc / 'elsewhere'
    elsewhere.mkdir()
    link = etc / where
    if link.is_dir():
        shutil.rmtree(str(link))
    link.symlink_to(elsewhere if where.count('/') < 2 else elsewhere / 'target')
    before = tree(etc)
    for state in ('present', 'absent'):
        with pytest.raises(PlanFailure, match='%s is a symbolic link .*refusing to follow it' % link):
            planned(dict(state=state, nameservers=['8.8.8.8'], hosts=[]))
    assert tree(etc) == before


def test_a_symlink_planted_after_planning_is_refused(etc):
    planned(dict(nameservers=['8.8.8.8'])).apply()
    plan = planned(dict(nameservers=['1.1.1.1']))
    ns1 = etc / 'netns' / 'ns1'
    os.rename(str(ns1), str(etc / 'moved'))
    ns1.symlink_to(etc / 'moved')
    with pytest.raises(PlanFailure, match='is a symbolic link'):
        plan.apply()
    assert (etc / 'moved' / 'resolv.conf').read_text() == HEADER + 'nameserver 8.8.8.8\n'


def test_non_regular_files_are_refused(etc):
    (etc / 'netns' / 'ns1' / 'resolv.conf').mkdir(parents=True)
    with pytest.raises(PlanFailure, match='resolv.conf exists but is not a regular file'):
        planned(dict(nameservers=['8.8.8.8']))


def test_rollback_restores_the_previous_content(etc, monkeypatch):
    planned(dict(nameservers=['8.8.8.8'])).apply()
    resolv = etc / 'netns' / 'ns1' / 'resolv.conf'
    os.chmod(str(resolv), 0o640)
    plan = planned(dict(nameservers=['1.1.1.1'], hosts=[{'address': '10.0.0.1', 'names': ['gw']}]))
    assert [change.summary.split()[0] for change in plan.changes] == ['update', 'create']

    plan.changes[-1].apply = engine.Op(_disk_full)
    with pytest.raises(engine.PlanFailure, match='undid: update'):
        plan.apply()
    assert resolv.read_text() == HEADER + 'nameserver 8.8.8.8\n'
    assert stat.S_IMODE(os.stat(str(resolv)).st_mode) == 0o640
    assert sorted(os.listdir(str(etc / 'netns' / 'ns1'))) == ['resolv.conf'], 'no temporary file left'


def test_rollback_of_creation_removes_what_it_made(etc):
    plan = planned(dict(nameservers=['8.8.8.8']))
    plan.changes.append(engine.Change('fail', engine.Op(_disk_full)))
    with pytest.raises(engine.PlanFailure, match='undid: create .*resolv.conf, create directory'):
        plan.apply()
    assert os.listdir(str(etc)) == []


def test_undo_of_absent_puts_files_back(etc):
    planned(dict(nameservers=['8.8.8.8'], hosts=[])).apply()
    before = tree(etc)
    plan = planned(dict(state='absent'))
    plan.changes.append(engine.Change('fail', engine.Op(_disk_full)))
    with pytest.raises(engine.PlanFailure):
        plan.apply()
    assert tree(etc) == before


def test_the_plan_is_data_and_applying_it_makes_the_files(etc):
    plan = planned(dict(nameservers=['8.8.8.8']))
    root, netns, ns1 = str(etc), str(etc / 'netns'), str(etc / 'netns' / 'ns1')
    resolv = os.path.join(ns1, 'resolv.conf')
    assert [(change['summary'], change['apply']['op'], change['apply']['args'], change['undo']['op'])
            for change in plan.as_data()] == [
        ('create directory ' + netns, 'dir.make', dict(path=netns, root=root), 'dir.remove'),
        ('create directory ' + ns1, 'dir.make', dict(path=ns1, root=root, durable=False), 'dir.remove'),
        ('create ' + resolv, 'file.write',
         dict(path=resolv, root=root, data=HEADER + 'nameserver 8.8.8.8\n', mode=0o644, make_dirs=False, durable=False),
         'file.remove')]
    plan.apply()
    assert (etc / 'netns' / 'ns1' / 'resolv.conf').read_text() == HEADER + 'nameserver 8.8.8.8\n'
    plan = planned(dict(state='absent'))
    assert [(change['apply']['op'], change['undo']['op']) for change in plan.as_data()] == [
        ('file.remove', 'file.write'), ('dir.remove', 'dir.make')]
    plan.apply()
    assert os.listdir(netns) == []


def test_resolver_files_are_synced_but_not_their_directories(etc, monkeypatch):
    synced = fsync_recorder(monkeypatch)
    ns1 = str(etc / 'netns' / 'ns1')
    planned(dict(nameservers=['8.8.8.8'], hosts=[{'address': '10.0.0.1', 'names': ['gw']}])).apply()
    # /etc/netns itself is made once, durably; then only the two files' data, before each rename
    assert synced[0] == str(etc) + '/'
    assert [os.path.dirname(path) for path in synced[1:]] == [ns1, ns1]
    del synced[:]
    planned(dict(nameservers=['1.1.1.1'], hosts=[])).apply()
    assert [os.path.dirname(path) for path in synced] == [ns1, ns1], 'the updates: their data, no directory'
    del synced[:]
    planned(dict(state='absent')).apply()
    assert synced == [] and not os.path.exists(ns1), 'a removal syncs nothing'
