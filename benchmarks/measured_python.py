# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.netns contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""An ansible_python_interpreter that runs the real one and records what each module cost.

Ansible runs ``SHIM .../AnsiballZ_MODULE.py``, SHIM being the copy of this file that run.py
makes with a shebang naming its own Python; this runs
``$BENCH_REAL_PYTHON .../AnsiballZ_MODULE.py`` as its child, waits for it with wait4(2),
which gives the child's own resource usage, and appends one JSON line to
``$BENCH_RUSAGE_LOG``: module, wall seconds, user and system CPU seconds, and peak
resident memory (ru_maxrss, KiB) of the module process and its children.

With ``$BENCH_PROFILE_DIR`` set, the child runs under cProfile and leaves
``MODULE-PID.prof`` there (read it with ``python3 -m pstats``). ``python -m cProfile``
itself cannot run an AnsiballZ file: the wrapper drops its ``__main__``'s directory from
sys.path, which for cProfile is the standard library's; so this file is the child's main.

With ``$BENCH_STRACE_DIR`` set, the child runs under ``strace -f -c`` and leaves
``PHASE-MODULE-PID.strace`` there: how many system calls of each kind the module made (netlink
requests are sendto/sendmsg, namespace switches setns), which, unlike times, do not
depend on what else the machine is doing.
"""

import json
import os
import re
import sys
import time


def module_name(args):
    for arg in args:
        found = re.search(r'AnsiballZ_(\w+)\.py$', arg)
        if found:
            return found.group(1)
    return 'unknown'


def profile_into(output, script):
    import cProfile
    import runpy
    sys.argv = [script]
    profiler = cProfile.Profile()
    try:
        profiler.runcall(runpy.run_path, script, run_name='__main__')
    finally:
        profiler.dump_stats(output)


def main():
    if sys.argv[1:2] == ['--profile-into']:
        return profile_into(sys.argv[2], sys.argv[3])
    real = os.environ.get('BENCH_REAL_PYTHON') or '/usr/bin/python3'
    args = sys.argv[1:]
    name = module_name(args)
    profile_dir = os.environ.get('BENCH_PROFILE_DIR')
    if profile_dir:
        output = os.path.join(profile_dir, '%s-%d.prof' % (name, os.getpid()))
        args = [os.path.abspath(__file__), '--profile-into', output] + args
    command = [real] + args
    strace_dir = os.environ.get('BENCH_STRACE_DIR')
    if strace_dir:
        output = os.path.join(strace_dir, '%s-%s-%d.strace' % (os.environ.get('BENCH_PHASE', 'run'), name,
                                                               os.getpid()))
        command = ['strace', '-f', '-c', '-o', output] + command
    started = time.monotonic()
    pid = os.fork()
    if pid == 0:
        try:
            os.execvp(command[0], command)
        finally:
            os._exit(127)
    dummy_pid, status, usage = os.wait4(pid, 0)
    wall = time.monotonic() - started
    log = os.environ.get('BENCH_RUSAGE_LOG')
    if log:
        with open(log, 'a') as out:
            out.write(json.dumps(dict(module=name, wall=wall, user=usage.ru_utime, system=usage.ru_stime,
                                      maxrss_kib=usage.ru_maxrss, host=os.uname()[1])) + '\n')
    sys.exit(os.waitstatus_to_exitcode(status) if hasattr(os, 'waitstatus_to_exitcode')
             else (status >> 8))


if __name__ == '__main__':
    main()
