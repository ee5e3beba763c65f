#!/usr/bin/env bash
# Make (or redo) the release entry of the version in galaxy.yml from changelogs/fragments:
# changelogs/changelog.yaml and CHANGELOG.md (antsibull-changelog, config in changelogs/).
# Safe to run again after fragments were added or edited: while the changelog holds no release
# but this one, it is rebuilt from all fragments; after that, --update-existing folds fragments
# added since into this version's entry.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
source tests/lib/venv.sh
use_tools

antsibull-changelog lint
only_this_release=$(python - <<'PY'
import os, yaml
version = yaml.safe_load(open('galaxy.yml'))['version']
path = 'changelogs/changelog.yaml'
releases = (yaml.safe_load(open(path)) or {}).get('releases') or {} if os.path.exists(path) else {}
print('yes' if set(releases) <= {version} else 'no')
PY
)
if [ "$only_this_release" = yes ]; then
  rm -f changelogs/changelog.yaml
fi
# antsibull-changelog caches the plugin list per version; plugins added since must be seen.
rm -f changelogs/.plugin-cache.yaml
antsibull-changelog release --update-existing
echo "changelog: changelogs/changelog.yaml, CHANGELOG.md"
