# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.netns contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Planner of the netns_link module: links of the other kinds, made in place or moved in.

What a kind needs is in its record (kinds); a link whose settings the kernel
cannot change in place is replaced, the new one made first under a temporary
name where both can exist at once.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress

from ansible_collections.linuxnet.netns.plugins.module_utils._netns import engine, validation
from ansible_collections.linuxnet.netns.plugins.module_utils._netns.engine import PlanFailure, about, netns_of
from ansible_collections.linuxnet.netns.plugins.module_utils._netns.links import attrs, kinds, restore, vxlan


def plan_link(host, items, plan):
    for item in items:
        with about(item):
            name = validation.interface_name(item['name'], 'name')
            netns = netns_of(item)
            state = item['state']
            kind = item['kind']
            spec = kinds.of(kind).creation(item) if kind and state != 'absent' else None
            if item['remotes'] is not None and not (spec and kind == 'vxlan'):
                raise validation.ValidationError('%sremotes needs kind=vxlan and state present, up or down'
                                                 % item['_where'])
            want = attrs.desired_attrs(item, state)
            if state != 'absent':
                _check_combinations(item, name)
        session = host.session(netns)
        link = session.link(name)
        key = '%s:%s' % (session.label, name)
        before = attrs.shown(link)
        flood_before = vxlan.flood_list(session, link) if item['remotes'] is not None else None
        if state == 'absent':
            if link is not None:
                if link['kind'] is None:
                    raise PlanFailure('%s in %s is a physical interface and cannot be deleted; move '
                                      'it elsewhere with netns and from_netns' % (name, session.label))
                if kind and link['kind'] != kind:
                    raise PlanFailure('%s in %s is a %s, not a %s; not removing it'
                                      % (name, session.label, link['kind'], kind))
                restore.plan_delete(plan, session, name, link['kind'])
            plan.state(key, before, None)
            continue
        if link is None and item['from_netns']:
            source = host.session(netns_of(item, 'from_netns'))
            if source.link(name) is not None and source is not session:
                attrs.plan_move(plan, source, session, name)
                link = session.link(name)
        replacing = None
        if link is not None and kind and link['kind'] != kind:
            if not item['recreate']:
                raise PlanFailure('%s exists in %s but is a %s, not a %s; set recreate=true to '
                                  'replace it' % (name, session.label, link['kind'] or 'physical interface',
                                                  kind))
            replacing, link = link, None
        if link is not None and spec and _spec_differs(session, link, spec):
            # vni, vlan id, parent...: the kernel cannot change them in place
            replacing, link = link, None
        if link is None:
            if not kind:
                raise PlanFailure('interface %s does not exist in %s%s; give kind to create one'
                                  % (name, session.label,
                                     ' nor in netns %s' % item['from_netns'] if item['from_netns'] else ''))
            _plan_create(host, plan, session, name, kind, spec, want, replacing)
        else:
            attrs.converge_attrs(host, plan, session, name, link, want)
        after = attrs.shown(session.link(name))
        if flood_before is not None:
            # a link made or remade by this plan starts with an empty flood list
            vxlan.plan_flood_list(plan, session, name, flood_before if link is not None else [], spec['remotes'])
            before = dict(before, remotes=flood_before) if before is not None else None
            after = dict(after, remotes=spec['remotes'])
        plan.state(key, before, after)


def _check_combinations(item, name):
    """Refuse options that contradict each other, before anything is read."""
    kind = item['kind']
    for owner in kinds.KINDS.values():
        given = [option for option in owner.options if item.get(option) not in (None, '')]
        if given and kind != owner.name:
            raise validation.ValidationError('%s only %s to kind=%s, not to %s'
                                             % (', '.join(given), 'applies' if len(given) == 1 else 'apply',
                                                owner.name, 'kind=%s' % kind if kind else 'a link given without kind'))
    if item['parent'] and kind not in kinds.PARENT_KINDS:
        raise validation.ValidationError('parent only applies to %s' % ' and '.join(
            'kind=%s' % parent for parent in kinds.PARENT_KINDS))
    for option in ('master', 'parent', 'device'):
        if item.get(option) == name:
            raise validation.ValidationError('%s of %s is %s itself' % (option, name, name))
    for option in ('parent', 'device'):
        if item['master'] and item.get(option) == item['master']:
            raise validation.ValidationError('%s %s is also the master of %s: a link cannot be a port of '
                                             'the link it runs over' % (option, item['master'], name))


def _spec_differs(session, link, spec):
    for attr, value in spec['data'].items():
        current = link['data'].get(attr)
        if attr.endswith(('GROUP', 'LOCAL', 'GROUP6', 'LOCAL6')) and current is not None:
            current = str(ipaddress.ip_address(u'%s' % current))
        if current != value:
            return True
    if spec.get('parent') and session.link_name(link['link_index']) != spec['parent']:
        return True
    if spec.get('device') and session.link_name(link['data'].get('IFLA_VXLAN_LINK')) != spec['device']:
        return True
    return False


def _plan_create(host, plan, session, name, kind, spec, want, replacing=None):
    """Create a link; one that replaces another is made under a temporary name first.

    So the old link is deleted only once the kernel has accepted the new one
    (a taken vni, a missing driver...), and renamed into place after; unless
    the two cannot exist at once (_clashes), when the old goes first.
    """
    for what in ('parent', 'device'):
        if spec.get(what):
            attrs.require_link(host, session, spec[what], what)
    if want['master']:
        attrs.require_master(host, session, want['master'])
    attrs.check_new_mtu(session, name, kind, want, spec.get('parent'))

    def create(ifname, up):
        return engine.Op(attrs.create_link, session, kind=kind, name=ifname,
                         settings=dict(spec['create'], **attrs.create_settings(want, up)), parent=spec.get('parent'),
                         device=spec.get('device'), master=want['master'] or None)

    label = session.label
    if replacing is None or _clashes(replacing, kind, spec, want):
        if replacing is not None:
            restore.plan_delete(plan, session, name, replacing['kind'] or 'link')
        plan.add('create %s %s in %s' % (kind, name, label), create(name, want['up']),
                 engine.Op(attrs.delete_link, session, name=name))
    else:
        temporary = attrs.temporary_name()
        plan.add('create %s %s in %s under a temporary name' % (kind, name, label),
                 create(temporary, False), engine.Op(attrs.delete_link, session, name=temporary))
        restore.plan_delete(plan, session, name, replacing['kind'] or 'link')
        plan.add('rename the new %s to %s in %s' % (kind, name, label),
                 engine.Op(attrs.rename_link, session, current=temporary, new=name, up=want['up']),
                 engine.Op(attrs.rename_link, session, current=name, new=temporary, up=False))
    session.plan_link(name, attrs.model(name, kind, want))


def _clashes(old, kind, spec, want):
    """Whether the kernel would refuse the new link while the old one exists."""
    return old['kind'] == kind and kinds.of(kind).clashes(old, spec, want)
