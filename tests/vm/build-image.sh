#!/usr/bin/env bash
# Build (once) the Debian 12 image the test VMs boot, from Debian's packages only, and print
# the directory that holds it: vmlinuz, initrd.img (the image's own kernel and initramfs, given
# to qemu with -kernel/-initrd) and root.qcow2 (the root file system, ext4 on the whole disk).
#
#   tests/vm/build-image.sh            build if missing, print the directory
#   tests/vm/build-image.sh --path     print the directory only (exit 1 if not built)
#
# The directory is $LINUXNET_VM_CACHE (default /var/cache/linuxnet-netns/vm)/debian12-HASH,
# HASH covering this script (the package list and every file baked in are here): any change
# builds a new image; the older ones are removed once the new one is complete. Builds take a
# lock, so two suites asking at once build one image. VMs never write to it: each boots a
# qcow2 overlay of its own (tests/vm/vm.sh).
#
# What the image knows of one VM comes at boot from a second disk, /dev/vdb: a tar archive
# (hostname, hosts, root's authorized_keys, its ssh host key, /etc/network/interfaces.d/eth0)
# that the oneshot unit linuxnet-vm-config.service unpacks before the network and sshd start.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
self="$here/build-image.sh"
cache=${LINUXNET_VM_CACHE:-/var/cache/linuxnet-netns/vm}
suite=bookworm
mirror=${LINUXNET_VM_MIRROR:-http://deb.debian.org/debian}
# A server as users run one: its own kernel and modules, systemd, ifupdown, sshd, and the
# collection's dependencies from Debian (pyroute2 0.7.2, nftables).
packages=(linux-image-amd64 systemd-sysv udev dbus kmod ifupdown iproute2 iputils-ping procps
          openssh-server python3 python3-pyroute2 nftables)

key=$(sha256sum "$self" | cut -c1-12)
image=$cache/debian12-$key

die() { echo "build-image.sh: $*" >&2; exit 1; }

if [ "${1:-}" = --path ]; then
  [ -f "$image/complete" ] || exit 1
  echo "$image"; exit 0
fi
[ -f "$image/complete" ] && { echo "$image"; exit 0; }

for tool in debootstrap mke2fs qemu-img flock unshare; do
  command -v "$tool" >/dev/null || die "missing $tool (packages: debootstrap e2fsprogs qemu-utils util-linux)"
done
mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9
[ -f "$image/complete" ] && { echo "$image"; exit 0; }

started=$SECONDS
work=$(mktemp -d "$cache/.build-XXXXXX")
trap 'rm -rf -- "$work"' EXIT
root=$work/root
echo "build-image.sh: building $image (debootstrap $suite from $mirror; about 2-4 minutes)" >&2

# New mount, PID and UTS namespaces: whatever debootstrap mounts (proc, sys, dev) and any
# daemon a package would start (debootstrap fakes start-stop-daemon, this is a second guard)
# end with it; the machine's hostname stays. It needs the network to reach the mirror, so it
# shares the machine's network namespace (it changes nothing there).
unshare --mount --pid --uts --fork --mount-proc --propagation private \
  debootstrap --variant=minbase --include="$(IFS=,; echo "${packages[*]}")" \
  "$suite" "$root" "$mirror" >"$work/debootstrap.log" 2>&1 || {
    tail -30 "$work/debootstrap.log" >&2; die "debootstrap failed"; }

# ---- what every VM has -----------------------------------------------------------------
echo "/dev/vda / ext4 errors=remount-ro 0 1" >"$root/etc/fstab"
echo debian >"$root/etc/hostname"
# Empty: each VM makes its own at first boot, as a cloned cloud image does. Shared, it gave
# every VM the same MAC on each link systemd-udevd names (MACAddressPolicy=persistent hashes
# the machine id), and a vxlan drops frames from its own MAC: no traffic between the VMs.
: >"$root/etc/machine-id"
rm -f "$root/var/lib/dbus/machine-id"
# sshd (UsePAM yes) lets root in with a key; no password login at all.
chroot "$root" usermod -p '*' root
# Each VM's host key comes on its config disk (vm.sh makes it): generating keys at boot
# takes minutes under software emulation (RSA).
rm -f "$root"/etc/ssh/ssh_host_*
cat >"$root/etc/ssh/sshd_config.d/linuxnet-vm.conf" <<'EOF'
# test VMs of linuxnet.netns (tests/vm): root logs in with the key from the config disk
HostKey /etc/ssh/ssh_host_ed25519_key
PermitRootLogin prohibit-password
PasswordAuthentication no
UseDNS no
MaxStartups 100:30:200
MaxSessions 100
EOF
cat >"$root/etc/network/interfaces" <<'EOF'
auto lo
iface lo inet loopback

source /etc/network/interfaces.d/*
EOF

cat >"$root/usr/local/sbin/linuxnet-vm-config" <<'EOF'
#!/bin/sh
# Unpacks this VM's settings from the config disk (tests/vm/vm.sh writes it) and makes the
# host key if the disk brought none. Runs before the network and sshd, at every boot.
set -e
if [ -b /dev/vdb ]; then
  tar -x --no-same-owner -f /dev/vdb -C /
  chown -R root:root /root/.ssh /etc/ssh
  chmod 700 /root/.ssh
  chmod 600 /etc/ssh/ssh_host_ed25519_key
  hostname "$(cat /etc/hostname)"
fi
[ -f /etc/ssh/ssh_host_ed25519_key ] || ssh-keygen -q -t ed25519 -N '' -f /etc/ssh/ssh_host_ed25519_key
EOF
chmod 0755 "$root/usr/local/sbin/linuxnet-vm-config"
cat >"$root/etc/systemd/system/linuxnet-vm-config.service" <<'EOF'
[Unit]
Description=linuxnet.netns test VM: settings from the config disk
DefaultDependencies=no
After=local-fs.target
Before=network-pre.target networking.service ssh.service systemd-hostnamed.service
Wants=network-pre.target

[Service]
Type=oneshot
ExecStart=/usr/local/sbin/linuxnet-vm-config
RemainAfterExit=yes

[Install]
WantedBy=sysinit.target
EOF
chroot "$root" systemctl enable linuxnet-vm-config.service >/dev/null 2>&1
# Boot time matters under TCG: no timers that wake up apt or scrub disks in a test VM.
for unit in apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer e2scrub_reap.service \
            fstrim.timer man-db.timer dpkg-db-backup.timer; do
  chroot "$root" systemctl disable "$unit" >/dev/null 2>&1 || true
done
# ifupdown-pre waits for udev to settle (a minute under TCG); eth0 is brought up by
# ifup@eth0 when udev sees it (allow-hotplug), so nothing needs to wait. getty-static
# starts gettys on tty2-6, which these VMs have no screen for.
for unit in systemd-networkd-wait-online.service ifupdown-pre.service getty-static.service; do
  chroot "$root" systemctl mask "$unit" >/dev/null 2>&1 || true
done
# An initramfs with what these VMs boot from, not every driver (36 MB: seconds to unpack
# under TCG).
printf 'virtio_pci\nvirtio_blk\next4\n' >>"$root/etc/initramfs-tools/modules"
echo MODULES=list >"$root/etc/initramfs-tools/conf.d/linuxnet-vm"
chroot "$root" update-initramfs -u -k all >/dev/null 2>&1
chroot "$root" apt-get clean
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/log/*.log

mkdir -p "$work/out"
cp -L "$root/vmlinuz" "$work/out/vmlinuz"
cp -L "$root/initrd.img" "$work/out/initrd.img"
# The file system from the directory as it is (mke2fs -d): no loop device, nothing mounted.
truncate -s 3G "$work/root.raw"
mke2fs -q -t ext4 -L root -d "$root" "$work/root.raw"
qemu-img convert -O qcow2 "$work/root.raw" "$work/out/root.qcow2"
chroot "$root" dpkg-query -W >"$work/out/packages.txt"
printf 'built %s in %d s from %s %s\n' "$(date -u +%FT%TZ)" "$((SECONDS - started))" "$suite" "$mirror" \
  >"$work/out/build.info"
touch "$work/out/complete"
rm -rf -- "$image"
mv "$work/out" "$image"
# Images of earlier versions of this script are of no use any more.
for old in "$cache"/debian12-*; do
  [ "$old" = "$image" ] || rm -rf -- "$old"
done
echo "build-image.sh: built $image in $((SECONDS - started)) s" >&2
echo "$image"
