# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.netns contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The engine imported from a zip, as an AnsiballZ payload holds it: each module compiled once."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import importlib.util
import json
import marshal
import os
import subprocess
import sys
import zipfile

import ansible

from ansible_collections.linuxnet.netns.plugins.module_utils import _netns

ENGINE = os.path.dirname(os.path.abspath(_netns.__file__))
COLLECTIONS = ENGINE
for dummy in range(6):  # ansible_collections/linuxnet/netns/plugins/module_utils/_netns
    COLLECTIONS = os.path.dirname(COLLECTIONS)

# Counts compile() calls by file name, imports the engine from the zip, then raises in it.
PROBE = r'''
import builtins, collections, json, sys, traceback
compiled = collections.Counter()
real_compile = builtins.compile
def counting_compile(source, filename, *args, **kwargs):
    compiled[str(filename)] += 1
    return real_compile(source, filename, *args, **kwargs)
builtins.compile = counting_compile
sys.path[:0] = [sys.argv[1], sys.argv[2]]
from ansible_collections.linuxnet.netns.plugins.module_utils._netns import bridge, validation
from ansible_collections.linuxnet.netns.plugins.module_utils._netns.links import veth
try:
    validation.interface_name('x' * 16)
except validation.ValidationError:
    trace = traceback.format_exc()
print(json.dumps(dict(compiled=compiled, veth=veth.__file__, loader=type(veth.__loader__).__name__,
                      archive=veth.__loader__.archive,
                      links_path=sys.modules[veth.__package__].__path__, trace=trace)))
'''


def _payload(tmp_path, extra=None):
    """The engine's files in a zip, under the paths an AnsiballZ payload gives them, and extra ones."""
    payload = str(tmp_path / 'payload.zip')
    with zipfile.ZipFile(payload, 'w') as archive:
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
        for name in ('ansible_collections/__init__.py', 'ansible_collections/linuxnet/__init__.py',
                     'ansible_collections/linuxnet/netns/__init__.py',
                     'ansible_collections/linuxnet/netns/plugins/__init__.py',
                     'ansible_collections/linuxnet/netns/plugins/module_utils/__init__.py'):
            archive.writestr(name, '')
        for directory, dummy, files in os.walk(ENGINE):
            for name in files:
                if name.endswith('.py'):
                    path = os.path.join(directory, name)
                    archive.write(path, os.path.relpath(path, COLLECTIONS))
    return payload


def test_each_engine_module_is_compiled_once_from_a_zip(tmp_path):
    payload = _payload(tmp_path)
    ansible_site = os.path.dirname(os.path.dirname(ansible.__file__))
    output = subprocess.run([sys.executable, '-c', PROBE, payload, ansible_site],
                            check=True, capture_output=True, text=True).stdout
    probe = json.loads(output)
    engine_in_zip = dict((name, count) for name, count in probe['compiled'].items()
                         if name.startswith(payload + '/' + os.path.relpath(ENGINE, COLLECTIONS) + '/'))
    # the package itself comes through zipimport (twice), before its finder is there
    assert engine_in_zip.pop(payload + '/ansible_collections/linuxnet/netns/plugins/module_utils/_netns/__init__.py') == 2
    assert len(engine_in_zip) > 20  # bridge imports most of the engine
    assert set(engine_in_zip.values()) == {1}, engine_in_zip
    assert probe['loader'] == '_SourceLoader'
    assert probe['archive'] == payload  # boot.payload copies the engine from there
    assert probe['veth'] == payload + '/ansible_collections/linuxnet/netns/plugins/module_utils/_netns/links/veth.py'
    assert probe['links_path'] == [payload + '/ansible_collections/linuxnet/netns/plugins/module_utils/_netns/links']
    # a traceback names the file in the zip and shows its line, as zipimport's would
    assert '_netns/validation.py", line' in probe['trace']
    assert "raise ValidationError(" in probe['trace']


def test_on_disk_nothing_changes():
    from ansible_collections.linuxnet.netns.plugins.module_utils._netns import validation
    assert not any(isinstance(finder, _netns._CompiledOnce) for finder in sys.meta_path)
    assert not isinstance(validation.__loader__, _netns._SourceLoader)


def test_a_module_there_as_bytecode_alone_is_still_imported(tmp_path):
    code = compile('VALUE = 42\n', 'only_bytecode.py', 'exec')
    pyc = importlib.util.MAGIC_NUMBER + b'\0' * 12 + marshal.dumps(code)  # flags, mtime, size: unchecked here
    name = os.path.relpath(ENGINE, COLLECTIONS) + '/only_bytecode.pyc'
    payload = _payload(tmp_path, {name: pyc})
    ansible_site = os.path.dirname(os.path.dirname(ansible.__file__))
    probe = ('import sys; sys.path[:0] = sys.argv[1:3]; '
             'from ansible_collections.linuxnet.netns.plugins.module_utils._netns import only_bytecode; '
             'print(only_bytecode.VALUE, type(only_bytecode.__loader__).__name__)')
    output = subprocess.run([sys.executable, '-c', probe, payload, ansible_site],
                            check=True, capture_output=True, text=True).stdout
    assert output.split() == ['42', '_SourceLoader']
