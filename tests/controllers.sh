#!/usr/bin/env bash
# The seed playbooks with the older supported ansible-core releases as the controller
# (meta/runtime.yml: requires_ansible >=2.17), on Debian's Python and pyroute2 as the host's.
# The integration targets, the role and molecule run on the newest core (.venv); this checks
# that the modules, the doc fragments and the aggregate handling work under the others too.
# Uses the venvs tests/sanity/run.sh makes (.build/venv-X.Y); makes them if missing.
#
#   tests/controllers.sh                 2.17 and 2.18
#   CORES="2.17.14" tests/controllers.sh
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
# shellcheck source=tests/lib/venv.sh
source tests/lib/venv.sh
status=0
for core in ${CORES:-2.17.14 2.18.19}; do
  venv=.build/venv-${core%.*}
  ensure_venv "$venv" "ansible-core==$core" tests/sanity/requirements-units.txt
  echo "=== seed playbooks with ansible-core $("$venv/bin/python" -c 'import ansible; print(ansible.__version__)')"
  ANSIBLE_BIN_DIR=$top/$venv/bin PYTHONS=/usr/bin/python3 \
    PLAYBOOKS_OUTPUT=$top/tests/output/controllers-${core%.*} tests/playbooks/run.sh || status=1
done
exit $status
