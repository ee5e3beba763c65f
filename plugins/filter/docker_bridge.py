# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.netns contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The planning filter of the role linuxnet.netns.docker_bridge.

The role converges a host with one task of the module netns_bridge; the
cluster (every host's subnet, from the hosts' variables) is computed here,
on the controller, where hostvars are (docker_bridge_cluster): every
host's subnet and underlay address. A carved subnet depends only on the
host's own variables (its index, or its underlay address), never on the
inventory order or the other hosts, so adding a host renumbers nobody;
two hosts that would get overlapping subnets are an error that names
them. Messages name the role's variables.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import collections
import ipaddress

from ansible.errors import AnsibleFilterError

from ansible_collections.linuxnet.netns.plugins.module_utils._netns import bridge_ipv6, plan_bridge, validation
from ansible_collections.linuxnet.netns.plugins.module_utils._netns.bridge_containers import (
    as_text, checked_address, checked_network, given, is_address)
from ansible_collections.linuxnet.netns.plugins.module_utils._netns.validation import ValidationError

OVERLAP_REMEDY = 'give one of them docker_bridge_host_index or docker_bridge_subnet (existing hosts keep theirs)'
OVERLAP_REMEDY6 = 'give one of them docker_bridge_host_index or docker_bridge_subnet6'


class PlanError(AnsibleFilterError):
    pass


def _filter_errors(function):
    """Raise the planning's errors as filter errors, which Ansible reports without a traceback."""
    def wrapper(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except ValidationError as exc:
            raise PlanError(str(exc))
    return wrapper


# -- the cluster ----------------------------------------------------------------

def _underlay(host, hostvars):
    """The host's address on the underlay: given, else ansible_host, else from its facts."""
    asked = hostvars.get('docker_bridge_underlay_address')
    if given(asked):
        address = checked_address(asked, 'docker_bridge_underlay_address of %s' % host)
        if address.version != 4:
            raise PlanError('docker_bridge_underlay_address of %s is %s; the underlay must be IPv4'
                            % (host, address))
        return str(address)
    facts = hostvars.get('ansible_facts') or {}
    # a host without a default route still has its first address
    for candidate in [hostvars.get('ansible_host') or host, (facts.get('default_ipv4') or {}).get('address')] + [
            address for address in facts.get('all_ipv4_addresses') or [] if not address.startswith('127.')][:1]:
        if given(candidate) and is_address(candidate) and ipaddress.ip_address(as_text(candidate)).version == 4:
            return str(ipaddress.ip_address(as_text(candidate)))
    return None


def _carve(host, cluster_cidr, prefix, index, underlay):
    """The subnet of number index (else derived from the underlay address) in cluster_cidr."""
    cluster = checked_network(cluster_cidr, 'docker_bridge_cluster_cidr')
    prefix = validation.number(prefix, 'docker_bridge_subnet_prefix', 1, cluster.max_prefixlen - 2)
    if prefix <= cluster.prefixlen:
        raise PlanError('docker_bridge_subnet_prefix /%d is not smaller than docker_bridge_cluster_cidr %s'
                        % (prefix, cluster))
    count = 1 << (prefix - cluster.prefixlen)
    if given(index):
        index = validation.number(index, 'docker_bridge_host_index of %s' % host, 0, count - 1)
    elif underlay is not None:
        # the underlay address alone decides, so no other host's arrival or order renumbers this one
        index = int(ipaddress.ip_address(as_text(underlay))) % count
    else:
        raise PlanError('cannot carve a subnet for %s: it has no docker_bridge_subnet, no '
                        'docker_bridge_host_index and no IPv4 underlay address (set '
                        'docker_bridge_underlay_address, or an IPv4 ansible_host)' % host)
    size = 1 << (cluster.max_prefixlen - prefix)
    first = ipaddress.ip_address(int(cluster.network_address) + index * size)
    return ipaddress.ip_network(u'%s/%d' % (first, prefix)), index


def _setting(variables, defaults, name):
    """The host's docker_bridge_<name> if it gives one, else the default (the calling host's setting)."""
    value = variables.get('docker_bridge_' + name)
    return value if given(value) else defaults.get(name)


def _host_entry(host, hostvars, defaults, needs_underlay):
    def setting(name):
        return _setting(hostvars, defaults, name)

    underlay = _underlay(host, hostvars)
    if needs_underlay and underlay is None:
        raise PlanError('%s has no IPv4 underlay address: set docker_bridge_underlay_address for it, or '
                        'an IPv4 ansible_host (mode %s routes to every host of the cluster by it); its network '
                        'facts, which the role gathers where neither is given, had none either'
                        % (host, defaults.get('mode')))
    subnet = hostvars.get('docker_bridge_subnet')
    if given(subnet):
        try:
            subnet = ipaddress.ip_network(as_text(subnet))
        except ValueError as exc:
            raise PlanError('docker_bridge_subnet of %s: %s (give the network address, such as 10.88.1.0/24)'
                            % (host, exc))
        if not plan_bridge.subnet_holds_a_network(subnet):
            raise PlanError('docker_bridge_subnet of %s is %s; it %s' % (host, subnet, plan_bridge.SUBNET_RULE))
        index = None
    else:
        subnet, index = _carve(host, setting('cluster_cidr'), setting('subnet_prefix'),
                               hostvars.get('docker_bridge_host_index'), underlay)
    return dict(plan_bridge.cluster_entry(host, subnet, underlay, index=index),
                **_ipv6_fields(host, hostvars, setting, index, underlay))


def _ipv6_fields(host, hostvars, setting, index, underlay):
    """The host's subnet6 (given, else carved from docker_bridge_cluster_cidr6) and IPv6 underlay address.

    A carved /64 takes the number of the host's IPv4 subnet when that was carved too, else the host's
    docker_bridge_host_index, else its IPv4 underlay address: it depends on the host's own variables
    only, so no other host's arrival renumbers it.
    """
    # per host, never the calling host's: its own role parameters reach it through _OwnVariables
    values = dict(subnet6=hostvars.get('docker_bridge_subnet6'), underlay6=hostvars.get('docker_bridge_underlay_address6'))
    if not given(values['subnet6']) and given(setting('cluster_cidr6')):
        cluster = checked_network(setting('cluster_cidr6'), 'docker_bridge_cluster_cidr6')
        prefix = validation.number(setting('subnet6_prefix') or 64, 'docker_bridge_subnet6_prefix', 1, 126)
        if cluster.version != 6 or prefix <= cluster.prefixlen:
            raise PlanError('docker_bridge_cluster_cidr6 %s must be IPv6 and larger than docker_bridge_subnet6_prefix '
                            '/%d' % (cluster, prefix))
        count = 1 << (prefix - cluster.prefixlen)
        if index is None:
            index = hostvars.get('docker_bridge_host_index')
            index = int(index) if given(index) else (
                int(ipaddress.ip_address(as_text(underlay))) if underlay is not None else None)
        if index is None:
            raise PlanError('cannot carve a subnet6 for %s: it has no docker_bridge_subnet6, no docker_bridge_host_index '
                            'and no IPv4 underlay address' % host)
        size = 1 << (128 - prefix)
        values['subnet6'] = u'%s/%d' % (ipaddress.ip_address(int(cluster.network_address) + (index % count) * size),
                                        prefix)
    try:
        return bridge_ipv6.host_fields(host, values, 'docker_bridge_subnet')
    except ValidationError as exc:
        raise PlanError('%s: %s (docker_bridge_subnet6, docker_bridge_underlay_address6)' % (host, exc))


class _OwnVariables(object):
    """hostvars of the calling host, with its docker_bridge_* settings taking precedence."""

    def __init__(self, hostvars, settings):
        self.hostvars = hostvars
        self.settings = settings

    def get(self, key, default=None):
        name = key[len('docker_bridge_'):] if key.startswith('docker_bridge_') else None
        if name is not None and name in self.settings:
            return self.settings[name]
        return self.hostvars.get(key, default)


def _variables_of(host, hostvars, settings=None):
    """The host's variables as the filters read them: its hostvars, {} for a host hostvars lacks.

    For the calling host (settings['host']) its settings win over its hostvars: role parameters
    reach the filter through settings only. Without settings, every host's (the calling one's
    too) are its hostvars alone, as its peers see them.
    """
    variables = hostvars[host] if host in hostvars else {}
    if settings is not None and host == settings['host']:
        return _OwnVariables(variables, settings)
    return variables


def _checked_cluster(names, hostvars, settings, needs_underlay, own_settings=True):
    """The entries of the hosts names, without their index, checked for overlapping subnets.

    Hosts whose docker_bridge_state is absent are left out. With own_settings, the calling host is
    read with its settings winning (_variables_of) and is kept whatever its state: its own cluster.
    Without, every host is read from hostvars alone: the play's view, as the peers see it.
    """
    own = settings['host'] if own_settings else None
    cluster = []
    for host in collections.OrderedDict.fromkeys(names):
        variables = _variables_of(host, hostvars, settings if own_settings else None)
        if host != own and variables.get('docker_bridge_state') == 'absent':
            continue
        cluster.append(_host_entry(host, variables, settings, needs_underlay))
    plan_bridge.check_cluster(cluster, OVERLAP_REMEDY)
    bridge_ipv6.check_cluster(cluster, OVERLAP_REMEDY6)
    return [_without_index(entry) for entry in cluster]


@_filter_errors
def docker_bridge_cluster(hosts, hostvars, settings):
    """Every host of the cluster (settings.host included) with its subnet and underlay address.

    hostvars gives each host's own docker_bridge_subnet, docker_bridge_host_index,
    docker_bridge_underlay_address (else ansible_host, else its facts), and may override
    docker_bridge_cluster_cidr and docker_bridge_subnet_prefix; settings are the calling
    host's own values, which win over its hostvars (role parameters are not in hostvars),
    and the defaults of the cluster-wide ones for the others. Hosts whose
    docker_bridge_state is absent are left out, so the others drop their routes to them.
    """
    needs_underlay = _needs_underlay(settings.get('mode'))
    # hosts of mode none are on their own: the others' variables do not matter
    names = (list(hosts or []) if needs_underlay else []) + [settings['host']]
    return _checked_cluster(names, hostvars, settings, needs_underlay)


# the settings that shape every host's entry, and so decide whether two hosts see the same cluster
CLUSTER_WIDE = ('mode', 'cluster_cidr', 'subnet_prefix', 'cluster_cidr6', 'subnet6_prefix')


def _view_key(hosts, settings):
    return dict(hosts=list(hosts or []), **dict((name, settings.get(name)) for name in CLUSTER_WIDE))


def docker_bridge_cluster_view(hosts, hostvars, settings):
    """Every host's entry as its peers see it (from hostvars alone), computed once for the play.

    Computed by every host, the cluster costs the controller O(H) a host (reading each host's
    variables), O(H^2) in all: the role computes it once (set_fact, run_once) and each host takes
    its peers from it with docker_bridge_peers. Only the calling host's cluster-wide settings are
    used, as defaults; a host with other ones computes its own. None in mode none (no peers); an
    error is kept, not raised, so that each host computes, and reports, its own.
    """
    if not _needs_underlay(settings.get('mode')):
        return None
    try:
        cluster = _checked_cluster(hosts or [], hostvars, settings, True, own_settings=False)
    except (ValidationError, AnsibleFilterError) as exc:
        return dict(key=_view_key(hosts, settings), error=str(exc))
    return dict(key=_view_key(hosts, settings), cluster=cluster)


@_filter_errors
def docker_bridge_peers(view, hosts, hostvars, settings):
    """The calling host's peers: the other hosts of its cluster, from the play's view if it fits.

    The view fits when it was computed with the same hosts and cluster-wide settings; otherwise
    (or if it had an error) the host computes its cluster itself, as docker_bridge_cluster.
    """
    if not _needs_underlay(settings.get('mode')):
        return []
    own = settings['host']
    if not view or view.get('error') is not None or view.get('key') != _view_key(hosts, settings):
        cluster = docker_bridge_cluster(hosts, hostvars, settings)
    else:
        cluster = view['cluster']
    return [entry for entry in cluster if entry['host'] != own]


def _needs_underlay(mode):
    # the routed modes reach every other host by its underlay address
    return mode in ('host-gw', 'vxlan')


def _without_index(entry):
    # the index only explains overlaps; the module's peers are subnet, gateway, underlay and host
    return dict((key, value) for key, value in entry.items() if key != 'index')


@_filter_errors
def docker_bridge_host(hostvars, settings):
    """The calling host's own entry of docker_bridge_cluster, without reading the other hosts.

    The role's task reads this host's subnet and underlay addresses four times and its peers once:
    only the peers need every host (docker_bridge_cluster, which also checks them for overlaps).
    """
    host = settings['host']
    return _without_index(_host_entry(host, _variables_of(host, hostvars, settings), settings,
                                      _needs_underlay(settings.get('mode'))))


@_filter_errors
def docker_bridge_hosts_without_underlay(hosts, hostvars, settings):
    """The hosts of the list whose underlay address the role must learn from their network facts.

    Those that would be asked for one (mode host-gw or vxlan, or a subnet to carve) and have none:
    no docker_bridge_underlay_address, no IPv4 ansible_host, no facts. Read as the cluster reads them:
    the calling host's settings win over its hostvars, and are the defaults for the others'.
    """
    wanted = []
    for host in hosts or []:
        variables = _variables_of(host, hostvars, settings)
        if _setting(variables, settings, 'state') != 'present' or _underlay(host, variables) is not None:
            continue
        if _needs_underlay(_setting(variables, settings, 'mode')) or not (
                given(variables.get('docker_bridge_subnet')) or given(variables.get('docker_bridge_host_index'))):
            wanted.append(host)
    return wanted


class FilterModule(object):
    def filters(self):
        return dict(docker_bridge_cluster=docker_bridge_cluster, docker_bridge_host=docker_bridge_host,
                    docker_bridge_hosts_without_underlay=docker_bridge_hosts_without_underlay,
                    docker_bridge_cluster_view=docker_bridge_cluster_view, docker_bridge_peers=docker_bridge_peers)
