# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.netns contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Stand-in for the get-pip.py that ansible-test downloads to put pip into its sanity venvs.

ansible-test fetches that script from a host this machine cannot reach; it only needs something
that installs the pip it asks for. This installs Python's bundled pip (ensurepip) and lets that
pip install the requested version from the package index. tests/sanity/run.sh copies it to where
ansible-test looks for its cached copy. Arguments are get-pip.py's: pip options and package specs,
plus --no-setuptools and --no-wheel.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ensurepip
import os
import subprocess
import sys


def main(argv):
    skipped = {'--no-setuptools', '--no-wheel'}
    packages = [arg for arg in argv if arg not in skipped]
    if '--no-setuptools' not in argv:
        packages.append('setuptools')
    if '--no-wheel' not in argv:
        packages.append('wheel')
    # ensurepip.bootstrap() sets PIP_CONFIG_FILE=/dev/null in this process's environment; pip must
    # still read the machine's pip configuration (its CA bundle, index) to reach the index.
    environment = dict(os.environ)
    ensurepip.bootstrap()
    subprocess.check_call([sys.executable, '-m', 'pip', 'install'] + packages, env=environment)


if __name__ == '__main__':
    main(sys.argv[1:])
