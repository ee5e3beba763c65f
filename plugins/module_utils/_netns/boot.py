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
import sys

from ansible_collections.linuxnet.netns.plugins.module_utils._netns import engine, nftables, safe_files
from ansible_collections.linuxnet.netns.plugins.module_utils._netns.engine import Op, PlanFailure

UNIT_DIR = '/etc/systemd/system'
LIB_DIR = '/var/lib/linuxnet-netns'
UNIT = 'linuxnet-netns-bridge-%s.service'
WANTED_BY = 'multi-user.target'
MANIFEST = 'MANIFEST'
CODE_PREFIXES = ('ansible/', 'ansible_collections/')

LAUNCHER = '''# Written by linuxnet.netns (netns_bridge): runs the module's own planning at boot.
import sys
sys.path.insert(0, %r)
from ansible_collections.linuxnet.netns.plugins.module_utils._netns import boot
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

_PAYLOADS = {}


def payload(module_file=None):
    """{path below lib: bytes} of the code this module runs: the AnsiballZ payload's files.

    Outside a payload (a checkout, as in the unit tests), the collection's
    module_utils and the ansible module_utils already imported. Read once:
    what the plan lists is what install_code writes.
    """
    module_file = module_file or __file__
    if module_file not in _PAYLOADS:
        _PAYLOADS[module_file] = _read_payload(module_file)
    return _PAYLOADS[module_file]


def _read_payload(module_file):
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
    from ansible_collections.linuxnet.netns.plugins.module_utils._netns import bridge
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


# -- the code, as operations ------------------------------------------------------------------

def read(path):
    found = safe_files.read(path)
    return None if found is None else found.data


def _leave(lib_dir, listing):
    """The launcher and MANIFEST of the code listing names (None: neither, nor lib_dir if left empty)."""
    launcher = None if listing is None else LAUNCHER % os.path.join(lib_dir, 'lib')
    for name, text in (('boot.py', launcher), (MANIFEST, listing)):
        safe_files.put(os.path.join(lib_dir, name), text)()
    if listing is None:
        safe_files.remove_dir(None, lib_dir, if_empty=True)


@engine.operation('boot.install_code')
def install_code(target, lib_dir, listing):
    """lib_dir/lib becomes the module's own code (payload()), which listing (its MANIFEST) names; None: no code.

    The code is written beside it as lib.new, then swapped in; the lib it
    replaces stays as lib.old until the task is done, for restore_code.
    lib.new's directories are synced once each, when it is whole, not after
    each of its hundred files: only the swap has to be durable on its own.
    """
    files = None if listing is None else payload()
    if files is not None and manifest(files).decode() != listing:
        raise PlanFailure("the module's code changed since the plan was made; run the task again")
    tree, lib = safe_files.locate(os.path.join(lib_dir, 'lib'))
    staging = safe_files.Tree(tree.root, durable=False)
    staged, saved = lib[:-1] + ['lib.new'], lib[:-1] + ['lib.old']
    for components in (staged, saved):
        tree.remove_tree(components)
    made = set()
    for name in sorted(files or ()):
        parts = name.split('/')
        if tuple(parts[:-1]) not in made:  # each level once, not once per file in it
            for depth in range(len(parts)):
                made.add(tuple(parts[:depth]))
            staging.make_dirs(staged + parts[:-1])
        staging.write_file(staged + parts[:-1], parts[-1], files[name])
    for parts in sorted(made, key=len, reverse=True):  # the innermost first: each is then whole in its parent
        staging.sync_dir(staged + list(parts))
    if tree.entries(lib) is not None:
        tree.rename(lib, saved[-1])
    if files is not None:
        tree.rename(staged, lib[-1])
    _leave(lib_dir, listing)


@engine.operation('boot.restore_code')
def restore_code(target, lib_dir, listing):
    """Undo of install_code: lib.old back as lib_dir/lib, with the launcher and MANIFEST of listing."""
    tree, lib = safe_files.locate(os.path.join(lib_dir, 'lib'))
    tree.remove_tree(lib)
    if tree.entries(lib[:-1] + ['lib.old']) is not None:
        tree.rename(lib[:-1] + ['lib.old'], lib[-1])
    _leave(lib_dir, listing)


@engine.operation('systemd.systemctl')
def systemctl(target, args):
    """systemctl with args (a list), e.g. ['daemon-reload'] or ['restart', UNIT]."""
    return nftables.run_program(None, ['systemctl'] + list(args))


DAEMON_RELOAD = dict(args=['daemon-reload'])


# -- planning the files ------------------------------------------------------------------------

def plan_lib(plan, files, lib_dir=LIB_DIR):
    """The module's code under lib_dir/lib and its launcher (files: payload(); None: remove them).

    One change for the whole tree: its MANIFEST says what is there, so a
    rerun compares one small file, not every file of the payload.
    """
    wanted = manifest(files).decode() if files is not None else None
    current = as_text(read(os.path.join(lib_dir, MANIFEST)))
    if current == wanted:
        return
    lib = os.path.join(lib_dir, 'lib')
    if files is None:
        summary = 'remove the code run at boot from %s' % lib_dir
    else:
        summary = '%s the code run at boot in %s (%d files)' % ('install' if current is None else 'update', lib, len(files))
    plan.add(summary, Op(install_code, None, lib_dir=lib_dir, listing=wanted),
             Op(restore_code, None, lib_dir=lib_dir, listing=current))

    def clean_up(applied):
        # the version replaced was kept until the task is done, for restore_code
        tree, components = safe_files.locate(lib + '.old')
        tree.remove_tree(components)
        if files is None:
            safe_files.remove_dir(None, lib_dir, if_empty=True)
    plan.after_apply(clean_up)


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
        params = json.dumps(item['params'], indent=2, sort_keys=True) + '\n' if present else None
        unit = render_unit(network, item['python'], item['params_path'], lib_dir) if present else None
        changed = False
        if present:
            plan_lib(plan, payload(), lib_dir)
        elif not other_units(network, unit_dir) and read(unit_path) is not None:
            plan_lib(plan, None, lib_dir)
        changed |= plan_file(plan, item['params_path'], params, 'its options, for the run at boot')
        changed |= plan_file(plan, unit_path, unit, 'runs it at boot')
        wants = os.path.join(unit_dir, WANTED_BY + '.wants', unit_name(network))
        changed |= safe_files.plan_link(plan, wants, os.path.join('..', unit_name(network)) if present else None,
                                        'enabled')
        if changed and systemd_runs():
            plan.add('reload systemd units', Op(systemctl, None, **DAEMON_RELOAD), Op(systemctl, None, **DAEMON_RELOAD))
        plan.state(network, before, dict(unit=unit, params=item['params'] if present else None))


def plan_file(plan, path, text, what, remove_empty_dir=False):
    """safe_files.plan_file as the boot's and the services' files say it: 'write PATH (what)', diff their own."""
    return safe_files.plan_file(plan, path, text, what=what, created='write', diff=False,
                                remove_empty_dir=remove_empty_dir)


def _json(data):
    try:
        return None if data is None else json.loads(data.decode('utf-8'))
    except ValueError:
        return as_text(data)


as_text = safe_files.as_text
