# linuxnet.netns: the two commands the README gives, and their parts.
# Every target that touches the network runs inside a throwaway sandbox (tests/sandbox.sh).
SHELL := /bin/bash
PYTHON := .venv/bin/python

.PHONY: all bootstrap demo test units integration sanity lint docs package-test changelog clean

all: test

bootstrap:
	bash scripts/bootstrap.sh

# The main job: reproduce the seed experiments with the collection's modules in a sandbox.
demo: bootstrap
	tests/sandbox.sh .venv/bin/ansible-playbook -i playbooks/inventory/localhost.ini playbooks/seed-001-veth-pair.yml

.PHONY: playbooks molecule

# The seed playbooks (playbooks/seed-*.yml), each twice in a sandbox, then their kernel state.
playbooks: bootstrap
	tests/playbooks/run.sh

# molecule test of the role docker_bridge on a lab (extensions/molecule/default).
molecule: bootstrap
	tests/molecule.sh test

units: bootstrap
	$(PYTHON) -m pytest tests/unit -q

integration: bootstrap
	tests/integration/run.sh

test: bootstrap
	@status=0; \
	$(PYTHON) -m pytest tests/unit -q || status=1; \
	tests/integration/run.sh || status=1; \
	exit $$status

# ansible-test sanity and units on ansible-core 2.17, 2.18 and 2.19 (venvs in .build/venv-X.Y).
sanity: bootstrap
	tests/sanity/run.sh

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
