# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.netns contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Make the collection importable as ansible_collections.linuxnet.netns in unit tests.

scripts/bootstrap.sh links the checkout into .build/collections, the same
tree the integration runner hands ansible as its collections path.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import sys

_COLLECTIONS = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', '.build', 'collections')
_COLLECTIONS = os.path.normpath(_COLLECTIONS)
if _COLLECTIONS not in sys.path:
    sys.path.insert(0, _COLLECTIONS)
