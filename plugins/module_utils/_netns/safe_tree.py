# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.netns contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The file system below a trusted root, reached without following a symlink (safe_files' ground).

A Tree is a trusted root directory (/etc, or the directory that holds the
netns_bridge registry directory) opened as any path is; from there on every
component is opened with O_NOFOLLOW and every change is made relative to a
directory descriptor (the *at system calls), never by path: a symlink
planted below the root would otherwise turn "write resolv.conf" into
"overwrite any file on the host". One that is found fails with a clear
message naming it.

A write goes to a temporary file in the same directory, which is synced,
then renamed over the file, then the directory is synced: after a crash the
file is whole, old or new, never empty or cut short. With keep_previous the
version it replaces stays as NAME.prev (a hard link made before the rename,
so there is no moment without it), for a reader that finds the file damaged
by something else.

A Tree that is not durable skips the directory syncs (after mkdir, rename,
unlink and rmdir): its files are still whole, old or new, but a crash may
take back the last changes. That is for files every run reads and writes
again (/etc/netns), where a directory sync costs a journal commit on a disk.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import binascii
import errno
import os
import stat

from ansible_collections.linuxnet.netns.plugins.module_utils._netns.engine import PlanFailure

DIR_MODE = 0o755
FILE_MODE = 0o644
PREVIOUS = '%s.prev'
_O_DIR = os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC
_O_READ = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC


class UnsafePath(PlanFailure):
    """A path below the trusted root is a symlink, or not what it should be: refused, never followed."""


class File(object):
    """A regular file as it is now: its bytes and what undo needs to put it back."""
    __slots__ = ('data', 'mode', 'uid', 'gid', 'mtime')

    def __init__(self, data, mode, uid, gid, mtime=None):
        self.data = data
        self.mode = mode
        self.uid = uid
        self.gid = gid
        self.mtime = mtime


def previous_name(filename):
    return PREVIOUS % filename


def _refusal(parent_fd, component, path, want_dir):
    try:
        st = os.lstat(component, dir_fd=parent_fd)
    except OSError:
        return '%s changed while being opened; run the task again' % path
    if stat.S_ISLNK(st.st_mode):
        try:
            target = os.readlink(component, dir_fd=parent_fd)
        except OSError:
            target = '?'
        return ('%s is a symbolic link (to %s); refusing to follow it: remove it, or make it '
                'a real %s' % (path, target, 'directory' if want_dir else 'file'))
    return '%s exists but is not a %s' % (path, 'directory' if want_dir else 'regular file')


def _random_name(filename):
    return '.%s.%s.tmp' % (filename, binascii.hexlify(os.urandom(6)).decode('ascii'))


class Tree(object):
    """The files and directories below root, reached without following a symlink.

    Components are lists of names below root: ['netns', 'ns1'] is
    root/netns/ns1.
    """

    def __init__(self, root, durable=True):
        self.root = root
        self.durable = durable

    def _sync_dir(self, fd):
        """A directory's entries onto the disk, where the tree is durable."""
        if self.durable:
            os.fsync(fd)

    def sync_dir(self, components):
        """Sync root/components' entries, whatever the tree: what a tree that is not durable left to do."""
        fd = self.open_dir(components)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    def path(self, components, filename=None):
        parts = list(components) + ([filename] if filename is not None else [])
        return os.path.join(self.root, *parts)

    # -- directories -----------------------------------------------------------------
    def walk(self, components):
        """A descriptor on root/components..., or None where a component is missing."""
        try:
            fd = os.open(self.root, _O_DIR)
        except OSError as exc:
            if exc.errno == errno.ENOENT:
                return None
            raise
        path = self.root
        for component in components:
            path = os.path.join(path, component)
            try:
                child = os.open(component, _O_DIR | os.O_NOFOLLOW, dir_fd=fd)
            except OSError as exc:
                try:
                    if exc.errno == errno.ENOENT:
                        return None
                    if exc.errno in (errno.ENOTDIR, errno.ELOOP):
                        raise UnsafePath(_refusal(fd, component, path, True))
                    raise
                finally:
                    os.close(fd)
            os.close(fd)
            fd = child
        return fd

    def open_dir(self, components):
        fd = self.walk(components)
        if fd is None:
            raise OSError(errno.ENOENT, 'directory %s does not exist' % self.path(components))
        return fd

    def _open_parent(self, components):
        """(descriptor on the parent, last name) of root/components."""
        return self.open_dir(components[:-1]), components[-1]

    def make_dir(self, components, mode=DIR_MODE):
        """mkdir root/components with mode whatever the umask; False if it was there."""
        path = self.path(components)
        parent_fd, base = self._open_parent(components)
        try:
            try:
                os.mkdir(base, mode, dir_fd=parent_fd)
                created = True
            except OSError as exc:
                if exc.errno != errno.EEXIST:
                    raise
                created = False
            try:
                fd = os.open(base, _O_DIR | os.O_NOFOLLOW, dir_fd=parent_fd)
            except OSError as exc:
                if exc.errno in (errno.ENOTDIR, errno.ELOOP):
                    raise UnsafePath(_refusal(parent_fd, base, path, True))
                raise
            try:
                if created:
                    os.fchmod(fd, mode)
            finally:
                os.close(fd)
            if created:
                self._sync_dir(parent_fd)
            return created
        finally:
            os.close(parent_fd)

    def make_dirs(self, components, mode=DIR_MODE):
        """make_dir of each missing level; the components of the ones it made, outermost first."""
        made = []
        for depth in range(1, len(components) + 1):
            if self.make_dir(components[:depth], mode):
                made.append(list(components[:depth]))
        return made

    def remove_dir(self, components):
        parent_fd, base = self._open_parent(components)
        try:
            os.rmdir(base, dir_fd=parent_fd)
            self._sync_dir(parent_fd)
        finally:
            os.close(parent_fd)

    def remove_tree(self, components):
        """Remove root/components and everything below it, following no symlink; nothing if it is not there."""
        parent_fd = self.walk(components[:-1])
        if parent_fd is None:
            return
        try:
            _remove_entry(parent_fd, components[-1])
            self._sync_dir(parent_fd)
        finally:
            os.close(parent_fd)

    def rename(self, components, new_name):
        """Rename root/components to new_name in the same directory, replacing what is there."""
        parent_fd, base = self._open_parent(components)
        try:
            os.rename(base, new_name, src_dir_fd=parent_fd, dst_dir_fd=parent_fd)
            self._sync_dir(parent_fd)
        finally:
            os.close(parent_fd)

    def entries(self, components):
        fd = self.walk(components)
        if fd is None:
            return None
        try:
            return set(os.listdir(fd))
        finally:
            os.close(fd)

    # -- symbolic links (systemd's enable links) ----------------------------------------------
    def read_link(self, components):
        """Where the symlink root/components points, or None where there is none (or something else)."""
        parent_fd = self.walk(components[:-1])
        if parent_fd is None:
            return None
        try:
            return os.readlink(components[-1], dir_fd=parent_fd)
        except OSError as exc:
            if exc.errno in (errno.ENOENT, errno.EINVAL):
                return None
            raise
        finally:
            os.close(parent_fd)

    def set_link(self, components, points_to):
        """root/components becomes a symlink to points_to (None: none there); what was at that name goes."""
        parent_fd = self.walk(components[:-1])
        if parent_fd is None:
            if points_to is None:
                return
            raise OSError(errno.ENOENT, 'directory %s does not exist' % self.path(components[:-1]))
        try:
            try:
                os.unlink(components[-1], dir_fd=parent_fd)
            except OSError as exc:
                if exc.errno != errno.ENOENT:
                    raise
            if points_to is not None:
                os.symlink(points_to, components[-1], dir_fd=parent_fd)
            self._sync_dir(parent_fd)
        finally:
            os.close(parent_fd)

    # -- files -----------------------------------------------------------------------
    def read_file(self, components, filename, dir_fd=None):
        """The File at root/components/filename, None if there is none; a symlink or device is refused."""
        own_fd = dir_fd is None
        if own_fd:
            dir_fd = self.walk(components)
            if dir_fd is None:
                return None
        path = self.path(components, filename)
        try:
            # lstat first: opening a device or FIFO someone left here could block or have effects
            before = _lstat(filename, dir_fd)
            if before is None:
                return None
            if not stat.S_ISREG(before.st_mode):
                raise UnsafePath(_refusal(dir_fd, filename, path, False))
            try:
                fd = os.open(filename, _O_READ, dir_fd=dir_fd)
            except OSError as exc:
                if exc.errno == errno.ELOOP:
                    raise UnsafePath(_refusal(dir_fd, filename, path, False))
                raise
            try:
                st = os.fstat(fd)
                if (st.st_dev, st.st_ino) != (before.st_dev, before.st_ino) or not stat.S_ISREG(st.st_mode):
                    raise UnsafePath('%s changed while being read; run the task again' % path)
                chunks = []
                while True:
                    chunk = os.read(fd, 65536)
                    if not chunk:
                        break
                    chunks.append(chunk)
                return File(b''.join(chunks), stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid, st.st_mtime)
            finally:
                os.close(fd)
        finally:
            if own_fd:
                os.close(dir_fd)

    def write_file(self, components, filename, data, mode=FILE_MODE, owner=None, keep_previous=False):
        """Replace root/components/filename durably and atomically: a complete file or the old one, never half.

        keep_previous: the version replaced stays as filename.prev.
        """
        dir_fd = self.open_dir(components)
        try:
            temp = _random_name(filename)
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC,
                         0o600, dir_fd=dir_fd)
            try:
                try:
                    view = memoryview(data)
                    while view:
                        view = view[os.write(fd, view):]
                    os.fchmod(fd, mode)
                    if owner is not None:
                        os.fchown(fd, owner[0], owner[1])
                    os.fsync(fd)
                finally:
                    os.close(fd)
                if keep_previous:
                    self._keep_previous(dir_fd, filename)
                # rename replaces a symlink planted at filename since planning; it never follows it
                os.rename(temp, filename, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
            except BaseException:
                try:
                    os.unlink(temp, dir_fd=dir_fd)
                except OSError:
                    pass
                raise
            self._sync_dir(dir_fd)
        finally:
            os.close(dir_fd)

    def _keep_previous(self, dir_fd, filename):
        """Link the current regular file (if any) as filename.prev, replacing the older one atomically."""
        st = _lstat(filename, dir_fd)
        if st is None or not stat.S_ISREG(st.st_mode):
            return  # a symlink or other planted thing is no version of ours to keep
        link = _random_name(previous_name(filename))
        os.link(filename, link, src_dir_fd=dir_fd, dst_dir_fd=dir_fd, follow_symlinks=False)
        try:
            os.rename(link, previous_name(filename), src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
        except BaseException:
            os.unlink(link, dir_fd=dir_fd)
            raise

    def remove_file(self, components, filename, keep_previous=False):
        """Remove root/components/filename; with keep_previous it becomes filename.prev."""
        dir_fd = self.open_dir(components)
        try:
            if keep_previous:
                os.rename(filename, previous_name(filename), src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
            else:
                os.unlink(filename, dir_fd=dir_fd)
            self._sync_dir(dir_fd)
        finally:
            os.close(dir_fd)

    def set_mode(self, components, filename, mode):
        dir_fd = self.open_dir(components)
        try:
            try:
                fd = os.open(filename, _O_READ, dir_fd=dir_fd)
            except OSError as exc:
                if exc.errno == errno.ELOOP:
                    raise UnsafePath(_refusal(dir_fd, filename, self.path(components, filename), False))
                raise
            try:
                os.fchmod(fd, mode)
            finally:
                os.close(fd)
        finally:
            os.close(dir_fd)


def _lstat(name, dir_fd):
    """lstat of name in dir_fd, None if there is none."""
    try:
        return os.lstat(name, dir_fd=dir_fd)
    except OSError as exc:
        if exc.errno == errno.ENOENT:
            return None
        raise


def _remove_entry(parent_fd, name):
    st = _lstat(name, parent_fd)
    if st is None:
        return
    if not stat.S_ISDIR(st.st_mode):
        os.unlink(name, dir_fd=parent_fd)
        return
    fd = os.open(name, _O_DIR | os.O_NOFOLLOW, dir_fd=parent_fd)
    try:
        for entry in os.listdir(fd):
            _remove_entry(fd, entry)
    finally:
        os.close(fd)
    os.rmdir(name, dir_fd=parent_fd)
