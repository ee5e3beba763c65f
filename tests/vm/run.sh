#!/usr/bin/env bash
# The vm suite of tests/all.sh: the molecule scenario on two VMs (make molecule-vm), then the
# link kinds the machine's kernel lacks (dummy, vlan) on a VM (tests/vm/integration.sh), then a
# reboot with no controller run (tests/vm/reboot-test.sh). Builds the VM
# image first if it is not cached (tests/vm/build-image.sh), and says how long each part took.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 2
status=0
started=$SECONDS
if [ -z "$(tests/vm/build-image.sh --path)" ]; then
  tests/vm/build-image.sh >/dev/null || exit 1
  echo "vm suite: image built in $((SECONDS - started)) s"
fi
part=$SECONDS
tests/molecule.sh test -s vm || status=1
echo "vm suite: molecule scenario vm took $((SECONDS - part)) s"
part=$SECONDS
tests/vm/integration.sh || status=1
echo "vm suite: integration targets on a VM took $((SECONDS - part)) s"
part=$SECONDS
tests/vm/reboot-test.sh || status=1
echo "vm suite: the network and a service through a reboot (tests/vm/reboot-test.sh) took $((SECONDS - part)) s"
echo "vm suite: $((SECONDS - started)) s in all"
exit "$status"
