# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.netns contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""netlink without a kernel: dumps that concurrent changes interrupt, and what the kernel said."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.linuxnet.netns.plugins.module_utils import netlink
from ansible_collections.linuxnet.netns.plugins.module_utils.netlink import NetlinkDumpInterrupted, NetlinkFailure


@pytest.fixture(autouse=True)
def no_pauses(monkeypatch):
    monkeypatch.setattr(netlink, 'DUMP_PAUSE', 0)


# ---- netlink dumps interrupted by concurrent changes --------------------------------------------------

class Dumper(object):
    """Answers a dump as the kernel does under concurrent changes: interrupted the first times."""

    def __init__(self, interruptions, how):
        self.interruptions = interruptions
        self.how = how
        self.calls = 0

    def __call__(self):
        self.calls += 1
        interrupted = self.calls <= self.interruptions
        if interrupted and self.how == 'raise':  # pyroute2 0.7
            raise NetlinkDumpInterrupted()
        flags = netlink.NLM_F_DUMP_INTR if interrupted else 0  # pyroute2 0.9 only passes the flag on
        return iter([dict(header=dict(flags=2)), dict(header=dict(flags=2 | flags))])


def session():
    bare = netlink.Session.__new__(netlink.Session)  # no socket: _dump only needs the label
    bare.label = 'netns t'
    return bare


@pytest.mark.parametrize('how', ['raise', 'flag'])
def test_an_interrupted_dump_is_read_again(how):
    dumper = Dumper(1, how)
    assert len(session()._dump(dumper)) == 2
    assert dumper.calls == 2


@pytest.mark.parametrize('how', ['raise', 'flag'])
def test_a_dump_interrupted_every_time_fails_clearly(how):
    dumper = Dumper(netlink.DUMP_ATTEMPTS, how)
    with pytest.raises(NetlinkFailure, match='^netlink dump in netns t kept being interrupted by concurrent changes$'):
        session()._dump(dumper)
    assert dumper.calls == netlink.DUMP_ATTEMPTS


def test_messages_without_header_are_not_interrupted():
    assert netlink.interrupted(object()) is False


# ---- what the kernel said --------------------------------------------------------------------------

class Refusal(Exception):
    def __init__(self, code, text):
        super(Refusal, self).__init__(code, text)
        self.code = code


def test_describe_adds_the_kernels_own_words():
    assert netlink.describe(Refusal(17, 'A VXLAN device with the specified VNI already exists.')) == (
        'File exists (errno 17): A VXLAN device with the specified VNI already exists')
    assert netlink.describe(Refusal(17, 'File exists')) == 'File exists (errno 17)'
    assert netlink.kernel_says(Refusal(95, 'Unknown device type')) == 'Unknown device type'
    assert netlink.kernel_says(Refusal(95, 'Operation not supported')) is None
