# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.netns contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
name: netns
short_description: Run any task inside a network namespace of the target, as ip netns exec does
version_added: 0.1.0
description:
  - Runs the task's module (C(ansible.builtin.command), C(uri), C(wait_for), C(copy), anything) on
    the target inside a network namespace, over any connection (C(ssh), C(local), ...). The module
    sees the namespace's links, addresses, routes and sockets, and nothing of the host's.
  - A name under C(/run/netns) is entered with C(ip netns exec NAME), so the task also sees the
    files C(ip netns exec) bind-mounts from C(/etc/netns/NAME/) over C(/etc/) (C(resolv.conf),
    C(hosts), ...) and a C(/sys) of the namespace.
  - A path (C(/proc/PID/ns/net), C(/var/run/docker/netns/ID), ...) or a PID is entered with
    C(nsenter --net=PATH); only the network namespace changes, so C(/etc) and C(/sys) stay the
    host's (seed 004, debugging a pod's network with the host's tools).
  - It is a become plugin, not a connection plugin, so that it composes with every connection and
    needs nothing but C(ip) (iproute2) or C(nsenter) (util-linux) on the target. Ansible
    transfers files with the connection outside the namespace, which is fine - a network
    namespace does not change the file system.
  - Entering a namespace needs root. Log in as root, or set I(netns_sudo) to go through C(sudo).
author:
  - linuxnet.netns contributors (@linuxnet)
options:
  netns:
    description:
      - The namespace to run in - a name under C(/run/netns), or an absolute path to a namespace
        file, as the I(netns) option of this collection's modules takes it.
      - Exactly one of I(netns) and I(netns_pid) must be set.
    type: str
    vars:
      - name: ansible_netns
    env:
      - name: ANSIBLE_NETNS
  netns_pid:
    description:
      - Run in the network namespace of this process (C(nsenter --net=/proc/PID/ns/net)).
    type: int
    vars:
      - name: ansible_netns_pid
  netns_sudo:
    description:
      - Enter the namespace through C(sudo), for a login user that is not root. I(become_exe),
        I(become_flags) and I(become_pass) apply as they do for the C(ansible.builtin.sudo) become
        plugin; the command runs as root.
    type: bool
    default: false
    vars:
      - name: ansible_netns_sudo
    env:
      - name: ANSIBLE_NETNS_SUDO
  become_exe:
    description: The sudo executable, with I(netns_sudo).
    type: str
    default: sudo
    vars:
      - name: ansible_netns_sudo_exe
  become_flags:
    description: Options to pass to sudo, with I(netns_sudo).
    type: str
    default: -H -S -n
    vars:
      - name: ansible_netns_sudo_flags
  become_pass:
    description: The sudo password, with I(netns_sudo).
    type: str
    vars:
      - name: ansible_become_password
      - name: ansible_become_pass
      - name: ansible_sudo_pass
    env:
      - name: ANSIBLE_BECOME_PASS
notes:
  - The task runs as root whatever C(become_user) says - a namespace is not a user. The plugin has
    no user on purpose - Ansible skips become when C(become_user) is the login user, which would
    silently run the task outside the namespace when logged in as root.
  - A name must exist on the target, else the task fails with C(ip)'s message in
    C(module_stderr) (C(Cannot open network namespace)); create it first with
    M(linuxnet.netns.netns).
  - Replacing a file that C(ip netns exec) bind-mounted over C(/etc) (C(copy) to
    C(/etc/resolv.conf) inside, say) fails with C(Device or resource busy). Write to
    C(/etc/netns/NAME/) instead (M(linuxnet.netns.netns_resolv)), or set C(unsafe_writes=true),
    which writes through the bind mount into C(/etc/netns/NAME/resolv.conf).
  - A process a task leaves running (C(nohup), C(async)) stays in the namespace.
  - An exit status of 255 from inside becomes 1, because the C(ssh) connection takes 255 for a
    lost connection (and would retry, then call the host unreachable).
seealso:
  - module: linuxnet.netns.netns_info
  - module: linuxnet.netns.netns
'''

EXAMPLES = r'''
# Seed 002: a server in a namespace, and checks made from inside it.
- name: Start a server inside namespace blue
  ansible.builtin.shell: nohup python3 -m http.server 8000 --bind 127.0.0.1 < /dev/null > /dev/null 2>&1 &
  become: true
  become_method: linuxnet.netns.netns
  vars:
    ansible_netns: blue

- name: Wait for the port that exists only inside blue
  ansible.builtin.wait_for:
    host: 127.0.0.1
    port: 8000
  become: true
  become_method: linuxnet.netns.netns
  vars:
    ansible_netns: blue

- name: Fetch from inside blue
  ansible.builtin.uri:
    url: http://127.0.0.1:8000/
  become: true
  become_method: linuxnet.netns.netns
  vars:
    ansible_netns: blue

# Seed 004: a pod's network namespace, with the host's tools (curl, ss, tcpdump ...)
- name: What a container's process sees of the network
  ansible.builtin.command: ss -tlnp
  become: true
  become_method: linuxnet.netns.netns
  vars:
    ansible_netns_pid: 31817

- name: The same through docker's file
  ansible.builtin.command: ip -j addr
  become: true
  become_method: linuxnet.netns.netns
  vars:
    ansible_netns: /var/run/docker/netns/b63ec59b3d9e

# A whole block inside a namespace, logged in as a user with sudo
- name: Checks from inside red
  become: true
  become_method: linuxnet.netns.netns
  vars:
    ansible_netns: red
    ansible_netns_sudo: true
  block:
    - name: The resolver red uses (/etc/netns/red/resolv.conf, if there is one)
      ansible.builtin.command: cat /etc/resolv.conf
      changed_when: false

    - name: The upstream is reachable from red
      ansible.builtin.uri:
        url: http://203.0.113.10/

# Ad hoc: ansible web1 -b --become-method linuxnet.netns.netns -e ansible_netns=blue -a 'ip addr'
'''

import shlex

from ansible.errors import AnsibleError
from ansible.plugins.become import BecomeBase
from ansible.plugins.become.sudo import BecomeModule as SudoBecome

from ansible_collections.linuxnet.netns.plugins.module_utils._netns.validation import ValidationError, namespace_ref


class BecomeModule(SudoBecome):

    name = 'linuxnet.netns.netns'

    def get_option(self, option, hostvars=None, playcontext=None):
        # Ansible skips become when become_user is the login user (root over ssh as root): a
        # namespace is no user, so there is none. Options of sudo's that this plugin does not
        # offer (sudo_chdir in ansible-core 2.19) read as unset.
        if option == 'become_user':
            return None
        try:
            return super(BecomeModule, self).get_option(option, hostvars=hostvars, playcontext=playcontext)
        except KeyError:
            return None

    def enter_command(self):
        """The command that runs its arguments inside the namespace asked for."""
        ref, pid = self.get_option('netns'), self.get_option('netns_pid')
        if (ref in (None, '')) == (pid is None):
            raise AnsibleError('become method linuxnet.netns.netns needs exactly one of ansible_netns '
                               '(a name under /run/netns or a path) and ansible_netns_pid')
        if pid is not None:
            if pid <= 0:
                raise AnsibleError('ansible_netns_pid must be a process id, got %d' % pid)
            return 'nsenter --net=/proc/%d/ns/net' % pid
        try:
            ref = namespace_ref(ref)
        except ValidationError as exc:
            raise AnsibleError('ansible_netns: %s' % exc)
        if ref.startswith('/'):
            return 'nsenter %s' % shlex.quote('--net=' + ref)
        return 'ip netns exec %s' % shlex.quote(ref)

    def build_become_command(self, cmd, shell):
        if not cmd:
            return super(BecomeModule, self).build_become_command(cmd, shell)
        executable = getattr(shell, 'executable', None) or '/bin/sh'
        # ip netns exec says 255 when it cannot enter, which ssh would take for a lost connection
        inside = '%s %s -c %s || exit $(( $? == 255 ? 1 : $? ))' % (
            self.enter_command(), executable, shlex.quote(cmd))
        if self.get_option('netns_sudo'):
            return super(BecomeModule, self).build_become_command(inside, shell)
        # Success is announced before entering, so that a namespace that cannot be entered
        # fails the task with ip's or nsenter's message instead of "become timed out".
        BecomeBase.build_become_command(self, inside, shell)
        return self._build_success_command(inside, shell)
