#!/usr/bin/env bash
# Build the documentation site into .build/docs/build/html (make docs): antsibull-docs renders
# every plugin's own documentation plus the guides of docs/docsite (extra-docs.yml), and Sphinx
# builds the site with warnings as errors. Tools: tests/requirements-tools.txt (.build/venv-tools).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
source tests/lib/venv.sh
use_tools

site=$top/.build/docs
rm -rf "$site"
mkdir -p "$site"
chmod 755 "$site"  # antsibull-docs writes only into a directory no one else can write to
antsibull-docs sphinx-init --use-current --squash-hierarchy --fail-on-error \
  --project linuxnet.netns --copyright 'linuxnet.netns contributors' \
  --title 'linuxnet.netns' --html-short-title 'linuxnet.netns' \
  --dest-dir "$site" linuxnet.netns > /dev/null
cat scripts/docs/conf-offline.py >> "$site/conf.py"
"$site/build.sh"
echo "docs: $site/build/html/index.html"
