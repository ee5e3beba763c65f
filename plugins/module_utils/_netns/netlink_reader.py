# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.netns contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Requests to the kernel through a plain netlink socket, and what a refusal says.

Each answer is decoded by a function of netlink_messages; reading a
namespace this way costs about 0.13 ms where pyroute2 0.9 (an asyncio loop,
every attribute decoded) costs about 2.5 ms (benchmarks/read_namespaces.py).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import socket
import struct

from ansible_collections.linuxnet.netns.plugins.module_utils._netns.netlink_messages import (
    NLMSG_HEADER, MalformedMessage, align, attributes)

NETLINK_ROUTE = 0
NLMSG_ERROR = 2
NLMSG_DONE = 3
NLM_F_REQUEST = 0x1
NLM_F_ACK = 0x4
NLM_F_DUMP = 0x300
NLM_F_DUMP_INTR = 0x10
NLM_F_CAPPED, NLM_F_ACK_TLVS = 0x100, 0x200  # an error's flags: request not echoed; attributes follow
SOL_NETLINK, NETLINK_CAP_ACK, NETLINK_EXT_ACK = 270, 10, 11
NLMSGERR_ATTR_MSG = 1
RECEIVE_SIZE = 1 << 16  # the kernel fills a dump's datagrams up to 32 KiB

try:
    from importlib.util import find_spec
    HAS_PYROUTE2 = find_spec('pyroute2') is not None
except (ImportError, ValueError):
    HAS_PYROUTE2 = False
PYROUTE2_IMPORT_ERROR = None if HAS_PYROUTE2 else 'No module named pyroute2'
_PYROUTE2 = {}


def pyroute2_api():
    """The parts of pyroute2 this collection uses, imported when first needed.

    Importing pyroute2 costs 0.12-0.2 s; a task that only reads (a run with
    nothing to change, check mode) needs none of it.
    """
    if not _PYROUTE2:
        try:
            from pyroute2 import IPRoute
            from pyroute2.netlink.exceptions import NetlinkError
            from pyroute2.netlink.rtnl.ifinfmsg import ifinfmsg
            from pyroute2.netlink.rtnl.nsidmsg import nsidmsg
        except ImportError as exc:
            raise NetlinkFailure('pyroute2 is installed but cannot be imported: %s' % exc)
        _PYROUTE2.update(IPRoute=IPRoute, NetlinkError=NetlinkError, ifinfmsg=ifinfmsg, nsidmsg=nsidmsg)
    return _PYROUTE2


class NetlinkDumpInterrupted(Exception):
    """The kernel flagged a dump as inconsistent (NLM_F_DUMP_INTR): changes were made while it ran."""


class NetlinkFailure(Exception):
    """The kernel refused a request; the message says which and why."""

    def __init__(self, message, reason=None, code=None, said=None):
        super(NetlinkFailure, self).__init__(message)
        self.reason = reason or message
        self.code = code  # the errno the kernel answered, if it did
        self.said = said  # the kernel's own words (extended ack), if it gave any


def kernel_says(error):
    """The extended ack message of a NetlinkError, if the kernel gave one."""
    code = getattr(error, 'code', None)
    args = getattr(error, 'args', ())
    said = args[1] if len(args) > 1 else None
    if not said or not code or said == os.strerror(code):
        return None  # pyroute2 fills in strerror when the kernel said nothing more
    return str(said).rstrip('.')


def describe_code(code):
    return '%s (errno %d)' % (os.strerror(code), code)


def describe(error):
    code = getattr(error, 'code', None)
    if code:
        try:
            text = describe_code(code)
        except ValueError:
            return str(error)
        said = kernel_says(error)
        return '%s: %s' % (text, said) if said else text
    return str(error)


class Reader(object):
    """Requests through a plain netlink socket, each answer decoded by a function of this module.

    Open it with the thread inside the namespace to read: the socket stays
    bound to that namespace.
    """

    def __init__(self, label):
        self.label = label
        self.sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW | getattr(socket, 'SOCK_CLOEXEC', 0),
                                  NETLINK_ROUTE)
        self.sock.bind((0, 0))
        for option in (NETLINK_CAP_ACK, NETLINK_EXT_ACK):
            try:
                self.sock.setsockopt(SOL_NETLINK, option, 1)
            except OSError:
                pass  # before Linux 4.12 (4.3): refusals carry only the errno, and echo the request
        self.sequence = 0

    def close(self):
        self.sock.close()

    def dump(self, what, msg_type, body, decode):
        return self.request(what, msg_type, body, decode, NLM_F_REQUEST | NLM_F_DUMP)

    def request(self, what, msg_type, body, decode, flags=NLM_F_REQUEST):
        """The kernel's answers to one request, each decode(data, offset); NetlinkFailure if it refused."""
        self.sequence += 1
        self.sock.send(NLMSG_HEADER.pack(NLMSG_HEADER.size + len(body), msg_type, flags, self.sequence, 0) + body)
        messages = []
        interrupted_dump = False
        while True:
            data = self.sock.recv(RECEIVE_SIZE)
            offset = 0
            while offset + NLMSG_HEADER.size <= len(data):
                length, kind, answer_flags, sequence, dummy_port = NLMSG_HEADER.unpack_from(data, offset)
                if length < NLMSG_HEADER.size or offset + length > len(data):
                    raise NetlinkFailure('%s in %s: malformed answer from the kernel: a message claims %d '
                                         'bytes, %d arrived' % (what, self.label, length, len(data) - offset))
                if sequence == self.sequence:
                    # the kernel may flag only the last part of a dump, NLMSG_DONE included
                    interrupted_dump = interrupted_dump or bool(answer_flags & NLM_F_DUMP_INTR)
                    if kind == NLMSG_ERROR or kind == NLMSG_DONE:
                        code = -struct.unpack_from('=i', data, offset + NLMSG_HEADER.size)[0]
                        if code > 0:
                            said = _extended_ack(data, offset, length, answer_flags) if kind == NLMSG_ERROR else None
                            reason = '%s: %s' % (describe_code(code), said) if said else describe_code(code)
                            raise NetlinkFailure('%s in %s failed: %s' % (what, self.label, reason), reason, code,
                                                 said)
                        if interrupted_dump:
                            raise NetlinkDumpInterrupted()
                        return messages
                    try:
                        messages.append(decode(data, offset))
                    except (MalformedMessage, struct.error) as exc:
                        raise NetlinkFailure('%s in %s: malformed answer from the kernel: %s'
                                             % (what, self.label, exc))
                    if flags & NLM_F_DUMP != NLM_F_DUMP:
                        return messages
                offset += align(length)


def _extended_ack(data, offset, length, flags):
    """The kernel's words in an error message ("Unknown device type"), or None.

    After the errno comes the request's header (its body too, unless capped),
    then, with NLM_F_ACK_TLVS, attributes: NLMSGERR_ATTR_MSG is the text.
    """
    if not flags & NLM_F_ACK_TLVS:
        return None
    start = offset + NLMSG_HEADER.size + 4
    echoed = NLMSG_HEADER.size if flags & NLM_F_CAPPED else NLMSG_HEADER.unpack_from(data, start)[0]
    try:
        attrs = attributes(data, start + align(echoed), offset + length)
    except MalformedMessage:
        return None  # the errno alone still says what failed
    where = attrs.get(NLMSGERR_ATTR_MSG)
    if where is None:
        return None
    text = data[where[0]:where[0] + where[1]].split(b'\0', 1)[0].decode('utf-8', 'replace').rstrip('.')
    return text or None
