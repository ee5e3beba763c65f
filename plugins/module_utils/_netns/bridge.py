# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.netns contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The netns_bridge task: a whole bridge network on one host, in one module process.

plan_bridge turns the request and the host's registry into the items of
every planner; they run here as the stages of one task (engine.run_stages)
over one Host, so that each namespace is opened once and read once for all
of them, where one task per module opened and read it once per task and
paid Ansible's cost of a task seven times (docs/performance.md).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import functools
import json
import os
import sys

from ansible_collections.linuxnet.netns.plugins.module_utils._netns import (
    argspec, boot, bridge_limits, engine, services, plan_addresses, plan_bridge, plan_firewall, plan_links, plan_nat,
    plan_netns, plan_resolv, plan_routes)
from ansible_collections.linuxnet.netns.plugins.module_utils._netns import bridge_ipv6
from ansible_collections.linuxnet.netns.plugins.module_utils._netns import isolation
from ansible_collections.linuxnet.netns.plugins.module_utils._netns import bridge_ports
from ansible_collections.linuxnet.netns.plugins.module_utils._netns.bridge_containers import (
    checked_address, checked_network, given)
from ansible_collections.linuxnet.netns.plugins.module_utils._netns.engine import Stage
from ansible_collections.linuxnet.netns.plugins.module_utils._netns import safe_files
from ansible_collections.linuxnet.netns.plugins.module_utils._netns.validation import INTERFACE_NAME_MAX, ValidationError

THIS_HOST = 'this host'  # how messages name the host the module runs on, beside its peers
PEER_KEYS = ('host', 'subnet', 'gateway', 'underlay') + bridge_ipv6.PEER_KEYS
REGISTRY_FILE = 'docker_bridge.%s.json'
BOOT_FILE = 'docker_bridge.%s.boot.json'
NO_SUBNET = '0.0.0.0/32'  # state=absent takes none: it only removes what the registry names

OPTIONS = dict(
    name=dict(type='str', required=True),
    state=dict(type='str', default='present', choices=['present', 'absent']),
    containers=dict(type='list', elements='dict', default=[]),
    subnet=dict(type='str'),
    subnet6=dict(type='str'),
    gateway_mode_ipv6=dict(type='str', default='nat', choices=list(bridge_ipv6.GATEWAY_MODES)),
    mtu=dict(type='int'),
    mode=dict(type='str', default='none', choices=list(plan_bridge.MODES)),
    peers=dict(type='list', elements='dict', default=[]),
    underlay_address=dict(type='str'),
    underlay_address6=dict(type='str'),
    vxlan_interface=dict(type='str'),
    vxlan_vni=dict(type='int', default=42),
    vxlan_port=dict(type='int', default=4789),
    vxlan_device=dict(type='str'),
    dns=dict(type='list', elements='str', default=['8.8.8.8', '8.8.4.4']),
    dns_search=dict(type='list', elements='str', default=[]),
    dns_options=dict(type='list', elements='str', default=[]),
    hosts_file=dict(type='bool', default=True),
    veth_prefix=dict(type='str', default='ve-'),
    masquerade=dict(type='bool', default=True),
    force_remove=dict(type='bool', default=False),
    registry_dir=dict(type='path', default='/etc/linuxnet-netns'),
    firewall=plan_firewall.OPTION,
    icc=isolation.MODULE_OPTIONS['icc'],
    internal=isolation.MODULE_OPTIONS['internal'],
    isolate=isolation.MODULE_OPTIONS['isolate'],
    restore_at_boot=dict(type='bool', default=True),
)


def _plan_veths(host, items, plan):
    """The veth planner, its remedy for a link in the way said in this module's terms."""
    for item in items:
        item['_remedy'] = 'remove it first, or give the veths another veth_prefix'
    plan_links.plan_veth(host, items, plan)


# (stage, key of plan_bridge's plan, planner, its item options); in the order the role's tasks had
# The bridge (and vxlan device) before the namespaces: removed first, its ports go with it in the
# request, where removed after the namespaces it waits for the kernel to dismantle them (benchmark,
# issue 18: 0.55-0.64 s against 0.24-0.41 s for 500 containers)
STAGES = (
    ('links', 'links', plan_links.plan_link, plan_links.LINK_OPTIONS),
    ('netns', 'netns', plan_netns.plan, plan_netns.OPTIONS),
    ('veths', 'veths', _plan_veths, plan_links.VETH_OPTIONS),
    ('bridge_ports', 'bridge_ports', bridge_ports.plan_ports, bridge_ports.PORT_OPTIONS),
    ('addresses', 'addresses', plan_addresses.plan, plan_addresses.OPTIONS),
    ('routes', 'routes', plan_routes.plan, plan_routes.OPTIONS),
    ('resolv', 'resolv', plan_resolv.plan, plan_resolv.OPTIONS),
    ('nat', 'nat', functools.partial(plan_nat.plan, open_firewalls=False), plan_nat.OPTIONS),
)


def _vxlan_interface(params):
    name = params['vxlan_interface']
    if name:
        return name
    return ('vxlan-' + params['name'])[:INTERFACE_NAME_MAX]


def _cluster(params):
    """This host, then its peers: what check_cluster checks; plan_bridge takes the first and the others."""
    if params['state'] == 'present' and not params['subnet']:
        raise ValidationError('subnet is required when state=present%s' % (
            ' (IPv6-only networks are not supported: give subnet6 with an IPv4 subnet)' if params['subnet6'] else ''))
    me = _host_entry(THIS_HOST, dict(subnet=params['subnet'] or NO_SUBNET, underlay=params['underlay_address'],
                                     subnet6=params['subnet6'], underlay6=params['underlay_address6']),
                     'subnet', allow_tiny=not params['subnet'])
    cluster = [me]
    for position, peer in enumerate(params['peers'], 1):
        where = 'peers item %d' % position
        unknown = sorted(set(peer) - set(PEER_KEYS))
        if unknown:
            raise ValidationError('%s: unknown keys %s (known: %s)' % (where, ', '.join(unknown), ', '.join(PEER_KEYS)))
        if not given(peer.get('subnet')):
            raise ValidationError('%s: subnet is required' % where)
        if params['mode'] != 'none' and not given(peer.get('underlay')):
            raise ValidationError('%s: underlay is required in mode %s' % (where, params['mode']))
        cluster.append(_host_entry(peer.get('host') or where, peer, where + ': subnet'))
    if params['mode'] == 'vxlan' and params['state'] == 'present' and not params['underlay_address']:
        raise ValidationError('underlay_address is required in mode vxlan (the overlay\'s local address)')
    plan_bridge.check_cluster(cluster, 'give them subnets that do not overlap')
    bridge_ipv6.check_cluster(cluster, 'give them subnet6 prefixes that do not overlap')
    return cluster


def _host_entry(host, values, what, allow_tiny=False):
    subnet = checked_network(values.get('subnet'), what)
    if not plan_bridge.subnet_holds_a_network(subnet) and not (allow_tiny and subnet.version == 4):
        raise ValidationError('%s %s %s' % (what, subnet, plan_bridge.SUBNET_RULE))
    gateway = values.get('gateway')
    gateway = checked_address(gateway, what + ' gateway') if given(gateway) else None
    underlay = values.get('underlay')
    underlay = str(checked_address(underlay, host + ' underlay')) if given(underlay) else None
    return dict(plan_bridge.cluster_entry(host, subnet, underlay, gateway), **bridge_ipv6.host_fields(host, values, what))


def _settings(params):
    """The options plan_bridge plans with, the VXLAN device's name given or derived."""
    settings = dict((key, params[key]) for key in (
        'name', 'state', 'mtu', 'mode', 'vxlan_vni', 'vxlan_port', 'vxlan_device', 'dns', 'dns_search',
        'dns_options', 'hosts_file', 'veth_prefix', 'masquerade', 'force_remove', 'firewall', 'gateway_mode_ipv6'))
    settings.update(vxlan_interface=_vxlan_interface(params))
    settings.update((key, params[key]) for key in isolation.MODULE_OPTIONS)
    return settings


# -- the registry file ------------------------------------------------------------------

def registry_path(params):
    return os.path.join(params['registry_dir'], REGISTRY_FILE % params['name'])


def _registry_root(path):
    """The directory trusted as it is: the registry directory's parent; nothing below it is followed."""
    directory = os.path.dirname(path)
    return os.path.dirname(directory.rstrip('/') or '/') or '/'


def _damage(text):
    """Why a registry's text is not one, or None if it is: an empty or cut-off file is not "nothing made"."""
    if not text.strip():
        return 'is empty'
    try:
        registry = json.loads(text)
    except ValueError as exc:
        return 'is cut off or not JSON (%s)' % exc
    if not isinstance(registry, dict) or not isinstance(registry.get('containers'), dict):
        return 'holds no containers mapping'
    return None


def _read_text(path, root):
    found = safe_files.read(path, root)
    if found is None:
        return None, None
    try:
        return found, found.data.decode('utf-8')
    except UnicodeDecodeError as exc:
        return found, '\0 not UTF-8: %s' % exc


def read_registry(path, warn=None):
    """The registry's text, or None if there is none.

    A registry that is there but empty or cut off is never read as none (that would orphan for
    good everything it names): its previous version (NAME.prev, kept by every write) is read
    instead, with a warning, or the task is refused naming the file.
    """
    root = _registry_root(path)
    previous = os.path.join(os.path.dirname(path), safe_files.previous_name(os.path.basename(path)))
    try:
        found, text = _read_text(path, root)
        if found is None:
            return None
        damage = _damage(text)
        if damage is None:
            return text
        dummy, kept = _read_text(previous, root)
    except (IOError, OSError) as exc:
        raise ValidationError('cannot read the registry %s: %s' % (path, exc.strerror or exc))
    except safe_files.UnsafePath as exc:
        raise ValidationError('cannot read the registry %s: %s' % (path, exc))
    if kept is None or _damage(kept) is not None:
        raise ValidationError(
            'the registry %s %s, and there is no intact previous version (%s): it is the only record of what '
            'netns_bridge made on this host, so it is not taken for "nothing made here". Put back a copy, or '
            'remove it and then by hand what it named' % (path, damage, previous))
    if warn is not None:
        warn('the registry %s %s; read its previous version %s instead: containers the last run added may '
             'be missing from it, check what is on the host; the next change rewrites the registry'
             % (path, damage, previous))
    return kept


def _write(path, text):
    """The change that leaves text as the registry: written durably (file and directory synced, no symlink
    followed, the old one kept as .prev); None: forgotten, .prev too (last, once everything it named is
    gone: nothing of the network is left, not even this)."""
    return safe_files.put(path, text, root=_registry_root(path), keep_previous=True)


def _registry_text(registry):
    return None if registry is None else json.dumps(registry, indent=4, sort_keys=True) + '\n'


def _record(plan, path, current, text, why):
    """A change that writes text as the registry (None: removes it), undone by putting back current."""
    if text != current:
        plan.add('%s %s' % (why, path), _write(path, text), _write(path, current))


# -- the task ---------------------------------------------------------------------------

def _stages(wanted):
    """The planners' stages for the items plan_bridge computed."""
    stages = []
    for name, key, planner, options in STAGES:
        entries = wanted[key]
        if key == 'nat':
            entries = [entries] if entries is not None else []
        elif key == 'netns':
            entries = [dict(entry, name=[entry['name']]) for entry in entries]
        if entries:
            stages.append(Stage(name, planner, engine.trusted_items(argspec.item_options(options), entries)))
    if wanted['nat'] is not None or wanted['firewall']['state'] == 'present':
        stages.append(Stage('firewall', plan_firewall.plan, [_flows(wanted['firewall'])]))
    return stages


def _flows(entry):
    return plan_firewall.flows_item(**entry)


def _boot_item(params):
    """What brings the network back at boot (boot.plan): these very options, run by the same code."""
    return dict(network=params['name'], state=params['state'], restore_at_boot=params['restore_at_boot'],
                params=dict(params), python=sys.executable,
                params_path=os.path.join(params['registry_dir'], BOOT_FILE % params['name']))


def _services_item(params, wanted):
    """What runs inside the containers (services.plan): none left when the network goes."""
    return dict(network=params['name'], containers=wanted['containers'] if params['state'] == 'present' else [],
                files=[name for name in services.NETNS_FILES if name != 'hosts' or params['hosts_file']],
                restore_at_boot=params['restore_at_boot'])


def run(module):
    """Plan, report and (unless in check mode) apply the bridge network; exits the module."""
    params = module.params
    path = registry_path(params)

    def plan_all(host, plan):
        original = read_registry(path, plan.warnings.append)
        cluster = _cluster(params)
        settings = dict(_settings(params), mtu=bridge_limits.network_mtu(host, params, plan.warnings.append))
        wanted = plan_bridge.host_plan(params['containers'], settings, cluster[0], cluster[1:], original)
        bridge_limits.check_host(host, params, wanted)  # refused before the first change
        during = _registry_text(wanted['registry_during']) if wanted['registry_grows'] else original
        final = _registry_text(wanted['registry']) if wanted['registry_shrinks'] else during

        def record_what_comes(host, items, plan):
            # written before any change, so a run that fails half-way still knows what it may have made
            _record(plan, path, original, during, 'record what is about to be made in')

        def record_what_stays(host, items, plan):
            _record(plan, path, during, final, 'record what was made in' if final else 'forget the registry')
            if final != original:
                plan.state(path, original and json.loads(original), final and json.loads(final))

        # at boot, what the boot needs is there already: the run leaves it alone
        at_boot = [] if getattr(module, 'at_boot', False) else [Stage('boot', boot.plan, [_boot_item(params)])]
        peers = bridge_limits.peers_item(params, wanted)
        # before the links stage: the flood list it changes says which peers leave
        forgotten = [Stage('links', bridge_limits.plan_forgotten_peers, [peers])] if peers else []
        in_containers = [_services_item(params, wanted)]
        engine.run_stages(host, plan, [Stage('registry', record_what_comes, []),
                                       Stage('services', services.plan_stop, in_containers)]
                          + forgotten + _stages(wanted) + at_boot
                          + [Stage('services', services.plan, in_containers),
                             Stage('registry', record_what_stays, [])])
        plan.returns = dict(
            bridge=params['name'], subnet=wanted['subnet'], gateway=wanted['gateway'], mtu=wanted['mtu'],
            subnet6=wanted['subnet6'], gateway6=wanted['gateway6'],
            containers=wanted['containers'], removed=wanted['removed'], registry=path)

    engine.run_task(module, plan_all)
