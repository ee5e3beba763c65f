# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.netns contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The options every module shares, defined once (see doc_fragments/netns.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

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
