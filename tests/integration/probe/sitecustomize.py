# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.netns contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Which module runs of an integration target import pyroute2 (tests/integration/run.sh).

run.sh puts this directory on PYTHONPATH, so every Python the target starts loads it, module
runs included: at exit, a module run (an AnsiballZ_*.py script) that imported pyroute2 appends
its module's name to $LINUXNET_PYROUTE2_PROBE. The Debian lane runs only the targets whose module
runs import it (alias uses/pyroute2): elsewhere both lanes run the same code on the same Python,
only pyroute2 differs. Then the sitecustomize this file shadows, if any, runs as it would have.
"""

import atexit
import os
import re
import sys


def _record():
    probe = os.environ.get('LINUXNET_PYROUTE2_PROBE')
    module = re.search(r'AnsiballZ_(\w+)\.py$', sys.argv[0] if sys.argv else '')
    if probe and module and 'pyroute2' in sys.modules:
        with open(probe, 'a') as out:
            out.write(module.group(1) + '\n')


atexit.register(_record)


def _shadowed():
    import importlib.machinery
    here = os.path.dirname(os.path.abspath(__file__))
    path = [entry for entry in sys.path if os.path.abspath(entry or '.') != here]
    spec = importlib.machinery.PathFinder.find_spec('sitecustomize', path)
    if spec is not None and spec.loader is not None:
        spec.loader.exec_module(type(sys)('sitecustomize'))


_shadowed()
