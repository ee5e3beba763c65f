#!/usr/bin/env bash
# Lint what ships besides the plugins: ansible-lint (production profile, .ansible-lint) on roles/
# and playbooks/, and the changelog fragments (antsibull-changelog lint). Tools are pinned in
# tests/requirements-tools.txt, installed into .build/venv-tools.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
source tests/lib/venv.sh
use_tools  # ansible-lint resolves linuxnet.netns.* through the collections path
export NO_COLOR=1 ANSIBLE_NOCOLOR=1

check changelog-fragments antsibull-changelog lint
check ansible-lint ansible-lint --profile production roles playbooks
checks_done lint
