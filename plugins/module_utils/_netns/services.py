# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.netns contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What runs inside a container: systemd services that join its network namespace.

A container of netns_bridge may name a command (turned into the unit
``linuxnet-netns-NETWORK:CONTAINER.service``) or an existing unit (given
the same settings by the drop-in ``UNIT.d/linuxnet-netns-NETWORK:CONTAINER.conf``).
Either way the service runs with ``NetworkNamespacePath=/run/netns/CONTAINER``
and sees the container's ``resolv.conf`` and ``hosts`` over the host's, as
``ip netns exec`` shows them; it starts after the network's boot unit
(boot.py), restarts on failure, comes back after a reboot, and is stopped
and removed with its container. ``:`` is in no network or container name,
so the names never collide.

Units and drop-ins are found again by their names, so the registry needs
no record of them. Where systemd runs, changed units are reloaded and
(re)started, and a service whose container goes is stopped before its
namespace is removed.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import fnmatch
import os

from ansible_collections.linuxnet.netns.plugins.module_utils._netns import boot, nftables, safe_files
from ansible_collections.linuxnet.netns.plugins.module_utils._netns.engine import Op

OURS = 'linuxnet-netns-%s:%s'
NETNS_FILES = ('resolv.conf', 'hosts')


def _escape(text):
    """A command for ExecStart: systemd expands % and $, and reads quotes and backslashes itself."""
    quoted = text.replace('\\', '\\\\').replace('"', '\\"').replace('%', '%%').replace('$', '$$')
    return '/bin/sh -c "exec %s"' % quoted


def _settings(network, container, files, restore_at_boot):
    unit = ['[Unit]']
    if restore_at_boot:
        # ordered after the network's boot unit, not requiring it: a restart of the service by the
        # module would start that unit, which waits for the module's own lock
        unit += ['After=%s' % boot.unit_name(network)]
    service = ['[Service]', 'NetworkNamespacePath=/run/netns/%s' % container]
    service += ['BindReadOnlyPaths=-/etc/netns/%s/%s:/etc/%s' % (container, name, name) for name in files]
    return unit, service


def render(network, container, command=None, files=NETNS_FILES, restore_at_boot=True):
    """The unit (command) or drop-in (an existing service) of container's service."""
    header = '# Written by linuxnet.netns (netns_bridge %s, container %s); removed with the container.' % (
        network, container)
    unit, service = _settings(network, container, files, restore_at_boot)
    if command is None:
        return '\n'.join([header] + unit + [''] + service) + '\n'
    unit.insert(1, 'Description=%s in container %s (linuxnet.netns bridge network %s)' % (
        command.split()[0], container, network))
    service += ['ExecStart=%s' % _escape(command), 'Restart=on-failure', 'RestartSec=2']
    return '\n'.join([header] + unit + [''] + service + ['', '[Install]', 'WantedBy=%s' % boot.WANTED_BY]) + '\n'


def paths(network, container, service=None, unit_dir=boot.UNIT_DIR):
    """(file, unit that runs, wants link or None) of a container's service."""
    name = OURS % (network, container)
    if service is None:
        return (os.path.join(unit_dir, name + '.service'), name + '.service',
                os.path.join(unit_dir, boot.WANTED_BY + '.wants', name + '.service'))
    return os.path.join(unit_dir, service + '.d', name + '.conf'), service, None


def found(network, unit_dir=boot.UNIT_DIR):
    """{path: unit} of every unit and drop-in of network's containers on the host."""
    prefix = OURS % (network, '')
    result = {}
    try:
        names = os.listdir(unit_dir)
    except OSError:
        return result
    for name in names:
        if fnmatch.fnmatchcase(name, prefix + '*.service'):
            result[os.path.join(unit_dir, name)] = name
        elif name.endswith('.service.d') and os.path.isdir(os.path.join(unit_dir, name)):
            for conf in os.listdir(os.path.join(unit_dir, name)):
                if fnmatch.fnmatchcase(conf, prefix + '*.conf'):
                    result[os.path.join(unit_dir, name, conf)] = name[:-len('.d')]
    return result


def wanted(network, containers, files, restore_at_boot, unit_dir=boot.UNIT_DIR):
    """{path: (unit, text, wants link)} of the services the containers ask for."""
    result = {}
    for container in containers:
        if container.get('command') is None and container.get('service') is None:
            continue
        path, unit, link = paths(network, container['name'], container.get('service'), unit_dir)
        result[path] = (unit, render(network, container['name'], container.get('command'), files, restore_at_boot), link)
    return result


def _active(unit):
    try:
        boot.systemctl(None, ['--quiet', 'is-active', unit])
        return True
    except nftables.NftError:
        return False


def _systemctl(*args):
    return Op(boot.systemctl, None, args=list(args))


def plan_stop(host, items, plan):
    """Stage before the namespaces go: services whose container goes (or whose unit changes) stop."""
    if not boot.systemd_runs():
        return
    for item in items:
        unit_dir = item.get('unit_dir') or boot.UNIT_DIR
        keep = wanted(item['network'], item['containers'], item['files'], item['restore_at_boot'], unit_dir)
        for path, unit in sorted(found(item['network'], unit_dir).items()):
            text = boot.read(path)
            if path not in keep or keep[path][1].encode() != text:
                if _active(unit):
                    plan.add('stop %s (container service of %s)' % (unit, item['network']),
                             _systemctl('stop', unit), _systemctl('start', unit))


def plan(host, items, plan):
    """Stage after the network is up: the services' units written, enabled and (re)started."""
    runs = boot.systemd_runs()
    for item in items:
        network = item['network']
        unit_dir = item.get('unit_dir') or boot.UNIT_DIR
        keep = wanted(network, item['containers'], item['files'], item['restore_at_boot'], unit_dir)
        have = found(network, unit_dir)
        before = dict((path, boot.as_text(boot.read(path))) for path in sorted(have))
        started = []
        for path in sorted(set(have) - set(keep)):
            # a drop-in directory left empty was made for ours
            boot.plan_file(plan, path, None, 'service of a container that goes', remove_empty_dir=path.endswith('.conf'))
            if path.endswith('.service'):
                safe_files.plan_link(plan, os.path.join(unit_dir, boot.WANTED_BY + '.wants', os.path.basename(path)),
                                     None, 'enabled')
        for path, (unit, text, link) in sorted(keep.items()):
            if boot.plan_file(plan, path, text, 'service in container'):
                started.append(unit)
            if link:
                safe_files.plan_link(plan, link, os.path.join('..', os.path.basename(path)), 'enabled')
        plan.state(network, before, dict((path, keep[path][1]) for path in sorted(keep)))
        if runs and (started or set(have) - set(keep)):
            plan.add('reload systemd units', _systemctl(*boot.DAEMON_RELOAD['args']), _systemctl(*boot.DAEMON_RELOAD['args']))
        for unit in started if runs else ():
            plan.add('start %s' % unit, _systemctl('restart', unit), _systemctl('stop', unit))
