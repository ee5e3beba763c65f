# linuxnet.netns: the two commands the README gives, and their parts.
# Every target that touches the network runs inside a throwaway sandbox (tests/sandbox.sh).
SHELL := /bin/bash
PYTHON := .venv/bin/python

.PHONY: all bootstrap demo test units integration clean

all: test

bootstrap:
	bash scripts/bootstrap.sh

# The main job: reproduce the seed experiments with the collection's modules in a sandbox.
demo: bootstrap
	tests/sandbox.sh .venv/bin/ansible-playbook -i playbooks/inventory/localhost.ini playbooks/seed-001-veth-pair.yml

units: bootstrap
	$(PYTHON) -m pytest tests/unit -q

integration: bootstrap
	tests/integration/run.sh

test: bootstrap
	@status=0; \
	$(PYTHON) -m pytest tests/unit -q || status=1; \
	tests/integration/run.sh || status=1; \
	exit $$status

clean:
	rm -rf .build tests/output
