# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.netns contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every module's documentation is what ansible-doc shows: it must parse and match the argspec."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import subprocess
import sys

import pytest

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MODULES = sorted(name[:-3] for name in os.listdir(os.path.join(TOP, 'plugins', 'modules'))
                 if name.endswith('.py') and not name.startswith('_'))
ANSIBLE_DOC = os.path.join(os.path.dirname(sys.executable), 'ansible-doc')


@pytest.mark.parametrize('module', MODULES)
def test_ansible_doc_shows_the_module(module, collections_path):
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections_path)
    done = subprocess.run([ANSIBLE_DOC, '--json', 'linuxnet.netns.' + module], env=env,
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    import json
    doc = json.loads(done.stdout)['linuxnet.netns.' + module]
    assert doc['doc']['short_description']
    assert doc['examples'].strip()
    assert 'actions' in (doc['return'] or {})
