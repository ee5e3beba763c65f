# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.netns contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""nftables through the nft command, inside a namespace.

nft is run as a child of a thread that has entered the namespace (a child
inherits the network namespace of the thread that forks it), so no named
namespace or ``ip netns exec`` is needed. Writes are one ``nft -f -``
script each: the kernel applies it as one transaction or not at all.

The text helpers here are pure, so that rendering and parsing can be unit
tested without root.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import re

from ansible_collections.linuxnet.netns.plugins.module_utils._netns import namespaces

SEARCH_PATH = ('/usr/sbin', '/sbin', '/usr/local/sbin', '/usr/bin', '/bin')

_TABLE_RE = re.compile(r'^table (\S+) (\S+) \{$')
_BLOCK_RE = re.compile(r'^\t(chain|set|map|flowtable|ct \S+|counter|quota|limit|secmark|synproxy) (.+) \{$')


class NftError(Exception):
    """nft is missing, or refused a command; the message carries nft's own words."""


def find(program='nft'):
    for directory in os.environ.get('PATH', '').split(os.pathsep) + list(SEARCH_PATH):
        path = os.path.join(directory, program)
        if directory and os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    return None


MISSING = 'nft not found on the managed host; install nftables (Debian/Ubuntu: apt-get install nftables)'


def _nft():
    path = find()
    if path is None:
        raise NftError(MISSING)
    return path


_run_command = []  # the running module's AnsibleModule.run_command (engine.run_task sets it)
# `nft -j list ruleset` of each namespace (by descriptor) as read in this task: netns_bridge's NAT and
# firewall stages both read it. Any program run inside a namespace may change it (nft -f, iptables,
# firewall-cmd, ufw), so running one forgets them all.
_rulesets = {}


def use(run_command):
    """Run every program through run_command (AnsibleModule.run_command) from now on."""
    _run_command[:] = [run_command]
    _rulesets.clear()


def _execute(argv, script=None):
    # The child is forked from the calling thread, so it runs in that thread's network namespace.
    if not _run_command:
        raise NftError('cannot run %s: no module is running' % os.path.basename(argv[0]))
    # LC_ALL=C: the error text goes into the task's message as is.
    rc, out, err = _run_command[0](list(argv), data=script, binary_data=True, environ_update=dict(LC_ALL='C'))
    if rc != 0:
        command = ' '.join([os.path.basename(argv[0])] + list(argv[1:]))
        raise NftError('%s failed (exit %d): %s' % (command, rc, err.strip() or out.strip()))
    return out


def run(fd, args, script=None):
    """nft ARGS inside the namespace behind fd (None: this thread's own)."""
    return run_program(fd, [_nft()] + list(args), script)


def _list(fd, args, as_json=False):
    """nft [-j] list ARGS: a read, which leaves the rulesets read so far as they are."""
    with namespaces.entered(fd):
        return _execute([_nft()] + (['-j'] if as_json else []) + ['list'] + list(args))


def run_program(fd, argv, script=None):
    """Any program inside the namespace behind fd, script on its stdin; its output, or NftError."""
    _rulesets.clear()
    with namespaces.entered(fd):
        return _execute(argv, script)


def load(fd, script):
    """Apply script as one transaction."""
    return run(fd, ['-f', '-'], script)


def ruleset_json(fd):
    """`nft -j list ruleset` as a list of objects (tables, chains, rules...), read once until a program runs."""
    if fd not in _rulesets:
        text = _list(fd, ['ruleset'], as_json=True)
        try:
            _rulesets[fd] = json.loads(text).get('nftables', [])
        except ValueError:
            raise NftError('nft -j list ruleset printed something that is not JSON: %r' % text[:200])
    return _rulesets[fd]


def list_table(fd, family, name):
    return _list(fd, ['table', family, name])


def listed_in_scratch(script):
    """Load script into a throwaway network namespace and return `nft list ruleset` there.

    Whatever the nft version, its listing is the one normal form of a
    ruleset, so comparing listings (never our own rendering with the
    kernel's) is what makes a second run report no change. Loading there
    also proves the script is accepted, before anything real changes.
    """
    argv = [_nft()]

    def load_and_list():
        _execute(argv + ['-f', '-'], script)
        return _execute(argv + ['list', 'ruleset'])

    try:
        return namespaces.in_new_namespace(load_and_list)
    except NftError:
        raise
    except Exception as exc:
        raise NftError('cannot check the rules in a scratch namespace: %s' % exc)


# -- text ---------------------------------------------------------------
def parse_listing(text):
    """Chains of an `nft list` text: {(family, table): {chain: [lines]}}.

    Lines are stripped of their indentation; sets, maps and other blocks
    are skipped. A chain keeps its declaration line (type/hook/priority/
    policy) as its first line, so two chains compare equal only if both
    their hooks and their rules do.
    """
    tables = {}
    table = chain = None
    skipping = False
    for line in text.splitlines():
        if table is None:
            match = _TABLE_RE.match(line)
            if match:
                table = tables.setdefault((match.group(1), match.group(2)), {})
            continue
        if line == '}':
            table = chain = None
            skipping = False
            continue
        if line == '\t}':
            chain = None
            skipping = False
            continue
        if chain is None and not skipping:
            match = _BLOCK_RE.match(line)
            if match and match.group(1) == 'chain':
                chain = table.setdefault(unquote(match.group(2)), [])
            elif match:
                skipping = True
            continue
        if chain is not None and line.strip():
            chain.append(line.strip())
    return tables


def unquote(name):
    if len(name) >= 2 and name[0] == name[-1] == '"':
        return name[1:-1]
    return name


def table_script(family, name, chains):
    """A `table ... { chain ... }` block declaring chains ({name: [lines]}, in order)."""
    lines = ['table %s %s {' % (family, name)]
    for chain, body in chains:
        lines.append('\tchain %s {' % chain)
        lines.extend('\t\t%s' % line for line in body)
        lines.append('\t}')
    lines.append('}')
    return lines


def transaction(family, name, current, target):
    """The nft script that turns table family/name from current into target.

    current and target map chain names to their lines (declaration first),
    or are None for "no table". Chains the same in both are not touched,
    so chains of other owners in the table keep their rules and counters.
    An empty target removes the table.
    """
    if not target:
        return ['delete table %s %s' % (family, name)] if current is not None else []
    current = current or {}
    lines = ['add table %s %s' % (family, name)]
    for chain in current:
        if chain not in target:
            # flush first: older kernels refuse to delete a chain that has rules
            lines.append('flush chain %s %s %s' % (family, name, chain))
            lines.append('delete chain %s %s %s' % (family, name, chain))
    declare = []
    for chain, body in target.items():
        if current.get(chain) == body:
            continue
        if chain in current:
            lines.append('flush chain %s %s %s' % (family, name, chain))
        declare.append((chain, body))
    if declare:
        lines.extend(table_script(family, name, declare))
    return lines


# -- what the rest of the ruleset does to forwarded traffic ---------------
def forward_drops(objects, own_table):
    """Base chains on the forward hook, outside own_table, whose policy is drop.

    Returns dicts: family, table, chain, and accepts: the interface names
    that some rule of the same table accepts as iifname and as oifname
    (what someone may already have added to let a bridge through).
    """
    found = []
    for obj in objects:
        chain = obj.get('chain')
        if not chain or chain.get('hook') != 'forward' or chain.get('policy') != 'drop':
            continue
        if (chain.get('family'), chain.get('table')) == own_table:
            continue
        found.append(dict(family=chain.get('family'), table=chain.get('table'),
                          chain=chain.get('name'),
                          accepts=_accepted_interfaces(objects, chain.get('family'),
                                                       chain.get('table')),
                          chains=_chain_names(objects, chain.get('family'), chain.get('table'))))
    return found


def _chain_names(objects, family, table):
    return set(obj['chain'].get('name') for obj in objects
               if 'chain' in obj and obj['chain'].get('family') == family
               and obj['chain'].get('table') == table)


def _accepted_interfaces(objects, family, table):
    accepts = {'iifname': set(), 'oifname': set()}
    for obj in objects:
        rule = obj.get('rule')
        if not rule or rule.get('family') != family or rule.get('table') != table:
            continue
        exprs = rule.get('expr') or []
        if not exprs or 'accept' not in exprs[-1]:
            continue
        for expr in exprs:
            match = expr.get('match') if isinstance(expr, dict) else None
            if not match or match.get('op') not in ('==', 'in'):
                continue
            left = match.get('left')
            key = left.get('meta', {}).get('key') if isinstance(left, dict) else None
            if key in accepts and isinstance(match.get('right'), str):
                accepts[key].add(match['right'])
    return accepts
