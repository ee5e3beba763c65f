# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.netns contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The link planners behind the veth and netns_link modules (plan_links is their face).

kinds: one record per link kind; attrs: what every link has (its attributes,
converging them, creating, deleting and renaming); restore: deleting a link
so that its undo makes it again; veth and other: how each comes to exist;
vxlan: a vxlan's settings and its flood list.
"""
