# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.netns contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The options every module shares, defined once (see doc_fragments/netns.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

from ansible_collections.linuxnet.netns.plugins.module_utils._netns.validation import ValidationError

NETNS_OPTIONS = dict(
    netns=dict(type='str'),
)


def item_options(own_options, shared=True):
    """A module's per-item options: its own, plus I(netns) where it acts in a namespace."""
    options = copy.deepcopy(own_options)
    if shared:
        options.update(copy.deepcopy(NETNS_OPTIONS))
    return options


def entry_options(options):
    """The options of one I(aggregate) entry: the item options without defaults.

    An entry's unset option inherits the top-level value, which is where the
    defaults live.
    """
    entry = {}
    for key, option in options.items():
        option = dict(option)
        option.pop('default', None)
        option.pop('required', None)
        entry[key] = option
    return entry


def module_kwargs(options):
    """AnsibleModule keyword arguments: the item options, plus I(aggregate).

    Aggregate is a plain list of dicts to AnsibleModule; engine.expand_items
    checks every entry against entry_options. Declared as suboptions, every
    option would have to be documented twice (ansible-test validate-modules).
    """
    spec = copy.deepcopy(options)
    spec['aggregate'] = dict(type='list', elements='dict')
    return dict(argument_spec=spec, supports_check_mode=True)


# -- rules between the options of one item ------------------------------------------------------
# Declared next to a planner's options (RULES) and applied to every item, top level and each
# aggregate entry alike (engine.expand_items), and to nested items (a route's nexthops).

def _given(values, key):
    value = values.get(key)
    return value is not None and value is not False and value != ''  # an empty list is given


def _words(keys, conjunction):
    keys = list(keys)
    return keys[0] if len(keys) == 1 else '%s %s %s' % (', '.join(keys[:-1]), conjunction, keys[-1])


def exclusive(*groups, **kwargs):
    """At most one of the groups (an option, or a tuple of options) may be given."""
    groups = [group if isinstance(group, tuple) else (group,) for group in groups]
    message = kwargs.get('message')

    def check(values):
        given = [group for group in groups if any(_given(values, key) for key in group)]
        if len(given) > 1:
            keys = [key for group in given for key in group if _given(values, key)]
            return message or '%s are mutually exclusive' % _words(keys, 'and')
        return None
    return check


def needs(key, value, required, message=None):
    """When option key is value, every option in required must be given."""
    def check(values):
        if values.get(key) == value and not all(_given(values, name) for name in required):
            condition = key if value is True else '%s=%s' % (key, value)
            return message or '%s needs %s' % (condition, _words(required, 'and'))
        return None
    return check


def one_of(keys, message, when=None):
    """At least one of keys must be given (when=(key, value): only then)."""
    def check(values):
        if when is not None and values.get(when[0]) != when[1]:
            return None
        if not any(_given(values, key) for key in keys):
            return message
        return None
    return check


def check_rules(values, rules, where=''):
    """Raise ValidationError (prefixed with where) for the first rule values break."""
    for rule in rules:
        broken = rule(values)
        if broken:
            raise ValidationError(where + broken)
