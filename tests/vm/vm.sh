#!/usr/bin/env bash
# A lab of real VMs: Debian 12 guests (their own kernel, systemd, sshd, Debian's pyroute2 and
# nftables) on the same underlay, addresses and stand-in internet as tests/lab/lab.sh, all
# inside one sandbox so that the machine's own network namespace never changes. See README.md.
#
#   tests/vm/vm.sh up N [STATE_DIR]        boot h1..hN, return once ssh answers on each
#   tests/vm/vm.sh down [STATE_DIR]        stop them, verify the machine, remove STATE_DIR
#   tests/vm/vm.sh status [STATE_DIR]
#   tests/vm/vm.sh exec CMD [ARG...]       run CMD in the lab namespace (the controller)
#   tests/vm/vm.sh proxy HOST PORT [STATE_DIR]
#                                          stdin/stdout <-> HOST:PORT (ssh ProxyCommand)
#   tests/vm/vm.sh reboot HOST [STATE_DIR] reboot that VM, return once ssh answers again
#
# STATE_DIR defaults to $VM_STATE_DIR, else /tmp/linuxnet-netns-vm. VM_ACCEL=kvm|tcg skips
# the probe of /dev/kvm; VM_MEMORY (MiB, 1024) and VM_CPUS (1) size each VM.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
self="$here/vm.sh"
lab_dir=$(cd "$here/../lab" && pwd -P)
lab_sh=$lab_dir/lab.sh
python=/usr/bin/python3     # not $PATH's python3: on these machines that is a pyenv shim

lab_gw=198.18.0.1
lab_prefix=198.18.0         # hosts are $lab_prefix.$((10 + i)), as in the lab
uplink_lab=203.0.113.1
upstream_ip=203.0.113.10
max_hosts=8                 # two at once is the practical limit under TCG on 2 cores
# Under TCG on a busy machine a boot has taken 4 minutes and more.
boot_timeout=${VM_BOOT_TIMEOUT:-600}

die() { echo "vm.sh: $*" >&2; exit 1; }

state_dir() {
  local dir=${1:-${VM_STATE_DIR:-/tmp/linuxnet-netns-vm}}
  realpath -m -- "$dir"
}

# ---------------------------------------------------------------------------------------
# Which accelerator boots Debian's kernel here. /dev/kvm may exist and still be unable to
# run it (on the development machines it is a PVM hypervisor that runs only kernels built
# for it): boot the kernel with no root file system and see whether it gets as far as
# the panic that says so.
# ---------------------------------------------------------------------------------------
probe_accel() {
  local image=$1 out=$2 cached qemu_pid waited=0
  if [ -n "${VM_ACCEL:-}" ]; then
    echo "$VM_ACCEL (VM_ACCEL)"; return 0
  fi
  if [ ! -c /dev/kvm ] || [ ! -w /dev/kvm ]; then
    echo "tcg (no usable /dev/kvm)"; return 0
  fi
  # One probe per image and host kernel: it costs 10 s where KVM cannot run the guest.
  cached=$image/accel.$(uname -r)
  if [ -s "$cached" ]; then
    echo "$(cat "$cached") (probed before: $cached)"; return 0
  fi
  # No network device, and a network namespace of its own anyway. A working KVM gets to
  # the panic in a second or two; here a PVM /dev/kvm runs it without a word.
  unshare --net qemu-system-x86_64 -accel kvm -m 256 -nodefaults -no-reboot \
    -display none -serial "file:$out" -kernel "$image/vmlinuz" \
    -append "console=ttyS0 panic=-1 root=/dev/nonexistent" >/dev/null 2>&1 &
  qemu_pid=$!
  while [ "$waited" -lt 100 ] && kill -0 "$qemu_pid" 2>/dev/null; do
    grep -q 'Kernel panic' "$out" 2>/dev/null && break
    sleep 0.1; waited=$((waited + 1))
  done
  kill -KILL "$qemu_pid" 2>/dev/null || true
  wait "$qemu_pid" 2>/dev/null || true
  if grep -q 'Kernel panic' "$out" 2>/dev/null; then
    echo kvm | tee "$cached"
  else
    echo "tcg (/dev/kvm cannot run Debian's kernel: no kernel output within 10 s)" | tee "$cached"
  fi
}

# ---------------------------------------------------------------------------------------
# Runs inside the sandbox (nsenter -n -m -p) during `up`: the lab's networks as lab.sh
# makes them, upstream, and one qemu per host on a tap device in the lab namespace.
# ---------------------------------------------------------------------------------------
setup_main() {
  local n=$1 state=$2 image=$3 accel=$4 i name dir mac slow_boot=
  # systemd gives a device 90 s to show up; udev has taken 92 s for /dev/vda under TCG on a
  # busy machine, and a root file system given up on is a boot to the emergency shell.
  case $accel in kvm*) ;; *) slow_boot="systemd.default_timeout_start_sec=900" ;; esac

  ip netns add lab
  ip netns add upstream
  ip -n lab link set lo up
  ip -n upstream link set lo up
  ip -n lab link add br0 type bridge
  ip -n lab addr add "$lab_gw/24" dev br0
  ip -n lab link set br0 up
  ip netns exec lab sh -c 'echo 1 >/proc/sys/net/ipv4/ip_forward'
  ip -n lab link add uplink type veth peer name eth0 netns upstream
  ip -n lab addr add "$uplink_lab/24" dev uplink
  ip -n lab link set uplink up
  ip -n upstream addr add "$upstream_ip/24" dev eth0
  ip -n upstream link set eth0 up
  ip -n upstream route add default via "$uplink_lab"
  mkdir -p /etc/netns/lab
  cp "$state/etc-hosts" /etc/netns/lab/hosts

  : >"$state/pids.inner"
  setsid ip netns exec upstream "$python" "$lab_dir/upstream.py" serve "$upstream_ip" 80 \
    </dev/null >"$state/upstream.log" 2>&1 &
  echo "upstream $!" >>"$state/pids.inner"

  for ((i = 1; i <= n; i++)); do
    name=h$i dir=$state/hosts/h$i
    mac=$(printf '52:54:00:18:00:%02x' $((10 + i)))
    ip -n lab tuntap add "tap-$name" mode tap
    ip -n lab link set "tap-$name" master br0 up
    # setsid: ^C at the caller's terminal does not reach the VMs. `ip netns exec` and setsid
    # exec, so $! is qemu's own PID.
    setsid ip netns exec lab qemu-system-x86_64 -name "$name" "${accel_args[@]}" \
      -m "${VM_MEMORY:-1024}" -smp "${VM_CPUS:-1}" -nodefaults -display none \
      -serial "file:$dir/console.log" -pidfile "$dir/qemu.pid" \
      -kernel "$image/vmlinuz" -initrd "$image/initrd.img" \
      -append "root=/dev/vda rw console=ttyS0 net.ifnames=0 quiet $slow_boot" \
      -drive "file=$dir/root.qcow2,format=qcow2,if=virtio,cache=unsafe,discard=unmap" \
      -drive "file=$dir/config.tar,format=raw,if=virtio,readonly=on" \
      -netdev "tap,id=underlay,ifname=tap-$name,script=no,downscript=no" \
      -device "virtio-net-pci,netdev=underlay,mac=$mac" \
      -device virtio-rng-pci \
      </dev/null >"$dir/qemu.log" 2>&1 &
    echo "$name $!" >>"$state/pids.inner"
  done
  # qemu fails at once on a bad argument or a tap it cannot open.
  sleep 1
  while read -r name pid; do
    kill -0 "$pid" 2>/dev/null && continue
    echo "vm.sh: $name exited during start-up:" >&2
    if [ "$name" = upstream ]; then tail -5 "$state/upstream.log" >&2; else tail -5 "$state/hosts/$name/qemu.log" >&2; fi
    return 1
  done <"$state/pids.inner"
}

# What one VM learns at boot: /dev/vdb, a tar archive that linuxnet-vm-config (baked into
# the image by build-image.sh) unpacks over / before the network and sshd start.
write_config_disk() {
  local state=$1 name=$2 ip=$3 dir files
  dir=$state/hosts/$name files=$state/hosts/$name/config
  mkdir -p "$files/etc/network/interfaces.d" "$files/etc/ssh" "$files/root/.ssh"
  ssh-keygen -q -t ed25519 -N '' -C "$name" -f "$files/etc/ssh/ssh_host_ed25519_key"
  echo "$name" >"$files/etc/hostname"
  cp "$state/etc-hosts" "$files/etc/hosts"
  cp "$state/id_ed25519.pub" "$files/root/.ssh/authorized_keys"
  cat >"$files/etc/network/interfaces.d/eth0" <<EOF
# the lab's underlay (tests/vm/vm.sh)
allow-hotplug eth0
iface eth0 inet static
    address $ip/24
    gateway $lab_gw
EOF
  tar -C "$files" --owner=0 --group=0 -cf "$dir/config.tar" .
}

write_config() {
  local n=$1 state=$2 i key
  key=$state/id_ed25519
  ssh-keygen -q -t ed25519 -N '' -C linuxnet-netns-vm -f "$key"
  {
    echo "127.0.0.1 localhost"
    echo "$lab_gw lab gateway"
    echo "$upstream_ip upstream"
    for ((i = 1; i <= n; i++)); do echo "$lab_prefix.$((10 + i)) h$i"; done
  } >"$state/etc-hosts"

  # ConnectTimeout: a VM under TCG on a loaded machine (load 19 in one make test) took more than
  # 5 s to send its ssh banner, which failed the molecule scenario's verify
  local common="  User root
  IdentityFile $key
  IdentitiesOnly yes
  StrictHostKeyChecking no
  UserKnownHostsFile /dev/null
  GlobalKnownHostsFile /dev/null
  LogLevel ERROR
  BatchMode yes
  ConnectTimeout 30
  ServerAliveInterval 5
  ServerAliveCountMax 6"
  {
    for ((i = 1; i <= n; i++)); do printf 'Host h%d\n  HostName %s\n' "$i" "$lab_prefix.$((10 + i))"; done
    printf 'Host *\n%s\n' "$common"
  } >"$state/ssh_config"
  {
    for ((i = 1; i <= n; i++)); do printf 'Host h%d\n  HostName %s\n' "$i" "$lab_prefix.$((10 + i))"; done
    printf 'Host *\n%s\n  ProxyCommand %s proxy %%h %%p %s\n' "$common" "$self" "$state"
  } >"$state/ssh_config.proxy"

  local ssh_args='-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o ServerAliveInterval=5'
  inventory() {
    echo "# generated by tests/vm/vm.sh; $1"
    echo "[hosts]"
    for ((i = 1; i <= n; i++)); do echo "h$i ansible_host=$lab_prefix.$((10 + i))"; done
    echo
    echo "[hosts:vars]"
    echo "ansible_user=root"
    echo "ansible_ssh_private_key_file=$key"
    echo "ansible_ssh_common_args='$ssh_args${2:+ $2}'"
    echo "ansible_control_path_dir=$state/cp"
    echo "ansible_python_interpreter=/usr/bin/python3"
    echo
    echo "[all:vars]"
    echo "lab_state_dir=$state"
    echo "lab_gateway=$lab_gw"
    echo "lab_upstream_address=$upstream_ip"
    echo "lab_upstream_url=http://$upstream_ip/"
  }
  inventory "use from inside the lab namespace: tests/vm/vm.sh exec ansible ..." >"$state/inventory.ini"
  inventory "use from the machine's own namespace (ssh goes through vm.sh proxy)" \
    "-o ProxyCommand=\"$self proxy %h %p $state\"" >"$state/inventory-proxy.ini"

  cat >"$state/lab.env" <<EOF
# generated by tests/vm/vm.sh; source it
LAB_STATE_DIR=$state
VM_STATE_DIR=$state
LAB_HOSTS="$(for ((i = 1; i <= n; i++)); do printf 'h%d ' "$i"; done | sed 's/ $//')"
LAB_GATEWAY=$lab_gw
LAB_UPSTREAM=$upstream_ip
LAB_UPSTREAM_URL=http://$upstream_ip/
LAB_SSH_CONFIG=$state/ssh_config
LAB_SSH_CONFIG_PROXY=$state/ssh_config.proxy
LAB_INVENTORY=$state/inventory.ini
LAB_INVENTORY_PROXY=$state/inventory-proxy.ini
EOF
}

starttime() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  # shellcheck disable=SC2086
  set -- $stat
  echo "${20}"
}

# ssh from the lab namespace until HOST answers CMD, or the deadline.
wait_ssh() {
  local state=$1 host=$2 deadline=$3 cmd=${4:-true}
  until LAB_STATE_DIR=$state bash "$lab_sh" exec ssh -F "$state/ssh_config" -o ConnectTimeout=3 "$host" "$cmd" 2>/dev/null; do
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 2
  done
}

cmd_up() {
  local n=${1:-} state image accel start_ns unshare_pid init_pid deadline name inner outer i
  if ! [[ "$n" =~ ^[0-9]+$ ]] || [ "$n" -lt 1 ] || [ "$n" -gt "$max_hosts" ]; then
    die "usage: vm.sh up N [STATE_DIR]   (1 <= N <= $max_hosts)"
  fi
  state=$(state_dir "${2:-}")
  start_ns=$(date +%s%N)
  for tool in unshare nsenter ip ssh ssh-keygen tar qemu-system-x86_64 qemu-img "$python"; do
    command -v "$tool" >/dev/null || die "missing $tool (packages: qemu-system-x86 qemu-utils iproute2 openssh-client python3 util-linux)"
  done
  [ -c /dev/net/tun ] || die "/dev/net/tun is missing: the VMs' tap devices need it"
  [ -d /etc/netns ] || die "/etc/netns is missing; create it once (mkdir /etc/netns): the lab mounts over it"

  image=$("$here/build-image.sh") || die "no image"
  mkdir -m 0700 "$state" 2>/dev/null || {
    die "$state exists (VMs up, or left over from a failed or killed run); run: $self down $state"
  }
  up_failed_hint="vm.sh: up failed; logs (console.log, qemu.log) are in $state/hosts; clean up with: $self down $state"
  trap 'rc=$?; [ $rc -eq 0 ] || echo "$up_failed_hint" >&2' EXIT

  bash "$lab_sh" __snapshot >"$state/snapshot.before"
  accel=$(probe_accel "$image" "$state/kvm-probe.log")
  echo "vm.sh: accelerator ${accel}" >&2
  echo "$accel" >"$state/accel"
  echo "$image" >"$state/image"
  write_config "$n" "$state"
  for ((i = 1; i <= n; i++)); do
    mkdir -p "$state/hosts/h$i"
    # The base image stays as built: every write of a VM goes to its own overlay.
    qemu-img create -q -f qcow2 -F qcow2 -b "$image/root.qcow2" "$state/hosts/h$i/root.qcow2"
    write_config_disk "$state" "h$i" "$lab_prefix.$((10 + i))"
  done
  : >"$state/pids"

  # The sandbox is lab.sh's (its __init prepares /run, /run/netns, /etc/netns and reaps), so
  # that lab.sh's down, status, exec and proxy work on this state dir as on a lab's.
  bash -c 'printf "sandbox-unshare %s %s\n" "$$" "$(cut -d" " -f22 /proc/$$/stat)" >>"$1"
           shift; exec setsid "$@"' holder "$state/pids" \
    unshare --net --mount --pid --kill-child=SIGKILL --mount-proc --propagation private \
    /bin/bash "$lab_sh" __init "$state" </dev/null >"$state/sandbox.log" 2>&1 &
  unshare_pid=$!
  deadline=$((SECONDS + 10))
  until [ -e "$state/sandbox.ready" ]; do
    kill -0 "$unshare_pid" 2>/dev/null || { cat "$state/sandbox.log" >&2; die "sandbox exited during start-up"; }
    [ "$SECONDS" -lt "$deadline" ] || die "sandbox did not become ready"
    sleep 0.02
  done
  [ "$(cat "/proc/$unshare_pid/comm")" = unshare ] || die "unexpected holder process $unshare_pid"
  init_pid=$(cat "/proc/$unshare_pid/task/$unshare_pid/children")
  init_pid=${init_pid%% *}
  echo "sandbox-init $init_pid $(starttime "$init_pid") 1" >>"$state/pids"

  local -a accel_args
  case $accel in
    kvm*) accel_args=(-accel kvm -cpu host) ;;
    *) accel_args=(-accel tcg) ;;
  esac
  ACCEL_ARGS="${accel_args[*]}" nsenter -t "$init_pid" -n -m -p --wd=/ -- \
    /bin/bash "$self" __setup "$n" "$state" "$image" "$accel"

  # The PIDs the sandbox saw, as the machine sees them (last field of NSpid): qemu's are
  # what down kills, with the sandbox.
  declare -A outer_of=()
  local pidns member
  pidns=$(readlink "/proc/$init_pid/ns/pid")
  for member in /proc/[0-9]*; do
    [ "$(readlink "$member/ns/pid" 2>/dev/null)" = "$pidns" ] || continue
    inner=$(awk '/^NSpid:/ {print $NF}' "$member/status" 2>/dev/null) || continue
    [ -n "$inner" ] && outer_of[$inner]=${member#/proc/}
  done
  while read -r name inner; do
    outer=${outer_of[$inner]:-}
    [ -n "$outer" ] || die "$name (PID $inner in the sandbox) is not running"
    echo "$name $outer $(starttime "$outer") $inner" >>"$state/pids"
  done <"$state/pids.inner"

  local boot_started=$SECONDS
  deadline=$((SECONDS + boot_timeout))
  local -a waits=()
  for ((i = 1; i <= n; i++)); do
    wait_ssh "$state" "h$i" "$deadline" hostname >"$state/hosts/h$i/check.out" 2>&1 &
    waits+=($!)
  done
  for i in "${!waits[@]}"; do
    wait "${waits[$i]}" || {
      echo "vm.sh: h$((i + 1)): no ssh within $boot_timeout s; end of its console:" >&2
      tail -20 "$state/hosts/h$((i + 1))/console.log" >&2
      die "boot of h$((i + 1)) failed"
    }
  done
  local boot_s=$((SECONDS - boot_started))
  for ((i = 1; i <= n; i++)); do
    give_upstream_py "$state" "h$i"
  done
  trap - EXIT
  touch "$state/up.done"

  local ms=$((($(date +%s%N) - start_ns) / 1000000))
  echo "$boot_s" >"$state/boot.seconds"
  cat <<EOF
vm lab up in ${ms} ms (boot to ssh ${boot_s} s, $accel): $n VMs, state in $state
  hosts      h1..h$n = $lab_prefix.11..$lab_prefix.$((10 + n))/24 on br0, gateway $lab_gw (lab namespace)
  upstream   $upstream_ip (http://$upstream_ip/ answers "you are <source address>")
  ssh        $self exec ssh -F $state/ssh_config h1
             ssh -F $state/ssh_config.proxy h1          (from this namespace, via vm.sh proxy)
  ansible    $self exec ansible -i $state/inventory.ini all -m ping
             ansible -i $state/inventory-proxy.ini all -m ping
  reboot     $self reboot h1 $state
  down       $self down $state
EOF
}

# docker_bridge_matrix.py starts tests/lab/upstream.py in the containers by its path on the
# controller, which a lab host shares with the machine: give the VM that file there (again after
# a reboot: Debian empties /tmp at boot, and a checkout may be there, as CI's may).
give_upstream_py() {
  local upstream_py=$lab_dir/upstream.py
  LAB_STATE_DIR=$1 bash "$lab_sh" exec ssh -F "$1/ssh_config" "$2" \
    "mkdir -p '${upstream_py%/*}' && cat >'$upstream_py'" <"$upstream_py"
}

cmd_reboot() {
  local host=${1:-} state before after deadline started=$SECONDS
  [ -n "$host" ] || die "usage: vm.sh reboot HOST [STATE_DIR]"
  state=$(state_dir "${2:-}")
  [ -e "$state/up.done" ] || die "no VMs up in $state"
  before=$(LAB_STATE_DIR=$state bash "$lab_sh" exec ssh -F "$state/ssh_config" "$host" cat /proc/sys/kernel/random/boot_id) \
    || die "$host does not answer over ssh"
  # The connection may drop before ssh hears back (255): what counts is a new boot id below.
  local rc=0
  LAB_STATE_DIR=$state bash "$lab_sh" exec ssh -F "$state/ssh_config" "$host" 'systemctl reboot' || rc=$?
  [ "$rc" -eq 0 ] || [ "$rc" -eq 255 ] || die "systemctl reboot on $host failed (exit $rc)"
  deadline=$((SECONDS + boot_timeout))
  while :; do
    after=$(LAB_STATE_DIR=$state bash "$lab_sh" exec ssh -F "$state/ssh_config" -o ConnectTimeout=3 "$host" \
      cat /proc/sys/kernel/random/boot_id 2>/dev/null) || after=
    [ -n "$after" ] && [ "$after" != "$before" ] && break
    [ "$SECONDS" -lt "$deadline" ] || die "$host did not come back within $boot_timeout s (console: $state/hosts/$host/console.log)"
    sleep 2
  done
  give_upstream_py "$state" "$host"
  echo "vm.sh: $host rebooted, ssh answers again after $((SECONDS - started)) s"
}

cmd_status() {
  local state rc=0
  state=$(state_dir "${1:-}")
  [ -e "$state" ] || { echo "no VMs in $state"; return 1; }
  [ -f "$state/accel" ] && echo "accelerator: $(cat "$state/accel"); image: $(cat "$state/image" 2>/dev/null)"
  # lab.sh's hints name lab.sh; its down is ours too, but name the command users know.
  bash "$lab_sh" status "$state" | sed "s|$lab_sh down|$self down|" || rc=$?
  return "$rc"
}

case ${1:-} in
  up)     shift; cmd_up "$@" ;;
  # The sandbox, its PIDs and the snapshot are recorded as lab.sh records them: its down
  # kills the recorded processes (qemu among them) by PID and start time, checks that the
  # machine's namespace is as before, and works after a failed or killed up.
  down)   shift; exec bash "$lab_sh" down "$(state_dir "${1:-}")" ;;
  status) shift; cmd_status "$@" ;;
  exec)   shift; LAB_STATE_DIR=$(state_dir) exec bash "$lab_sh" exec "$@" ;;
  proxy)  shift; [ $# -ge 2 ] || die "usage: vm.sh proxy HOST PORT [STATE_DIR]"
          exec bash "$lab_sh" proxy "$1" "$2" "$(state_dir "${3:-}")" ;;
  reboot) shift; cmd_reboot "$@" ;;
  # ACCEL_ARGS: from cmd_up, through nsenter
  __setup) shift; read -r -a accel_args <<<"${ACCEL_ARGS:-}"; setup_main "$@" ;;
  *) sed -n '2,16p' "$self" >&2; exit 2 ;;
esac
