# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.netns contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""plan_netns without root: a namespace removed with nobody in it is one whose links go with it."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest

from ansible_collections.linuxnet.netns.plugins.module_utils._netns import namespaces, plan_netns
from ansible_collections.linuxnet.netns.plugins.module_utils._netns.engine import Plan
from ansible_collections.linuxnet.netns.tests.unit.plugins.module_utils.fakes import FakeHost, FakeSession


class RecordingHost(FakeHost):
    def __init__(self):
        super(RecordingHost, self).__init__(FakeSession())
        self.removed = []

        self.namespaces.remove = lambda ref, fd: self.removed.append(ref)


@pytest.fixture
def namespaces_in_use(monkeypatch):
    """c1 and c2 exist; a process runs in c2."""
    idents = {namespaces.path_of('c1'): (1, 101), namespaces.path_of('c2'): (1, 102)}
    opened = {}

    def open_namespace(path):
        fd = os.open(os.devnull, os.O_RDONLY)
        opened[fd] = idents[path]
        return fd

    monkeypatch.setattr(namespaces, 'open_namespace', open_namespace)
    monkeypatch.setattr(namespaces, 'identity', lambda fd: opened[fd])
    monkeypatch.setattr(namespaces, 'processes_by_namespace',
                        lambda wanted=None: {(1, 102): [dict(pid=1234, command='sleep')]})


def absent(name, force):
    return dict(name=[name], state='absent', force=force, loopback=True, pid=None, path=None, nsid=None)


def test_only_a_namespace_nobody_uses_is_announced_as_going(namespaces_in_use):
    host = RecordingHost()
    plan = Plan()
    plan_netns.plan(host, [absent('c1', False), absent('c2', True)], plan)
    assert [change.summary for change in plan.changes] == ['remove namespace c1', 'remove namespace c2']
    # c2 lives on with its process (force): the links in it, and their peers, stay
    assert host.removed == ['c1']
