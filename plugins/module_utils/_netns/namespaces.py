# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.netns contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Network namespaces as files: find, enter, create, attach and remove them.

Named namespaces live where iproute2 keeps them (bind mounts under
/run/netns on a shared mount), so that ``ip netns`` sees and uses ours and
we see and use its. Entering is done with setns(2) on the calling thread
only, which costs a fraction of a millisecond, where pyroute2's
``IPRoute(netns=...)`` forks a helper per socket and creates missing
namespaces as a side effect.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import contextlib
import ctypes
import errno
import fcntl
import os

RUN_DIR = '/run/netns'
CLONE_NEWNET = 0x40000000
NS_GET_NSTYPE = 0xb703  # ioctl on an nsfs file: which kind of namespace it is
MS_BIND = 0x1000
MS_REC = 0x4000
MS_SHARED = 1 << 20
MNT_DETACH = 0x2

# the C library Python already runs on (dlopen(NULL)): find_library('c') runs `ldconfig -p`, a
# process of its own in every module run (strace, issue 18)
_libc = ctypes.CDLL(None, use_errno=True)


class NamespaceError(Exception):
    """A namespace is missing, is not a namespace, or cannot be changed."""


def _check(result, what):
    if result != 0:
        code = ctypes.get_errno()
        raise OSError(code, '%s: %s' % (what, os.strerror(code)))


def _mount(source, target, flags, fstype='none'):
    _check(_libc.mount(source.encode(), target.encode(), fstype.encode(), flags, None),
           'mount %s on %s' % (source or fstype, target))


def setns(fd):
    _check(_libc.setns(fd, CLONE_NEWNET), 'setns')


def path_of(name):
    return os.path.join(RUN_DIR, name)


def resolve(ref):
    """The file behind a validated I(netns) value, or None for our own namespace."""
    if ref is None:
        return None
    return ref if ref.startswith('/') else path_of(ref)


def open_namespace(path):
    """An O_RDONLY descriptor on a network namespace file.

    Raises NamespaceError when the file is missing, or exists but is not a
    network namespace (a stale file left at /run/netns/NAME after a crash,
    or a mount of something else).
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError as exc:
        if exc.errno == errno.ENOENT:
            raise NamespaceError('network namespace %s does not exist' % path)
        raise NamespaceError('cannot open network namespace %s: %s' % (path, exc.strerror))
    if not _is_net_namespace_fd(fd):
        os.close(fd)
        raise NamespaceError('%s exists but is not a network namespace' % path)
    return fd


def _is_net_namespace_fd(fd):
    try:
        return fcntl.ioctl(fd, NS_GET_NSTYPE) == CLONE_NEWNET
    except (IOError, OSError):
        return False


def is_namespace(path):
    try:
        os.close(open_namespace(path))
        return True
    except NamespaceError:
        return False


def own_namespace_fd():
    return os.open('/proc/thread-self/ns/net', os.O_RDONLY | os.O_CLOEXEC)


def identity(fd):
    """(device, inode): what tells two namespace files apart."""
    st = os.fstat(fd)
    return st.st_dev, st.st_ino


@contextlib.contextmanager
def entered(fd):
    """Run the block with this thread inside the namespace behind fd."""
    if fd is None:
        yield
        return
    home = own_namespace_fd()
    try:
        setns(fd)
        try:
            yield
        finally:
            setns(home)
    finally:
        os.close(home)


def read_inside(fd, path):
    """The text at path (/proc/sys/net/..., /proc/thread-self/net/...) as the namespace behind fd sees it.

    Those files are resolved for the thread that opens them, so this thread
    opens it from inside. None when there is no such file.
    """
    with entered(fd):
        try:
            with open(path) as handle:
                return handle.read()
        except (IOError, OSError):
            return None


class _RunDir(object):
    """What this process has done to RUN_DIR: made it a shared mount (or found one), once a module run."""
    shared = False


@contextlib.contextmanager
def run_dir_lock():
    """Hold the lock iproute2 takes on /run/netns, with the directory set up as it does.

    /run/netns must be a shared mount so that namespaces mounted under it
    show up in every mount namespace; iproute2 bind-mounts the directory on
    itself once, the first time. We do exactly the same, and only once.
    """
    if not os.path.isdir(RUN_DIR):
        try:
            os.makedirs(RUN_DIR, 0o755)
        except OSError as exc:
            if exc.errno != errno.EEXIST:
                raise
    fd = os.open(RUN_DIR, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        if not _RunDir.shared:
            try:
                _mount('', RUN_DIR, MS_SHARED | MS_REC)
            except OSError as exc:
                if exc.errno != errno.EINVAL:
                    raise
                _mount(RUN_DIR, RUN_DIR, MS_BIND | MS_REC)
                _mount('', RUN_DIR, MS_SHARED | MS_REC)
            # once: a mount call for each namespace made showed in the system call counts (issue 18)
            _RunDir.shared = True
        yield
    finally:
        os.close(fd)  # releases the flock


def _clear_stale(path):
    """Remove a file at path that is not a namespace; True if path is now free."""
    if not os.path.lexists(path):
        return True
    if is_namespace(path):
        return False
    if os.path.islink(path):
        # a dangling "ln -s /proc/PID/ns/net" whose process is gone
        os.unlink(path)
        return True
    try:
        _check(_libc.umount2(path.encode(), MNT_DETACH), 'umount %s' % path)
    except OSError as exc:
        if exc.errno not in (errno.EINVAL, errno.ENOENT):
            raise
    os.unlink(path)
    return True


def in_new_namespace(work):
    """Return work() run inside a fresh, empty network namespace, on this thread, back home after.

    unshare(2) moves only the calling thread; it returns to the namespace it
    was in (as entered() does), and the new one goes away then unless work
    pinned it. A thread of its own for this cost more than the namespace
    itself (clone, futex, its stack: 0.1 ms a container, issue 18).
    Whatever work raises is raised here.
    """
    home = own_namespace_fd()
    try:
        _check(_libc.unshare(CLONE_NEWNET), 'unshare')
        try:
            return work()
        finally:
            setns(home)
    finally:
        os.close(home)


def _bind_new_namespace(path):
    in_new_namespace(lambda: _mount('/proc/thread-self/ns/net', path, MS_BIND))


def _pin(path, bind):
    fd = os.open(path, os.O_RDONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0)
    os.close(fd)
    try:
        bind(path)
    except BaseException:
        os.unlink(path)
        raise


def create(name):
    """Create /run/netns/NAME as ``ip netns add`` does; False if it already was there."""
    path = path_of(name)
    with run_dir_lock():
        if not _clear_stale(path):
            return False
        _pin(path, _bind_new_namespace)
    return True


def attach(name, source):
    """Pin an existing namespace (/proc/PID/ns/net, a docker netns file) under a name."""
    path = path_of(name)
    with run_dir_lock():
        if not _clear_stale(path):
            return False
        _pin(path, lambda target: _mount(source, target, MS_BIND))
    return True


def delete(name):
    """Remove the name as ``ip netns del`` does: the namespace lives on while used."""
    path = path_of(name)
    with run_dir_lock():
        if not os.path.lexists(path):
            return False
        if not os.path.islink(path):
            try:
                _check(_libc.umount2(path.encode(), MNT_DETACH), 'umount %s' % path)
            except OSError as exc:
                if exc.errno != errno.EINVAL:  # EINVAL: a stale file, not a mount
                    raise
        os.unlink(path)
    return True


def processes_by_namespace(wanted=None):
    """{ident: PIDs and commands of its processes}, by PID, from one pass over /proc.

    Only the identities in wanted, if given. This process is left out: it
    is only passing through.
    """
    found = {}
    me = os.getpid()
    for pid in sorted(int(entry) for entry in os.listdir('/proc') if entry.isdigit()):
        if pid == me:
            continue
        try:
            st = os.stat('/proc/%d/ns/net' % pid)
            ident = (st.st_dev, st.st_ino)
            if wanted is not None and ident not in wanted:
                continue
            with open('/proc/%d/comm' % pid) as comm:
                found.setdefault(ident, []).append({'pid': pid, 'command': comm.read().strip()})
        except (IOError, OSError):
            continue  # the process went away, or is not ours to look at
    return found


def processes_in(ident):
    """PIDs and commands of the processes whose network namespace is ident."""
    return processes_by_namespace(wanted=(ident,)).get(ident, [])


def named():
    """Names under /run/netns that are namespaces, sorted."""
    try:
        entries = os.listdir(RUN_DIR)
    except OSError:
        return []
    return sorted(entry for entry in entries if is_namespace(path_of(entry)))
