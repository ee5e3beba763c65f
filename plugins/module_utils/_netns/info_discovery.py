# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.netns contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Where network namespaces are on this host: netns_info's discovery.

A namespace is found wherever it is pinned: a name under /run/netns, a file
of docker's under /var/run/docker/netns, any other bind mount of a namespace
file, or a process whose /proc/PID/ns/net it is. Found in several places,
it is one Namespace, with all of them.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re

from ansible_collections.linuxnet.netns.plugins.module_utils._netns import namespaces
from ansible_collections.linuxnet.netns.plugins.module_utils._netns.namespaces import NamespaceError

DOCKER_DIR = '/var/run/docker/netns'
MOUNTINFO = '/proc/self/mountinfo'
OWN_PATH = '/proc/thread-self/ns/net'
INIT_PATH = '/proc/1/ns/net'


class Namespace(object):
    """One namespace and every place it was found."""

    def __init__(self, ident, own=False):
        self.ident = ident
        self.own = own
        self.names = []
        self.docker = []
        self.paths = []
        self.pids = []
        self.nsid = None
        self.own_nsid = None  # the id it gives the module's own namespace, if asked
        self.links = None  # {index: link} once read
        self.addresses = []
        self.routes = []

    @property
    def inode(self):
        return self.ident[1]

    @property
    def reference(self):
        """What the modules' netns option takes to act in it."""
        if self.names:
            return self.names[0]
        if self.pids and self.pids[0]['pid'] == 1:
            return INIT_PATH  # the host's, whatever docker's "default" file also pins it
        if self.paths:
            return self.paths[0]
        if self.pids:
            return '/proc/%d/ns/net' % self.pids[0]['pid']
        return None

    @property
    def label(self):
        return 'netns %s' % (self.reference or 'with inode %d' % self.inode)

    def openers(self):
        """Every path that led to it; a process's may have gone, or now lead elsewhere."""
        own = [OWN_PATH] if self.own else []
        return own + self.paths + ['/proc/%d/ns/net' % process['pid'] for process in self.pids]

    def open(self):
        for path in self.openers():
            try:
                fd = namespaces.open_namespace(path)
            except NamespaceError:
                continue
            if namespaces.identity(fd) == self.ident:
                return fd
            os.close(fd)
        raise NamespaceError('%s is gone' % self.label)


def _identity_at(path):
    try:
        fd = namespaces.open_namespace(path)
    except NamespaceError:
        return None
    try:
        return namespaces.identity(fd)
    finally:
        os.close(fd)


def unescape_mount_path(text):
    """A mount point as /proc/self/mountinfo escapes it (space as \\040) made plain."""
    return re.sub(r'\\([0-7]{3})', lambda match: chr(int(match.group(1), 8)), text)


def nsfs_mounts(lines):
    """Mount points of network namespace files in mountinfo lines."""
    found = []
    for line in lines:
        fields = line.split()
        if '-' not in fields:
            continue
        fstype = fields[fields.index('-') + 1]
        if fstype == 'nsfs' and fields[3].startswith('net:['):
            found.append(unescape_mount_path(fields[4]))
    return found


def _read_mountinfo():
    try:
        with open(MOUNTINFO) as mountinfo:
            return mountinfo.readlines()
    except (IOError, OSError):
        return []


def _docker_files():
    try:
        return sorted(os.listdir(DOCKER_DIR))
    except OSError:
        return []


class Host(object):
    """The namespaces found on this host, in a stable order: the module's own first."""

    def __init__(self):
        self.found = []
        self._by_ident = {}
        self._known_paths = set()

    @property
    def own(self):
        return self.found[0]

    def namespace(self, ident, own=False):
        entry = self._by_ident.get(ident)
        if entry is None:
            entry = self._by_ident[ident] = Namespace(ident, own)
            self.found.append(entry)
        return entry

    def place(self, path):
        """Record that the namespace at path is pinned there and return it; None if path is none."""
        real = os.path.realpath(path)
        ident = _identity_at(path)
        if ident is None:
            return None
        entry = self.namespace(ident)
        if real not in self._known_paths:
            self._known_paths.add(real)
            entry.paths.append(path)
        return entry

    def discover(self):
        fd = namespaces.own_namespace_fd()
        try:
            self.namespace(namespaces.identity(fd), own=True)
        finally:
            os.close(fd)
        for name in namespaces.named():
            entry = self.place(namespaces.path_of(name))
            if entry is not None:
                entry.names.append(name)
        for name in _docker_files():
            entry = self.place(os.path.join(DOCKER_DIR, name))
            if entry is not None:
                entry.docker.append(name)
        for path in nsfs_mounts(_read_mountinfo()):
            if os.path.realpath(path) not in self._known_paths:
                self.place(path)
        for ident, processes in sorted(namespaces.processes_by_namespace().items(),
                                       key=lambda item: item[1][0]['pid']):
            self.namespace(ident).pids = processes
        return self

    def select(self, names=None, pids=None, paths=None):
        """The namespaces the filters match (any of them), all without filters."""
        if not (names or pids or paths):
            return list(self.found)
        wanted = set()
        for path in list(paths or []) + ['/proc/%d/ns/net' % pid for pid in pids or []]:
            ident = _identity_at(path)
            if ident is not None:
                if ident not in self._by_ident:
                    # pinned nowhere we look (a thread's, say): readable all the same
                    self.namespace(ident).paths.append(path)
                wanted.add(ident)
        names = set(names or [])
        return [entry for entry in self.found
                if entry.ident in wanted or names.intersection(entry.names + entry.docker)]
