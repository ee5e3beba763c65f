#!/usr/bin/env bash
# Copy the collection as it is in the work tree to DIR/ansible_collections/linuxnet/netns,
# for `benchmarks/run.py --baseline DIR`; with PATCH files, reverse-apply them to the copy
# (the change being measured), so the baseline differs from the work tree by them only.
#
#   benchmarks/snapshot.sh DIR [PATCH...]
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:?usage: $0 DIR [PATCH...]}
shift
copy="$dir/ansible_collections/linuxnet/netns"
rm -rf "$copy"
mkdir -p "$copy"
parts=()
for part in galaxy.yml meta plugins roles; do
  [ -e "$top/$part" ] && parts+=("$part")
done
tar cf - -C "$top" "${parts[@]}" | tar xf - -C "$copy"
for patch in "$@"; do  # made with: git diff, or diff -u --label a/PATH --label b/PATH
  patch -s -R -d "$copy" -p1 < "$patch"
done
echo "$copy"
