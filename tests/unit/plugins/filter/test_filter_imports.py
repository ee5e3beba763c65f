# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.netns contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The controller's filter plans, it does not act: it must not drag the engine into every worker."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import subprocess
import sys

ENGINE = ('engine', 'changes', 'task_host', 'netlink', 'namespaces', 'nftables', 'safe_files', 'boot', 'services')


def test_the_filter_imports_no_part_of_the_engine():
    # a fresh interpreter: this one has imported everything the other tests use
    code = ('import sys\n'
            'import ansible_collections.linuxnet.netns.plugins.filter.docker_bridge\n'
            'print(" ".join(sorted(name.rpartition(".")[2] for name in sys.modules\n'
            '                      if name.startswith("ansible_collections.linuxnet.netns.plugins.module_utils."))))\n')
    loaded = subprocess.check_output([sys.executable, '-c', code], env=dict(PYTHONPATH=':'.join(sys.path))).split()
    assert not set(name.decode() for name in loaded) & set(ENGINE)
