#!/usr/bin/env bash
# The documentation builds and is complete: antsibull-docs lints every plugin's documentation and
# the guides (docs/docsite), scripts/build-docs.sh (make docs) builds the site with warnings as
# errors, and the site has a page for every module and the seeds guide.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
source tests/lib/venv.sh

site_is_complete() {
  local html=.build/docs/build/html missing=() path module
  for path in plugins/modules/*.py; do
    module=$(basename "$path" .py)
    [ -f "$html/${module}_module.html" ] || missing+=("${module}_module.html")
  done
  grep -q 'Seed experiments' "$html/docsite/seeds.html" 2>/dev/null || missing+=(docsite/seeds.html)
  [ ${#missing[@]} -eq 0 ] || { echo "missing from the site: ${missing[*]}"; return 1; }
}

check build scripts/build-docs.sh
use_tools
check lint-collection-docs antsibull-docs lint-collection-docs --plugin-docs .
check site-complete site_is_complete
checks_done docs
