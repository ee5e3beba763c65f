# linuxnet.netns: the two commands the README gives, and their parts.
# Every target that touches the network runs inside a throwaway sandbox (tests/sandbox.sh).
SHELL := /bin/bash
PYTHON := .venv/bin/python

.PHONY: all bootstrap demo lab-down role-test become-test test units integration sanity lint docs package-test changelog clean

all: test

bootstrap:
	bash scripts/bootstrap.sh

# The main job: a lab of 3 simulated hosts, the docker-bridge playbook on it (twice: the second
# run changes nothing), the connectivity matrix measured inside the containers; lab down after.
# KEEP_LAB=1 leaves the lab up, DEMO_MODE=vxlan uses the overlay.
demo: bootstrap
	scripts/demo.sh

# Take down the lab a KEEP_LAB=1 demo (or an interrupted one) left, and check the machine is as before.
lab-down:
	tests/lab/lab.sh down $${DEMO_STATE_DIR:-/tmp/linuxnet-netns-demo}

# The become plugin linuxnet.netns.netns over SSH and locally, on a 2-host lab.
become-test: bootstrap
	tests/lab/become-test.sh

# The role docker_bridge against the lab, in modes host-gw and vxlan (tests/lab/role-test.sh).
role-test: bootstrap
	tests/lab/role-test.sh

.PHONY: playbooks molecule molecule-vm bench bench-fleet

# Time and memory of the seeds' shell commands, CNI's reference plugins and the kernel's floor
# against the modules and the role, N containers (past 1000: over several bridges), each method in
# its own sandbox (docs/performance.md). BENCH_N=50,200,500 BENCH_REPEAT=3 BENCH_METHODS=...
bench: bootstrap
	/usr/bin/python3 benchmarks/run.py --n $${BENCH_N:-50,200,500} --repeat $${BENCH_REPEAT:-3} \
	  --methods $${BENCH_METHODS:-shell,cni,kernel,modules,role} --json $${BENCH_JSON:-.build/bench.json}

# The role on lab fleets of 4 and 40 hosts, 25 containers each, host-gw and vxlan: converge, rerun,
# removal of a host (benchmarks/fleet.py). BENCH_HOSTS=4,40 BENCH_MODES=host-gw,vxlan.
bench-fleet: bootstrap
	/usr/bin/python3 benchmarks/fleet.py --hosts $${BENCH_HOSTS:-4,40} --modes $${BENCH_MODES:-host-gw,vxlan} \
	  --json $${BENCH_FLEET_JSON:-.build/bench-fleet.json}

# The seed playbooks (playbooks/seed-*.yml), each twice in a sandbox, then their kernel state.
playbooks: bootstrap
	tests/playbooks/run.sh

# molecule test of the role docker_bridge on a lab (extensions/molecule/default).
molecule: bootstrap
	tests/molecule.sh test

# molecule test of the role on two Debian 12 VMs (extensions/molecule/vm, tests/vm; docs/vm.md).
molecule-vm: bootstrap
	tests/molecule.sh test -s vm

units: bootstrap
	$(PYTHON) -m pytest tests/unit -q

integration: bootstrap
	tests/integration/run.sh

# The whole test suite, in two lanes side by side (tests/all.sh): units, integration targets (both
# pyroute2 versions), seed playbooks, the become plugin and the role on labs (host-gw and vxlan),
# molecule, ansible-test sanity+units (2.17 to 2.21), other cores as controller, ansible-lint, docs, package.
test: bootstrap
	tests/all.sh

# ansible-test sanity (every test) and units on ansible-core 2.17 to 2.21 (.build/venv-X.Y; 2.20 on Python 3.12, 2.21 on 3.13).
sanity: bootstrap
	FULL=1 tests/sanity/run.sh

# ansible-lint (production profile) on roles/ and playbooks/, and the changelog fragments.
lint: bootstrap
	tests/lint/run.sh

# The documentation site (antsibull-docs), in .build/docs/build/html.
docs: bootstrap
	scripts/build-docs.sh

# Build the collection tarball, install it, and use the installed copy (in a sandbox).
package-test: bootstrap
	tests/package/run.sh

# Redo the release entry of galaxy.yml's version from changelogs/fragments.
changelog: bootstrap
	scripts/changelog-release.sh

clean:
	rm -rf .build tests/output
