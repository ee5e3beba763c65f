#!/usr/bin/env bash
# Run a command inside a throwaway sandbox: new network, mount and PID namespaces,
# private tmpfs on /run/netns and /etc/netns, loopback up.
#
# Everything the command creates (namespaces, links, nft tables, processes) goes away
# when it exits, whether it passed or failed: the PID namespace's init is the command's
# shell, so leftover processes are killed with it, and the last reference to every
# network namespace made inside is dropped. The machine's own namespace never changes.
set -euo pipefail
[ $# -gt 0 ] || { echo "usage: $0 COMMAND [ARG...]" >&2; exit 2; }
mkdir -p /run/netns /etc/netns
exec unshare --net --mount --pid --fork --mount-proc --propagation private \
  bash -c 'set -e
    mount -t tmpfs -o mode=0755 tmpfs /run/netns
    mount -t tmpfs -o mode=0755 tmpfs /etc/netns
    ip link set lo up
    "$@"' sandbox "$@"
