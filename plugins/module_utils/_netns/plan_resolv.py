# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.netns contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Planner of the netns_resolv module: /etc/netns/NAME/resolv.conf and hosts.

``ip netns exec NAME`` bind-mounts each file of /etc/netns/NAME over its
namesake in /etc, so these files are the namespace's own resolver
configuration. Nothing here enters a namespace or talks netlink.

/etc/netns is root's, but a symlink planted in it would turn "write
resolv.conf" into "overwrite any file on the host": every file goes through
safe_files, which follows no symlink below /etc.

A file is replaced atomically (whole, old or new, even after a crash), but
its directory is not synced after each change (DURABLE): every run, and the
restore at boot, reads these files and writes again one that a crash took
back, while a directory sync per file is a journal commit on a disk, two or
three a namespace (docs/performance.md).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re

from ansible_collections.linuxnet.netns.plugins.module_utils._netns import safe_files, validation
from ansible_collections.linuxnet.netns.plugins.module_utils._netns.engine import Op
from ansible_collections.linuxnet.netns.plugins.module_utils._netns.validation import ValidationError

OPTIONS = dict(
    name=dict(type='str'),
    state=dict(type='str', default='present', choices=['present', 'absent']),
    nameservers=dict(type='list', elements='str'),
    search=dict(type='list', elements='str'),
    options=dict(type='list', elements='str'),
    hosts=dict(type='list', elements='dict', options=dict(
        address=dict(type='str', required=True),
        names=dict(type='list', elements='str', required=True),
    )),
)
REQUIRED = ('name',)

ETC_NETNS = '/etc/netns'
RESOLV_CONF = 'resolv.conf'
HOSTS = 'hosts'
MANAGED_FILES = (RESOLV_CONF, HOSTS)
HEADER = u'# Managed by linuxnet.netns.netns_resolv\n'
DIR_MODE = safe_files.DIR_MODE
FILE_MODE = safe_files.FILE_MODE
MAXNS = 3  # glibc and musl read no more nameservers than this
DURABLE = False  # /etc/netns/NAME and its files: see above

# resolv.conf(5) of glibc; the ones in VALUED take NAME:NUMBER.
VALUED_OPTIONS = frozenset(['ndots', 'timeout', 'attempts'])
KNOWN_OPTIONS = VALUED_OPTIONS | frozenset([
    'debug', 'rotate', 'no-aaaa', 'no-check-names', 'inet6', 'ip6-bytestring', 'ip6-dotint',
    'no-ip6-dotint', 'edns0', 'single-request', 'single-request-reopen', 'no-tld-query',
    'use-vc', 'no-reload', 'trust-ad',
])

_OPTION_RE = re.compile(r'^([a-z0-9][a-z0-9-]*)(?::([0-9]+))?$')
_LABEL_RE = re.compile(r'^[A-Za-z0-9_-]{1,63}$')


def _printable_token(value, what):
    """A value that goes on a config line as one word: no whitespace, no control characters."""
    if not isinstance(value, str) or value == '':
        raise ValidationError('%s must be a non-empty string, got %r' % (what, value))
    for char in value:
        if char.isspace():
            raise ValidationError('%s %r contains whitespace' % (what, value))
        if ord(char) < 32 or ord(char) == 127:
            raise ValidationError('%s %r contains control characters' % (what, value))
    return value


def nameserver(value):
    """A resolver address in its normal form; IPv6 link-local ones may carry a %zone."""
    # ipaddress takes anything after '%' as the zone, newlines included: that
    # must not reach a line of resolv.conf.
    _printable_token(value, 'nameserver')
    address = validation.ip_address(value, 'nameserver')
    text = str(address)
    zone = getattr(address, 'scope_id', None)
    if zone is not None:
        validation.interface_name(zone, 'nameserver %r: zone' % (value,))
    return text


def domain_name(value, what='search domain'):
    """A DNS name as the resolver files take it: ASCII labels, IDNs in their xn-- form."""
    _printable_token(value, what)
    bare = value[:-1] if value.endswith('.') else value
    if bare == '' or value.startswith('-'):
        raise ValidationError('%s %r is not a domain name' % (what, value))
    if len(bare) > 253:
        raise ValidationError('%s %r is longer than 253 characters' % (what, value))
    for label in bare.split('.'):
        if not _LABEL_RE.match(label):
            raise ValidationError("%s %r is not a domain name: each dot-separated label needs 1 to 63 "
                                  "of letters, digits, '-' and '_' (international names in their "
                                  'xn-- form)' % (what, value))
    return value


def resolver_option(value):
    """One word of the options line, as NAME or NAME:NUMBER; returns (text, name)."""
    _printable_token(value, 'option')
    match = _OPTION_RE.match(value)
    if not match:
        raise ValidationError('option %r is not NAME or NAME:NUMBER, e.g. rotate or ndots:2' % value)
    name, number = match.groups()
    if name in VALUED_OPTIONS and number is None:
        raise ValidationError('option %r needs a value, e.g. %s:2' % (value, name))
    if number is not None and name in KNOWN_OPTIONS and name not in VALUED_OPTIONS:
        raise ValidationError('option %r takes no value; write %s' % (value, name))
    return value, name


def host_entry(entry, where=''):
    """One line of the hosts file: (address, [names]); where says which entry, for messages."""
    if not isinstance(entry, dict):
        raise ValidationError('%s%r must be a dict with address and names' % (where, entry))
    if entry.get('address') in (None, ''):
        raise ValidationError('%saddress is required' % where)
    address = validation.ip_address(entry['address'], '%saddress' % where)
    if getattr(address, 'scope_id', None) is not None:
        raise ValidationError('%saddress %r has a %%zone; the hosts file takes none'
                              % (where, entry['address']))
    names = validation.as_list(entry.get('names'))
    if not names:
        raise ValidationError('%snames is required (the host names of %s)' % (where, address))
    return str(address), [domain_name(name, '%sname' % where) for name in names]


def _unique(values, what, key=lambda value: value):
    seen = set()
    for value in values:
        if key(value) in seen:
            raise ValidationError('%s %s is given twice' % (what, value))
        seen.add(key(value))
    return values


class Wanted(object):
    """One item, checked: the namespace and the text of each file it manages."""

    def __init__(self, item, warn):
        where = item.get('_where', '')
        try:
            self.name = validation.namespace_name(item['name'])
        except ValidationError as exc:
            raise ValidationError('%s%s' % (where, exc))
        self.state = item['state']
        self.texts = {}
        if self.state == 'absent':
            return
        try:
            self.texts[RESOLV_CONF] = self._resolv_conf(item, warn)
            if item.get('hosts') is not None:
                entries = [host_entry(entry, 'hosts entry %d: ' % position)
                           for position, entry in enumerate(item['hosts'], 1)]
                self.texts[HOSTS] = render_hosts(entries)
        except ValidationError as exc:
            raise ValidationError('%s%s' % (where or 'namespace %s: ' % self.name, exc))

    def _resolv_conf(self, item, warn):
        servers = _unique([nameserver(value) for value in validation.as_list(item.get('nameservers'))],
                          'nameserver')
        if not servers:
            raise ValidationError('nameservers is required with state=present; without one the '
                                  'resolver asks 127.0.0.1 inside the namespace')
        if len(servers) > MAXNS:
            warn('namespace %s: the resolver uses only the first %d nameservers; %s will be ignored'
                 % (self.name, MAXNS, ', '.join(servers[MAXNS:])))
        search = _unique([domain_name(value) for value in validation.as_list(item.get('search'))],
                         'search domain', key=lambda value: value.lower().rstrip('.'))
        options = []
        names = set()
        for value in validation.as_list(item.get('options')):
            text, name = resolver_option(value)
            if name in names:
                raise ValidationError('option %s is given twice' % name)
            names.add(name)
            if name not in KNOWN_OPTIONS:
                warn('namespace %s: option %r is not one glibc knows; its resolver ignores it'
                     % (self.name, text))
            options.append(text)
        return render_resolv_conf(servers, search, options)


def render_resolv_conf(nameservers, search=(), options=()):
    lines = [HEADER]
    lines.extend(u'nameserver %s\n' % server for server in nameservers)
    if search:
        lines.append(u'search %s\n' % ' '.join(search))
    if options:
        lines.append(u'options %s\n' % ' '.join(options))
    return u''.join(lines)


def render_hosts(entries):
    lines = [HEADER]
    lines.extend(u'%s\t%s\n' % (address, ' '.join(names)) for address, names in entries)
    return u''.join(lines)


as_text = safe_files.as_text


def _root():
    """The trusted root of the files: ETC_NETNS's parent (/etc); nothing below it is followed."""
    return os.path.dirname(ETC_NETNS.rstrip('/')) or '/'


def dir_path(name=None):
    return ETC_NETNS if name is None else os.path.join(ETC_NETNS, name)


def file_path(name, filename):
    return os.path.join(ETC_NETNS, name, filename)


class Current(object):
    """What is at /etc/netns/NAME now: whether the directories exist, the directory's entries, our files."""

    def __init__(self, name):
        self.name = name
        self.root_exists = False
        self.dir_exists = False
        self.entries = set()
        self.files = {}  # filename -> safe_tree.File or None, read once
        tree, components = safe_files.locate(dir_path(name), _root())
        fd = tree.walk(components)
        if fd is None:
            root_fd = tree.walk(components[:-1])
            if root_fd is not None:
                self.root_exists = True
                os.close(root_fd)
            return
        self.root_exists = self.dir_exists = True
        try:
            self.entries = set(os.listdir(fd))
            for filename in MANAGED_FILES:
                # refused here even where the item leaves the file alone: a symlink among ours is planted
                self.files[filename] = tree.read_file(components, filename, dir_fd=fd)
        finally:
            os.close(fd)


def plan(host, items, plan):
    # Every item is checked before the first file is even read.
    wanted = [Wanted(item, plan.warnings.append) for item in items]
    seen = set()
    for want in wanted:
        if want.name in seen:
            raise ValidationError('namespace %s is named twice in one task' % want.name)
        seen.add(want.name)
    root_planned = False
    for want in wanted:
        current = Current(want.name)
        if want.state == 'absent':
            _plan_absent(plan, want, current)
            plan.returns.setdefault('files', []).extend(
                file_path(want.name, filename) for filename in MANAGED_FILES)
            continue
        if not current.root_exists and not root_planned:
            safe_files.plan_dir(plan, dir_path(), _root())
            root_planned = True
        if not current.dir_exists:
            safe_files.plan_dir(plan, dir_path(want.name), _root(), durable=DURABLE)
        for filename in MANAGED_FILES:
            if filename in want.texts:
                _plan_file(plan, want.name, filename, want.texts[filename], current)
        plan.returns.setdefault('files', []).extend(
            file_path(want.name, filename) for filename in MANAGED_FILES if filename in want.texts)


def _plan_file(plan, name, filename, text, current):
    """The file's change (create, update, set mode, remove), and its text before and after in the diff."""
    return safe_files.plan_file(plan, file_path(name, filename), text, FILE_MODE, _root(), make_dirs=False,
                                existing=current.files.get(filename) if current.dir_exists else None,
                                durable=DURABLE)


def _plan_absent(plan, want, current):
    removed = set(filename for filename in MANAGED_FILES if _plan_file(plan, want.name, filename, None, current))
    if current.dir_exists and not current.entries - removed:
        path = dir_path(want.name)
        plan.add('remove directory %s' % path, Op(safe_files.remove_dir, None, path=path, root=_root(), durable=DURABLE),
                 Op(safe_files.make_dir, None, path=path, root=_root(), durable=DURABLE))
