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


def module_kwargs(options):
    """AnsibleModule keyword arguments: the item options, plus I(aggregate) of the same.

    Aggregate entries carry no defaults: an entry's unset option inherits the
    top-level value, which is where the defaults live.
    """
    spec = copy.deepcopy(options)
    entry = {}
    for key, option in options.items():
        option = dict(option)
        option.pop('default', None)
        option.pop('required', None)
        entry[key] = option
    spec['aggregate'] = dict(type='list', elements='dict', options=entry)
    return dict(argument_spec=spec, supports_check_mode=True)
