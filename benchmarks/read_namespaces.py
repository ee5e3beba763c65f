# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.netns contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What reading a namespace costs: pyroute2's IPRoute against the modules' netlink.Session.

    /usr/bin/python3 benchmarks/read_namespaces.py [--n 200] [--repeat 3] [--python PATH ...]

In a sandbox of its own (tests/sandbox.sh), makes N containers as the shell baseline does
(benchmarks/shell_baseline.sh), then reads every container's namespace as a planner does - its
links, addresses and IPv4 routes, and the nsid the host gives it - twice:

- pyroute2: setns, IPRoute(), get_links(), get_addr(), route('dump'), get_netnsid(), close;
- session: netlink.Session (a plain netlink socket, the collection's own decoding), the same reads;

and the host's own links (N veths and the bridge) in one dump each way. Prints milliseconds per
namespace and per host dump, the best of the repeats, for each Python given (default: the venv's,
with pyroute2 0.9, and Debian's /usr/bin/python3 with pyroute2 0.7).
"""

from __future__ import print_function

import argparse
import logging
import os
import socket
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)
SANDBOX = os.path.join(TOP, 'tests', 'sandbox.sh')
COLLECTIONS = os.path.join(TOP, '.build', 'collections')
PYTHONS = [os.path.join(TOP, '.venv', 'bin', 'python'), '/usr/bin/python3']


def timed(read, names, repeat):
    """Best milliseconds per name of read(name) over the names, of repeat passes."""
    best = None
    for dummy in range(repeat):
        started = time.perf_counter()
        for name in names:
            read(name)
        elapsed = (time.perf_counter() - started) * 1000.0 / len(names)
        best = elapsed if best is None else min(best, elapsed)
    return best


def inner(count, repeat):
    sys.path.insert(0, COLLECTIONS)
    from ansible_collections.linuxnet.netns.plugins.module_utils._netns import namespaces, netlink
    from pyroute2 import IPRoute

    logging.getLogger('asyncio').setLevel(logging.CRITICAL)  # pyroute2 0.9 leaves generators pending
    subprocess.check_call(['bash', os.path.join(HERE, 'shell_baseline.sh'), 'up', str(count)])
    names = ['c%d' % index for index in range(1, count + 1)]
    own_fd = namespaces.own_namespace_fd()
    own = netlink.Session('own', own_fd, None)

    def with_pyroute2(name):
        fd = namespaces.open_namespace(namespaces.path_of(name))
        with namespaces.entered(fd):
            ipr = IPRoute()
        list(ipr.get_links())
        list(ipr.get_addr())
        list(ipr.route('dump', family=socket.AF_INET))
        own.ipr.get_netnsid(fd=fd)
        ipr.close()
        os.close(fd)

    def with_session(name):
        fd = namespaces.open_namespace(namespaces.path_of(name))
        session = netlink.Session(name, fd, None)
        session.links()
        session.addresses()
        session.routes(4)
        own.nsid_of(fd)
        session.close()

    def host_session(dummy):
        session = netlink.Session('own', namespaces.own_namespace_fd(), None)
        session.links()
        session.close()

    def host_pyroute2(dummy):
        with IPRoute() as ipr:
            list(ipr.get_links())

    try:
        from importlib.metadata import version
        pyroute2_version = version('pyroute2')
    except Exception:  # Debian's python3-pyroute2 may not say
        pyroute2_version = '?'
    print('%-22s pyroute2 %-6s  per namespace: pyroute2 %.2f ms, session %.2f ms;  host dump of %d links: '
          'pyroute2 %.1f ms, session %.1f ms'
          % (sys.executable, pyroute2_version, timed(with_pyroute2, names, repeat), timed(with_session, names, repeat),
             len(own.links()), timed(host_pyroute2, [None], repeat), timed(host_session, [None], repeat)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n', maxsplit=1)[0])
    parser.add_argument('--n', type=int, default=200, help='containers (default %(default)s)')
    parser.add_argument('--repeat', type=int, default=3, help='passes; the best is shown (default %(default)s)')
    parser.add_argument('--python', action='append', help='the Python to read with (may be repeated)')
    parser.add_argument('--inner', action='store_true', help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.inner:
        return inner(args.n, args.repeat)
    failed = 0
    for python in args.python or PYTHONS:
        failed |= subprocess.call([SANDBOX, python, os.path.abspath(__file__), '--inner', '--n', str(args.n),
                                   '--repeat', str(args.repeat)])
    return failed


if __name__ == '__main__':
    sys.exit(main())
