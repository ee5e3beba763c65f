# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.netns contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The netns become plugin without root: the commands it builds, run against stand-ins for ip and nsenter."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import shlex
import subprocess

import pytest
import yaml

from ansible import constants as C
from ansible.errors import AnsibleError

from ansible_collections.linuxnet.netns.plugins.become import netns

NAME = 'linuxnet.netns.netns'

# Stand-ins that record how they were called, then do what ip netns exec / nsenter do after
# entering: run the rest. A namespace called "missing" fails the way ip does (255).
FAKE_IP = '''#!/bin/sh
echo "ip $*" >> "$CALLS"
[ "$3" = missing ] && { echo 'Cannot open network namespace "missing"' >&2; exit 255; }
shift 3
exec "$@"
'''
FAKE_NSENTER = '''#!/bin/sh
echo "nsenter $1" >> "$CALLS"
shift
exec "$@"
'''
FAKE_SUDO = '''#!/bin/sh
echo "sudo $*" >> "$CALLS"
while [ "${1#-}" != "$1" ]; do shift; done
exec "$@"
'''


class Shell(object):
    """The parts of the sh shell plugin a become plugin uses."""
    executable = '/bin/sh'
    ECHO = 'echo'
    COMMAND_SEP = ';'


@pytest.fixture(scope='module')
def become():
    """A factory of configured plugins, as the plugin loader would make them."""
    # Registering the documented options ourselves keeps the test independent of how the
    # collection got imported (the loader refuses a collection imported without its finder).
    C.config.initialize_plugin_configuration_definitions('become', NAME, yaml.safe_load(netns.DOCUMENTATION)['options'])

    def make(**options):
        plugin = netns.BecomeModule()
        plugin._load_name = NAME
        plugin.set_options(direct=options)
        return plugin
    return make


@pytest.fixture
def run(tmp_path):
    bin_dir = tmp_path / 'bin'
    bin_dir.mkdir()
    for name, script in (('ip', FAKE_IP), ('nsenter', FAKE_NSENTER), ('sudo', FAKE_SUDO)):
        (bin_dir / name).write_text(script)
        (bin_dir / name).chmod(0o755)
    calls = tmp_path / 'calls'

    def run_command(command):
        env = dict(os.environ, PATH='%s:%s' % (bin_dir, os.environ['PATH']), CALLS=str(calls))
        done = subprocess.run(['/bin/sh', '-c', command], env=env, capture_output=True, text=True,
                              check=False)
        recorded = calls.read_text().splitlines() if calls.exists() else []
        return done.returncode, done.stdout, done.stderr, recorded
    return run_command


COMMAND = "printf '%s|' \"it's\" 'in here'; exit 3"


def test_a_name_is_entered_with_ip_netns_exec_after_success_is_announced(become, run):
    plugin = become(netns='blue')
    rc, out, err, calls = run(plugin.build_become_command(COMMAND, Shell()))
    assert calls == ["ip netns exec blue /bin/sh -c %s" % COMMAND]
    assert plugin.check_success(out.encode())
    assert out.splitlines()[-1] == "it's|in here|"
    assert rc == 3


def test_a_path_or_a_pid_is_entered_with_nsenter(become, run):
    rc, out, err, calls = run(become(netns='/var/run/docker/netns/ab c').build_become_command('true', Shell()))
    assert (rc, calls) == (0, ['nsenter --net=/var/run/docker/netns/ab c'])
    rc, out, err, calls = run(become(netns_pid=31817).build_become_command('true', Shell()))
    assert calls[-1] == 'nsenter --net=/proc/31817/ns/net'


def test_failing_to_enter_is_status_1_not_255_which_ssh_takes_for_a_lost_connection(become, run):
    plugin = become(netns='missing')
    rc, out, err, calls = run(plugin.build_become_command('true', Shell()))
    assert rc == 1
    assert 'Cannot open network namespace "missing"' in err
    assert plugin.check_success(out.encode())  # so Ansible reports the module's failure with ip's message


def test_sudo_wraps_the_whole_entry_and_handles_the_password_prompt(become, run):
    plugin = become(netns='blue', netns_sudo=True)
    command = plugin.build_become_command('echo hi', Shell())
    assert command.startswith('sudo -H -S -n ')
    rc, out, err, calls = run(command)
    assert calls[0].startswith('sudo -H -S -n /bin/sh -c ')
    assert calls[1:] == ['ip netns exec blue /bin/sh -c echo hi']
    assert plugin.check_success(out.encode()) and out.splitlines()[-1] == 'hi'
    with_password = become(netns='blue', netns_sudo=True, become_pass='secret')
    command = with_password.build_become_command('echo hi', Shell())
    assert ' -n ' not in command and with_password.prompt in command
    assert with_password.check_password_prompt(with_password.prompt.encode() + b' ')


def test_there_is_no_become_user_so_ansible_never_skips_become_for_root(become):
    plugin = become(netns='blue')
    assert plugin.get_option('become_user') is None
    assert plugin.get_option('sudo_chdir') is None


def test_an_empty_command_stays_empty(become):
    assert become(netns='blue').build_become_command('', Shell()) == ''


@pytest.mark.parametrize('options, message', [
    (dict(), 'exactly one of'),
    (dict(netns='blue', netns_pid=3), 'exactly one of'),
    (dict(netns='../etc'), "contains '/'"),
    (dict(netns='-n'), "starts with '-'"),
    (dict(netns='a\nb'), 'control characters'),
    (dict(netns_pid=0), 'must be a process id'),
])
def test_bad_namespaces_are_refused_before_anything_runs(become, options, message):
    with pytest.raises(AnsibleError, match=message):
        become(**options).build_become_command('true', Shell())


def test_quoting_survives_a_hostile_path(become):
    command = become(netns="/tmp/x'; rm -rf / #").build_become_command('true', Shell())
    inner = shlex.split(shlex.split(command)[2])
    assert "--net=/tmp/x'; rm -rf / #" in inner
