# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.netns contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The role docker_bridge on a fleet of lab hosts: what grows with the number of hosts.

    /usr/bin/python3 benchmarks/fleet.py [--hosts 4,40] [--modes host-gw,vxlan] [--containers 25]
                                         [--collections DIR] [--profile DIR] [--json FILE]

For every mode and host count, a fresh lab (tests/lab/lab.sh up H, state dir
/tmp/bench-fleet-MODE-H, taken down at the end, also on failure), then playbooks/docker-bridge.yml
with the lab's inventory, every host in group docker_hosts with containers c1..cC, forks = H
(each host its own worker, as one would set for a fleet), pipelining on. Phases:

- converge: fresh hosts;
- rerun: the same again, must report changed=0;
- removal: the last host left out of docker_hosts, the others run again: each must drop what
  pointed at it (host-gw: its route; vxlan: its route and flood entry), checked on h1.

After converge: C namespaces on h1 and on the last host, h1 has a route to every other host's
subnet (vxlan: and a flood entry to every other host), and h1's c1 pings the last host's cC.

Reported per phase: wall time of ansible-playbook, its CPU and that of everything it started on
the controller (workers, ssh clients; not the hosts' sshd), that CPU per host, the module's CPU
on the hosts (through benchmarks/measured_python.py as the hosts' interpreter, which the lab
hosts can run: they share this machine's file system) as a sum and per host, and the load
average. The lab's hosts are namespaces on this machine's 2 CPUs: what 40 real hosts would do in
parallel is done here by 2 CPUs, so the sum of the hosts' CPU over 2 is a floor under the wall
time here that real hosts would not have; the controller's CPU is what grows with hosts wherever
they run.

With --profile DIR, one more converge per (mode, H) runs ansible-playbook under
``py-spy record --subprocesses --format raw`` (py-spy from PATH or $PY_SPY): DIR/MODE-H.txt
holds its collapsed stacks; benchmarks/fleet.py --top FILE prints the functions with the most
samples (self and total).
"""

import argparse
import collections
import json
import os
import re
import resource
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)
LAB = os.path.join(TOP, 'tests', 'lab', 'lab.sh')
PLAYBOOK = os.path.join(TOP, 'playbooks', 'docker-bridge.yml')
ANSIBLE_PLAYBOOK = os.path.join(TOP, '.venv', 'bin', 'ansible-playbook')
SHIM = os.path.join(HERE, 'measured_python.py')
HOST_PYTHON = '/usr/bin/python3'  # the lab hosts' interpreter (Debian's pyroute2)
RECAP = re.compile(r'^(h\d+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)', re.M)
TIMEOUT = 1500


def loadavg():
    with open('/proc/loadavg') as source:
        return source.read().split()[:3]


def neighbour_table_refusals():
    """How often the machine's IPv4 neighbour table was full (arp_cache's table_fulls, over all CPUs).

    Every namespace of the machine, so every lab host, learns into that one table; when it is full a
    host does not answer ARP. tests/lab/lab.sh keeps the underlay's entries out of it (permanent).
    """
    with open('/proc/net/stat/arp_cache') as source:
        rows = [line.split() for line in source]
    column = rows[0].index('table_fulls')
    return sum(int(row[column], 16) for row in rows[1:])


def children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def lab(state, *argv, **kwargs):
    env = dict(os.environ, LAB_STATE_DIR=state)
    return subprocess.run([LAB, 'exec'] + list(argv), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True, check=kwargs.get('check', True), timeout=TIMEOUT)


def on(state, host, command):
    return lab(state, 'ssh', '-F', os.path.join(state, 'ssh_config'), host, command).stdout


def write_inputs(state, hosts, containers, mode):
    """The shim with the log's path in it (a module's environment does not cross ssh), the group files."""
    usage_log = os.path.join(state, 'rusage.jsonl')
    shim = os.path.join(state, 'measured_python')
    with open(shim, 'w') as out:
        out.write('#!/bin/sh\nBENCH_REAL_PYTHON=%s BENCH_RUSAGE_LOG=%s exec %s %s "$@"\n'
                  % (HOST_PYTHON, usage_log, HOST_PYTHON, SHIM))
    os.chmod(shim, 0o755)
    for name, members in (('all', hosts), ('less', hosts - 1)):
        with open(os.path.join(state, 'fleet-%s.ini' % name), 'w') as out:
            out.write('[docker_hosts]\n%s\n\n[docker_hosts:vars]\nansible_become=false\n'
                      % '\n'.join('h%d' % index for index in range(1, members + 1)))
    with open(os.path.join(state, 'vars.json'), 'w') as out:
        json.dump(dict(docker_bridge_mode=mode,
                       docker_bridge_containers=[dict(name='c%d' % index) for index in range(1, containers + 1)]),
                  out)
    return usage_log


def playbook_argv(state, hosts, inventory):
    # an extra var: the lab's inventory sets the interpreter for its group, which would win over ours
    return [ANSIBLE_PLAYBOOK, '-f', str(hosts), '-i', os.path.join(state, 'inventory.ini'),
            '-e', 'ansible_python_interpreter=%s' % os.path.join(state, 'measured_python'),
            '-i', os.path.join(state, 'fleet-%s.ini' % inventory), '-e', '@%s' % os.path.join(state, 'vars.json'),
            PLAYBOOK]


def play(state, hosts, inventory, collections_path, usage_log, prefix=()):
    if os.path.exists(usage_log):
        os.unlink(usage_log)
    env_args = ['env', 'ANSIBLE_CONFIG=%s' % os.path.join(TOP, 'ansible.cfg'), 'ANSIBLE_PIPELINING=1',
                'ANSIBLE_NOCOLOR=1', 'ANSIBLE_COLLECTIONS_PATH=%s' % collections_path,
                'ANSIBLE_LOCAL_TEMP=%s' % os.path.join(state, 'ansible-local')]
    load = loadavg()
    cpu_before = children_cpu()
    started = time.monotonic()
    done = lab(state, *(env_args + list(prefix) + playbook_argv(state, hosts, inventory)), check=False)
    wall = time.monotonic() - started
    cpu = children_cpu() - cpu_before
    with open(os.path.join(state, 'playbook.log'), 'a') as out:
        out.write(done.stdout)
    if done.returncode != 0:
        raise RuntimeError('ansible-playbook exited %d:\n%s' % (done.returncode, done.stdout[-3000:]))
    recap = RECAP.findall(done.stdout)
    modules = []
    if os.path.exists(usage_log):
        with open(usage_log) as lines:
            modules = [json.loads(line) for line in lines]
    module_cpu = sum(m['user'] + m['system'] for m in modules)
    return dict(wall=wall, controller_cpu=cpu, load_before=load, load_after=loadavg(),
                changed=sum(int(row[2]) for row in recap), hosts_run=len(recap),
                changed_hosts=sum(1 for row in recap if int(row[2])),
                module_cpu=module_cpu, module_runs=len(modules),
                module_wall_max=max([m['wall'] for m in modules] or [0]),
                module_peak_kib=max([m['maxrss_kib'] for m in modules] or [0]))


def peers_seen(state, mode):
    """h1's routes to other hosts' subnets, and (vxlan) its flood entries."""
    routes = [line for line in on(state, 'h1', 'ip -4 -o route').splitlines() if line.startswith('10.88.')
              and ('via 198.18.' in line or 'vxlan' in line)]
    flood = []
    if mode == 'vxlan':
        flood = [line for line in on(state, 'h1', 'bridge fdb show dev vxlan-dbr0').splitlines()
                 if line.startswith('00:00:00:00:00:00')]
    return len(routes), len(flood)


def verify(state, hosts, containers, mode, refusals_before):
    problems = []
    last = 'h%d' % hosts
    for host in ('h1', last):
        count = len(on(state, host, 'ip netns list').splitlines())
        if count != containers:
            problems.append('%s has %d namespaces, not %d' % (host, count, containers))
    routes, flood = peers_seen(state, mode)
    if routes != hosts - 1:
        problems.append('h1 has %d routes to other hosts, not %d' % (routes, hosts - 1))
    if mode == 'vxlan' and flood != hosts - 1:
        problems.append('h1 has %d flood entries, not %d' % (flood, hosts - 1))
    target = on(state, last, 'ip -n c%d -4 -o addr show dev eth0' % containers).split()[3].split('/')[0]
    ping = lab(state, 'ssh', '-F', os.path.join(state, 'ssh_config'), 'h1',
               'ip netns exec c1 ping -c 1 -W 3 %s' % target, check=False)
    if ping.returncode != 0:
        problems.append('h1:c1 cannot ping %s:c%d (%s; the machine\'s neighbour table was full %d times '
                        'during this lab)' % (last, containers, target, neighbour_table_refusals() - refusals_before))
    if problems:
        raise RuntimeError('; '.join(problems))
    return routes, flood


def one_lab(mode, hosts, containers, collections_path, profile_dir):
    state = '/tmp/bench-fleet-%s-%d' % (mode, hosts)
    result = dict(mode=mode, hosts=hosts, containers=containers, state=state, phases={})
    if os.path.exists(state):
        subprocess.run([LAB, 'down', state], check=False, stdout=subprocess.DEVNULL)
    started = time.monotonic()
    refusals_before = neighbour_table_refusals()
    try:
        subprocess.run([LAB, 'up', str(hosts), state], check=True, stdout=subprocess.DEVNULL, timeout=TIMEOUT)
        result['lab_up_s'] = time.monotonic() - started
        usage_log = write_inputs(state, hosts, containers, mode)
        phases = result['phases']
        phases['converge'] = play(state, hosts, 'all', collections_path, usage_log)
        result['peers_h1'] = verify(state, hosts, containers, mode, refusals_before)
        phases['rerun'] = play(state, hosts, 'all', collections_path, usage_log)
        if phases['rerun']['changed']:
            raise RuntimeError('rerun reported changed=%d, not 0' % phases['rerun']['changed'])
        if profile_dir:
            output = os.path.join(profile_dir, '%s-%d.txt' % (mode, hosts))
            spy = os.environ.get('PY_SPY', 'py-spy')
            phases['rerun-profiled'] = play(state, hosts, 'all', collections_path, usage_log,
                                            prefix=[spy, 'record', '--subprocesses', '--format', 'raw',
                                                    '--rate', '100', '-o', output, '--'])
        phases['removal'] = play(state, hosts, 'less', collections_path, usage_log)
        after = peers_seen(state, mode)
        result['peers_h1_after_removal'] = after
        want = (hosts - 2, hosts - 2 if mode == 'vxlan' else 0)
        if after != want:
            raise RuntimeError('after removing h%d, h1 has %d routes and %d flood entries to other hosts, not %s'
                               % (hosts, after[0], after[1], want))
    except (RuntimeError, subprocess.SubprocessError, IndexError) as exc:
        result['error'] = str(exc)
    finally:
        result['neighbour_table_full'] = neighbour_table_refusals() - refusals_before
        subprocess.run([LAB, 'down', state], check=False, stdout=subprocess.DEVNULL)
    return result


def table(results):
    header = ['mode', 'hosts', 'phase', 'wall s', 'x fewest', 'ctl cpu s', 'ctl cpu/host', 'module cpu s',
              'module cpu/host', 'module wall max', 'peak MiB', 'changed', 'hosts changed', 'load']
    rows = [header]
    fewest = {}
    for result in results:
        for phase, numbers in result['phases'].items():
            key = (result['mode'], phase)
            if key not in fewest or result['hosts'] < fewest[key][0]:
                fewest[key] = (result['hosts'], numbers['wall'])
    for result in results:
        for phase, numbers in result['phases'].items():
            runs = numbers['hosts_run'] or result['hosts']
            rows.append([result['mode'], str(result['hosts']), phase, '%.2f' % numbers['wall'],
                         '%.2f' % (numbers['wall'] / fewest[(result['mode'], phase)][1]),
                         '%.2f' % numbers['controller_cpu'], '%.3f' % (numbers['controller_cpu'] / runs),
                         '%.2f' % numbers['module_cpu'], '%.3f' % (numbers['module_cpu'] / runs),
                         '%.2f' % numbers['module_wall_max'], '%.1f' % (numbers['module_peak_kib'] / 1024.0),
                         str(numbers['changed']), str(numbers['changed_hosts']), numbers['load_before'][0]])
    widths = [max(len(row[column]) for row in rows) for column in range(len(header))]
    lines = ['  '.join(cell.rjust(width) for cell, width in zip(row, widths)) for row in rows]
    lines.insert(1, '  '.join('-' * width for width in widths))
    return '\n'.join(lines)


def top_functions(path, through=(), count=25):
    """From py-spy's raw (collapsed) stacks: functions by samples, self and total (once per stack).

    Split into the controller's main process (the strategy: templating each host's task, queueing,
    collecting results) and its forked workers (one per host and task: the connection, the module's
    payload, waiting for the host), since only the first is one process whatever the forks.
    ``through``: also the samples whose stack passes through a frame containing each of these.
    """
    passing = collections.Counter()
    own = collections.defaultdict(collections.Counter)
    total = collections.defaultdict(collections.Counter)
    samples = collections.Counter()
    with open(path) as stacks:
        for line in stacks:
            stack, dummy_space, number = line.rstrip('\n').rpartition(' ')
            number = int(number)
            frames = [re.sub(r' \((.*/)?([^/]+)\)$', r' (\2)', frame) for frame in stack.split(';')[1:]]
            part = 'worker' if any(frame.startswith('WorkerProcess.run ') for frame in frames) else 'main'
            samples[part] += number
            if frames:
                own[part][frames[-1]] += number
            for frame in set(frames):
                total[part][frame] += number
            for pattern in through:
                if any(pattern in frame for frame in frames):
                    passing[(part, pattern)] += number
    everything = sum(samples.values())
    print('%d samples: main process %d, workers %d' % (everything, samples['main'], samples['worker']))
    for part in ('main', 'worker'):
        for title, counter in (('self', own[part]), ('total', total[part])):
            print('-- %s, by %s (%% of all samples)' % (part, title))
            for frame, number in counter.most_common(count):
                print('%6.1f%%  %s' % (100.0 * number / everything, frame))
    for pattern in through:
        print('through %r: main %d, workers %d samples'
              % (pattern, passing[('main', pattern)], passing[('worker', pattern)]))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n', maxsplit=1)[0])
    parser.add_argument('--hosts', default='4,40', help='host counts, comma-separated')
    parser.add_argument('--modes', default='host-gw,vxlan')
    parser.add_argument('--containers', type=int, default=25, help='containers per host')
    parser.add_argument('--collections', metavar='DIR', default=os.path.join(TOP, '.build', 'collections'),
                        help='collections path of the collection under test (default: the work tree)')
    parser.add_argument('--profile', metavar='DIR', help='also a profiled rerun per lab: py-spy raw stacks in DIR')
    parser.add_argument('--json', help='also write the results to this file')
    parser.add_argument('--top', metavar='FILE', help='print the hottest functions of a --profile file, and stop')
    parser.add_argument('--through', action='append', default=[],
                        help='with --top: count the samples whose stack passes through a frame containing this')
    args = parser.parse_args()
    if args.top:
        return top_functions(args.top, args.through)
    if args.profile:
        os.makedirs(args.profile, exist_ok=True)
        args.profile = os.path.abspath(args.profile)
    results = []
    started = dict(time=time.strftime('%Y-%m-%d %H:%M:%S'), loadavg=loadavg())
    for mode in args.modes.split(','):
        for hosts in [int(value) for value in args.hosts.split(',')]:
            result = one_lab(mode, hosts, args.containers, os.path.abspath(args.collections), args.profile)
            results.append(result)
            print('%s H=%d: %s' % (mode, hosts, result.get('error') or ', '.join(
                '%s %.2fs changed=%d' % (phase, numbers['wall'], numbers['changed'])
                for phase, numbers in result['phases'].items())), file=sys.stderr)
    print('\n%s, %d CPUs, load %s at the start, %s at the end; %d containers a host, forks = hosts'
          % (started['time'], os.cpu_count(), ' '.join(started['loadavg']), ' '.join(loadavg()), args.containers))
    print(table(results))
    for result in results:
        if 'error' in result:
            print('FAILED: %s H=%d: %s (logs were in %s)' % (result['mode'], result['hosts'], result['error'],
                                                             result['state']))
    if args.json:
        with open(args.json, 'w') as out:
            json.dump(dict(started=started, ended_loadavg=loadavg(), results=results), out, indent=1)
    return 1 if any('error' in result for result in results) else 0


if __name__ == '__main__':
    sys.exit(main())
