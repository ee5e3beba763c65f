
# ---- appended by scripts/build-docs.sh ----------------------------------------------------------
# The site builds without network: the generated intersphinx_mapping fetches inventories from
# docs.python.org and docs.ansible.com, which cannot be reached here and, with -W, would fail the
# build. Instead, the few labels of Ansible's docs that antsibull-docs' pages refer to are written
# into a local inventory that links to the same pages online.
import os as _os
import zlib as _zlib

_ANSIBLE_DOCS = 'https://docs.ansible.com/projects/ansible/devel/'
_ANSIBLE_LABELS = {
    'common_return_values': ('reference_appendices/common_return_values.html#common-return-values',
                             'Return Values'),
    'ansible_configuration_settings': ('reference_appendices/config.html#ansible-configuration-settings',
                                       'Ansible Configuration Settings'),
    'module_defaults': ('playbook_guide/playbooks_module_defaults.html#module-defaults',
                        'Module defaults'),
    'become': ('playbook_guide/playbooks_privilege_escalation.html#become',
               'Understanding privilege escalation: become'),
    'playbooks_intro': ('playbook_guide/playbooks_intro.html#playbooks-intro', 'Ansible playbooks'),
}


def _write_offline_inventory(path):
    lines = ''.join('%s std:label -1 %s %s\n' % (label, uri, title)
                    for label, (uri, title) in sorted(_ANSIBLE_LABELS.items()))
    with open(path, 'wb') as inventory:
        inventory.write(b'# Sphinx inventory version 2\n# Project: Ansible\n# Version: devel\n'
                        b'# The remainder of this file is compressed using zlib.\n')
        inventory.write(_zlib.compress(lines.encode('utf-8')))


_INVENTORY = _os.path.join(_os.path.dirname(_os.path.abspath(__file__)), 'ansible_devel.inv')
_write_offline_inventory(_INVENTORY)
intersphinx_mapping = {'ansible_devel': (_ANSIBLE_DOCS, _INVENTORY)}
