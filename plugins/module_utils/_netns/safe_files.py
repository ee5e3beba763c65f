# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.netns contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every file the collection writes, written one way: atomic, no symlink followed, durable unless said.

The resolver files under /etc/netns, the netns_bridge registry, the code,
options and units left for the boot, the containers' services and their
enable links: each change to them is one of the operations below, as data
(engine.Op) with its undo, and plan_file/plan_link plan the one change a
file or link needs.

Every operation takes the path it changes and root, the directory trusted
as it is (/etc for /etc/netns, the registry directory's parent, or /):
below root nothing is followed (safe_tree.Tree), so a symlink planted there
fails the task naming it rather than turning "write resolv.conf" into
"overwrite any file on the host".

Durable (the default): each change syncs its directory too, so that it
survives a crash. The resolver files under /etc/netns are not
(plan_resolv.DURABLE): every run writes them again where a crash took a
change back.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import os

from ansible_collections.linuxnet.netns.plugins.module_utils._netns import engine
from ansible_collections.linuxnet.netns.plugins.module_utils._netns.engine import Op
from ansible_collections.linuxnet.netns.plugins.module_utils._netns.safe_tree import (  # noqa: F401 pylint: disable=unused-import
    DIR_MODE, FILE_MODE, Tree, UnsafePath, previous_name)


def locate(path, root='/', durable=True):
    """(Tree of root, components of path below it); path must be below root. durable: see safe_tree.Tree."""
    root = os.path.normpath(root)
    path = os.path.normpath(path)
    prefix = root if root.endswith(os.sep) else root + os.sep
    if not os.path.isabs(path) or not path.startswith(prefix) or path == root:
        raise ValueError('%s is not below %s' % (path, root))
    return Tree(root, durable), path[len(prefix):].split(os.sep)


def read(path, root='/'):
    """The File at path (its bytes, mode, owner), None if there is none; a symlink below root is refused."""
    tree, components = locate(path, root)
    return tree.read_file(components[:-1], components[-1])


def as_text(data):
    """File bytes as diff text; bytes that are not UTF-8 show as U+FFFD."""
    return None if data is None else data.decode('utf-8', 'replace')


def _content(data):
    """File bytes as an operation's argument: text where they are UTF-8, so that the plan reads as data."""
    try:
        return data.decode('utf-8')
    except UnicodeDecodeError:
        return data


def _remove_empty(tree, dirs, quietly=True):
    """rmdir each of dirs (paths, innermost first); quietly: one not there or not empty is left alone."""
    for directory in dirs:
        try:
            if os.path.normpath(directory) == tree.root:
                os.rmdir(tree.root)  # trusted: made by path, removed by path
            else:
                tree.remove_dir(locate(directory, tree.root)[1])
        except OSError as exc:
            if not quietly or exc.errno not in (errno.ENOENT, errno.ENOTEMPTY, errno.EEXIST):
                raise


# -- the operations ---------------------------------------------------------------------------

@engine.operation('file.write')
def write(target, path, data, root='/', mode=FILE_MODE, owner=None, keep_previous=False, make_dirs=False,
          durable=True):
    """Replace path with data (text is written as UTF-8), synced, atomically; owner: [uid, gid].

    make_dirs: the directories it needs are made (root too: it is trusted);
    keep_previous: the version it replaces stays as NAME.prev;
    durable=False: the directory is not synced (safe_tree.Tree).
    """
    tree, components = locate(path, root, durable)
    if make_dirs:
        if not os.path.isdir(tree.root):
            os.makedirs(tree.root, DIR_MODE)
        tree.make_dirs(components[:-1])
    if not isinstance(data, bytes):
        data = data.encode('utf-8')
    tree.write_file(components[:-1], components[-1], data, mode, owner, keep_previous)


@engine.operation('file.remove')
def remove(target, path, root='/', keep_previous=False, with_previous=False, missing_ok=False, remove_empty_dirs=(),
           durable=True):
    """Remove path (keep_previous: it becomes NAME.prev; with_previous: NAME.prev goes too).

    missing_ok: a file already gone is no failure; remove_empty_dirs: then
    these directories (innermost first) where they are left empty.
    """
    tree, components = locate(path, root, durable)
    names = [components[-1]] + ([previous_name(components[-1])] if with_previous else [])
    for position, name in enumerate(names):
        try:
            tree.remove_file(components[:-1], name, keep_previous)
        except OSError as exc:
            if exc.errno != errno.ENOENT or not (missing_ok or position):
                raise
    _remove_empty(tree, remove_empty_dirs)


@engine.operation('file.mode')
def set_mode(target, path, mode, root='/'):
    tree, components = locate(path, root)
    tree.set_mode(components[:-1], components[-1], mode)


@engine.operation('file.symlink')
def symlink(target, path, points_to, root='/', make_dirs=False, remove_empty_dirs=()):
    """A symlink at path to points_to (None: none there); the directories as with write and remove."""
    tree, components = locate(path, root)
    if make_dirs and points_to is not None:
        tree.make_dirs(components[:-1])
    tree.set_link(components, points_to)
    if points_to is None:
        _remove_empty(tree, remove_empty_dirs)


@engine.operation('dir.make')
def make_dir(target, path, root='/', mode=DIR_MODE, durable=True):
    """mkdir path with mode whatever the umask; one that is there already is left as it is."""
    tree, components = locate(path, root, durable)
    tree.make_dir(components, mode)


@engine.operation('dir.remove')
def remove_dir(target, path, root='/', if_empty=False, durable=True):
    """rmdir path; if_empty: one that is not empty, or not there, is left alone."""
    _remove_empty(locate(path, root, durable)[0], [path], quietly=if_empty)


# -- planning ---------------------------------------------------------------------------------

def _missing_dirs(tree, components):
    """The directories of components not there now (the trusted root too), as paths, innermost first."""
    missing = []
    for depth in range(len(components), 0, -1):
        fd = tree.walk(components[:depth])
        if fd is not None:
            os.close(fd)
            return missing
        missing.append(tree.path(components[:depth]))
    return missing + ([] if os.path.isdir(tree.root) else [tree.root])


_UNREAD = object()


def plan_file(plan, path, want, mode=FILE_MODE, root='/', what=None, created='create', diff=True,
              make_dirs=True, remove_empty_dir=False, existing=_UNREAD, durable=True):
    """Plan path to hold the text want (None: no file there): the one change that takes, with its undo.

    The change is create, update, set mode or remove, summarised as
    'VERB PATH (what)' ('created' names the creation); its undo puts back
    what is there now (bytes, mode and owner), or removes what it made.
    make_dirs: the directories missing now are made, and removed by the undo;
    remove_empty_dir: a removal takes the file's directory along if it is left empty.
    diff: the file's text before and after goes into the plan's diff under path.
    existing: the File at path (or None), where the caller has just read it the same safe way.
    durable=False: the changes and their undo do not sync directories (safe_tree.Tree).
    True if a change was planned.
    """
    tree, components = locate(path, root)
    if existing is _UNREAD:
        existing = tree.read_file(components[:-1], components[-1])
    if diff:
        plan.state(path, as_text(existing.data) if existing else None, want)
    where = dict(path=path, root=root)
    changes = _changes_at(path, root, durable)
    about = ' (%s)' % what if what else ''
    if existing is not None:
        put_back = Op(write, None, data=_content(existing.data), mode=existing.mode,
                      owner=[existing.uid, existing.gid], make_dirs=True, **changes)
    if want is None:
        if existing is None:
            return False
        parent = [os.path.dirname(path)] if remove_empty_dir else []
        plan.add('remove %s%s' % (path, about), Op(remove, None, remove_empty_dirs=parent, **changes), put_back)
    elif existing is None:
        missing = _missing_dirs(tree, components[:-1]) if make_dirs else []
        plan.add('%s %s%s' % (created, path, about),
                 Op(write, None, data=want, mode=mode, make_dirs=bool(missing), **changes),
                 Op(remove, None, remove_empty_dirs=missing, **changes))
    elif existing.data != want.encode('utf-8'):
        plan.add('update %s%s' % (path, about), Op(write, None, data=want, mode=mode, **changes), put_back)
    elif existing.mode != mode:
        plan.add('set mode %04o on %s (was %04o)%s' % (mode, path, existing.mode, about),
                 Op(set_mode, None, mode=mode, **where), Op(set_mode, None, mode=existing.mode, **where))
    else:
        return False
    return True


def plan_link(plan, path, points_to, what, root='/'):
    """A symlink at path to points_to (None: no link there), as `systemctl enable` makes it.

    True if a change was planned.
    """
    tree, components = locate(path, root)
    current = tree.read_link(components)
    if current == points_to:
        return False
    where = dict(path=path, root=root)
    if current is None:
        missing = _missing_dirs(tree, components[:-1])
        apply, undo = dict(make_dirs=bool(missing)), dict(remove_empty_dirs=missing)
    else:
        apply, undo = {}, dict(make_dirs=True)
    plan.add('%s %s (%s)' % ('enable' if points_to else 'disable', path, what),
             Op(symlink, None, points_to=points_to, **dict(apply, **where)),
             Op(symlink, None, points_to=current, **dict(undo, **where)))
    return True


def plan_dir(plan, path, root='/', summary='create directory %s', durable=True):
    """mkdir path (DIR_MODE), undone by removing it; durable=False: see safe_tree.Tree."""
    changes = _changes_at(path, root, durable)
    plan.add(summary % path, Op(make_dir, None, **changes), Op(remove_dir, None, **changes))


def _changes_at(path, root, durable):
    """The arguments of an operation that changes path: durable only where it is not (the plan shows it)."""
    return dict(path=path, root=root) if durable else dict(path=path, root=root, durable=False)


def put(path, text, root='/', keep_previous=False):
    """The Op that leaves text at path, for a caller that plans the file itself (the netns_bridge registry).

    None: no file there (nor its NAME.prev, with keep_previous), a file
    already gone being no failure; otherwise written with the directories it
    needs, the version it replaces kept as NAME.prev with keep_previous. A
    change to text is undone by put(path, the text it replaced).
    """
    if text is None:
        return Op(remove, None, path=path, root=root, with_previous=keep_previous, missing_ok=True)
    return Op(write, None, path=path, root=root, data=text, keep_previous=keep_previous, make_dirs=True)
