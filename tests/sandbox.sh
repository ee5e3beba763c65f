#!/usr/bin/env bash
# Run a command inside a throwaway sandbox: new network, mount and PID namespaces,
# private tmpfs on /run/netns and /etc/netns, overlays on /etc and /var/lib, loopback up.
#
# Everything the command creates (namespaces, links, nft tables, processes, files it writes
# under /etc or /var/lib, such as systemd units or a registry) goes away when it exits, whether
# it passed or failed: the PID namespace's init is the command's shell, so leftover processes
# are killed with it, the last reference to every network namespace made inside is dropped,
# and the overlays' upper layers live on a tmpfs of the sandbox's own. The machine's own
# namespace and files never change.
set -euo pipefail
[ $# -gt 0 ] || { echo "usage: $0 COMMAND [ARG...]" >&2; exit 2; }
scratch=/run/linuxnet-netns-sandbox  # an empty mount point; the tmpfs on it is the sandbox's alone
mkdir -p /run/netns /etc/netns "$scratch"
# shellcheck disable=SC2016  # the script is the inner bash's: it expands its own arguments
exec unshare --net --mount --pid --fork --mount-proc --propagation private \
  bash -c 'set -e
    scratch=$1; shift
    mount -t tmpfs -o mode=0700 tmpfs "$scratch"
    for dir in etc var/lib; do
      mkdir -p "$scratch/$dir-upper" "$scratch/$dir-work"
      mount -t overlay overlay -o "lowerdir=/$dir,upperdir=$scratch/$dir-upper,workdir=$scratch/$dir-work" "/$dir"
    done
    mount -t tmpfs -o mode=0755 tmpfs /run/netns
    mount -t tmpfs -o mode=0755 tmpfs /etc/netns
    ip link set lo up
    "$@"' sandbox "$scratch" "$@"
