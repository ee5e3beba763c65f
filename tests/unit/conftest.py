# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.netns contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Make the collection importable as ansible_collections.linuxnet.netns in unit tests.

Run by pytest from the checkout, scripts/bootstrap.sh links the checkout into
.build/collections, the same tree the integration runner hands ansible as its
collections path. Run by ansible-test units (tests/sanity/run.sh), the
collection already sits in an ansible_collections tree of its own.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import sys

import pytest

_TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_PARENT = os.path.dirname(os.path.dirname(_TOP))
if os.path.basename(_PARENT) == 'ansible_collections':
    COLLECTIONS = os.path.dirname(_PARENT)
else:
    COLLECTIONS = os.path.join(_TOP, '.build', 'collections')
if COLLECTIONS not in sys.path:
    sys.path.insert(0, COLLECTIONS)


@pytest.fixture
def collections_path():
    """The collections path that holds this collection, for ansible commands run by a test."""
    return COLLECTIONS
