#!/usr/bin/env bash
# Install molecule (tests/requirements-molecule.txt) into .venv if needed, then run it from the
# repository root, where it finds the collection's scenarios in extensions/molecule.
#
#   tests/molecule.sh test              create a lab, converge, idempotence, verify, destroy
#   tests/molecule.sh converge          keep the lab up between steps; "destroy" takes it down
#   MOLECULE_LAB_STATE=/tmp/lab-x tests/molecule.sh test
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
[ -x .venv/bin/python ] || bash scripts/bootstrap.sh
stamp=.venv/.requirements-molecule
if ! cmp -s tests/requirements-molecule.txt "$stamp"; then
  echo "molecule.sh: installing tests/requirements-molecule.txt into .venv"
  # ansible-core stays at the version tests/requirements.txt pins
  .venv/bin/pip install -q --disable-pip-version-check -r tests/requirements-molecule.txt -c tests/requirements.txt
  cp tests/requirements-molecule.txt "$stamp"
fi
# molecule runs ansible-playbook, ansible-config... by name
export PATH="$top/.venv/bin:$PATH"
exec molecule "${@:-test}"
