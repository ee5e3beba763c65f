# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.netns contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Containers on one bridge: the seeds' shell commands against the collection, side by side.

    /usr/bin/python3 benchmarks/run.py [--n 50,200,500] [--repeat 3] [--methods shell,cni,kernel,floor,modules,role]
                                       [--python PATH] [--json FILE] [--profile DIR] [--strace DIR]
                                       [--baseline [NAME=]DIR ...] [--etc-on-disk]

For every N and every repeat, each method runs in a sandbox of its own (tests/sandbox.sh:
nothing outside it changes), one after the other, so the ratios compare runs made minutes
apart on the same machine:

- shell: benchmarks/shell_baseline.sh up N (one ``ip`` command per step), then down N
  (``ip netns del`` per container);
- cni (not by default): benchmarks/cni_runtime.py up N, then down N: CNI's reference plugins
  (loopback, bridge with host-local and ipMasq, portmap) called as a container runtime calls them;
- kernel (not by default): benchmarks/kernel_floor.py up N, then down N: one process, raw
  netlink, the fewest requests: what the kernel itself needs, the floor under every method;
- modules: benchmarks/containers.yml, one task per module with an aggregate over all N;
- role: benchmarks/docker_bridge.yml, the role linuxnet.netns.docker_bridge, given only its own
  variables (topology.role_vars); past topology.NETWORK_SIZE containers (a bridge holds 1024
  ports), benchmarks/docker_bridge_networks.yml, the role once per network, every method then
  spreading the containers over bridges bench0, bench1, ... the same way;
- floor (not by default): benchmarks/floor.yml, as many tasks as containers.yml that do
  nothing: Ansible's own cost, below which no playbook of that many tasks can go;
- NAME (with --baseline NAME=DIR, NAME defaulting to "baseline"): the modules playbook with
  the collection found under DIR (a collections path: DIR/ansible_collections/linuxnet/netns;
  benchmarks/snapshot.sh makes one), to measure a change to the collection against the code
  before it in the same run.

An Ansible method runs five phases: converge (fresh sandbox), rerun (nothing to change),
check (--check on the converged host), teardown (state absent) and again (state absent once
more, with nothing left: what the teardown costs before it removes anything). After converge, the
sandbox's state is checked (namespaces, bridge ports, sample containers' address, route,
resolv.conf, a ping), so a fast but wrong run is not reported as fast.

Reported per phase: wall time of the whole command (ansible-playbook or the script) and
its ratio to the shell's (converge, rerun and check against ``up``; teardown and again
against ``down``); the CPU time of the command and all it started, kernel work on its behalf
included, and its ratio (on a busy machine it moves much less than the wall time); wall
and CPU time inside the module processes, and the peak resident memory of the largest
(ru_maxrss, via benchmarks/measured_python.py as ansible_python_interpreter); Ansible's
changed count. With --repeat R the median of R runs is shown. docs/performance.md says
more, and what was found with it.
"""

from __future__ import print_function

import argparse
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)
sys.path.insert(0, HERE)

import topology  # noqa: E402  (beside this file)

SANDBOX = os.path.join(TOP, 'tests', 'sandbox.sh')
SHELL = os.path.join(HERE, 'shell_baseline.sh')
# methods that are one program run twice: "up N" (the converge row) and "down N" (the teardown row)
SCRIPTS = {'shell': ['bash', SHELL],
           'cni': [sys.executable, os.path.join(HERE, 'cni_runtime.py')],
           'kernel': [sys.executable, os.path.join(HERE, 'kernel_floor.py')]}
SHIM = os.path.join(HERE, 'measured_python.py')
PLAYBOOKS = {'modules': os.path.join(HERE, 'containers.yml'),
             'floor': os.path.join(HERE, 'floor.yml'),
             'role': os.path.join(HERE, 'docker_bridge.yml')}
ROLE_NETWORKS_PLAYBOOK = os.path.join(HERE, 'docker_bridge_networks.yml')
COLLECTIONS = os.path.join(TOP, '.build', 'collections')
ROLE_TASKS = os.path.join(TOP, 'roles', 'docker_bridge', 'tasks', 'main.yml')
ANSIBLE_PLAYBOOK = os.path.join(TOP, '.venv', 'bin', 'ansible-playbook')
DEFAULT_PYTHON = os.path.join(TOP, '.venv', 'bin', 'python')
# "again": teardown once more, with nothing left to remove: what a teardown costs before it removes anything
ANSIBLE_PHASES = ('converge', 'rerun', 'check', 'teardown', 'again')
SHELL_PHASE = dict(converge='up', rerun='up', check='up', teardown='down', again='down',
                   up='up', down='down')  # what each compares to
UNCHANGING_PHASES = ('rerun', 'check', 'again')
RECAP = re.compile(r'ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)')
RUN_TIMEOUT = 3600


# -- inside a sandbox ---------------------------------------------------------------------

def children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_command(argv, env=None, log=None):
    """Run argv; return (wall seconds, CPU seconds of it and all its descendants, output).

    The CPU seconds count the kernel's work done on the command's behalf too; on a busy
    machine they move much less than the wall time.
    """
    cpu_before = children_cpu()
    started = time.monotonic()
    # check=False: a failure raises below, with the command's output in the message
    done = subprocess.run(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True, timeout=RUN_TIMEOUT, check=False)
    wall = time.monotonic() - started
    cpu = children_cpu() - cpu_before
    if log:
        with open(log, 'a') as out:
            out.write('$ %s\n%s\n' % (' '.join(argv), done.stdout))
    if done.returncode != 0:
        raise RuntimeError('%s exited %d:\n%s' % (argv[0], done.returncode, done.stdout[-4000:]))
    return wall, cpu, done.stdout


def ip_json(*args):
    return json.loads(subprocess.check_output(('ip', '-j') + args) or b'[]')


def verify(count):
    """Raise unless the sandbox holds the N containers the benchmark asks for."""
    problems = []
    names = sorted(entry['name'] for entry in ip_json('netns', 'list'))
    if len(names) != count:
        problems.append('%d namespaces, not %d' % (len(names), count))
    samples = set([(count + 1) // 2])
    for network, indexes in topology.networks(count):
        ports = ip_json('link', 'show', 'master', topology.bridge(network))
        if len(ports) != len(indexes):
            problems.append('%d ports on %s, not %d' % (len(ports), topology.bridge(network), len(indexes)))
        samples.update([indexes[0], indexes[-1]])
    for index in sorted(samples):
        name = 'c%d' % index
        gateway = topology.gateway(topology.network_of(index))
        addresses = ['%s/%s' % (a['local'], a['prefixlen']) for link in ip_json('-n', name, 'addr', 'show', 'eth0')
                     for a in link.get('addr_info', []) if a['family'] == 'inet']
        if addresses != ['%s/%d' % (topology.container_address(index), topology.PREFIX)]:
            problems.append('%s: eth0 has %s' % (name, addresses))
        lo = ip_json('-n', name, 'link', 'show', 'lo')
        if not lo or 'UP' not in lo[0]['flags']:
            problems.append('%s: lo is not up' % name)
        routes = [r.get('gateway') for r in ip_json('-n', name, 'route', 'show', 'default')]
        if routes != [gateway]:
            problems.append('%s: default routes %s' % (name, routes))
        try:
            with open('/etc/netns/%s/resolv.conf' % name) as resolv:
                if 'nameserver %s' % gateway not in resolv.read():
                    problems.append('%s: resolv.conf lacks the nameserver' % name)
        except IOError as exc:
            problems.append('%s: %s' % (name, exc))
    # check=False: no answer is one more problem to report, not the end of the checks. Up to 3
    # tries: right after the fastest method (kernel) made 2000 links, the kernel had not yet
    # brought the last veth's carrier up (its link events are handled later, in the background)
    for dummy_try in range(3):
        ping = subprocess.run(['ip', 'netns', 'exec', 'c%d' % count, 'ping', '-c', '1', '-W', '2',
                               topology.gateway(topology.network_of(count))],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        if ping.returncode == 0:
            break
        time.sleep(1)
    if ping.returncode != 0:
        problems.append('c%d cannot ping the gateway' % count)
    if problems:
        raise RuntimeError('wrong state after converge: ' + '; '.join(problems))


def verify_gone():
    left = ip_json('netns', 'list')
    if left:
        raise RuntimeError('%d namespaces left after teardown' % len(left))


def inner_script(method, count, log, workdir):
    phases = {}
    wall, cpu, dummy_output = run_command(SCRIPTS[method] + ['up', str(count), workdir], log=log)
    # the largest of the script and the programs it ran: nothing else has run yet
    phases['up'] = dict(wall=wall, total_cpu=cpu,
                        peak_kib=resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    verify(count)
    wall, cpu, dummy_output = run_command(SCRIPTS[method] + ['down', str(count), workdir], log=log)
    phases['down'] = dict(wall=wall, total_cpu=cpu)
    verify_gone()
    return phases


def executable_shim(workdir):
    """A copy of measured_python.py whose shebang names this Python, to be the interpreter.

    Ansible needs one executable path (ansible-core 2.19 quotes "python3 measured_python.py" as
    one word), and the file in the repository has no shebang: ``python`` on PATH, all that a
    portable one could name, may be a pyenv shim that does not work here.
    """
    shim = os.path.join(workdir, 'measured_python')
    with open(SHIM) as source, open(shim, 'w') as out:
        out.write('#!%s\n%s' % (sys.executable, source.read()))
    os.chmod(shim, 0o755)
    return shim


def inner_ansible(playbook, count, python, collections, log, workdir):
    phases = {}
    shim = executable_shim(workdir)
    make_vars = topology.playbook_vars
    if playbook == PLAYBOOKS['role']:
        make_vars = topology.role_vars
        if topology.network_count(count) > 1:
            playbook, make_vars = ROLE_NETWORKS_PLAYBOOK, topology.role_networks_vars
    elif topology.network_count(count) > 1 and playbook != PLAYBOOKS['floor']:
        raise RuntimeError('the modules playbook makes one bridge: N=%d is more than its %d containers'
                           % (count, topology.NETWORK_SIZE))
    for phase in ANSIBLE_PHASES:
        state = 'absent' if phase in ('teardown', 'again') else 'present'
        vars_file = os.path.join(workdir, 'vars-%s.json' % state)
        with open(vars_file, 'w') as out:
            json.dump(make_vars(count, state), out)
        usage_log = os.path.join(workdir, 'rusage-%s.jsonl' % phase)
        env = dict(os.environ, BENCH_REAL_PYTHON=python, BENCH_RUSAGE_LOG=usage_log, BENCH_PHASE=phase,
                   ANSIBLE_CONFIG=os.path.join(TOP, 'ansible.cfg'),
                   ANSIBLE_COLLECTIONS_PATH=collections,
                   ANSIBLE_ROLES_PATH=os.path.join(TOP, 'roles'),
                   ANSIBLE_LOCAL_TEMP=os.path.join(workdir, 'ansible-local'),
                   ANSIBLE_NOCOLOR='1', ANSIBLE_STDOUT_CALLBACK='default')
        argv = [ANSIBLE_PLAYBOOK, '-i', 'localhost,', '-c', 'local',
                '-e', 'ansible_python_interpreter=%s' % shim, '-e', '@%s' % vars_file,
                '-e', 'docker_bridge_state_dir=%s' % os.path.join(workdir, 'role-state'),
                playbook]
        if phase == 'check':
            argv.append('--check')
        wall, total_cpu, output = run_command(argv, env=env, log=log)
        recap = RECAP.findall(output)
        if not recap:
            raise RuntimeError('no PLAY RECAP in the output of %s' % phase)
        modules = []
        if os.path.exists(usage_log):
            with open(usage_log) as lines:
                modules = [json.loads(line) for line in lines]
        phases[phase] = dict(
            wall=wall,
            total_cpu=total_cpu,
            changed=int(recap[-1][1]),
            module_wall=sum(m['wall'] for m in modules),
            module_cpu=sum(m['user'] + m['system'] for m in modules),
            peak_kib=max([m['maxrss_kib'] for m in modules] or [0]),
            modules=modules,
        )
        if playbook == PLAYBOOKS['floor']:
            continue  # it makes nothing to check
        if phase in UNCHANGING_PHASES and phases[phase]['changed']:
            raise RuntimeError('%s on the converged host reported changed=%d, not 0'
                               % (phase, phases[phase]['changed']))
        if phase == 'converge':
            verify(count)
        if phase in ('teardown', 'again'):
            verify_gone()
    return phases


def etc_netns_on_disk():
    """/etc/netns becomes a new directory of /var/tmp, on a disk as on a host (a mount of the sandbox's own)."""
    directory = tempfile.mkdtemp(prefix='bench-etc-netns-', dir='/var/tmp')
    try:
        os.chmod(directory, 0o755)
        subprocess.run(['mount', '--bind', directory, '/etc/netns'], check=True)
    except (OSError, subprocess.SubprocessError):
        shutil.rmtree(directory, ignore_errors=True)
        raise
    return directory


def inner(args):
    workdir = tempfile.mkdtemp(prefix='bench-%s-%d-' % (args.inner, args.count))
    log = os.path.join(workdir, 'output.log')
    result = dict(method=args.inner, n=args.count, log=log)
    etc_netns = None
    try:
        if args.etc_on_disk:
            etc_netns = etc_netns_on_disk()
        if args.inner in SCRIPTS:
            result['phases'] = inner_script(args.inner, args.count, log, workdir)
        else:
            playbook = PLAYBOOKS.get(args.inner, PLAYBOOKS['modules'])
            result['phases'] = inner_ansible(playbook, args.count, args.python,
                                             args.collections or COLLECTIONS, log, workdir)
    except (RuntimeError, subprocess.SubprocessError) as exc:
        result['error'] = str(exc)
    finally:
        if etc_netns:
            subprocess.run(['umount', '/etc/netns'], check=False)
            shutil.rmtree(etc_netns, ignore_errors=True)
    with open(args.out, 'w') as out:
        json.dump(result, out)


# -- outside: one sandbox per measurement ---------------------------------------------------

def loadavg():
    with open('/proc/loadavg') as source:
        return float(source.read().split()[0])


def measure(method, count, python, profile_dir, strace_dir, baselines, collections=None, etc_on_disk=False):
    handle, out = tempfile.mkstemp(prefix='bench-result-', suffix='.json')
    os.close(handle)
    env = dict(os.environ)
    if profile_dir:
        env['BENCH_PROFILE_DIR'] = profile_dir
    if strace_dir:
        env['BENCH_STRACE_DIR'] = os.path.join(strace_dir, '%s-%d' % (method, count))
        os.makedirs(env['BENCH_STRACE_DIR'], exist_ok=True)
    argv = [SANDBOX, sys.executable, os.path.abspath(__file__), '--inner', method,
            '--count', str(count), '--python', python, '--out', out]
    if etc_on_disk:
        argv.append('--etc-on-disk')
    if method in baselines:
        argv += ['--collections', baselines[method]]
    elif collections:
        argv += ['--collections', collections]
    try:
        subprocess.run(argv, env=env, check=True, timeout=RUN_TIMEOUT * 5)
        with open(out) as source:
            return json.load(source)
    finally:
        os.unlink(out)


def median(values):
    values = [value for value in values if value is not None]
    return statistics.median(values) if values else None


def summarize(runs):
    """(n, method, phase) -> medians over the repeats, and the ratios to the shell."""
    summary = {}
    for run in runs:
        for phase, numbers in run.get('phases', {}).items():
            entry = summary.setdefault((run['n'], run['method'], phase), dict(samples=[]))
            entry['samples'].append(numbers)
    for key, entry in summary.items():
        samples = entry.pop('samples')
        for field in ('wall', 'total_cpu', 'module_wall', 'module_cpu', 'peak_kib', 'changed'):
            entry[field] = median([sample.get(field) for sample in samples])
        entry['walls'] = [sample['wall'] for sample in samples]
        entry['changed_max'] = max([sample.get('changed') or 0 for sample in samples])
    for (count, method, phase), entry in summary.items():
        base = summary.get((count, 'shell', SHELL_PHASE.get(phase)))
        if method != 'shell' and base:
            entry['ratio'] = entry['wall'] / base['wall']
            if entry['total_cpu'] and base['total_cpu']:
                entry['cpu_ratio'] = entry['total_cpu'] / base['total_cpu']
        cni = summary.get((count, 'cni', SHELL_PHASE.get(phase)))
        if method != 'cni' and cni:
            entry['cni_ratio'] = entry['wall'] / cni['wall']
        # CPU per container: the module's own where there is one, else the whole command's
        own_cpu = entry['module_cpu'] if entry['module_cpu'] is not None else entry['total_cpu']
        entry['cpu_ms_per_container'] = own_cpu * 1000.0 / count if own_cpu is not None else None
    for (count, method, phase), entry in summary.items():
        kernel = summary.get((count, 'kernel', SHELL_PHASE.get(phase)))
        if kernel and entry['cpu_ms_per_container'] and kernel['cpu_ms_per_container']:
            entry['kernel_cpu_ratio'] = entry['cpu_ms_per_container'] / kernel['cpu_ms_per_container']
    return summary


def _fmt(value, spec):
    return '-' if value is None else format(value, spec)


def table(summary, counts, methods):
    """One row per N, phase and method.

    The ratios are to the shell's row (x shell), to CNI's (x cni) and, for the CPU per container
    (the module's own where there is a module, else the whole command's), to the kernel floor's.
    """
    header = ['N', 'phase', 'method', 'wall s', 'x shell', 'x cni', 'cpu s', 'x shell', 'in modules s',
              'module cpu s', 'cpu ms/c', 'x kernel', 'peak MiB', 'changed']
    rows = [header]
    for count in counts:
        for phase in ANSIBLE_PHASES:
            shell_phase = SHELL_PHASE.get(phase)
            for method in methods:
                if method in SCRIPTS and phase not in ('converge', 'teardown'):
                    continue  # its "up" is the converge row's
                entry = summary.get((count, method, shell_phase if method in SCRIPTS else phase))
                if entry is None:
                    continue
                rows.append([str(count), phase if method not in SCRIPTS else '%s (%s)' % (phase, shell_phase),
                             method, _fmt(entry['wall'], '.2f'), _fmt(entry.get('ratio'), '.2f'),
                             _fmt(entry.get('cni_ratio'), '.3f'),
                             _fmt(entry['total_cpu'], '.2f'), _fmt(entry.get('cpu_ratio'), '.2f'),
                             _fmt(entry['module_wall'], '.2f'), _fmt(entry['module_cpu'], '.2f'),
                             _fmt(entry['cpu_ms_per_container'], '.2f'), _fmt(entry.get('kernel_cpu_ratio'), '.1f'),
                             _fmt(entry['peak_kib'] and entry['peak_kib'] / 1024.0, '.1f'),
                             _fmt(entry['changed_max'] if method not in SCRIPTS else None, 'd')])
    widths = [max(len(row[column]) for row in rows) for column in range(len(header))]
    lines = ['  '.join(cell.rjust(width) for cell, width in zip(row, widths)) for row in rows]
    lines.insert(1, '  '.join('-' * width for width in widths))
    return '\n'.join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n', maxsplit=1)[0])
    parser.add_argument('--n', default='50,200,500', help='container counts, comma-separated')
    parser.add_argument('--repeat', type=int, default=1, help='runs per N and method; the median is shown')
    parser.add_argument('--methods', default=None,
                        help='comma-separated among shell, cni, kernel, modules, role, floor and the --baseline names '
                             '(default: shell, modules, role if it exists, and the baselines)')
    parser.add_argument('--python', default=DEFAULT_PYTHON,
                        help='the managed host\'s Python (pyroute2 comes with it); default %(default)s')
    parser.add_argument('--json', help='also write the results to this file')
    parser.add_argument('--profile', metavar='DIR', help='run every module under cProfile, leaving .prof files in DIR')
    parser.add_argument('--strace', metavar='DIR',
                        help='run every module under strace -c, leaving its system call counts in DIR')
    parser.add_argument('--baseline', metavar='[NAME=]DIR', action='append', default=[],
                        help='also run the modules playbook with the collection under this collections '
                             'path, as method NAME (default "baseline"); may be repeated')
    parser.add_argument('--inner', help=argparse.SUPPRESS)
    parser.add_argument('--collections', metavar='DIR',
                        help='collections path of the collection under test for every Ansible method '
                             '(default: the work tree, .build/collections); benchmarks/snapshot.sh makes one')
    parser.add_argument('--etc-on-disk', action='store_true',
                        help="/etc/netns on the disk (a new directory of /var/tmp), as on a "
                             "host, instead of the sandbox's tmpfs, where syncing a file or directory costs nothing")
    parser.add_argument('--count', type=int, help=argparse.SUPPRESS)
    parser.add_argument('--out', help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.inner:
        return inner(args)

    counts = [int(value) for value in args.n.split(',') if value.strip()]
    if args.methods:
        methods = args.methods.split(',')
    else:
        methods = ['shell', 'modules'] + (['role'] if os.path.exists(ROLE_TASKS) else [])
    baselines = {}
    for value in args.baseline:
        name, dummy_equals, path = value.rpartition('=')
        baselines[name or 'baseline'] = os.path.abspath(path)
    if not args.methods:
        methods += sorted(baselines)
    unknown = set(methods) - set(SCRIPTS) - set(PLAYBOOKS) - set(baselines)
    if unknown:
        parser.error('unknown methods: %s' % ', '.join(sorted(unknown)))
    if args.profile:
        os.makedirs(args.profile, exist_ok=True)
        args.profile = os.path.abspath(args.profile)
    if args.strace:
        args.strace = os.path.abspath(args.strace)
    python = os.path.abspath(args.python) if os.sep in args.python else args.python
    started = dict(time=time.strftime('%Y-%m-%d %H:%M:%S'), loadavg=loadavg())
    runs = []
    for count in counts:
        for repeat in range(args.repeat):
            for method in methods:
                load = loadavg()
                result = measure(method, count, python, args.profile, args.strace, baselines,
                                 args.collections and os.path.abspath(args.collections), args.etc_on_disk)
                result.update(repeat=repeat + 1, loadavg_before=load)
                runs.append(result)
                phases = result.get('phases', {})
                outcome = result.get('error') or ', '.join(
                    '%s %.2fs' % (phase, numbers['wall']) for phase, numbers in phases.items())
                print('N=%d %s #%d (load %.2f): %s' % (count, method, repeat + 1, load, outcome), file=sys.stderr)
    summary = summarize(runs)
    print()
    print('%s, %d CPUs, load average %.2f at the start and %.2f at the end; python %s; median of %d; /etc/netns on %s'
          % (started['time'], os.cpu_count(), started['loadavg'], loadavg(), python, args.repeat,
             'the disk' if args.etc_on_disk else 'a tmpfs'))
    print(table(summary, counts, methods))
    failed = [run for run in runs if 'error' in run]
    for run in failed:
        print('FAILED: N=%d %s #%d: %s (log: %s)' % (run['n'], run['method'], run['repeat'],
                                                     run['error'], run.get('log')))
    if args.json:
        with open(args.json, 'w') as out:
            json.dump(dict(started=started, ended_loadavg=loadavg(), cpus=os.cpu_count(), python=python,
                           etc_on_disk=args.etc_on_disk,
                           repeat=args.repeat, counts=counts, methods=methods, runs=runs,
                           summary=[dict(n=key[0], method=key[1], phase=key[2], **value)
                                    for key, value in sorted(summary.items())]),
                      out, indent=1)
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
