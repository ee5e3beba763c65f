# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.netns contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A bridge network that comes back at boot, with no controller run.

Namespaces, links, addresses, routes, nft rules and sysctls live in the
kernel and are gone after a reboot. The collection's code is not on the
host between runs, so netns_bridge leaves there what it needs to run again
by itself, exactly as the controller ran it:

- LIB_DIR/lib: the module's own code, copied from the payload Ansible sent
  (the same files, the same planning), and LIB_DIR/boot.py, which runs it;
- REGISTRY_DIR/NAME.boot.json: the task's options, as the module got them;
- UNIT_DIR/linuxnet-netns-bridge-NAME.service: a oneshot unit that runs
  boot.py with them before network-online.target, enabled in
  multi-user.target. Its output (what it changed, or what failed) goes to
  the journal.

So the run at boot reaches the state a playbook run would, and the first
playbook run after a reboot reports no change. Removed with the network
(state=absent) or when restore_at_boot is false; the lib goes with the last
network that uses it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import json
import os
import shutil
import sys

from ansible_collections.linuxnet.netns.plugins.module_utils import nftables, safe_files

UNIT_DIR = '/etc/systemd/system'
LIB_DIR = '/var/lib/linuxnet-netns'
UNIT = 'linuxnet-netns-bridge-%s.service'
WANTED_BY = 'multi-user.target'
MANIFEST = 'MANIFEST'
CODE_PREFIXES = ('ansible/', 'ansible_collections/')

LAUNCHER = '''# Written by linuxnet.netns (netns_bridge): runs the module's own planning at boot.
import sys
sys.path.insert(0, %r)
from ansible_collections.linuxnet.netns.plugins.module_utils import boot
sys.exit(boot.main(sys.argv[1:]))
'''


def unit_name(network):
    return UNIT % network


def render_unit(network, python, params_path, lib_dir=LIB_DIR):
    """The unit that brings network back at boot."""
    return '''# Written by linuxnet.netns (netns_bridge %(network)s); removed with it (state=absent).
[Unit]
Description=linuxnet.netns bridge network %(network)s
Documentation=https://github.com/linuxnet/netns
# after the underlay is configured and the other firewalls are up, before anything waits for the network
After=network.target local-fs.target nftables.service firewalld.service ufw.service docker.service
Before=network-online.target
Wants=network.target

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=%(python)s %(launcher)s %(params)s

[Install]
WantedBy=%(wanted_by)s network-online.target
''' % dict(network=network, python=python, launcher=os.path.join(lib_dir, 'boot.py'), params=params_path,
           wanted_by=WANTED_BY)


# -- the module's own code ------------------------------------------------------------------

def payload(module_file=None):
    """{path below lib: bytes} of the code this module runs: the AnsiballZ payload's files.

    Outside a payload (a checkout, as in the unit tests), the collection's
    module_utils and the ansible module_utils already imported.
    """
    module_file = module_file or __file__
    archive = getattr(globals().get('__loader__'), 'archive', None) if module_file == __file__ else None
    if archive is None and '.zip' + os.sep in module_file:
        archive = module_file.split('.zip' + os.sep)[0] + '.zip'
    if archive:
        import zipfile
        with zipfile.ZipFile(archive) as source:
            return dict((name, source.read(name)) for name in source.namelist()
                        if name.startswith(CODE_PREFIXES) and not name.endswith('/'))
    files = {}
    for name, module in list(sys.modules.items()):
        path = getattr(module, '__file__', None)
        if not path or not name.startswith(('ansible.', 'ansible_collections.')) or not path.endswith('.py'):
            continue
        relative = name.replace('.', '/') + ('/__init__.py' if path.endswith('__init__.py') else '.py')
        with open(path, 'rb') as source:
            files[relative] = source.read()
    return files


def manifest(files):
    """One line per file with its digest: what the lib holds, compared instead of every file."""
    return ''.join('%s %s\n' % (hashlib.sha256(files[path]).hexdigest(), path) for path in sorted(files)).encode()


# -- run at boot ------------------------------------------------------------------------------

def main(argv):
    """boot.py PARAMS_FILE: run netns_bridge with the options the controller gave it.

    The module runs as Ansible runs it - an AnsibleModule given its
    arguments the way ansible-core's own module debugging does - so it
    checks the options, runs programs, reports and exits as in a playbook:
    its result (or its failure and what it undid) is its output, which
    systemd keeps in the journal.
    """
    from ansible.module_utils import basic
    from ansible_collections.linuxnet.netns.plugins.module_utils import bridge
    if len(argv) != 1:
        sys.stderr.write('usage: boot.py PARAMS_FILE\n')
        return 2
    with open(argv[0], 'rb') as source:
        basic._ANSIBLE_ARGS = b'{"ANSIBLE_MODULE_ARGS": ' + source.read() + b'}'
    if hasattr(basic, '_ANSIBLE_PROFILE'):  # ansible-core 2.19 and later
        basic._ANSIBLE_PROFILE = 'legacy'
    module = basic.AnsibleModule(argument_spec=bridge.OPTIONS, supports_check_mode=True)
    module.at_boot = True  # what the boot needs is there already: this run leaves it alone
    bridge.run(module)
    return 0


# -- planning the files ------------------------------------------------------------------------

def _tree(path):
    return safe_files.Tree('/'), [part for part in path.split('/') if part]


def read(path):
    tree, components = _tree(path)
    found = tree.read_file(components[:-1], components[-1])
    return None if found is None else found.data


def plan_file(plan, path, data, what, mode=safe_files.FILE_MODE, remove_empty_dir=False):
    """Write data at path (None: remove it, and its directory if it is left empty and remove_empty_dir).

    The directories it needs are made; undone by putting back what was there.
    """
    current = read(path)
    if current == data:
        return False
    tree, components = _tree(path)
    parent, filename = components[:-1], components[-1]
    made = []

    def apply():
        if data is None:
            tree.remove_file(parent, filename)
            if remove_empty_dir and not tree.entries(parent):
                tree.remove_dir(parent)
            return
        made[:] = tree.make_dirs(parent)
        tree.write_file(parent, filename, data, mode)

    def undo():
        if current is None:
            if data is not None:
                tree.remove_file(parent, filename)
            for components_made in reversed(made):
                tree.remove_dir(components_made)
        else:
            tree.make_dirs(parent)
            tree.write_file(parent, filename, current, mode)
    verb = 'remove' if data is None else ('write' if current is None else 'update')
    plan.add('%s %s (%s)' % (verb, path, what), apply, undo)
    return True


def plan_link(plan, path, target, what):
    """A symlink at path to target (None: no link there), as `systemctl enable` makes it."""
    try:
        current = os.readlink(path)
    except OSError:
        current = None
    if current == target:
        return False
    directory = os.path.dirname(path)

    def put(value):
        def change():
            if os.path.lexists(path):
                os.unlink(path)
            if value is not None:
                if not os.path.isdir(directory):
                    os.makedirs(directory, 0o755)
                os.symlink(value, path)
        return change
    plan.add('%s %s (%s)' % ('enable' if target else 'disable', path, what), put(target), put(current))
    return True


def plan_lib(plan, files, lib_dir=LIB_DIR):
    """The module's code under lib_dir/lib and its launcher (files: payload(); None: remove them).

    One change for the whole tree: its MANIFEST says what is there, so a
    rerun compares one small file, not every file of the payload.
    """
    wanted = manifest(files) if files is not None else None
    current = read(os.path.join(lib_dir, MANIFEST))
    if current == wanted:
        return
    lib = os.path.join(lib_dir, 'lib')
    staged = lib + '.new'
    saved = lib + '.old'

    def install():
        for path in (staged, saved):
            shutil.rmtree(path, ignore_errors=True)
        if files is not None:
            tree, components = _tree(staged)
            for name in sorted(files):
                parts = name.split('/')
                tree.make_dirs(components + parts[:-1])
                tree.write_file(components + parts[:-1], parts[-1], files[name])
        if os.path.isdir(lib):
            os.rename(lib, saved)
        if files is not None:
            os.rename(staged, lib)
        _write_or_remove(os.path.join(lib_dir, 'boot.py'), (LAUNCHER % lib).encode() if files is not None else None)
        _write_or_remove(os.path.join(lib_dir, MANIFEST), wanted)
        if files is None:
            _remove_empty(lib_dir)

    def put_back():
        shutil.rmtree(lib, ignore_errors=True)
        if os.path.isdir(saved):
            os.rename(saved, lib)
        _write_or_remove(os.path.join(lib_dir, MANIFEST), current)
        _write_or_remove(os.path.join(lib_dir, 'boot.py'), (LAUNCHER % lib).encode() if current is not None else None)
        if current is None:
            _remove_empty(lib_dir)

    if files is None:
        plan.add('remove the code run at boot from %s' % lib_dir, install, put_back)
    else:
        plan.add('%s the code run at boot in %s (%d files)' % ('install' if current is None else 'update', lib, len(files)),
                 install, put_back)
    # the version replaced is kept until the task is done, for put_back

    def clean_up(applied):
        shutil.rmtree(saved, ignore_errors=True)
        if files is None:
            _remove_empty(lib_dir)
    plan.after_apply(clean_up)


def _write_or_remove(path, data):
    tree, components = _tree(path)
    if data is None:
        if tree.read_file(components[:-1], components[-1]) is not None:
            tree.remove_file(components[:-1], components[-1])
        return
    tree.make_dirs(components[:-1])
    tree.write_file(components[:-1], components[-1], data)


def _remove_empty(directory):
    try:
        os.rmdir(directory)
    except OSError:
        pass


def other_units(network, unit_dir=UNIT_DIR):
    """The boot units of other networks: while one is left, the shared code stays."""
    try:
        names = os.listdir(unit_dir)
    except OSError:
        return []
    prefix, suffix = UNIT.split('%s')
    return [name for name in names if name.startswith(prefix) and name.endswith(suffix) and name != unit_name(network)]


def systemd_runs():
    return os.path.isdir('/run/systemd/system')


def plan(host, items, plan):
    """Stage of netns_bridge: what brings the network back at boot (item: see bridge._boot_item)."""
    for item in items:
        network = item['network']
        present = item['state'] == 'present' and item['restore_at_boot']
        unit_dir = item.get('unit_dir') or UNIT_DIR
        lib_dir = item.get('lib_dir') or LIB_DIR
        unit_path = os.path.join(unit_dir, unit_name(network))
        before = dict(unit=as_text(read(unit_path)), params=_json(read(item['params_path'])))
        params = (json.dumps(item['params'], indent=2, sort_keys=True) + '\n').encode() if present else None
        unit = render_unit(network, item['python'], item['params_path'], lib_dir).encode() if present else None
        changed = False
        if present:
            plan_lib(plan, payload(), lib_dir)
        elif not other_units(network, unit_dir) and read(unit_path) is not None:
            plan_lib(plan, None, lib_dir)
        changed |= plan_file(plan, item['params_path'], params, 'its options, for the run at boot')
        changed |= plan_file(plan, unit_path, unit, 'runs it at boot')
        wants = os.path.join(unit_dir, WANTED_BY + '.wants', unit_name(network))
        changed |= plan_link(plan, wants, os.path.join('..', unit_name(network)) if present else None, 'enabled')
        if changed and systemd_runs():
            plan.add('reload systemd units', daemon_reload, daemon_reload)
        plan.state(network, before, dict(unit=as_text(unit), params=item['params'] if present else None))


def _json(data):
    try:
        return None if data is None else json.loads(data.decode('utf-8'))
    except ValueError:
        return as_text(data)


def as_text(data):
    return None if data is None else data.decode('utf-8', 'replace')


def daemon_reload():
    nftables.run_program(None, ['systemctl', 'daemon-reload'])
