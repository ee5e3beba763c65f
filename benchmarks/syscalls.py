# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.netns contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Sum the ``strace -c`` files of ``run.py --strace DIR``: system calls per phase and module.

    /usr/bin/python3 benchmarks/syscalls.py DIR [SYSCALL...]     (default: sendto sendmsg setns openat newfstatat)

One column per method directory (DIR/METHOD-N), one row per phase and module.
"""

import collections
import os
import re
import sys

DEFAULT = ('sendto', 'sendmsg', 'setns', 'openat', 'newfstatat')


def counts(path):
    found = {}
    for line in open(path):
        fields = line.split()
        if len(fields) >= 5 and fields[-1].isidentifier() and fields[3].isdigit():
            found[fields[-1]] = int(fields[3])
    return found


def main():
    top = sys.argv[1]
    wanted = sys.argv[2:] or DEFAULT
    table = collections.defaultdict(dict)
    runs = sorted(os.listdir(top))
    for run in runs:
        for name in os.listdir(os.path.join(top, run)):
            match = re.match(r'(\w+?)-(\w+)-(\d+)\.strace$', name)
            if not match:
                continue
            phase, module, dummy_pid = match.groups()
            row = table[(phase, module)].setdefault(run, collections.Counter())
            row.update(counts(os.path.join(top, run, name)))
    print('phase     module        syscall     ' + ''.join('%14s' % run for run in runs))
    for (phase, module) in sorted(table):
        for call in wanted:
            print('%-9s %-13s %-11s ' % (phase, module, call) + ''.join(
                '%14s' % table[(phase, module)].get(run, {}).get(call, '-') for run in runs))


if __name__ == '__main__':
    main()
